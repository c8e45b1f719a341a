"""`harness run` on a vagrant scenario, end to end: the runner's measurement code through the Vagrant backend's
connection code — python-vagrant, `ssh -N -L` with the VM's ssh-config, a docker daemon at the other end.

No VM can boot here, so the machine is an sshd on 127.0.0.1 in front of a private dockerd, and `vagrant` on PATH
is a stand-in that answers the two questions the backend asks (`status --machine-readable NAME` and
`ssh-config NAME`) the way Vagrant 2.3 does for a running libvirt VM. Everything else is real.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.integration.conftest import Harness, harness, manifest_of, run_dir_of, samples_of  # noqa: F401
from tests.integration.ssh_fixtures import LoopbackSshd, remote_socket, sshd  # noqa: F401

pytestmark = pytest.mark.integration

STAND_IN = """#!/bin/sh
# What `vagrant` says about a running libvirt VM named {name} (machine-readable status, ssh-config).
case "$1" in
  status) printf '1,{name},metadata,provider,libvirt\\n1,{name},provider-name,libvirt\\n1,{name},state,running\\n' ;;
  ssh-config) cat '{ssh_config}' ;;
  *) echo "stand-in vagrant: $* is not for tests" >&2; exit 1 ;;
esac
"""


def test_harness_run_measures_a_running_vagrant_vm_over_ssh(harness: Harness, sshd: LoopbackSshd,  # noqa: F811
                                                           remote_socket: Path,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    name = "ol-vm"
    root = harness.root
    (root / "scenarios").mkdir(parents=True)
    (root / "Vagrantfile").write_text("# the backend only needs it to exist; vagrant is a stand-in here\n")
    (root / "scenarios" / f"{name}.yaml").write_text(
        f"host: {{type: vagrant, box: harness/ol75, docker_socket: '{remote_socket}'}}\n"
        "storage: {driver: overlay2}\nexpect: {driver: overlay2}\n")
    (root / "matrix.yaml").write_text(
        f"scenarios: [{name}]\nworkloads:\n  - name: tiny\n    base: {{files: 200, directories: 4}}\n"
        "    steps: [RUN touch /built, COPY payload/ /payload/]\nrepetitions: 2\nwarmup: 1\n")
    ssh_config = root / "vm.ssh-config"
    ssh_config.write_text(sshd.ssh_config(name, vagrant_style=True))
    stand_in = root / "bin" / "vagrant"
    stand_in.parent.mkdir()
    stand_in.write_text(STAND_IN.format(name=name, ssh_config=ssh_config))
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}")

    result = harness.run("run", str(root / "matrix.yaml"))
    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    record = manifest_of(run_dir)["scenarios"][name]
    assert record["status"] == "ok", record
    assert record["ssh_target"] == f"Vagrant VM {name}" and record["vagrant"]["provider"] == "libvirt"
    assert record["driver_status"]["Driver"] == "overlay2"
    assert record["kernel"] == os.uname().release and "redirect_dir" in record["overlay_parameters"]
    builds = [s for s in samples_of(run_dir) if s["kind"] == "build"]
    assert len(builds) == 3 and all(s["ok"] for s in builds)
    steps = {s["instruction"] for s in samples_of(run_dir) if s["kind"] == "step"}
    assert {"RUN", "COPY"} <= steps
    assert "Permission denied" not in (run_dir / "logs" / f"{name}.ssh.log").read_text()
