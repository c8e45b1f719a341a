"""Statistics for benchmark samples: pure functions, no I/O, each naming its method and source.

Build-step timings are few (≈6 per cell), skewed to the right and sometimes tied (coarse clocks), so everything here
is distribution-free: medians with order-statistic intervals, a rank test, and a bootstrap for the ratio of medians.
scipy is used where it has the method and is imported inside the functions that need it, so that importing this
module (the runner does, for `median_ci`) stays cheap.

Thresholds follow the tools users already know: benchstat (golang.org/x/perf/benchmath) needs ≥ 6 samples for a
95 % median interval and ≥ 4 for a test at α = 0.05; pyperf warns when the standard deviation reaches 10 % of the mean.
"""

from __future__ import annotations

import functools
import hashlib
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
#: Below this many samples per group the Mann–Whitney test cannot reach p < 0.05 (min two-sided p at 3 vs 3 is 0.1).
MIN_N_TEST = 4
#: Smallest n whose order-statistic interval reaches 95 % coverage (n = 5 gives at most 93.75 %).
MIN_N_CI = 6
DEFAULT_ALPHA = 0.05


def level(confidence: float) -> str:
    """An interval's level as its label says it: 0.95 → "95%", 0.98333 → "98.3%"."""
    return f"{confidence * 100:.3g}%"

#: The declared smallest effect of interest δ (matrix `min_effect`, --min-effect): a ratio within ±δ (on the log
#: scale: [1/(1+δ), 1+δ]) is too small to matter for a build farm, so "slower" needs the whole interval beyond it
#: and "equivalent" needs the 90 % interval inside it (two one-sided tests).
DEFAULT_MIN_EFFECT = 0.05
#: pyperf's instability threshold (pyperf/_cli.py format_checks): stdev ≥ 10 % of the mean.
CV_THRESHOLD = 0.10
#: Outlier threshold on the modified z-score of Iglewicz & Hoaglin (1993), "How to Detect and Handle Outliers",
#: ASQC. Their 3.5 suits larger samples: with 6 normal samples (σ 3 %) it flags 14 % of cells that hold no outlier,
#: since a 6-sample MAD is itself noisy. 7 flags 3 % and still catches 84 % of single +35 % spikes (simulated);
#: hyperfine (src/outlier_detection.rs) uses 10 (|x − median| / MAD > 14.826).
OUTLIER_Z = 7.0
#: The first measured repetition is flagged when it is the slowest and this much above the others' median.
FIRST_REP_EXCESS = 0.10
BOOTSTRAP_RESAMPLES = 9999
#: Exact permutation tests enumerate C(m+n, m) splits; 12 870 (8 vs 8) takes ~0.1 s, beyond that use the normal
#: approximation, which is accurate by then.
EXACT_PERMUTATION_LIMIT = 13_000
_SEED_SALT = "harness-stats-v1"


@dataclass(frozen=True)
class Description:
    """What one cell's successful, non-warmup samples say on their own (seconds; None where undefined)."""

    n: int
    median: float | None
    ci_low: float | None
    ci_high: float | None
    minimum: float | None
    maximum: float | None
    cv: float | None
    mad: float | None


@dataclass(frozen=True)
class Difference:
    """How `other` relates to `base`: the ratio (other ÷ base), its 95 % interval, the 90 % interval the
    equivalence test needs (eq_*), the raw test p-value, and — where a verdict cannot be given — what is missing."""

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    eq_low: float | None = None
    eq_high: float | None = None
    missing: str | None = None


@functools.lru_cache(maxsize=1024)
def order_statistic_rank(n: int, confidence: float = CONFIDENCE) -> int | None:
    """The r for which [x_(r), x_(n-r+1)] is the narrowest symmetric interval covering the median with `confidence`.

    Method: distribution-free order-statistic interval for the median; the number of samples below the population
    median is Binomial(n, ½), so coverage is 1 − 2·P(B ≤ r − 1) (Conover, Practical Nonparametric Statistics,
    3rd ed., §3.2; Hahn & Meeker, Statistical Intervals, §5.2). Exact rational arithmetic, so no rounding decides.
    """
    if n < 1:
        return None
    tail = Fraction(1 - Fraction(confidence).limit_denominator(10**9), 2)
    cumulative, rank = Fraction(0), 0
    for k in range(n):
        cumulative += Fraction(math.comb(n, k), 2**n)
        if cumulative > tail:
            break
        rank = k + 1
    return rank or None


def median_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Distribution-free interval for the median (see `order_statistic_rank`); None when n is too small for it.

    At 95 % this needs n ≥ 6 (then it is [min, max]). The runner stops adding repetitions to a cell once
    (high − low) / 2 / median ≤ its target.
    """
    rank = order_statistic_rank(len(values), confidence)
    if rank is None:
        return None
    ordered = sorted(values)
    return float(ordered[rank - 1]), float(ordered[len(ordered) - rank])


def coefficient_of_variation(values: Sequence[float]) -> float | None:
    """Sample standard deviation ÷ mean (ddof = 1), pyperf's spread measure; None for n < 2 or a mean ≤ 0."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return statistics.stdev(values) / mean if mean > 0 else None


def median_abs_deviation(values: Sequence[float]) -> float | None:
    """Median of |x − median| in the data's unit, unscaled (as scipy.stats.median_abs_deviation(scale=1))."""
    if not values:
        return None
    centre = statistics.median(values)
    return statistics.median(abs(value - centre) for value in values)


def modified_z_scores(values: Sequence[float]) -> list[float] | None:
    """M_i = 0.6745 (x_i − median) / MAD (Iglewicz & Hoaglin 1993); None when MAD is 0 (no robust scale).

    0.6745 is Φ⁻¹(¾): it makes the MAD a consistent estimate of σ for normal data, so M reads like a z-score.
    """
    mad = median_abs_deviation(values)
    if not mad:
        return None
    centre = statistics.median(values)
    return [0.6745 * (value - centre) / mad for value in values]


def outlier_indices(values: Sequence[float], threshold: float = OUTLIER_Z) -> tuple[int, ...]:
    """Positions of samples whose |modified z-score| exceeds `threshold` (see `OUTLIER_Z`)."""
    scores = modified_z_scores(values)
    if scores is None:
        return ()
    return tuple(index for index, score in enumerate(scores) if abs(score) > threshold)


def first_rep_excess(values_in_order: Sequence[float]) -> float | None:
    """How much slower the first measured sample is than the median of the rest (0.2 = 20 %), if it is the slowest.

    A slow first repetition means warmup was too short: caches, the daemon or the page cache were still settling.
    None when there are fewer than 4 samples or the first is not the maximum.
    """
    if len(values_in_order) < MIN_N_TEST:
        return None
    first, rest = values_in_order[0], values_in_order[1:]
    rest_median = statistics.median(rest)
    if first <= max(rest) or rest_median <= 0:
        return None
    return first / rest_median - 1


def describe(values: Sequence[float], confidence: float = CONFIDENCE) -> Description:
    """n, median with its order-statistic interval, min/max, CV and MAD of one cell."""
    if not values:
        return Description(0, None, None, None, None, None, None, None)
    interval = median_ci(values, confidence)
    low, high = interval if interval else (None, None)
    return Description(
        n=len(values), median=float(statistics.median(values)), ci_low=low, ci_high=high,
        minimum=float(min(values)), maximum=float(max(values)),
        cv=coefficient_of_variation(values), mad=median_abs_deviation(values))


def ratio_of_medians(base: Sequence[float], other: Sequence[float]) -> float | None:
    """median(other) ÷ median(base); None when either is empty or the base median is not positive."""
    if not base or not other:
        return None
    denominator = statistics.median(base)
    return float(statistics.median(other) / denominator) if denominator > 0 else None


def seed_from(*parts: object) -> int:
    """A 64-bit seed derived from `parts` (e.g. the cell's key), so a bootstrap gives the same interval every time
    and does not depend on which other cells were computed first."""
    digest = hashlib.sha256("|".join([_SEED_SALT, *map(str, parts)]).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _median_ratio_statistic(base, other, axis=-1):  # numpy arrays in, numpy array out (scipy's vectorized form)

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.median(other, axis=axis) / np.median(base, axis=axis)


def ratio_ci(base: Sequence[float], other: Sequence[float], seed: int, confidence: float = CONFIDENCE,
             n_resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float] | None:
    """Interval for median(other) ÷ median(base): percentile bootstrap, groups resampled independently.

    Method: scipy.stats.bootstrap(method="percentile") (Efron & Tibshirani 1993, ch. 13). We chose the percentile
    interval over BCa because in simulations of 6-vs-6 skewed or rounded timings it kept ≥ 94.5 % coverage, while
    BCa fell to ~88 % with ties and returns NaN when the jackknife is degenerate. The inputs are sorted and the
    generator is seeded from `seed`, so the interval is reproducible and independent of sample order.
    Fallbacks: None below `MIN_N_CI` samples in a group or when the ratio is undefined (base median ≤ 0, or
    resampled base medians of 0); a zero-width interval at the ratio when both groups are constant (no variation to
    resample, the ratio is exact).
    """
    point = ratio_of_medians(base, other)
    if point is None or min(len(base), len(other)) < MIN_N_CI:
        return None
    if len(set(base)) == 1 and len(set(other)) == 1:
        return point, point

    result = stats.bootstrap(
        (np.sort(np.asarray(base, float)), np.sort(np.asarray(other, float))), _median_ratio_statistic,
        n_resamples=n_resamples, vectorized=True, paired=False, confidence_level=confidence,
        method="percentile", rng=np.random.default_rng(seed))
    low, high = (float(bound) for bound in result.confidence_interval)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return low, high


def mann_whitney_p(base: Sequence[float], other: Sequence[float]) -> float | None:
    """Two-sided Mann–Whitney U p-value (Mann & Whitney 1947), None below `MIN_N_TEST` samples in a group.

    Method: scipy.stats.mannwhitneyu. Its exact distribution assumes no ties, so: without ties and with at most
    `EXACT_PERMUTATION_LIMIT` splits, method="exact"; with ties and as few splits, an exact permutation test of U
    (scipy.stats.PermutationMethod with n_resamples ≥ the number of splits enumerates them all: deterministic;
    two-sided p is twice the smaller tail, as tied null distributions need not be symmetric);
    otherwise the tie-corrected normal approximation with continuity correction. Identical constant data give 1.
    """
    if min(len(base), len(other)) < MIN_N_TEST:
        return None
    pooled = [*base, *other]
    if len(set(pooled)) == 1:
        return 1.0

    splits = math.comb(len(pooled), len(base))
    if splits > EXACT_PERMUTATION_LIMIT:
        method: object = "asymptotic"
    elif len(set(pooled)) == len(pooled):
        method = "exact"
    else:
        method = stats.PermutationMethod(n_resamples=splits)
    result = stats.mannwhitneyu(base, other, alternative="two-sided", method=method)
    return min(1.0, float(result.pvalue))


def adjust_pvalues(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg adjusted p-values (1995) over the non-None entries; None entries stay None.

    Method: scipy.stats.false_discovery_control(method="bh"). It bounds the expected share of false "significant"
    rows in a table at α. We prefer it to Holm's family-wise control because exact Mann–Whitney p-values have a
    floor (2/924 ≈ 0.0022 at 6 vs 6): with Holm, a matrix of more than ~22 comparisons could never show a
    significant difference, however large.
    """
    present = [p for p in p_values if p is not None]
    if not present:
        return [None] * len(p_values)

    adjusted = iter(float(q) for q in stats.false_discovery_control(present, method="bh"))
    return [None if p is None else next(adjusted) for p in p_values]


@dataclass(frozen=True)
class NoiseFloor:
    """What a run's verdicts are judged against: the declared smallest effect δ, and what the A/A control says.

    low/high: the ±δ band [1/(1+δ), 1+δ] (log-symmetric, so a floor never favours one direction). method "aa": the
    run has an A/A control (two identical scenarios); aa_low/aa_high is its whole-build 95 % interval (widest over
    workloads) and `detectable` its half-width on the log scale as a fraction, the run's smallest detectable effect.
    The control is a diagnostic, not a margin: an A/A interval that excludes 1 means the run is broken or drifting.
    """

    method: str
    low: float
    high: float
    min_effect: float = DEFAULT_MIN_EFFECT
    aa_low: float | None = None
    aa_high: float | None = None
    detectable: float | None = None

    @property
    def aa_excludes_one(self) -> bool:
        return self.aa_low is not None and self.aa_high is not None and not self.aa_low <= 1 <= self.aa_high


def declared(min_effect: float = DEFAULT_MIN_EFFECT) -> NoiseFloor:
    """The ±δ band of a run without an A/A control."""
    return NoiseFloor("none", 1 / (1 + min_effect), 1 + min_effect, min_effect)


def with_control(min_effect: float, intervals: Sequence[tuple[float, float]]) -> NoiseFloor:
    """The ±δ band plus the A/A diagnostic from the control's whole-build intervals (one per workload): the widest
    of them, its half-width on the log scale as the smallest detectable effect."""
    low, high = min(i[0] for i in intervals), max(i[1] for i in intervals)
    half = max((math.log(h) - math.log(lo)) / 2 for lo, h in intervals)
    return NoiseFloor("aa", 1 / (1 + min_effect), 1 + min_effect, min_effect, low, high, math.exp(half) - 1)


SLOWER, FASTER, EQUIVALENT, INCONCLUSIVE, UNTESTED = "slower", "faster", "equivalent", "inconclusive", "untested"
VERDICTS = (SLOWER, FASTER, EQUIVALENT, INCONCLUSIVE, UNTESTED)


def verdict(p_adjusted: float | None, diff: Difference, min_effect: float = DEFAULT_MIN_EFFECT,
            alpha: float = DEFAULT_ALPHA) -> str:
    """One cell's verdict from the adjusted test, the 95 % interval and the 90 % interval, against ±δ:

    slower / faster — p_adj < α and the 95 % interval lies wholly beyond 1+δ (above) or 1/(1+δ) (below);
    equivalent      — the 90 % interval lies inside [1/(1+δ), 1+δ]: both one-sided tests at α = 5 % reject an
                      effect of δ or more (TOST; Schuirmann 1987, Lakens 2017);
    inconclusive    — neither: the data cannot tell an effect of δ from none (more rounds narrow the interval);
    untested        — no p-value or no interval (`diff.missing` says what is missing).
    """
    if p_adjusted is None or diff.ci_low is None or diff.ci_high is None:
        return UNTESTED
    upper, lower = 1 + min_effect, 1 / (1 + min_effect)
    if p_adjusted < alpha and diff.ci_low > upper:
        return SLOWER
    if p_adjusted < alpha and diff.ci_high < lower:
        return FASTER
    if diff.eq_low is not None and diff.eq_high is not None and lower < diff.eq_low and diff.eq_high < upper:
        return EQUIVALENT
    return INCONCLUSIVE


def half_width(low: float | None, high: float | None) -> float | None:
    """An interval's half-width on the log scale, as a fraction (0.05: the interval spans about ±5 %)."""
    if low is None or high is None or low <= 0:
        return None
    return math.exp((math.log(high) - math.log(low)) / 2) - 1


def geometric_mean(values: Sequence[float]) -> float | None:
    """exp(mean(log x)) — the average of ratios that treats 2× and ½× symmetrically (Fleming & Wallace 1986,
    "How not to lie with statistics: the correct way to summarize benchmark results"). None if empty or any x ≤ 0."""
    if not values or min(values) <= 0:
        return None
    return math.exp(math.fsum(math.log(value) for value in values) / len(values))


def difference(base: Sequence[float], other: Sequence[float], seed: int,
               confidence: float = CONFIDENCE) -> Difference:
    """Ratio of medians with its bootstrap intervals (95 % and the 90 % for the equivalence test) and the
    Mann–Whitney p-value, for `other` against `base`."""
    interval = ratio_ci(base, other, seed, confidence)
    narrow = ratio_ci(base, other, seed, 1 - 2 * (1 - confidence)) if interval else None
    low, high = interval if interval else (None, None)
    eq_low, eq_high = narrow if narrow else (None, None)
    p_value = mann_whitney_p(base, other)
    missing = None
    if interval is None or p_value is None:
        missing = f"{min(len(base), len(other))} builds on one side: the build-level interval needs {MIN_N_CI}"
    return Difference(ratio=ratio_of_medians(base, other), ci_low=low, ci_high=high, p_value=p_value,
                      eq_low=eq_low, eq_high=eq_high, missing=missing)
