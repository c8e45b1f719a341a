"""`make run` on a machine that has a Docker engine installs no engine package and can remove nothing.

scripts/ensure-packages runs with stand-in `dpkg-query` and `apt-get` first on PATH that record what they were
asked (nothing is really installed) and report every package as missing; the machine's real dockerd is present.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-packages"


@pytest.fixture
def stand_ins(tmp_path: Path) -> Path:
    if shutil.which("dockerd") is None and not Path("/usr/sbin/dockerd").exists():
        pytest.fail("these tests need a real dockerd on the machine (apt-get install docker.io)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, answer in (("dpkg-query", "exit 1"), ("apt-get", 'case "$*" in *install*) exit "${APT_EXIT:-0}" ;; esac')):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/asked"\n{answer}\n')
        script.chmod(0o755)
    return tmp_path


def ensure(stand_ins: Path, *packages: str, apt_exit: int = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{stand_ins / 'bin'}:{os.environ['PATH']}", "APT_EXIT": str(apt_exit)}
    return subprocess.run([str(SCRIPT), *packages], capture_output=True, text=True, env=env, timeout=30, check=False)


def asked(stand_ins: Path, command: str) -> list[str]:
    path = stand_ins / "asked"
    return [line for line in path.read_text().splitlines() if line.startswith(command)] if path.exists() else []


def test_no_engine_package_is_installed_beside_an_existing_dockerd(stand_ins: Path) -> None:
    done = ensure(stand_ins, "docker.io", "docker-ce", "moby-engine", "podman-docker", "busybox-static")
    assert done.returncode == 0, done.stderr
    (install,) = [line for line in asked(stand_ins, "apt-get") if " install " in line]
    assert install.endswith("-- busybox-static") and "--no-remove" in install, install
    for engine in ("docker.io", "docker-ce", "moby-engine", "podman-docker"):
        assert f"not installing {engine}: a Docker engine is already here" in done.stderr
        assert engine not in " ".join(asked(stand_ins, "apt-get"))
    assert "installed system packages: busybox-static" in done.stderr


def test_only_engine_packages_asked_for_means_apt_is_not_run(stand_ins: Path) -> None:
    done = ensure(stand_ins, "docker.io")
    assert done.returncode == 0, done.stderr
    assert asked(stand_ins, "apt-get") == []


def test_when_apt_would_remove_something_it_refuses_and_says_so(stand_ins: Path) -> None:
    done = ensure(stand_ins, "xfsprogs", apt_exit=100)
    assert done.returncode == 3
    assert "without removing other packages" in done.stderr and "xfsprogs" in done.stderr


def test_an_option_is_not_a_package(stand_ins: Path) -> None:
    done = ensure(stand_ins, "-oDPkg::Pre-Invoke::=true")
    assert done.returncode == 2 and asked(stand_ins, "apt-get") == []
