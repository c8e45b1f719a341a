"""Cells of one scenario against the cells of another (or of another run): ratio, its 95 % and 90 % intervals, a
p-value, and the per-round log statistics a geometric mean over steps needs — by daemon session when the run has
rounds.

Two designs, chosen per pair of scenarios:
- "rounds": both sides have ≥ `sessions.MIN_ROUNDS` rounds (for `summary`, rounds both share: they interleave, so
  pairing by round removes drift). A t-interval and t-test on per-round log ratios (paired) or on each run's log
  round statistics (Welch, for `compare`) — see `harness.analysis.sessions`. One build per round is enough.
- "builds": one daemon session per scenario (schema-1 runs, `rounds: 1`): the session variance cannot be estimated,
  so the build-level methods of `harness.analysis.stats` are used (percentile bootstrap, Mann–Whitney), which overstate
  significance when sessions drift; the summary says so in a note.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from harness.analysis import sessions, stats
from harness.results.reader import Cell

ROUNDS, BUILDS = "rounds", "builds"
#: Why a step timed at 0.0 s (BuildKit's plain progress rounds to 0.1 s) gets no verdict: no ratio exists.
RESOLUTION = "median 0.0 s: below the builder's resolution"


@dataclass(frozen=True)
class PairResult:
    """One cell pair: the difference, and each side's log round statistics (None without them or in "builds")."""

    difference: stats.Difference
    logs: tuple[dict[int, float], dict[int, float]] | None = None


def design(pairs: Sequence[tuple[Cell, Cell]], paired: bool) -> str:
    """ROUNDS when the two sides have enough rounds (shared ones when `paired`), else BUILDS."""
    base_rounds = {r for base, _ in pairs for r in base.rounds}
    other_rounds = {r for _, other in pairs for r in other.rounds}
    if paired:
        return ROUNDS if len(base_rounds & other_rounds) >= sessions.MIN_ROUNDS else BUILDS
    return ROUNDS if min(len(base_rounds), len(other_rounds)) >= sessions.MIN_ROUNDS else BUILDS


def compare_pairs(pairs: Sequence[tuple[Cell, Cell]], seed: int, paired: bool,
                  confidence: float = stats.CONFIDENCE) -> tuple[str, list[PairResult]]:
    """(design, one result per (base, other) pair); `seed` seeds the build-level bootstrap; the intervals are at
    `confidence` (1 − α) and, for the equivalence test, 1 − 2α."""
    chosen = design(pairs, paired)
    if chosen == BUILDS:
        return chosen, [by_builds(base, other, stats.seed_from(seed, index), confidence)
                        for index, (base, other) in enumerate(pairs)]
    return chosen, [by_rounds(base, other, paired, confidence) for base, other in pairs]


def by_builds(base: Cell, other: Cell, seed: int, confidence: float = stats.CONFIDENCE) -> PairResult:
    """The build-level difference of one cell pair (single-session runs)."""
    if base.values and other.values and min(statistics.median(base.values),
                                            statistics.median(other.values)) <= 0:
        return PairResult(_missing(base, other, RESOLUTION))
    return PairResult(stats.difference(base.values, other.values, seed, confidence))


def by_rounds(base: Cell, other: Cell, paired: bool, confidence: float = stats.CONFIDENCE) -> PairResult:
    """The round-level difference of one cell pair; `missing` says why there is none."""
    logs = (sessions.round_logs(base.values, base.rounds), sessions.round_logs(other.values, other.rounds))
    if logs[0] is None or logs[1] is None:
        return PairResult(_missing(base, other, RESOLUTION))
    return PairResult(from_estimate(estimate(*logs, paired), paired, confidence), logs)


def estimate(base: dict[int, float], other: dict[int, float], paired: bool) -> sessions.Estimate | None:
    return sessions.paired_estimate(base, other) if paired else sessions.welch_estimate(base, other)


def from_estimate(found: sessions.Estimate | None, paired: bool, confidence: float = stats.CONFIDENCE
                  ) -> stats.Difference:
    """A `Difference` from a round-level estimate (t-intervals at `confidence` and at the equivalence test's
    1 − 2α: 95 % and 90 % at α = 5 %), or one saying what is missing."""
    if found is None:
        need = "rounds both sides ran" if paired else "rounds in each run"
        return stats.Difference(None, None, None, None, missing=f"fewer than {sessions.MIN_ROUNDS} {need}")
    low, high = found.interval(confidence)
    eq_low, eq_high = found.interval(1 - 2 * (1 - confidence))
    return stats.Difference(math.exp(found.log_ratio), low, high, found.p_value, eq_low, eq_high)


def _missing(base: Cell, other: Cell, why: str) -> stats.Difference:
    return stats.Difference(stats.ratio_of_medians(base.values, other.values), None, None, None, missing=why)


def geomean_difference(logs: Sequence[tuple[dict[int, float], dict[int, float]]], paired: bool,
                       confidence: float = stats.CONFIDENCE) -> stats.Difference:
    """The geometric mean of step ratios judged like one step: per side and round, the mean log statistic over the
    steps (rounds where every step was measured), then the same round-level estimate, test and intervals."""
    sides = []
    for side in (0, 1):
        common = set.intersection(*(set(pair[side]) for pair in logs)) if logs else set()
        sides.append({r: sum(pair[side][r] for pair in logs) / len(logs) for r in common})
    return from_estimate(estimate(sides[0], sides[1], paired), paired, confidence)
