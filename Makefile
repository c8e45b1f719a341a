# `make run` and `make test` each do all of their own set-up on a fresh Debian/Ubuntu machine (as root).
# `make run` measures matrix-local.yaml (about a minute); `make run MATRIX=matrix-drivers.yaml` the driver sweep.
PYTHON ?= python3
VENV ?= .venv
HARNESS := $(VENV)/bin/harness
RUN_PACKAGES := python3-venv docker.io busybox-static xfsprogs btrfs-progs fuse-overlayfs e2fsprogs
# Podman (its API service runs Buildah): installed beside Docker, replacing nothing, and only for a podman matrix.
PODMAN_PACKAGES := podman
VM_PACKAGES := qemu-system-x86 qemu-utils debootstrap cpio kmod openssh-client iproute2
# pdflatex with booktabs and siunitx: tests/unit/test_latex_paper.py compiles the LaTeX tables.
LATEX_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-science
# erofs-utils: the containerd erofs snapshotter's scenario (mkfs.erofs per layer), not part of `make run`'s matrix.
TEST_PACKAGES := $(RUN_PACKAGES) $(PODMAN_PACKAGES) erofs-utils vagrant openssh-server shellcheck debian-archive-keyring $(VM_PACKAGES) \
	$(LATEX_PACKAGES)
MATRIX ?= matrix-local.yaml
# More `harness run` options, e.g. make run MATRIX=matrix-drivers.yaml RUN_ARGS="--reps 3"
RUN_ARGS ?=

.PHONY: run test test-slow test-unit test-vm test-vagrant test-campaign lint venv check-citation

# The packages first (python3-venv among them: Debian and Ubuntu ship Python without venv), then the virtualenv.
run:
	scripts/ensure-packages $(RUN_PACKAGES) $(if $(findstring podman,$(MATRIX)),$(PODMAN_PACKAGES))
	$(MAKE) --no-print-directory venv
	scripts/run-matrix $(HARNESS) $(MATRIX) $(RUN_ARGS)

# Everything but the two slow end-to-end proofs (the emulated VM, the Ansible campaign): those are `make test-slow`,
# which CI runs after this.
test:
	scripts/ensure-packages $(TEST_PACKAGES)
	$(MAKE) --no-print-directory lint
	$(VENV)/bin/python -m pytest -m "not vm and not campaign"

test-slow:
	scripts/ensure-packages $(TEST_PACKAGES)
	$(MAKE) --no-print-directory venv
	$(VENV)/bin/python -m pytest -m "vm or campaign"

# The house rules: ruff's checks (pyproject.toml) and the import floors (lint-imports: no loops, no upward imports).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# CITATION.cff checked by cffconvert itself, in a virtualenv of its own (it pins jsonschema < 4; the tests need 4).
check-citation:
	$(PYTHON) -m venv $(VENV)-cffconvert
	$(VENV)-cffconvert/bin/pip install --quiet 'cffconvert>=2.0'
	$(VENV)-cffconvert/bin/cffconvert --validate -i CITATION.cff

# The emulated-VM end-to-end proof alone (tests/vm/e2e); its last line on stdout is `results: <run dir>`.
test-vm: $(VENV)/.installed
	scripts/ensure-packages $(RUN_PACKAGES) $(VM_PACKAGES)
	tests/vm/e2e

# `vagrant up` for real (tests/vagrant/run, docs/vagrant.md "Tried here"): the seed's three machines booted one at a
# time by Vagrant's libvirt provider from a Debian 12 box built here, provisioned through the Vagrantfile, measured
# and destroyed, with libvirtd private to a network and mount namespace; last stdout line `results: <dir>`. First,
# the same run stopped while its first machine boots must leave nothing behind (tests/vagrant/interrupted, ~1 min).
test-vagrant:
	tests/vagrant/interrupted
	tests/vagrant/run

# A campaign end to end (docs/campaigns.md): sshd on 127.0.0.1 with its own key, an inventory naming this machine
# twice (concurrency 1) plus an unreachable host, the seed's question on each; last stdout line `results: <dir>`.
test-campaign:
	scripts/ensure-packages $(RUN_PACKAGES) openssh-server openssh-client
	$(MAKE) --no-print-directory venv
	$(VENV)/bin/python -m tests.campaign.e2e results

test-unit: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m "not integration and not vm"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@
