"""The SSH forward for real: a private dockerd reached through an sshd on 127.0.0.1, as the SSH and Vagrant
backends reach a VM's /var/run/docker.sock."""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import Scenario, load_scenario
from harness.hosts import host_for
from harness.hosts.api import client_api_version
from harness.hosts.ssh import SshDockerHost
from harness.hosts.vagrant import VagrantDockerHost, ssh_config_target
from tests.integration.ssh_fixtures import (  # noqa: F401
    LoopbackSshd,
    checked_root,
    private_state_dir,
    refusal_of,
    remote_socket,
    sshd,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def root() -> Iterator[Path]:
    yield from checked_root("ht")


def scenario_file(root: Path, name: str, host_yaml: str) -> Scenario:
    path = root / "scenarios" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    host = textwrap.indent(textwrap.dedent(host_yaml), "  ")
    path.write_text(f"host:\n{host}storage: {{driver: overlay2}}\nexpect: {{driver: overlay2}}\n")
    return load_scenario(path)


def ssh_scenario(root: Path, sshd: LoopbackSshd, docker_socket: Path | str) -> Scenario:
    return scenario_file(root, "over-ssh", f"""\
        type: ssh
        address: 127.0.0.1
        port: {sshd.port}
        user: root
        identity_file: {sshd.user_key}
        docker_socket: {docker_socket}
        """)


def tiny_build(api) -> list[dict]:
    """Import a busybox base and build RUN + COPY on it, through `api`; return the build stream."""
    busybox = shutil.which("busybox")
    assert busybox, "busybox is needed (apt-get install busybox-static)"
    base = io.BytesIO()
    with tarfile.open(fileobj=base, mode="w") as tar:
        tar.add(busybox, arcname="bin/busybox")
        link = tarfile.TarInfo("bin/sh")
        link.type, link.linkname = tarfile.SYMTYPE, "busybox"
        tar.addfile(link)
    api.import_image_from_data(base.getvalue(), repository="harness-tunnel-base", tag="1")
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, text in (("Dockerfile", "FROM harness-tunnel-base:1\nRUN echo ran > /ran\nCOPY hello /hello\n"),
                           ("hello", "hello through ssh\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    try:
        return list(api.build(fileobj=context, custom_context=True, tag="harness-tunnel-built:1", decode=True,
                              nocache=True, rm=True, forcerm=True, network_mode="none"))
    finally:
        for image in ("harness-tunnel-built:1", "harness-tunnel-base:1"):
            try:
                api.remove_image(image, force=True)
            except Exception:  # noqa: BLE001 - best effort: the build may have failed before tagging
                pass


def test_docker_api_ping_info_and_a_build_go_through_the_forward(root: Path, sshd: LoopbackSshd,
                                                                 remote_socket: Path) -> None:
    scenario = ssh_scenario(root, sshd, remote_socket)
    target = ssh_config_target(sshd.ssh_config("server"), root / "ssh_config", "test sshd")
    host = SshDockerHost(scenario, root / "work", root / "logs", target=target)
    try:
        host.start()
        assert stat.S_IMODE(host.socket_path.stat().st_mode) == 0o600
        assert host.api.ping()
        info = host.api.info()
        assert info["Driver"] == "overlay2"
        assert host.api_version == client_api_version(host.api.version()["ApiVersion"], "here")
        stream = tiny_build(host.api)
        assert not [m for m in stream if "error" in m], stream
        assert any("Step 2/3 : RUN" in m.get("stream", "") for m in stream)
        assert any("aux" in m and "ID" in m["aux"] for m in stream), stream
        facts = host.facts()
        assert facts["kernel"] == os.uname().release  # the "remote" machine is this one
        assert facts["os_release"]["ID"]
        assert "redirect_dir" in facts["overlay_parameters"]
        assert any(row.get("TYPE") for row in facts["lsblk"])
        assert facts["ssh_target"] == "test sshd" and facts["docker_socket"] == str(remote_socket)
        pid = host._forward.pid
        host.stop()  # the end of a round: the forward closes, the work directory stays for the next session
        assert not host.socket_path.exists() and host.workspace.exists()
        host.start()
        assert host.api.ping() and host._forward.pid != pid, "the next session reopens the forward"
    finally:
        host.close()
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    assert not host.socket_path.exists() and not host.workspace.exists()
    host.close()  # a second close is harmless


def test_the_vagrant_backend_reaches_a_running_vm_through_its_ssh_config(root: Path, sshd: LoopbackSshd,
                                                                          remote_socket: Path) -> None:
    """Vagrant's answers come from a stand-in (no VM can boot here); the ssh-config text is shaped like Vagrant's,
    with its LogLevel FATAL and no host key checking, and everything after it is the real code path."""
    scenario = scenario_file(root, "ol-vm", f"""\
        type: vagrant
        box: harness/ol75
        docker_socket: {remote_socket}
        """)

    class RunningVm:
        root = str(root)

        def status(self, vm_name: str):
            from vagrant import Status
            return [Status(name=vm_name, state="running", provider="libvirt")]

        def ssh_config(self, vm_name: str) -> str:
            return sshd.ssh_config(vm_name, vagrant_style=True)

    host = host_for(scenario, root / "work", root / "logs")
    assert isinstance(host, VagrantDockerHost)
    host.cli = RunningVm()
    try:
        host.start()
        assert host.api.info()["Driver"] == "overlay2"
        facts = host.facts()
        assert facts["vagrant"]["provider"] == "libvirt" and facts["vagrant"]["machine"] == "ol-vm"
        assert facts["ssh_target"] == "Vagrant VM ol-vm"
    finally:
        host.close()
    assert not host.workspace.exists()


def test_an_inaccessible_libvirt_vm_is_explained_not_sent_to_vagrant_up(root: Path) -> None:
    """vagrant-libvirt calls a running VM without a DHCP lease `inaccessible` (seen for real in make test-vagrant
    before the box had its own machine-id per VM); Vagrant's answer comes from a stand-in here."""
    scenario = scenario_file(root, "ol-vm", """\
        type: vagrant
        box: harness/ol75
        """)

    class LeaselessVm:
        root = str(root)

        def status(self, vm_name: str):
            from vagrant import Status
            return [Status(name=vm_name, state="inaccessible", provider="libvirt")]

    host = host_for(scenario, root / "work", root / "logs")
    host.cli = LeaselessVm()
    message = str(refusal_of(host))
    assert "inaccessible (libvirt)" in message and "no DHCP lease" in message and "machine-id" in message
    assert "vagrant reload ol-vm" in message and "vagrant up" not in message


def test_a_missing_remote_socket_is_named_with_what_ssh_said(root: Path, sshd: LoopbackSshd) -> None:
    scenario = ssh_scenario(root, sshd, "/run/no-such-docker.sock")
    target = ssh_config_target(sshd.ssh_config("server"), root / "ssh_config", "test sshd")
    host = SshDockerHost(scenario, root / "work", root / "logs", target=target)
    failure = refusal_of(host)
    message = str(failure)
    assert "/run/no-such-docker.sock" in message and "test sshd" in message
    assert "open failed" in message or "connect failed" in message, message
    assert failure.exit_code == 3


def test_a_refused_key_shows_sshs_own_error(root: Path, sshd: LoopbackSshd, remote_socket: Path) -> None:
    stranger = root / "stranger"
    os.system(f"ssh-keygen -q -t ed25519 -N '' -f {stranger}")  # noqa: S605 - fixed arguments
    scenario = ssh_scenario(root, sshd, remote_socket)
    target = ssh_config_target(sshd.ssh_config("server", vagrant_style=True, key=stranger), root / "ssh_config",
                               "test sshd")
    host = SshDockerHost(scenario, root / "work", root / "logs", target=target)
    failure = refusal_of(host)
    assert "Permission denied" in str(failure), str(failure)
    assert "exited (code 255)" in str(failure)
    assert (root / "logs" / "over-ssh.ssh.log").read_text().count("Permission denied") >= 1
