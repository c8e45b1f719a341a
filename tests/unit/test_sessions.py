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


def test_round_test_is_a_t_test_on_log_ratios_of_round_low_medians() -> None:
    base = [1.0, 1.2, 2.0, 2.2, 1.5, 1.7]
    other = [1.1, 1.3, 2.3, 2.3, 1.6, 1.6]
    rounds = [1, 1, 2, 2, 3, 3]
    medians_base, medians_other = np.array([1.0, 2.0, 1.5]), np.array([1.1, 2.3, 1.6])  # the lower middle build
    expected = scipy_stats.ttest_1samp(np.log(medians_other / medians_base), 0).pvalue
    assert round_p(base, rounds, other, rounds) == pytest.approx(expected)


def round_p(base, base_rounds, other, other_rounds) -> float | None:
    found = sessions.paired_estimate(sessions.round_logs(base, base_rounds), sessions.round_logs(other, other_rounds))
    return None if found is None else found.p_value


def test_round_test_needs_two_shared_rounds_and_handles_zero_spread() -> None:
    assert round_p([1.0, 2.0], [1, 1], [1.0, 2.0], [1, 1]) is None
    assert round_p([1.0, 2.0], [1, 2], [1.0, 2.0], [1, 2]) == 1.0
    assert round_p([1.0, 2.0], [1, 2], [2.0, 4.0], [1, 2]) == 0.0
    assert round_p([1.0, 2.0], [1, 2], [1.0, 2.0], [3, 4]) is None  # no round both ran: nothing to pair


def test_a_zero_second_step_is_below_the_builders_resolution_not_p_zero() -> None:
    base, other = cell([0.0] * 6, [1, 1, 2, 2, 3, 3]), cell([0.0] * 6, [1, 1, 2, 2, 3, 3], "o")
    _, (result,) = differences.compare_pairs([(base, other)], seed=1, paired=True)
    assert result.difference.p_value is None and "below the builder's resolution" in result.difference.missing
    one_session = cell([0.0] * 6, [1] * 6), cell([0.0] * 6, [1] * 6, "o")
    design, (result,) = differences.compare_pairs([one_session], seed=1, paired=True)
    assert design == differences.BUILDS and "below the builder's resolution" in result.difference.missing


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


def test_round_interval_is_the_t_interval_and_tolerates_ragged_rounds() -> None:
    base = cell([1.0, 1.1, 1.2, 0.9, 1.05, 1.0, 0.95], [1, 1, 1, 2, 2, 3, 3])
    other = cell([1.5, 1.6, 1.4, 1.55, 1.45, 1.5, 1.52], [1, 1, 2, 2, 3, 3, 3])
    first = differences.compare_pairs([(base, other)], seed=7, paired=True)
    again = differences.compare_pairs([(base, other)], seed=7, paired=True)
    assert first[1][0].difference == again[1][0].difference and first[0] == differences.ROUNDS
    low, high = first[1][0].difference.ci_low, first[1][0].difference.ci_high
    d = np.log([1.5 / 1.1, 1.4 / 0.9, 1.5 / 0.95])  # per-round low medians: other ÷ base
    half = scipy_stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert (low, high) == pytest.approx((np.exp(d.mean() - half), np.exp(d.mean() + half)))
    assert first[1][0].difference.p_value == pytest.approx(scipy_stats.ttest_1samp(d, 0).pvalue)


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


def test_every_row_verdict_agrees_with_its_interval_and_delta() -> None:
    summary = summarize(load_run(EXAMPLE))
    band = summary.noise
    for row in summary.rows:
        if row.verdict in (stats.SLOWER, stats.FASTER):
            assert row.p_adjusted < summary.alpha
            assert row.ratio_ci_high < band.low or row.ratio_ci_low > band.high
        if row.verdict in (stats.EQUIVALENT, stats.INCONCLUSIVE):
            assert band.low <= row.ratio_ci_high and row.ratio_ci_low <= band.high
            assert row.ratio_ci_low <= row.ratio <= row.ratio_ci_high
    aa = [row for row in summary.rows if row.scenario == summary.control]
    assert aa and not any(row.significant for row in aa)
    assert math.isclose(band.high * band.low, 1.0) and band.method == "aa" and not band.aa_excludes_one
