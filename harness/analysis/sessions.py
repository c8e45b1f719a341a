"""Statistics that treat the daemon session (round), not the single build, as the unit that varies.

Why: whatever drifts between daemon sessions (page cache, CPU frequency, neighbours) moves every build of a session
together, so builds of one session are not independent. Tests and intervals that count builds as independent read
a session offset as an effect (simulated: 30–56 % of A/A matrices "significant" at σ = 2 % per session).

Methods (Kalibera & Jones, "Rigorous benchmarking in reasonable time", ISMM 2013: the highest level that varies
randomly is the unit; resample it first, then the levels below):
- Interval for median(other) ÷ median(base): hierarchical percentile bootstrap — draw rounds with replacement, then
  builds with replacement within each drawn round, and take the ratio of the pooled medians. Rounds interleave the
  scenarios, so the *same* round draw is used for both (paired by round: slow drift shared by a round cancels).
  One draw serves every cell of a scenario pair, so a geometric mean over steps gets an interval from the same
  resamples (steps of one build stay together).
- Test: paired t-test on the log of the per-round median ratio (Student 1908), i.e. a one-sample t-test of
  d_r = log(median_other,r / median_base,r) against 0 with R − 1 degrees of freedom. Rank tests at the round level
  have a p-value floor (2 / 2^R: 0.0625 at 5 rounds) that no effect could pass; the t-test has none. Its assumption:
  the per-round log ratios are roughly normal — session offsets act multiplicatively, and a median of several builds
  per round is close to normal already.
Everything is vectorised numpy and seeded, so the same run gives the same numbers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Fewest rounds both scenarios share for the round-level test (1 degree of freedom). With one round the session
#: variance cannot be estimated and the caller falls back to the build-level methods.
MIN_ROUNDS = 2


@dataclass(frozen=True)
class Resamples:
    """One seeded set of bootstrap draws for a scenario pair: which rounds (B × R, the same for both scenarios) and
    where inside a round (uniforms in [0, 1), B × R × K, one array per side so the two sides stay independent)."""

    rounds: tuple[int, ...]
    pick_base: np.ndarray
    pick_other: np.ndarray
    within_base: np.ndarray
    within_other: np.ndarray


def resamples(rounds: Sequence[int], per_round: int, seed: int, n_resamples: int, paired: bool = True) -> Resamples:
    """Draws for `rounds` (the round numbers any cell of the pair has) and up to `per_round` builds per round.

    paired=False draws rounds independently per side: for runs where a "round" is not shared in time (the
    build-level fallback, where each build is its own unit)."""
    rng = np.random.default_rng(seed)
    count = len(rounds)
    pick_base = rng.integers(0, count, size=(n_resamples, count))
    pick_other = pick_base if paired else rng.integers(0, count, size=(n_resamples, count))
    shape = (n_resamples, count, per_round)
    return Resamples(tuple(rounds), pick_base, pick_other, rng.random(shape), rng.random(shape))


def _grid(values: Sequence[float], rounds: Sequence[int], order: Sequence[int], per_round: int):
    """values → (R, K) array padded with NaN, rows in `order`, plus each row's count."""
    where = {number: index for index, number in enumerate(order)}
    grid = np.full((len(order), per_round), np.nan)
    counts = np.zeros(len(order), dtype=int)
    for value, number in zip(values, rounds):
        row = where[number]
        grid[row, counts[row]] = value
        counts[row] += 1
    return grid, counts


def resampled_medians(values: Sequence[float], rounds: Sequence[int], draws: Resamples, side: str) -> np.ndarray:
    """Median of each bootstrap resample of one cell (NaN where a resample drew only empty rounds)."""
    pick = draws.pick_base if side == "base" else draws.pick_other
    within = draws.within_base if side == "base" else draws.within_other
    grid, counts = _grid(values, rounds, draws.rounds, within.shape[2])
    chosen = counts[pick]  # B × R: how many builds each drawn round holds
    position = np.minimum((within * chosen[..., None]).astype(int), np.maximum(chosen[..., None] - 1, 0))
    taken = grid[pick[..., None], position]
    taken[np.arange(within.shape[2]) >= chosen[..., None]] = np.nan
    flat = taken.reshape(taken.shape[0], -1)
    if not np.isnan(flat).any():
        return np.median(flat, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN resamples become NaN, dropped by the caller
        return np.nanmedian(flat, axis=1)


def percentile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float] | None:
    """The central `confidence` share of finite draws; None when more than 1 % are undefined (e.g. a zero base)."""
    finite = draws[np.isfinite(draws)]
    if finite.size < 0.99 * draws.size or finite.size == 0:
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def round_medians(values: Sequence[float], rounds: Sequence[int]) -> dict[int, float]:
    """Median of each round's builds."""
    grouped: dict[int, list[float]] = {}
    for value, number in zip(values, rounds):
        grouped.setdefault(number, []).append(value)
    return {number: float(np.median(members)) for number, members in grouped.items()}


def log_ratios(base: dict[int, float], other: dict[int, float]) -> np.ndarray:
    """log(other ÷ base) of the per-round medians, over the rounds both have (positive medians only)."""
    shared = sorted(number for number in base.keys() & other.keys() if base[number] > 0 and other[number] > 0)
    return np.log([other[number] / base[number] for number in shared])


def paired_t_p(differences: np.ndarray) -> np.ndarray:
    """Two-sided one-sample t-test of mean 0 along the last axis (NaN entries left out), vectorised.

    Zero spread gives p = 1 when every difference is 0 and p = 0 otherwise (the t statistic is infinite); fewer than
    `MIN_ROUNDS` differences give NaN.
    """

    differences = np.asarray(differences, float)
    count = np.sum(~np.isnan(differences), axis=-1)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(differences, axis=-1)
        spread = np.nanstd(differences, axis=-1, ddof=1)
        t = np.abs(mean) / (spread / np.sqrt(count))
        p = 2 * stats.t.sf(t, np.maximum(count - 1, 1))
    p = np.where(spread == 0, np.where(mean == 0, 1.0, 0.0), p)
    return np.where(count >= MIN_ROUNDS, p, np.nan)


def round_test_p(base_values: Sequence[float], base_rounds: Sequence[int], other_values: Sequence[float],
                 other_rounds: Sequence[int]) -> float | None:
    """The paired round-level t-test's two-sided p-value; None with fewer than `MIN_ROUNDS` shared rounds."""
    differences = log_ratios(round_medians(base_values, base_rounds), round_medians(other_values, other_rounds))
    if differences.size < MIN_ROUNDS:
        return None
    p = float(paired_t_p(differences))
    return None if math.isnan(p) else min(1.0, p)


def welch_p(a_values: Sequence[float], a_rounds: Sequence[int], b_values: Sequence[float],
            b_rounds: Sequence[int]) -> float | None:
    """Welch's two-sample t-test on the log round medians of two runs (their rounds are not shared in time, so not
    paired); None with fewer than `MIN_ROUNDS` rounds on either side."""

    a = np.log([m for m in round_medians(a_values, a_rounds).values() if m > 0])
    b = np.log([m for m in round_medians(b_values, b_rounds).values() if m > 0])
    if min(a.size, b.size) < MIN_ROUNDS:
        return None
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return 1.0 if a[0] == b[0] else 0.0
    return min(1.0, float(stats.ttest_ind(a, b, equal_var=False).pvalue))
