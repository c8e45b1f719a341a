"""`vagrant validate -p` (the real Vagrant) on the repository's Vagrantfile, on a copy with a user-added scenario,
and on a copy with a broken one, which `harness validate` refuses too, both naming the file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEED_VMS = ("ol75-devicemapper-direct-lvm", "ol75-overlay2-redirect-dir-off", "ol75-overlay2-redirect-dir-on")

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def needs_vagrant() -> None:
    if shutil.which("vagrant") is None:
        pytest.fail("these tests need vagrant (apt-get install vagrant); `make test` installs it")


def vagrant_validate(root: Path, dotfiles: Path) -> subprocess.CompletedProcess[str]:
    """`vagrant validate -p` in `root`, with Vagrant's .vagrant/ kept in `dotfiles` (not in the checkout)."""
    env = {**os.environ, "VAGRANT_DOTFILE_PATH": str(dotfiles)}
    return subprocess.run(["vagrant", "validate", "-p"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def harness_validate(matrix: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "validate", str(matrix)], capture_output=True,
                          text=True, timeout=60, check=False, cwd=REPO)


def copy_of_checkout(root: Path) -> Path:
    """The files a user's checkout has for Vagrant: Vagrantfile, matrix, scenarios, provision, workloads."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "Vagrantfile", root)
    shutil.copy(REPO / "matrix.yaml", root)
    for directory in ("scenarios", "provision", "workloads"):
        shutil.copytree(REPO / directory, root / directory)
    return root


def test_the_repositorys_vagrantfile_validates_with_one_vm_per_seed_scenario(tmp_path: Path) -> None:
    result = vagrant_validate(REPO, tmp_path / "dot")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Vagrantfile validated successfully" in result.stdout
    for name in SEED_VMS:
        assert f"==> {name}:" in result.stdout
    assert not (REPO / ".vagrant").exists()


def test_a_scenario_the_user_adds_becomes_a_vm(tmp_path: Path) -> None:
    root = copy_of_checkout(tmp_path / "checkout")
    (root / "scenarios" / "debian12-btrfs.yaml").write_text(
        "description: my own host\n"
        "host: {type: vagrant, box: debian/bookworm64, cpus: 4, memory_mb: 4096, extra_disk_gb: 10}\n"
        "engine: {package: docker.io, version: '20.10'}\n"
        "storage: {driver: btrfs}\n"
        "expect: {driver: btrfs}\n")
    result = vagrant_validate(root, tmp_path / "dot")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "==> debian12-btrfs:" in result.stdout
    (root / "own.yaml").write_text("scenarios: [debian12-btrfs, ol75-overlay2-redirect-dir-off]\nworkloads: [seed]\n")
    assert harness_validate(root / "own.yaml").returncode == 0


@pytest.mark.parametrize("mistake, text, key", [
    ("typo", "host: {type: vagrant, box: b, memroy_mb: 2048}\nstorage: {driver: overlay2}\n", "host.memroy_mb"),
    ("no-disk", "host: {type: vagrant, box: b}\nstorage: {driver: devicemapper, direct_lvm: true}\n",
     "host.extra_disk_gb"),
])
def test_a_broken_scenario_fails_both_harness_validate_and_the_vagrantfile(tmp_path: Path, mistake: str,
                                                                           text: str, key: str) -> None:
    root = copy_of_checkout(tmp_path / "checkout")
    broken = root / "scenarios" / f"broken-{mistake}.yaml"
    broken.write_text(text)
    (root / "broken.yaml").write_text(f"scenarios: [broken-{mistake}]\nworkloads: [seed]\n")

    vagrant = vagrant_validate(root, tmp_path / "dot")
    assert vagrant.returncode != 0
    vagrant_said = vagrant.stdout + vagrant.stderr
    assert f"Vagrantfile: {broken}:1: {key}:" in vagrant_said, vagrant_said

    harness = harness_validate(root / "broken.yaml")
    assert harness.returncode == 2
    assert f"{broken}:1: {key}:" in harness.stderr, harness.stderr
    assert "Traceback" not in harness.stderr
