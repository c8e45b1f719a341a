"""The Vagrant backend's calls against the real `vagrant` binary (python-vagrant), with Vagrant's built-in docker
provider pointed at a private dockerd: no VM can boot here, so every seed VM is "not created" — which is the path
that must refuse clearly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import load_scenario
from harness.errors import EnvironmentNotAble
from harness.hosts import host_for
from harness.hosts.vagrant import machine_state, vagrant_cli
from tests.integration.ssh_fixtures import private_daemon, private_state_dir, refusal_of, short_tmp  # noqa: F401
from tests.integration.test_vagrant_validate import REPO, SEED_VMS, copy_of_checkout

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def docker_provider() -> Iterator[dict[str, str]]:
    """Environment under which Vagrant's docker provider is usable: DOCKER_HOST is a private dockerd."""
    if shutil.which("vagrant") is None:
        pytest.fail("these tests need vagrant (apt-get install vagrant); `make test` installs it")
    root = short_tmp("hv")
    patch = pytest.MonkeyPatch()
    try:
        with private_daemon(root, patch) as socket_path:
            patch.setenv("DOCKER_HOST", f"unix://{socket_path}")
            patch.setenv("VAGRANT_DEFAULT_PROVIDER", "docker")
            yield {"DOCKER_HOST": f"unix://{socket_path}", "VAGRANT_DEFAULT_PROVIDER": "docker"}
    finally:
        patch.undo()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return copy_of_checkout(tmp_path / "checkout")


def harness_cli(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, timeout=300,
                          check=False, cwd=root, env={**os.environ, **env, "PYTHONPATH": str(REPO)})


def test_python_vagrant_reads_the_state_of_every_seed_vm(checkout: Path, docker_provider: dict) -> None:
    cli = vagrant_cli(checkout, checkout / "scenarios")
    states = {s.name: (s.state, s.provider) for s in cli.status()}
    assert states == {name: ("not_created", "docker") for name in SEED_VMS}
    assert machine_state(cli, SEED_VMS[0]) == ("not_created", "docker")


def test_a_vm_that_is_not_running_is_refused_with_the_command_to_run(checkout: Path, docker_provider: dict,
                                                                       tmp_path: Path) -> None:
    scenario = load_scenario(checkout / "scenarios" / "ol75-overlay2-redirect-dir-on.yaml")
    host = host_for(scenario, tmp_path / "work", tmp_path / "logs")
    refusal = refusal_of(host)
    message = str(refusal)
    assert refusal.exit_code == 3
    assert "ol75-overlay2-redirect-dir-on" in message and "not created (docker)" in message
    assert "`vagrant up ol75-overlay2-redirect-dir-on`" in message and "`harness up matrix.yaml`" in message
    assert not host.workspace.exists()


def test_harness_down_destroys_through_python_vagrant(checkout: Path, docker_provider: dict) -> None:
    result = harness_cli(checkout, docker_provider, "down", "matrix.yaml", "--only", "ol75-overlay2-redirect-dir-on")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ol75-overlay2-redirect-dir-on: destroyed"


def test_harness_up_reports_a_vagrant_failure_in_one_sentence(checkout: Path, docker_provider: dict) -> None:
    """A box that cannot be had (a missing local file: nothing is downloaded): Vagrant refuses, the harness says
    so in one sentence after Vagrant's own output."""
    (checkout / "scenarios" / "no-box.yaml").write_text(
        "host: {type: vagrant, box: harness/missing, box_url: 'file:///nonexistent/missing.box'}\n"
        "storage: {driver: overlay2}\n")
    (checkout / "no-box.yaml").write_text("scenarios: [no-box]\nworkloads: [seed]\n")
    result = harness_cli(checkout, docker_provider, "up", "no-box.yaml")
    assert result.returncode == 3, result.stderr
    assert "Bringing machine 'no-box' up with 'docker' provider" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("harness up: `vagrant up no-box` failed in"), last
    assert "Traceback" not in result.stderr


def test_a_matrix_without_vagrant_scenarios_is_bad_input(checkout: Path, docker_provider: dict) -> None:
    (checkout / "local.yaml").write_text("scenarios: [local-vfs]\nworkloads: [seed]\n")
    result = harness_cli(checkout, docker_provider, "up", "local.yaml")
    assert result.returncode == 2
    assert "names no vagrant scenario" in result.stderr


def test_no_vagrant_binary_is_an_environment_problem(checkout: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no vagrant here
    scenario = load_scenario(checkout / "scenarios" / "ol75-overlay2-redirect-dir-on.yaml")
    host = host_for(scenario, tmp_path / "work", tmp_path / "logs")
    try:
        with pytest.raises(EnvironmentNotAble, match="vagrant not found"):
            host.start()
    finally:
        host.close()
