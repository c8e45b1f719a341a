"""A killed run's leftovers stop the next run until `harness cleanup` has undone them; cleanup waits for no run
(it refuses while one holds the lock); `--resume` refuses a scenario file edited since the run began."""

from __future__ import annotations

import os
import signal

import pytest

from harness.machine.processes import processes_referencing
from tests.integration.conftest import Harness, matrix_with
from tests.integration.test_interruption import wait_for_builds

pytestmark = pytest.mark.integration

WORKLOAD = "  - name: w\n    base: {files: 500, directories: 5}\n    steps: [RUN touch /x, COPY payload/ /p/]\n"


def test_cleanup_waits_for_a_run_and_a_run_waits_for_cleanup(harness: Harness) -> None:
    matrix = matrix_with(harness.root, ["local-overlay2-native"], WORKLOAD, "repetitions: 40\nwarmup: 0\n")
    process = harness.popen("run", str(matrix))
    run_dir = wait_for_builds(harness.results, 1, process)

    during = harness.run("cleanup")
    assert during.returncode == 3, during.stdout + during.stderr
    assert "cleanup must wait" in during.stderr and "Traceback" not in during.stderr
    assert processes_referencing(harness.work), "cleanup must not touch a running run's daemon"

    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    refused = harness.run("run", str(matrix))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "harness cleanup" in refused.stderr and "Traceback" not in refused.stderr
    assert [p.name for p in harness.results.iterdir()] == [run_dir.name], "a refused run must create nothing"
    assert processes_referencing(harness.work), "the killed run's daemon is left for cleanup"

    cleanup = harness.run("cleanup")
    assert cleanup.returncode == 0 and "stopped daemon" in cleanup.stdout, cleanup.stdout + cleanup.stderr
    assert not processes_referencing(harness.work)

    scenario = harness.root / "scenarios" / "local-overlay2-native.yaml"
    scenario.write_text(scenario.read_text() + "# edited after the run began\n")
    resumed = harness.run("run", str(matrix), "--resume", str(run_dir))
    assert resumed.returncode == 2, resumed.stdout + resumed.stderr
    assert "scenarios/local-overlay2-native.yaml changed" in resumed.stderr, resumed.stderr
    assert not processes_referencing(harness.work), "a refused resume starts no daemon"
