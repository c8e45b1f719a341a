"""provision/ run for real on this machine wherever it can: the overlay knobs, daemon.json and the final
`docker info` check against a private dockerd on a loop-mounted xfs, with the scenario files' own settings.

The scripts take their paths from the environment (MODPROBE_DIR, DAEMON_JSON, DATA_ROOT, DOCKER_SOCKET,
DOCKER_SERVICE empty = no systemd), so nothing of the machine's own docker is touched. The overlay parameters are
the real, machine-wide ones: they are put back as they were.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import load_scenario
from harness.hosts.api import ping
from harness.hosts.ssh import provision_env
from tests.integration.ssh_fixtures import checked_root

REPO = Path(__file__).resolve().parents[2]
PROVISION = REPO / "provision"
PARAMETERS = Path("/sys/module/overlay/parameters")
NO_DEVICE_MAPPER = ("device-mapper is not in this kernel (no `device-mapper` in /proc/devices: CONFIG_BLK_DEV_DM "
                    "unset): the direct-lvm thin pool of provision/30-storage.sh is built for real in the emulated "
                    "Debian guest instead (tests/vm/test_vm_e2e.py, make test-vm) and in the VMs")

pytestmark = pytest.mark.integration


def script(name: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    path = next(PROVISION.glob(f"{name}-*.sh"))
    return subprocess.run(["bash", str(path)], env={"PATH": os.environ["PATH"], **env}, capture_output=True,
                          text=True, timeout=timeout, check=False)


def scenario_env(name: str, **overrides: str) -> dict[str, str]:
    scenario = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    return {**provision_env(scenario, docker_user=""), "DOCKER_SERVICE": "", **overrides}


@pytest.fixture
def root() -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("dockerd") is None:
        pytest.fail("these tests need root and dockerd (apt-get install docker.io); `make test` installs it")
    yield from checked_root("hp")


@pytest.fixture
def overlay_parameters_restored() -> Iterator[None]:
    subprocess.run(["modprobe", "overlay"], check=False)
    saved = {p.name: p.read_text().strip() for p in PARAMETERS.iterdir() if p.name in ("redirect_dir", "metacopy")}
    try:
        yield
    finally:
        for name in ("metacopy", "redirect_dir"):  # metacopy first: it forces redirect_dir
            if name in saved:
                (PARAMETERS / name).write_text(saved[name])
    assert {name: (PARAMETERS / name).read_text().strip() for name in saved} == saved


@contextlib.contextmanager
def xfs_mount(root: Path) -> Iterator[Path]:
    """A 1 GiB sparse xfs (ftype=1, as Oracle Linux 7.5 installs it), loop-mounted under `root`."""
    image, mountpoint = root / "xfs.img", root / "xfs"
    with image.open("wb") as handle:
        handle.truncate(1 << 30)
    subprocess.run(["mkfs.xfs", "-q", "-n", "ftype=1", str(image)], check=True)
    mountpoint.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)
        assert not subprocess.run(["losetup", "-j", str(image)], capture_output=True, text=True).stdout


@contextlib.contextmanager
def dockerd_with(config_file: Path, data_root: Path, root: Path, name: str) -> Iterator[Path]:
    """A private dockerd configured by the daemon.json the scripts wrote, plus flags for its private paths."""
    socket_path = root / f"{name}.sock"
    log = root / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["dockerd", "--config-file", str(config_file), "--data-root", str(data_root), "--exec-root",
             str(root / f"x-{name}"), "--pidfile", str(root / f"{name}.pid"), "-H", f"unix://{socket_path}",
             "--iptables=false", "--bridge=none"], stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(f"dockerd exited ({process.returncode}): {log.read_text()[-2000:]}")
            if socket_path.exists() and ping(socket_path, timeout=2) is not None:
                break
            subprocess.run(["sleep", "0.1"], check=True)
        else:
            pytest.fail(f"dockerd did not answer: {log.read_text()[-2000:]}")
        yield socket_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def configure(name: str, root: Path, data_root: Path) -> dict[str, str]:
    """20-kernel.sh and 30-storage.sh for scenario `name`, into files under `root`; returns its environment."""
    env = scenario_env(name, MODPROBE_DIR=str(root / f"modprobe-{name}"), DAEMON_JSON=str(root / f"{name}.json"),
                       DATA_ROOT=str(data_root))
    for step in ("20", "30"):
        result = script(step, env)
        assert result.returncode == 0, result.stdout + result.stderr
    return env


def test_overlay2_with_redirect_dir_on_and_off_is_configured_and_verified(root: Path,
                                                                          overlay_parameters_restored: None) -> None:
    with xfs_mount(root) as xfs:
        on = configure("ol75-overlay2-redirect-dir-on", root, xfs / "on")
        assert (root / "modprobe-ol75-overlay2-redirect-dir-on" / "harness-overlay.conf").read_text().endswith(
            "options overlay redirect_dir=on\n")
        assert (PARAMETERS / "redirect_dir").read_text().strip() == "Y"
        assert (root / "ol75-overlay2-redirect-dir-on.json").read_text().strip() == \
            '{"storage-driver":"overlay2","storage-opts":[]}'
        with dockerd_with(Path(on["DAEMON_JSON"]), xfs / "on", root, "on") as socket_path:
            verified = script("40", {**on, "DOCKER_SOCKET": str(socket_path)})
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert "Native Overlay Diff=false" in verified.stdout and "Backing Filesystem=xfs" in verified.stdout
            assert "is what ol75-overlay2-redirect-dir-on expects" in verified.stdout

            claims_native = scenario_env("ol75-overlay2-redirect-dir-off", DOCKER_SOCKET=str(socket_path))
            refused = script("40", claims_native)
            assert refused.returncode == 1
            assert "Native Overlay Diff: false, the scenario expects true" in refused.stderr
            assert "overlay parameter redirect_dir is Y, the scenario sets off" in refused.stderr

        off = configure("ol75-overlay2-redirect-dir-off", root, xfs / "off")
        assert (root / "modprobe-ol75-overlay2-redirect-dir-off" / "harness-overlay.conf").read_text().endswith(
            "options overlay redirect_dir=off metacopy=off\n")
        with dockerd_with(Path(off["DAEMON_JSON"]), xfs / "off", root, "off") as socket_path:
            verified = script("40", {**off, "DOCKER_SOCKET": str(socket_path)})
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert "Native Overlay Diff=true" in verified.stdout


def test_a_knob_the_kernel_lacks_is_refused_when_asked_on_and_vacuous_when_off(tmp_path: Path) -> None:
    parameters = tmp_path / "parameters"  # a stand-in for /sys/module/overlay/parameters of an older kernel
    parameters.mkdir()
    (parameters / "redirect_dir").write_text("N")
    env = {"MODPROBE_DIR": str(tmp_path / "modprobe"), "OVERLAY_PARAMETERS": str(parameters), "DOCKER_SERVICE": ""}
    result = script("20", {**env, "OVERLAY_REDIRECT_DIR": "on", "OVERLAY_METACOPY": "off"})
    assert result.returncode == 0, result.stderr
    assert (parameters / "redirect_dir").read_text() == "Y"
    assert "has no overlay parameter metacopy: off by construction" in result.stdout
    (parameters / "redirect_dir").unlink()
    result = script("20", {**env, "OVERLAY_REDIRECT_DIR": "on"})
    assert result.returncode == 1
    assert "has no overlay parameter redirect_dir" in result.stderr and "kernel.package" in result.stderr
    result = script("20", {**env, "OVERLAY_REDIRECT_DIR": "maybe"})
    assert result.returncode == 1 and "on, off or empty" in result.stderr


def test_the_engine_step_accepts_the_installed_debian_engine_and_pins_by_version_prefix(tmp_path: Path) -> None:
    if not Path("/etc/debian_version").exists() or shutil.which("dpkg-query") is None:
        pytest.skip("this machine is not Debian-like; the apt branch is checked on Debian/Ubuntu")
    base = {"DOCKER_SERVICE": "", "DOCKER_USER": "", "ENGINE_PACKAGE": "docker.io"}
    installed = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "docker.io"], capture_output=True,
                               text=True, check=True).stdout
    major_minor = ".".join(installed.split(":")[-1].split(".")[:2])
    result = script("10", {**base, "ENGINE_VERSION": major_minor})
    assert result.returncode == 0, result.stderr
    assert f"docker.io {installed} is installed already" in result.stdout

    result = script("10", {**base, "ENGINE_VERSION": f"{major_minor}.999", "DRY_RUN": "1"})
    assert result.returncode == 1
    assert f"no docker.io version {major_minor}.999 in the apt sources (they offer: {installed}" in result.stderr


def test_the_engine_step_resolves_a_version_prefix_from_apt(tmp_path: Path) -> None:
    """DRY_RUN: the apt-get command for a package that is not installed, with the version apt-cache offers."""
    offered = subprocess.run(["apt-cache", "madison", "docker-compose"], capture_output=True, text=True,
                             check=False).stdout.split("|")
    if shutil.which("apt-cache") is None or len(offered) < 2:
        pytest.skip("apt-cache has no docker-compose to resolve a version of")
    version = offered[1].strip()
    prefix = version.split(":")[-1].split("-")[0]
    result = script("10", {"DOCKER_SERVICE": "", "DOCKER_USER": "", "ENGINE_PACKAGE": "docker-compose",
                           "ENGINE_VERSION": prefix, "DRY_RUN": "1"})
    assert result.returncode == 0, result.stderr
    assert (f"+ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -- "
            f"docker-compose={version}") in result.stdout


def test_the_engine_step_plans_the_pinned_docker_ce_on_oracle_linux_7(tmp_path: Path) -> None:
    """The yum branch cannot install here (no yum); DRY_RUN shows what the seed's VMs run."""
    os_release = tmp_path / "os-release"
    os_release.write_text('NAME="Oracle Linux Server"\nVERSION="7.5"\nID="ol"\nID_LIKE="fedora"\n'
                          'VERSION_ID="7.5"\n')
    env = scenario_env("ol75-overlay2-redirect-dir-on", OS_RELEASE=str(os_release), DRY_RUN="1", DOCKER_USER="")
    result = script("10", env)
    assert result.returncode == 0, result.stderr
    assert "distribution ol 7 (rpm family); engine docker-ce 18.09.9" in result.stdout
    assert "writing /etc/yum.repos.d/docker-ce.repo (https://download.docker.com/linux/centos/7)" in result.stdout
    assert ("+ yum install -y --enablerepo=ol7_addons -- docker-ce-18.09.9 docker-ce-cli-18.09.9 containerd.io"
            in result.stdout)


def test_direct_lvm_looks_for_one_blank_disk_of_the_scenarios_size(tmp_path: Path) -> None:
    """DRY_RUN with a size no disk here has: the search (real lsblk) fails and says what it saw."""
    env = scenario_env("ol75-devicemapper-direct-lvm", DRY_RUN="1", DAEMON_JSON=str(tmp_path / "daemon.json"),
                       EXTRA_DISK_GB="977", EXTRA_DISK_SERIAL="no-such-serial")
    result = script("30", env)
    assert result.returncode == 1
    assert "expected one blank 977 GiB disk for the thin pool, found 0" in result.stderr
    assert "VAGRANT_EXPERIMENTAL=disks" in result.stderr


def test_direct_lvm_thin_pool_for_real() -> None:
    if "device-mapper" not in Path("/proc/devices").read_text():
        pytest.skip(NO_DEVICE_MAPPER)
    pytest.skip("device-mapper is present, but building the thin pool would create the volume group `docker` on "
                "this machine: it is exercised in the VMs and the QEMU guest (make test-vm)")
