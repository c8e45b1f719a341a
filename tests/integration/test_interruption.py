"""Killed runs: SIGKILL leaves a ledger that `harness cleanup` undoes, and `--resume` finishes without loss;
SIGTERM tears everything down by itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness.machine.processes import processes_referencing
from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of

pytestmark = pytest.mark.integration

# xfs in a loop file and redirect_dir on: a kill leaves a daemon, a mount, a loop device and a changed knob.
SLOW = {"scenarios/naive-xfs.yaml": """
    host: {type: local}
    storage: {driver: overlay2, filesystem: xfs, size_gb: 2}
    kernel: {overlay: {redirect_dir: on}}
    expect: {native_overlay_diff: false, backing_filesystem: xfs}
"""}
WORKLOAD = "  - name: w\n    base: {files: 2000, directories: 20}\n    steps: [RUN touch /x, COPY payload/ /p/]\n"


def wait_for_builds(run_root: Path, count: int, process: subprocess.Popen, timeout: float = 300) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        for samples in run_root.glob("*/samples.jsonl"):
            if sum('"kind": "build"' in line for line in samples.read_text().splitlines()) >= count:
                return samples.parent
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"no {count} builds within {timeout} s")


def loop_devices_for(image_dir: Path) -> list[str]:
    listing = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if str(image_dir) in line]


def build_lines(run_dir: Path) -> list[str]:
    return [line for line in (run_dir / "samples.jsonl").read_text().splitlines() if '"kind": "build"' in line]


def test_sigkill_then_cleanup_then_resume_loses_and_duplicates_nothing(harness: Harness) -> None:
    """Killed in the middle of round 2 (rounds of 1 warmup + 2, then 2 and 2 builds: the 4th is round 2's first)."""
    matrix = matrix_with(harness.root, ["naive-xfs"], WORKLOAD, "repetitions: 6\nwarmup: 1\nrounds: 3\n", own=SLOW)
    process = harness.popen("run", str(matrix))
    run_dir = wait_for_builds(harness.results, 4, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    raw = (run_dir / "samples.jsonl").read_bytes()
    before = raw[: raw.find(b"\n", raw.rfind(b'"kind": "build"')) + 1]  # up to the last whole build

    assert processes_referencing(harness.work), "the killed run's dockerd should still be running"
    assert loop_devices_for(harness.work) and Path("/sys/module/overlay/parameters/redirect_dir").read_text() == "Y\n"
    cleanup = harness.run("cleanup")
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    assert "stopped daemon" in cleanup.stdout and "restored" in cleanup.stdout
    assert not processes_referencing(harness.work)
    assert not loop_devices_for(harness.work)
    assert not list(harness.work.iterdir())
    assert harness.run("cleanup").stdout.strip() == "nothing to clean up"

    resumed = harness.run("run", str(matrix), "--resume", str(run_dir))
    assert resumed.returncode == 0, resumed.stderr
    assert run_dir_of(resumed.stdout) == run_dir
    after = (run_dir / "samples.jsonl").read_bytes()
    assert after.startswith(before), "samples written before the kill were changed"
    builds = [json.loads(line) for line in build_lines(run_dir)]
    assert sorted(b["rep"] for b in builds) == list(range(1, 8)), builds
    assert sorted(b["round"] for b in builds if not b["warmup"]) == [1, 1, 2, 2, 3, 3]
    record = manifest_of(run_dir)["scenarios"]["naive-xfs"]
    assert [s["round"] for s in record["sessions"]] == [1, 2, 2, 3], "resume continues round 2, then round 3"
    assert [i["round"] for i in record["base_imports"]] == [1, 2], "cleanup removed the data-root: imported again"
    assert manifest_of(run_dir)["status"] == "complete"


def test_sigterm_stops_the_run_and_leaves_nothing_behind(harness: Harness) -> None:
    matrix = matrix_with(harness.root, ["naive-xfs"], WORKLOAD, "repetitions: 6\nwarmup: 0\n", own=SLOW)
    process = harness.popen("run", str(matrix))
    run_dir = wait_for_builds(harness.results, 1, process)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr
    assert "--resume" in stderr and run_dir_of(stdout) == run_dir
    assert manifest_of(run_dir)["status"] == "interrupted"
    assert not processes_referencing(harness.work) and not loop_devices_for(harness.work)
    assert harness.run("cleanup").stdout.strip() == "nothing to clean up"
