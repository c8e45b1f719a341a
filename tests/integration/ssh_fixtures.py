"""Real servers for the SSH and Vagrant backend tests: an sshd on 127.0.0.1 and private dockerd instances.

sshd runs from a throwaway directory (host key, user key, authorized_keys, config, pid file, log) on a free high
port of the loopback address only, allows local (-L) forwarding only — sshd gates unix-socket forwards with
AllowTcpForwarding too — and is stopped by its pid.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.config import Engine, Expect, LocalHost, OverlayKnobs, Scenario, Storage
from harness.errors import EnvironmentNotAble
from harness.hosts import DockerHost
from harness.machine.processes import processes_referencing

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class LoopbackSshd:
    port: int
    directory: Path
    user_key: Path
    known_hosts: Path
    log: Path

    def ssh_config(self, alias: str, vagrant_style: bool = False, key: Path | None = None) -> str:
        """An ssh_config Host block like `vagrant ssh-config` prints; `vagrant_style` also copies Vagrant's
        host-key settings (no checking, /dev/null) and LogLevel FATAL, which the harness must override."""
        if vagrant_style:
            checking = "  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  LogLevel FATAL\n"
        else:
            checking = f"  UserKnownHostsFile {self.known_hosts}\n  StrictHostKeyChecking yes\n"
        return (f"Host {alias}\n  HostName 127.0.0.1\n  User root\n  Port {self.port}\n{checking}"
                f"  PasswordAuthentication no\n  IdentityFile {key or self.user_key}\n  IdentitiesOnly yes\n")


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@contextlib.contextmanager
def loopback_sshd(directory: Path) -> Iterator[LoopbackSshd]:
    if os.geteuid() != 0 or not Path(SSHD).exists():
        pytest.fail("these tests need root and sshd (apt-get install openssh-server); `make test` installs it")
    directory.mkdir(parents=True, exist_ok=True)
    host_key, user_key = directory / "host_ed25519", directory / "user_ed25519"
    _keygen(host_key)
    _keygen(user_key)
    (directory / "authorized_keys").write_text(Path(f"{user_key}.pub").read_text())
    port = free_loopback_port()
    known_hosts = directory / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {Path(f'{host_key}.pub').read_text()}")
    config = directory / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {host_key}\nPidFile {directory / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {directory / 'authorized_keys'}\nUsePAM no\nStrictModes no\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "AllowStreamLocalForwarding local\nAllowTcpForwarding local\nX11Forwarding no\nPrintMotd no\n"
        "LogLevel VERBOSE\n")
    privsep = Path("/run/sshd")  # sshd insists on its privilege separation directory
    made_privsep = not privsep.exists()
    privsep.mkdir(mode=0o755, exist_ok=True)
    log = directory / "sshd.log"
    process = subprocess.Popen([SSHD, "-D", "-f", str(config), "-E", str(log)], stdin=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process, log)
        yield LoopbackSshd(port=port, directory=directory, user_key=user_key, known_hosts=known_hosts, log=log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if made_privsep:
            with contextlib.suppress(OSError):
                privsep.rmdir()


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sshd exited ({process.returncode}): {log.read_text() if log.exists() else ''}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"sshd did not listen on 127.0.0.1:{port}")


def short_tmp(prefix: str) -> Path:
    """A directory under /tmp with a short path (unix socket paths are limited to 108 bytes)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def plain_local_scenario(name: str = "remote-daemon") -> Scenario:
    """A local overlay2 scenario without knobs: the "remote" daemon the tunnel tests reach through sshd."""
    return Scenario(name=name, file=Path(f"/nonexistent/scenarios/{name}.yaml"), description="", host=LocalHost(),
                    engine=Engine(), storage=Storage(driver="overlay2"), overlay=OverlayKnobs(), expect=Expect())


@contextlib.contextmanager
def private_daemon(root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The project's LocalDaemon (a private dockerd in `root`); yields its socket path."""
    from harness.hosts.local import LocalDaemon  # noqa: PLC0415

    if shutil.which("dockerd") is None:
        pytest.fail("these tests need dockerd (apt-get install docker.io); `make test` installs it")
    monkeypatch.setenv("HARNESS_STATE_DIR", str(root / "state"))
    daemon = LocalDaemon(plain_local_scenario(), root / "w", root / "logs")
    try:
        daemon.start()
        yield daemon.socket_path
    finally:
        daemon.close()


def checked_root(prefix: str) -> Iterator[Path]:
    """A short private directory for one test; afterwards no process of ours may still reference it."""
    path = short_tmp(prefix)
    yield path
    left = processes_referencing(path)
    shutil.rmtree(path, ignore_errors=True)
    assert not left, f"processes of ours still running: {left}"


def refusal_of(host: DockerHost) -> EnvironmentNotAble:
    """The EnvironmentNotAble that `host.start()` must raise; the host is closed either way."""
    try:
        with pytest.raises(EnvironmentNotAble) as refusal:
            host.start()
    finally:
        host.close()
    return refusal.value


@pytest.fixture(scope="module")
def sshd() -> Iterator[LoopbackSshd]:
    """An sshd on 127.0.0.1 for the tests of one module."""
    directory = short_tmp("hs")
    try:
        with loopback_sshd(directory) as server:
            yield server
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def remote_socket() -> Iterator[Path]:
    """The socket of a private dockerd (the project's LocalDaemon) for the tests of one module: the "VM's"
    /var/run/docker.sock."""
    root = short_tmp("hd")
    patch = pytest.MonkeyPatch()
    try:
        with private_daemon(root, patch) as socket_path:
            yield socket_path
    finally:
        patch.undo()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cleanup ledger of hosts started in a test goes to the test's own directory, not /run/harness."""
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path / "state"))
