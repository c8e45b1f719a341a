"""Provisioning over SSH (`host: ssh` with `provision: true`): the transport of the provision/ scripts for real —
each script sent to the machine, run as root with the scenario's environment and no stdin, its output logged, a
failure or a pending reboot stopping the start with a clear sentence.

The scripts here are stand-ins that only report what they were given: the real provision/ scripts would install
packages and restart this machine's docker service (they are run on this machine, with safe overrides, in
test_provision_scripts.py, and in VMs).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import load_scenario
from harness.errors import EnvironmentNotAble
from harness.hosts.ssh import REBOOT_MARKER, SshDockerHost, provision, provision_env
from harness.hosts.vagrant import ssh_config_target
from tests.integration.ssh_fixtures import LoopbackSshd, checked_root, private_state_dir, remote_socket, sshd  # noqa: F401

pytestmark = pytest.mark.integration

REPORTER = """#!/usr/bin/env bash
set -euo pipefail
printf 'ENV %s=%s\\n' HARNESS_SCENARIO "$HARNESS_SCENARIO" DAEMON_CONFIG "$DAEMON_CONFIG" \\
  DOCKER_SOCKET "$DOCKER_SOCKET" ENGINE_VERSION "$ENGINE_VERSION" DOCKER_USER "$DOCKER_USER"
printf 'STDIN [%s]\\n' "$(cat)"
printf 'UID %s\\n' "$(id -u)"
"""


@pytest.fixture
def root() -> Iterator[Path]:
    yield from checked_root("hq")


def write_scenario(root: Path, sshd: LoopbackSshd, docker_socket: Path | str) -> Path:
    path = root / "scenarios" / "server.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(textwrap.dedent(f"""\
        host:
          type: ssh
          address: 127.0.0.1
          port: {sshd.port}
          user: root
          identity_file: {sshd.user_key}
          docker_socket: '{docker_socket}'
          provision: true
        engine: {{version: "20.10"}}
        storage:
          driver: overlay2
          options: {{odd: 'it''s "$HOME" `id` \\ done'}}
        expect: {{driver: overlay2}}
        """))
    return path


def test_a_provisioned_ssh_host_runs_the_scripts_then_forwards(root: Path, sshd: LoopbackSshd,  # noqa: F811
                                                               remote_socket: Path) -> None:  # noqa: F811
    scenario = load_scenario(write_scenario(root, sshd, remote_socket))
    (root / "provision").mkdir()
    for name in ("10-first.sh", "20-second.sh"):
        (root / "provision" / name).write_text(REPORTER)
    target = ssh_config_target(sshd.ssh_config("server"), root / "ssh_config", "test sshd")
    host = SshDockerHost(scenario, root / "work", root / "logs", target=target)
    try:
        host.start()
        assert host.api.info()["Driver"] == "overlay2"
    finally:
        host.close()
    log = (root / "logs" / "server.provision.log").read_text()
    assert log.index("--- 10-first.sh on test sshd (exit 0)") < log.index("--- 20-second.sh on test sshd (exit 0)")
    env = provision_env(scenario, "root")
    for key in ("HARNESS_SCENARIO", "DAEMON_CONFIG", "DOCKER_SOCKET", "ENGINE_VERSION", "DOCKER_USER"):
        assert f"ENV {key}={env[key]}\n" in log, key
    assert '"storage-opts":["odd=it\'s \\"$HOME\\" `id` \\\\ done"]' in env["DAEMON_CONFIG"]
    assert log.count("STDIN []") == 2 and log.count("UID 0") == 2


def test_a_failing_script_stops_the_start_naming_it(root: Path, sshd: LoopbackSshd) -> None:  # noqa: F811
    scenario = load_scenario(write_scenario(root, sshd, "/run/unused.sock"))
    failing = root / "30-verify.sh"
    failing.write_text("#!/usr/bin/env bash\necho checking\necho 'provision [verify]: FAILED: not native' >&2\n"
                       "exit 1\n")
    target = ssh_config_target(sshd.ssh_config("server"), root / "ssh_config", "test sshd")
    with pytest.raises(EnvironmentNotAble) as failure:
        provision(target, scenario, "root", [failing], root / "provision.log")
    message = str(failure.value)
    assert message.startswith("provisioning server failed in 30-verify.sh (exit 1) on test sshd:")
    assert "FAILED: not native" in message and str(root / "provision.log") in message


def test_a_kernel_waiting_for_a_reboot_stops_the_start(root: Path, sshd: LoopbackSshd) -> None:  # noqa: F811
    scenario = load_scenario(write_scenario(root, sshd, "/run/unused.sock"))
    kernel = root / "20-kernel.sh"
    kernel.write_text(f"#!/usr/bin/env bash\ntouch {REBOOT_MARKER}\n")
    target = ssh_config_target(sshd.ssh_config("server"), root / "ssh_config", "test sshd")
    assert not Path(REBOOT_MARKER).exists()
    try:
        with pytest.raises(EnvironmentNotAble, match="installed a new kernel on test sshd; reboot that machine"):
            provision(target, scenario, "root", [kernel], root / "provision.log")
    finally:
        Path(REBOOT_MARKER).unlink(missing_ok=True)
