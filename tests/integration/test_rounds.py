"""Rounds on real daemons: one session per scenario per round on a kept data-root, an A/A control, and a daemon
that dies mid-build failing only its own scenario."""

from __future__ import annotations

import os
import signal
import statistics
import time

import docker
import docker.errors
import pytest
import requests.exceptions

from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

SCENARIOS = ["local-overlay2-native", "local-overlay2-naive"]
SMALL = "  - name: w\n    base: {files: 4000, directories: 40}\n    steps: [RUN touch /x, COPY payload/ /p/]\n"


def test_an_aa_matrix_runs_in_rounds_with_one_daemon_session_per_scenario_per_round(harness: Harness) -> None:
    matrix = matrix_with(harness.root, SCENARIOS, SMALL, "repetitions: 6\nrounds: 3\nwarmup: 1\ncontrol: true\n")
    result = harness.run("run", str(matrix))
    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    manifest, samples = manifest_of(run_dir), samples_of(run_dir)
    names = ["local-overlay2-native", "local-overlay2-native-aa", "local-overlay2-naive"]
    assert manifest["rounds"] == 3 and manifest["schema"] == 2
    assert manifest["control"] == {"scenario": "local-overlay2-native-aa", "of": "local-overlay2-native"}
    assert manifest["scenarios"]["local-overlay2-native-aa"]["control_of"] == "local-overlay2-native"
    for name in names:
        record = manifest["scenarios"][name]
        assert record["status"] == "ok", record
        assert [s["round"] for s in record["sessions"]] == [1, 2, 3]
        assert [i["workload"] for i in record["base_imports"]] == ["w"], "the base is imported once per scenario"
        log = (run_dir / "logs" / f"{name}.dockerd.log").read_text()
        assert log.count("API listen on") == 3 and log.count("Processing signal 'terminated'") == 3, \
            "its daemon was started and stopped once per round"
        builds = [s for s in samples if s["kind"] == "build" and s["scenario"] == name]
        assert sorted(b["round"] for b in builds if not b["warmup"]) == [1, 1, 2, 2, 3, 3]
        assert all(s["schema"] == 2 for s in samples)
    starts = sorted((s["started_at"], r) for r in names for s in manifest["scenarios"][r]["sessions"])
    assert [manifest_round(manifest, at) for at, _ in starts] == [1, 1, 1, 2, 2, 2, 3, 3, 3], \
        "rounds run one after another"

    def median_of(name: str, kind: str, step: int | None = None) -> float:
        return statistics.median(s["seconds"] for s in samples if s["scenario"] == name and s["kind"] == kind
                                 and s["step"] == step and not s["warmup"] and s["ok"])

    for step in (2, 3):  # RUN and COPY commit a layer each: the naive differ walks the 4000-file base
        assert median_of("local-overlay2-naive", "step", step) > 1.5 * median_of("local-overlay2-native", "step", step)
    assert median_of("local-overlay2-naive", "build") > 1.5 * median_of("local-overlay2-native-aa", "build")


def manifest_round(manifest: dict, started_at: str) -> int:
    return next(s["round"] for r in manifest["scenarios"].values() for s in r.get("sessions", [])
                if s["started_at"] == started_at)


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
