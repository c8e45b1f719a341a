# `make run` and `make test` each do all of their own set-up on a fresh Debian/Ubuntu machine (as root).
PYTHON ?= python3
VENV ?= .venv
HARNESS := $(VENV)/bin/harness
RUN_PACKAGES := docker.io busybox-static xfsprogs btrfs-progs fuse-overlayfs e2fsprogs
TEST_PACKAGES := $(RUN_PACKAGES) vagrant openssh-server shellcheck
MATRIX ?= matrix-local.yaml

.PHONY: run test test-unit venv clean-runs

run: $(VENV)/.installed
	scripts/ensure-packages $(RUN_PACKAGES)
	$(HARNESS) run $(MATRIX)

test: $(VENV)/.installed
	scripts/ensure-packages $(TEST_PACKAGES)
	$(VENV)/bin/python -m pytest

test-unit: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m "not integration and not vm"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@
