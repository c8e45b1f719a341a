"""Cells of one scenario against the cells of another (or of another run): ratio of medians, its interval, a p-value,
and the bootstrap draws a geometric mean over steps needs — by daemon session when the run has rounds.

Two designs, chosen per pair of scenarios:
- "rounds": both sides have ≥ `sessions.MIN_ROUNDS` rounds (for `summary`, rounds both share: they interleave, so
  pairing by round removes drift). Hierarchical bootstrap over rounds then builds, round-level t-test
  (see `harness.analysis.sessions`).
- "builds": one daemon session per scenario (schema-1 runs, `rounds: 1`): the session variance cannot be estimated,
  so the build-level methods of `harness.analysis.stats` are used (percentile bootstrap, Mann–Whitney), which overstate
  significance when sessions drift; the summary says so in a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.analysis import sessions, stats
from harness.results.reader import Cell

ROUNDS, BUILDS = "rounds", "builds"


@dataclass(frozen=True)
class PairResult:
    """One cell pair: the difference, and the ratio's bootstrap draws (None without an interval or in "builds")."""

    difference: stats.Difference
    draws: np.ndarray | None


def design(pairs: Sequence[tuple[Cell, Cell]], paired: bool) -> str:
    """ROUNDS when the two sides have enough rounds (shared ones when `paired`), else BUILDS."""
    base_rounds = {r for base, _ in pairs for r in base.rounds}
    other_rounds = {r for _, other in pairs for r in other.rounds}
    if paired:
        return ROUNDS if len(base_rounds & other_rounds) >= sessions.MIN_ROUNDS else BUILDS
    return ROUNDS if min(len(base_rounds), len(other_rounds)) >= sessions.MIN_ROUNDS else BUILDS


def compare_pairs(pairs: Sequence[tuple[Cell, Cell]], seed: int, paired: bool,
                  n_resamples: int = stats.BOOTSTRAP_RESAMPLES) -> tuple[str, list[PairResult]]:
    """(design, one result per (base, other) pair). One set of draws serves every pair, so steps of a build stay
    together and a geometric mean over them gets its interval from the same resamples."""
    chosen = design(pairs, paired)
    if chosen == BUILDS:
        return chosen, [PairResult(stats.difference(base.values, other.values, stats.seed_from(seed, index)), None)
                        for index, (base, other) in enumerate(pairs)]
    rounds = sorted({r for base, other in pairs for r in (*base.rounds, *other.rounds)})
    per_round = max(max(np.unique(cell.rounds, return_counts=True)[1], default=1)
                    for pair in pairs for cell in pair if cell.rounds)
    draws = sessions.resamples(rounds, int(per_round), seed, n_resamples, paired=paired)
    return chosen, [_by_rounds(base, other, draws, paired) for base, other in pairs]


def _by_rounds(base: Cell, other: Cell, draws: sessions.Resamples, paired: bool) -> PairResult:
    ratio = stats.ratio_of_medians(base.values, other.values)
    p_value = (sessions.round_test_p(base.values, base.rounds, other.values, other.rounds) if paired
               else sessions.welch_p(base.values, base.rounds, other.values, other.rounds))
    if ratio is None or min(len(base.values), len(other.values)) < stats.MIN_N_CI:
        return PairResult(stats.Difference(ratio, None, None, p_value), None)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = (sessions.resampled_medians(other.values, other.rounds, draws, "other")
                  / sessions.resampled_medians(base.values, base.rounds, draws, "base"))
    interval = sessions.percentile_interval(ratios, stats.CONFIDENCE)
    if interval is None:
        return PairResult(stats.Difference(ratio, None, None, p_value), None)
    low, high = min(interval[0], ratio), max(interval[1], ratio)  # a percentile interval may miss a skewed point
    return PairResult(stats.Difference(ratio, low, high, p_value), ratios)


def geomean_interval(draws: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """Percentile interval of the geometric mean of step ratios, resample by resample (same draws for every step)."""
    if not draws:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(np.vstack(draws))
    return sessions.percentile_interval(np.exp(logs.mean(axis=0)), stats.CONFIDENCE)
