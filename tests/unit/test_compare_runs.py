"""`harness compare`: the change from run A to run B per shared cell, and what it says when runs do not match."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.analysis.compare import compare_runs
from harness.errors import InputError
from harness.results.reader import load_run

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLE, AFTER = DATA / "example-run", DATA / "example-run-after"


@pytest.fixture(scope="module")
def comparison():
    return compare_runs(load_run(EXAMPLE), load_run(AFTER))


def test_the_faster_naive_differ_is_the_only_change_called_faster(comparison) -> None:
    changed = {(row.step, row.scenario) for row in comparison.rows if row.significant}
    assert changed and all(scenario == "local-overlay2-naive" for _, scenario in changed)
    naive = next(g for g in comparison.geomean if g.scenario == "local-overlay2-naive")
    assert 0.8 < naive.ratio < 0.92  # generated 15 % faster on steps 2–5, FROM unchanged
    assert all(abs(g.ratio - 1) < 0.05 for g in comparison.geomean if g.scenario != "local-overlay2-naive")


def test_rows_carry_both_runs_and_the_interval_brackets_the_ratio(comparison) -> None:
    row = next(r for r in comparison.rows if r.step == 3 and r.scenario == "local-overlay2-naive")
    # with rounds: the ratio of the runs' geometric means of per-round low medians, near the ratio of medians
    assert row.ratio == pytest.approx(row.b.median / row.a.median, rel=0.03)
    assert row.ratio_ci_low <= row.ratio <= row.ratio_ci_high
    assert comparison.n_comparisons == len(comparison.rows) == 24


def test_environment_differences_are_noted(comparison) -> None:
    assert "host kernel differs: A 6.18.0-1-amd64 → B 6.19.0-1-amd64" in comparison.notes


def test_a_run_compared_with_itself_shows_no_significant_change() -> None:
    same = compare_runs(load_run(EXAMPLE), load_run(EXAMPLE))
    assert not any(row.significant for row in same.rows)
    assert all(row.ratio == 1.0 for row in same.rows)


def test_runs_without_shared_cells_are_an_input_error(tmp_path: Path) -> None:
    other = shutil.copytree(EXAMPLE, tmp_path / "other")
    lines = [json.loads(line) for line in (other / "samples.jsonl").read_text().splitlines()]
    (other / "samples.jsonl").write_text("".join(json.dumps(s | {"workload": "elsewhere"}) + "\n" for s in lines))
    with pytest.raises(InputError, match="share no"):
        compare_runs(load_run(EXAMPLE), load_run(other))


def test_cells_in_only_one_run_are_listed_and_workload_changes_noted(tmp_path: Path) -> None:
    other = shutil.copytree(AFTER, tmp_path / "other")
    lines = [json.loads(line) for line in (other / "samples.jsonl").read_text().splitlines()]
    (other / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in lines if s["scenario"] != "local-vfs"))
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["workloads"]["seed"]["fingerprint"] = "sha256:different"
    (other / "manifest.json").write_text(json.dumps(manifest))
    comparison = compare_runs(load_run(EXAMPLE), load_run(other))
    assert len(comparison.only_in_a) == 6 and not comparison.only_in_b
    assert any("fingerprint differs" in note for note in comparison.notes)
