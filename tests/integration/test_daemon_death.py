"""A dockerd that dies mid-build: the build is recorded as failed with the reason, the scenario is marked failed and
torn down, the run goes on with the next scenario and exits 1 — no traceback."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from harness.processes import command_line, processes_referencing
from tests.conftest import REPO
from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of
from tests.integration.test_interruption import wait_for_builds

pytestmark = pytest.mark.integration

WORKLOAD = "  - name: w\n    base: {files: 200, directories: 2}\n    steps: [RUN sleep 2, RUN touch /x]\n"
SECOND = {"scenarios/second.yaml": (REPO / "scenarios" / "local-overlay2-native.yaml").read_text()}


def test_a_daemon_killed_mid_build_fails_its_scenario_and_the_run_goes_on(harness: Harness) -> None:
    matrix = matrix_with(harness.root, ["local-overlay2-native", "second"], WORKLOAD,
                         "repetitions: 4\nwarmup: 0\n", own=SECOND)
    process = harness.popen("run", str(matrix))
    wait_for_builds(harness.results, 1, process)
    time.sleep(0.5)  # into the next build's `RUN sleep 2`
    (dockerd,) = [pid for pid in processes_referencing(harness.work) if command_line(pid).startswith("dockerd")]
    os.kill(dockerd, signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=600)

    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr
    run_dir = run_dir_of(stdout)
    scenarios = manifest_of(run_dir)["scenarios"]
    assert scenarios["local-overlay2-native"]["status"] == "failed", scenarios["local-overlay2-native"]
    assert scenarios["second"]["status"] == "ok", scenarios["second"]
    builds = [s for s in samples_of(run_dir) if s["kind"] == "build"]
    failed = [s for s in builds if s["scenario"] == "local-overlay2-native" and not s["ok"]]
    assert failed and all(s["error"] for s in failed), json.dumps(builds, indent=1)
    assert sum(s["ok"] for s in builds if s["scenario"] == "second") == 4
