"""Rounds on real daemons: a daemon that dies mid-build fails only its own scenario. (One session per scenario per
round on a kept data-root, and the A/A control, are proven in test_aa_control.py.)"""

from __future__ import annotations

import os
import signal
import time

import docker
import docker.errors
import pytest
import requests.exceptions

from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

SCENARIOS = ["local-overlay2-native", "local-overlay2-naive"]
SLOW = "  - name: w\n    base: {files: 100, directories: 2}\n    steps: [RUN sleep 2, RUN touch /x]\n"


def test_a_daemon_killed_mid_build_fails_its_scenario_and_the_run_goes_on(harness: Harness) -> None:
    matrix = matrix_with(harness.root, SCENARIOS, SLOW, "repetitions: 2\nrounds: 2\nwarmup: 0\n")
    process = harness.popen("run", str(matrix))
    victim, pid = daemon_in_a_build(harness, process)
    os.kill(pid, signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr, stderr
    run_dir = run_dir_of(stdout)
    manifest, samples = manifest_of(run_dir), samples_of(run_dir)
    other = next(name for name in SCENARIOS if name != victim)
    record = manifest["scenarios"][victim]
    assert record["status"] == "failed" and "stopped answering" in record["reason"], record
    assert [s["round"] for s in record["sessions"]] == [1], "a failed scenario gets no more sessions"
    failed = [s for s in samples if s["kind"] == "build" and s["scenario"] == victim]
    assert len(failed) == 1 and not failed[0]["ok"] and failed[0]["error"], failed
    assert manifest["scenarios"][other]["status"] == "ok"
    assert len([s for s in samples if s["kind"] == "build" and s["scenario"] == other and s["ok"]]) == 2
    assert f"scenario {victim}: failed" in stdout
    assert manifest["status"] == "complete"


def daemon_in_a_build(harness: Harness, process, timeout: float = 120) -> tuple[str, int]:
    """The scenario whose daemon is running a build container now, and that dockerd's pid (from its pidfile).

    A container runs only inside a RUN step, so asking the daemon for running containers tells that a build is
    under way (the build log is written when the build ends, so it cannot tell).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        for socket in harness.work.glob("*/docker.sock"):
            try:
                running = docker.APIClient(base_url=f"unix://{socket}", version="1.41", timeout=5).containers()
            except (docker.errors.DockerException, requests.exceptions.RequestException):
                continue
            if running:
                records = manifest_of(next(harness.results.iterdir()))["scenarios"]
                victim = next(name for name, record in records.items()
                              if record.get("sessions") and "ended_at" not in record["sessions"][-1])
                return victim, int((socket.parent / "docker.pid").read_text())
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"no build reached its RUN step within {timeout} s")
