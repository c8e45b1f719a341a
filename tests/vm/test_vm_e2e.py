"""The emulated-VM end-to-end proof (marker `vm`): devicemapper direct-lvm and both overlay2 settings in a real
Debian 12 guest, provisioned over SSH by provision/, measured through the SSH backend — see tests/vm/e2e."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.vm, pytest.mark.integration]

HERE = Path(__file__).resolve().parent
SCENARIOS = ("vm-devicemapper-direct-lvm", "vm-overlay2-redirect-dir-on", "vm-overlay2-redirect-dir-off")
REPS = 3


@pytest.fixture(scope="module")
def vm_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = [tool for tool in ("qemu-system-x86_64", "qemu-img", "debootstrap") if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        pytest.fail(f"the VM test needs root and {', '.join(missing) or 'its tools'}; `make test` installs them "
                    f"(qemu-system-x86 qemu-utils debootstrap)")
    env = {**os.environ,  # its own state directory: a killed run elsewhere on the machine must not stop this one
           "HARNESS_VM_RESULTS": str(tmp_path_factory.mktemp("vm-results")), "HARNESS_VM_REPS": str(REPS),
           "HARNESS_STATE_DIR": str(tmp_path_factory.mktemp("vm-state"))}
    env["HARNESS"] = str(Path(sys.executable).with_name("harness"))
    result = subprocess.run([str(HERE / "e2e")], capture_output=True, text=True, env=env, timeout=40 * 60)
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert last.startswith("results: "), f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    assert result.returncode == 0, result.stderr[-6000:]
    return Path(last.removeprefix("results: "))


def test_each_scenario_was_provisioned_and_verified_in_the_guest(vm_run: Path) -> None:
    manifest = json.loads((vm_run / "manifest.json").read_text())
    scenarios = manifest["scenarios"]
    assert {name: scenarios[name]["status"] for name in SCENARIOS} == {name: "ok" for name in SCENARIOS}
    devicemapper = scenarios["vm-devicemapper-direct-lvm"]
    assert devicemapper["driver_status"]["Driver"] == "devicemapper"
    assert devicemapper["driver_status"]["Pool Name"] == "docker-thinpool"
    assert any(row["lv_name"] == "thinpool" and row["vg_name"] == "docker" for row in devicemapper["lvs"])
    assert scenarios["vm-overlay2-redirect-dir-on"]["driver_status"]["Native Overlay Diff"] == "false"
    assert scenarios["vm-overlay2-redirect-dir-off"]["driver_status"]["Native Overlay Diff"] == "true"
    for name in SCENARIOS:
        assert scenarios[name]["host_type"] == "ssh"
        assert scenarios[name]["kernel"].startswith("6.1."), scenarios[name]["kernel"]
        assert scenarios[name]["docker_version"]["Version"].startswith("20.10")
    assert (vm_run / "logs" / "vm-devicemapper-direct-lvm.provision.log").is_file()


def test_the_samples_and_summary_come_out_as_on_the_local_backend(vm_run: Path) -> None:
    samples = [json.loads(line) for line in (vm_run / "samples.jsonl").read_text().splitlines()]
    builds = [s for s in samples if s["kind"] == "build"]
    assert len(builds) == len(SCENARIOS) * (REPS + 1) and all(s["ok"] for s in builds)
    assert {s["instruction"] for s in samples if s["kind"] == "step"} == {"FROM", "RUN", "COPY", "ADD"}
    summary = subprocess.run([sys.executable, "-m", "harness.cli", "summary", str(vm_run), "--format", "json"],
                             capture_output=True, text=True, check=True)
    rows = json.loads(summary.stdout)["rows"]
    assert {r["scenario"] for r in rows} == set(SCENARIOS)
    assert json.loads(summary.stdout)["baseline"] == "vm-overlay2-redirect-dir-off"
