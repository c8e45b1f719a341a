"""`make run` end to end: the shipped matrix-local.yaml on real private daemons answers the 2018 post's question.

It runs what `make run` runs (scripts/run-matrix with the installed harness), only with this test's private
results, work and state directories, and checks the answer (the headline: the naive differ `slower` than the
native one for the whole build, beyond the declared ±5 %, with the A/A control as its check), the `results:` line, the
commands printed after it, and that progress told time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integration.conftest import Harness, manifest_of, samples_of

pytestmark = pytest.mark.integration

NATIVE, NAIVE = "local-overlay2-native", "local-overlay2-naive"


def test_make_run_answers_the_question_of_the_2018_post(harness: Harness) -> None:
    harness_bin = Path(sys.executable).parent / "harness"
    result = subprocess.run([str(REPO / "scripts" / "run-matrix"), str(harness_bin), str(REPO / "matrix-local.yaml"),
                             "--results", str(harness.results), "--work-dir", str(harness.work)],
                            capture_output=True, text=True, env=harness.env(), timeout=1200, cwd=harness.root)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    results_lines = [line for line in lines if line.startswith("results: ")]
    assert len(results_lines) == 1, result.stdout
    run_dir = Path(results_lines[0].removeprefix("results: "))
    assert run_dir.parent == harness.results and (run_dir / "manifest.json").is_file()
    assert f"  {harness_bin} summary {run_dir}" in "\n".join(lines[lines.index(results_lines[0]):])

    manifest = manifest_of(run_dir)
    assert {NATIVE, NAIVE} <= set(manifest["scenarios"])
    assert all(record["status"] == "ok" for record in manifest["scenarios"].values()), manifest["scenarios"]
    measured = [s for s in samples_of(run_dir) if s["kind"] == "build" and not s["warmup"]]
    rounds = manifest["stopping"]["stopped_after_round"] or 5  # matrix-local.yaml stops once decided
    assert manifest["rounds"] == rounds and rounds in manifest["stopping"]["looks"]
    for name in manifest["scenarios"]:
        assert sum(1 for s in measured if s["scenario"] == name and s["ok"]) == 2 * rounds, name

    summary = _summary_json(run_dir)
    naive = next(r for r in summary["rows"] if r["scenario"] == NAIVE and r["step"] == "total")
    assert naive["verdict"] == "slower" and naive["ratio_ci_low"] > 1.05, naive
    [headline] = [h for h in summary["headlines"] if h["scenario"] == NAIVE]
    assert headline["baseline"] == NATIVE and headline["verdict"] == "slower" and headline["ratio_ci_low"] > 1.05
    assert summary["noise"]["method"] == "aa", "matrix-local.yaml has an A/A control: the run is checked by it"
    printed = "\n".join(lines)
    assert f"{NAIVE}: whole build" in printed and "— slower" in printed and "A/A control" in printed, printed
    assert printed.index(f"{NAIVE}: whole build") < printed.index("results: "), "the headline comes first"

    assert "estimated run time: about" in result.stderr or "estimated to take more than" in result.stderr
    assert "elapsed, about" in result.stderr and "left (estimate)" in result.stderr, result.stderr


def _summary_json(run_dir: Path) -> dict:
    summary = subprocess.run([sys.executable, "-m", "harness.cli", "summary", str(run_dir), "--format", "json"],
                             capture_output=True, text=True, check=True, timeout=300)
    return json.loads(summary.stdout)
