"""Statistics that treat the daemon session (round), not the single build, as the unit that varies.

Why: whatever drifts between daemon sessions (page cache, CPU frequency, neighbours) moves every build of a session
together, so builds of one session are not independent. Tests and intervals that count builds as independent read
a session offset as an effect (simulated: 30–56 % of A/A matrices "significant" at σ = 2 % per session).

Methods (Kalibera & Jones, "Rigorous benchmarking in reasonable time", ISMM 2013: the highest level that varies
randomly is the unit):
- Per round, one robust statistic of its builds: the low median (the middle build, the lower of the two middle ones
  for an even count). One slow build — the usual outlier of a timing — cannot move it at any count ≥ 2, where a
  mean of two builds would follow it (simulated: one 2× baseline build turned a true 1.5× into "n.s." in 17 of 20
  matrices). With one build per round it is that build: intervals need rounds, not builds.
- Paired by round (`summary`: rounds interleave the scenarios, so drift shared by a round cancels): d_r = log(stat
  of other in round r ÷ stat of base in round r) over the rounds *both* sides ran. Ratio exp(mean d), interval
  exp(mean d ± t(R−1)·s/√R), test: one-sample t-test of mean d = 0 (Student 1908) — interval and test are the same
  computation, so they never disagree, and nothing is resampled from rounds one side never ran.
- Unpaired (`compare`: rounds of two runs are not shared in time): the difference of the mean log round statistics,
  Welch's interval and test with Satterthwaite's degrees of freedom, each run over its own rounds.
  The t-interval replaced a hierarchical percentile bootstrap, which under-covered with 2–5 top-level units (77–93 %
  at 2–3 rounds) and counted build noise twice; the coverage is proven in tests/unit/test_claims_simulation.py.
The hierarchical bootstrap below (`resamples`, `resampled_medians`) still serves the growth fits.
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


def low_median(values: Sequence[float]) -> float:
    """The middle value, the lower of the two middle ones for an even count (robust to one slow build at n ≥ 2)."""
    ordered = sorted(values)
    return float(ordered[(len(ordered) - 1) // 2])


def round_medians(values: Sequence[float], rounds: Sequence[int]) -> dict[int, float]:
    """The robust statistic (`low_median`) of each round's builds."""
    grouped: dict[int, list[float]] = {}
    for value, number in zip(values, rounds):
        grouped.setdefault(number, []).append(value)
    return {number: low_median(members) for number, members in grouped.items()}


def round_logs(values: Sequence[float], rounds: Sequence[int]) -> dict[int, float] | None:
    """log of each round's statistic; None when any is 0 s (below the builder's resolution: no ratio exists)."""
    found = round_medians(values, rounds)
    if any(value <= 0 for value in found.values()):
        return None
    return {number: math.log(value) for number, value in found.items()}


@dataclass(frozen=True)
class Estimate:
    """A log ratio with its standard error and degrees of freedom (t distribution), and how many rounds made it."""

    log_ratio: float
    se: float
    df: float
    rounds: int

    def interval(self, confidence: float) -> tuple[float, float]:
        """exp(log ratio ± t(df)·se); zero width when the rounds agree exactly."""
        half = float(stats.t.ppf((1 + confidence) / 2, self.df)) * self.se if self.se > 0 else 0.0
        return math.exp(self.log_ratio - half), math.exp(self.log_ratio + half)

    @property
    def p_value(self) -> float:
        """Two-sided t-test of log ratio 0; with no spread 1 when the rounds agree on 0, else 0."""
        if self.se == 0:
            return 1.0 if self.log_ratio == 0 else 0.0
        return min(1.0, float(2 * stats.t.sf(abs(self.log_ratio) / self.se, self.df)))


def paired_estimate(base: dict[int, float], other: dict[int, float]) -> Estimate | None:
    """Mean of d_r = other_r − base_r (log round statistics) over the rounds both ran; None below `MIN_ROUNDS`."""
    shared = sorted(base.keys() & other.keys())
    if len(shared) < MIN_ROUNDS:
        return None
    d = np.array([other[r] - base[r] for r in shared])
    return Estimate(float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size)), d.size - 1, d.size)


def welch_estimate(a: dict[int, float], b: dict[int, float]) -> Estimate | None:
    """mean(b) − mean(a) of log round statistics, each run over its own rounds, with Welch–Satterthwaite degrees
    of freedom (Welch 1947); None below `MIN_ROUNDS` rounds on either side."""
    if min(len(a), len(b)) < MIN_ROUNDS:
        return None
    x, y = np.array(list(a.values())), np.array(list(b.values()))
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1)) if se > 0 else x.size + y.size - 2
    return Estimate(float(y.mean() - x.mean()), se, float(df), min(x.size, y.size))
