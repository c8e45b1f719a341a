"""`harness plan MATRIX --pilot` on real daemons (issue 17): it measures a short pilot of the matrix — every scenario,
3 rounds of 2 builds, whatever the matrix says — then sizes the matrix from it, as `harness plan RUN_DIR` would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.conftest import Harness, manifest_of, matrix_with, samples_of

pytestmark = pytest.mark.integration

TINY = """\
  - name: tiny
    base: {files: 200, directories: 4}
    steps:
      - RUN touch /built-marker
"""


def test_a_pilot_is_measured_then_sized_like_a_finished_run(harness: Harness) -> None:
    matrix = matrix_with(harness.root, ["local-overlay2-native", "local-vfs"], TINY,
                         "repetitions: 20\nrounds: 7\nwarmup: 2\n")
    result = harness.run("plan", str(matrix), "--pilot", "--results", str(harness.results), "--work-dir", str(harness.work))
    assert result.returncode == 0, result.stderr
    pilot = Path(re.search(r"^pilot run: (.+)$", result.stdout, re.M).group(1))
    builds = [s for s in samples_of(pilot) if s["kind"] == "build"]
    measured = [s for s in builds if not s["warmup"]]
    for scenario in ("local-overlay2-native", "local-vfs"):
        rounds = sorted(s["round"] for s in measured if s["scenario"] == scenario)
        assert rounds == [1, 1, 2, 2, 3, 3], (scenario, rounds)
    assert sum(s["warmup"] for s in builds) == 2  # one warmup per scenario, not the matrix's two
    assert manifest_of(pilot)["rounds"] == 3

    sized_from_the_run = harness.run("plan", str(pilot))
    assert sized_from_the_run.returncode == 0, sized_from_the_run.stderr
    assert sized_from_the_run.stdout.strip() in result.stdout  # the same sizing, printed after the pilot
    assert re.search(r"variance \(log scale\): between sessions σ = [\d.]+%", result.stdout)


def test_a_matrix_without_pilot_is_refused_with_the_way_to_ask_for_one(harness: Harness) -> None:
    matrix = matrix_with(harness.root, ["local-overlay2-native"], TINY)
    result = harness.run("plan", str(matrix))
    assert result.returncode == 2 and "add --pilot" in result.stderr, result.stderr
    assert not (harness.root / "results").exists()
