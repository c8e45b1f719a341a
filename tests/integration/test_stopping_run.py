"""`stop_when_decided: true` on real daemons: the naive differ's cost is decided at a look before the last (round 3
or 4 of 5), the run stops there and reads as a run of that many rounds, judged at its per-look α.

Three builds per round, so each round's statistic is a true middle value: here the first naive build of a daemon
session is often much faster than the next (0.48 s then 0.91 s), and with two builds per round the lower one
decided the round, so a 2.5x effect stayed undecided through round 5 in a CI run."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

WORKLOAD = "  - name: w\n    base: {files: 2000, directories: 20}\n    steps: [RUN touch /x]\n"


def test_a_decided_run_stops_at_its_first_look_and_is_judged_at_the_per_look_alpha(harness: Harness) -> None:
    matrix = matrix_with(harness.root, ["local-overlay2-native", "local-overlay2-naive"], WORKLOAD,
                         "repetitions: 15\nrounds: 5\nwarmup: 0\nstop_when_decided: true\n")
    result = harness.run("run", str(matrix))
    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    manifest = manifest_of(run_dir)
    stopped = manifest["stopping"]["stopped_after_round"]
    assert manifest["stopping"]["looks"] == [3, 4, 5] and stopped in (3, 4), result.stderr
    assert f"round {stopped}: every headline is decided" in result.stderr
    assert f"{5 - stopped} of 5 planned rounds not needed" in result.stderr
    assert manifest["rounds"] == stopped and {entry["round"] for entry in manifest["plan"]} == set(range(1, stopped + 1))
    builds = [s for s in samples_of(run_dir) if s["kind"] == "build"]
    assert sorted(s["round"] for s in builds) == sorted(list(range(1, stopped + 1)) * 6)
    assert all(len(record["sessions"]) == stopped for record in manifest["scenarios"].values())

    summary = json.loads(harness.run("summary", str(run_dir), "--format", "json").stdout)
    assert summary["alpha"] == pytest.approx(0.05 / 3)
    naive = next(h for h in summary["headlines"] if h["scenario"] == "local-overlay2-naive")
    assert naive["verdict"] == "slower", naive
    assert "ratio 98.3% CI" in harness.run("summary", str(run_dir)).stdout
    assert harness.run("run", str(matrix), "--resume", str(run_dir)).returncode == 0
    assert len([s for s in samples_of(run_dir) if s["kind"] == "build"]) == 6 * stopped, "nothing left to resume"
