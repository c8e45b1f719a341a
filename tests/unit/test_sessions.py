"""Round-level statistics (analysis/sessions.py, analysis/differences.py): by hand where possible, and what a run without
rounds (schema 1) gets instead."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

from harness.analysis import differences, sessions, stats
from harness.analysis.summary import summarize
from harness.export.views import render_run_summary
from harness.results.reader import Cell, load_run

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "example-run"


def cell(values, rounds, scenario="s", step=2) -> Cell:
    return Cell("w", step, scenario, "RUN", "RUN x", tuple(values), 0, (), tuple(rounds))


def test_round_test_is_a_t_test_on_log_ratios_of_round_medians() -> None:
    base = [1.0, 1.2, 2.0, 2.2, 1.5, 1.7]
    other = [1.1, 1.3, 2.3, 2.3, 1.6, 1.6]
    rounds = [1, 1, 2, 2, 3, 3]
    medians_base, medians_other = np.array([1.1, 2.1, 1.6]), np.array([1.2, 2.3, 1.6])
    expected = scipy_stats.ttest_1samp(np.log(medians_other / medians_base), 0).pvalue
    assert sessions.round_test_p(base, rounds, other, rounds) == pytest.approx(expected)


def test_round_test_needs_two_shared_rounds_and_handles_zero_spread() -> None:
    assert sessions.round_test_p([1.0, 2.0], [1, 1], [1.0, 2.0], [1, 1]) is None
    assert sessions.round_test_p([1.0, 2.0], [1, 2], [1.0, 2.0], [1, 2]) == 1.0
    assert sessions.round_test_p([1.0, 2.0], [1, 2], [2.0, 4.0], [1, 2]) == 0.0


def test_paired_bootstrap_cancels_drift_shared_by_a_round() -> None:
    """A slow drift moves both scenarios per round: paired by round, the interval stays narrow."""
    rounds = [r for r in range(1, 6) for _ in range(2)]
    drift = [1.0, 1.0, 1.3, 1.3, 0.8, 0.8, 1.5, 1.5, 1.1, 1.1]
    base = [d * x for d, x in zip(drift, [1.0, 1.01] * 5)]
    other = [d * x * 2 for d, x in zip(drift, [1.0, 1.01] * 5)]
    pairs = [(cell(base, rounds), cell(other, rounds, "o"))]
    _, (paired,) = differences.compare_pairs(pairs, seed=1, paired=True)
    _, (unpaired,) = differences.compare_pairs(pairs, seed=1, paired=False)
    assert paired.difference.ci_high - paired.difference.ci_low < 0.05
    assert unpaired.difference.ci_high - unpaired.difference.ci_low > 0.3
    assert paired.difference.ci_low <= paired.difference.ratio <= paired.difference.ci_high


def test_bootstrap_is_seeded_and_tolerates_ragged_rounds() -> None:
    base = cell([1.0, 1.1, 1.2, 0.9, 1.05, 1.0, 0.95], [1, 1, 1, 2, 2, 3, 3])
    other = cell([1.5, 1.6, 1.4, 1.55, 1.45, 1.5, 1.52], [1, 1, 2, 2, 3, 3, 3])
    first = differences.compare_pairs([(base, other)], seed=7, paired=True)
    again = differences.compare_pairs([(base, other)], seed=7, paired=True)
    assert first[1][0].difference == again[1][0].difference and first[0] == differences.ROUNDS
    low, high = first[1][0].difference.ci_low, first[1][0].difference.ci_high
    assert 1.2 < low < 1.5 < high < 1.8


def test_one_round_falls_back_to_builds() -> None:
    base = cell([1.0, 1.1, 1.2, 0.9, 1.05, 1.0], [1] * 6)
    other = cell([1.5, 1.6, 1.4, 1.55, 1.45, 1.5], [1] * 6)
    design, (result,) = differences.compare_pairs([(base, other)], seed=7, paired=True)
    assert design == differences.BUILDS
    assert result.difference == stats.difference(base.values, other.values, stats.seed_from(7, 0))


def test_a_schema_1_run_is_one_session_per_scenario_and_says_so(tmp_path: Path) -> None:
    run = shutil.copytree(EXAMPLE, tmp_path / "run")
    lines = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    old = [{k: v for k, v in line.items() if k not in ("round", "builder")} | {"schema": 1} for line in lines]
    (run / "samples.jsonl").write_text("".join(json.dumps(line) + "\n" for line in old))
    summary = summarize(load_run(run))
    assert summary.design == differences.BUILDS
    assert any("single daemon session" in note and "cannot be estimated" in note for note in summary.notes)
    assert "Mann–Whitney" in render_run_summary(run, "table")
    assert all(g.ci_low is None for g in summary.geomean)  # no honest interval for a geometric mean without rounds


def test_every_row_verdict_agrees_with_its_interval_and_the_floor() -> None:
    summary = summarize(load_run(EXAMPLE))
    floor = summary.noise
    for row in summary.rows:
        if row.significant:
            assert row.p_adjusted < summary.alpha
            assert row.ratio_ci_high < floor.low or row.ratio_ci_low > floor.high
        if row.verdict == stats.NOISE:
            assert floor.low <= row.ratio_ci_high and row.ratio_ci_low <= floor.high
    aa = [row for row in summary.rows if row.scenario == summary.control]
    assert aa and not any(row.significant for row in aa)
    assert math.isclose(floor.high * floor.low, 1.0)
