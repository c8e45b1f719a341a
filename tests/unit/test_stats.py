"""harness.analysis.stats against independent computations: hand-worked small cases, brute-force enumeration, and
reference calls into scipy/numpy that our code does not use for the same quantity."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest
from scipy import stats as sp

from harness.analysis import stats

SEPARATED_A = [1.00, 1.02, 1.04, 1.06, 1.08, 1.10]
SEPARATED_B = [2.00, 2.04, 2.08, 2.12, 2.16, 2.20]


# --- median and its interval -------------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "rank"), [(5, None), (6, 1), (8, 1), (9, 2), (11, 2), (12, 3), (20, 6)])
def test_order_statistic_rank_matches_hand_worked_binomial_tails(n: int, rank: int | None) -> None:
    # n = 6: P(B ≤ 0) = 1/64, coverage 1 − 2/64 = 0.969 ≥ 0.95; n = 5: 1 − 2/32 = 0.9375 < 0.95.
    # n = 9: P(B ≤ 1) = 10/512 → 0.961 with r = 2; P(B ≤ 2) = 46/512 → 0.820 fails, so r = 2.
    assert stats.order_statistic_rank(n) == rank


@pytest.mark.parametrize("n", range(1, 60))
def test_rank_is_the_largest_that_keeps_95_percent_coverage(n: int) -> None:
    rank = stats.order_statistic_rank(n)
    def coverage(r: int) -> float:
        return 1 - 2 * sp.binom.cdf(r - 1, n, 0.5)
    if rank is None:
        assert coverage(1) < 0.95
    else:
        assert coverage(rank) >= 0.95 and (rank + 1 > n / 2 or coverage(rank + 1) < 0.95)


@pytest.mark.parametrize("n", [6, 7, 9, 12, 17, 25, 40])
def test_median_ci_equals_scipy_quantile_test_interval(n: int) -> None:
    values = list(np.random.default_rng(n).lognormal(0, 0.1, n))
    reference = sp.quantile_test(values, q=float(np.median(values)), p=0.5).confidence_interval(0.95)
    assert stats.median_ci(values) == pytest.approx((reference.low, reference.high))


def test_median_ci_needs_six_samples_and_is_min_max_at_six() -> None:
    assert stats.median_ci([3.0, 1.0, 2.0, 5.0, 4.0]) is None
    assert stats.median_ci([]) is None
    assert stats.median_ci([3.0, 1.0, 2.0, 6.0, 4.0, 5.0]) == (1.0, 6.0)
    assert stats.median_ci(list(range(1, 13))) == (3.0, 10.0)  # r = 3 at n = 12


def test_describe_reports_counts_extremes_and_spread() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 10.0, 6.0]
    described = stats.describe(values)
    assert (described.n, described.median, described.minimum, described.maximum) == (6, 3.5, 1.0, 10.0)
    assert described.cv == pytest.approx(np.std(values, ddof=1) / np.mean(values))
    assert described.mad == pytest.approx(sp.median_abs_deviation(values))
    assert stats.describe([]).median is None


# --- robust warnings ---------------------------------------------------------------------------------------

def test_modified_z_scores_by_hand() -> None:
    # median 3, |x − 3| = 2 1 0 1 97 → MAD 1; M = 0.6745 (x − 3)
    assert stats.modified_z_scores([1, 2, 3, 4, 100]) == pytest.approx([-1.349, -0.6745, 0, 0.6745, 65.4265])
    assert stats.outlier_indices([1, 2, 3, 4, 100]) == (4,)
    assert stats.outlier_indices([10, 10, 10, 10, 11]) == ()  # MAD 0: no robust scale, no verdict


def test_first_rep_excess_only_when_the_first_is_the_slowest() -> None:
    assert stats.first_rep_excess([1.5, 1.0, 1.0, 1.0, 1.2]) == pytest.approx(0.5)
    assert stats.first_rep_excess([1.0, 1.5, 1.0, 1.0]) is None
    assert stats.first_rep_excess([2.0, 1.0, 1.0]) is None  # too few to tell


def test_coefficient_of_variation_matches_numpy() -> None:
    values = [0.9, 1.1, 1.0, 1.3]
    assert stats.coefficient_of_variation(values) == pytest.approx(np.std(values, ddof=1) / np.mean(values))
    assert stats.coefficient_of_variation([1.0]) is None


# --- Mann–Whitney U ----------------------------------------------------------------------------------------

def _brute_force_two_sided_p(a: list[float], b: list[float]) -> float:
    """Permutation p-value of U by enumerating every split of the pooled data (ties get half credit); two-sided
    as twice the smaller tail, capped at 1 (scipy.stats.permutation_test's definition)."""
    pooled, m = a + b, len(a)

    def u_of(first: list[float], second: list[float]) -> float:
        return sum((x > y) + 0.5 * (x == y) for x in first for y in second)

    observed = u_of(a, b)
    null = []
    for chosen in itertools.combinations(range(len(pooled)), m):
        first = [pooled[i] for i in chosen]
        null.append(u_of(first, [pooled[i] for i in range(len(pooled)) if i not in chosen]))
    upper = sum(u >= observed - 1e-12 for u in null) / len(null)
    lower = sum(u <= observed + 1e-12 for u in null) / len(null)
    return min(1.0, 2 * min(upper, lower))


def test_fully_separated_six_vs_six_has_the_exact_minimum_p() -> None:
    assert stats.mann_whitney_p(SEPARATED_A, SEPARATED_B) == pytest.approx(2 / math.comb(12, 6))


@pytest.mark.parametrize(("a", "b"), [
    ([1.0, 2.0, 2.0, 3.0, 4.0, 5.0], [2.0, 3.0, 3.0, 5.0, 6.0, 7.0]),  # ties: exact permutation path
    ([1.0, 1.0, 1.0, 2.0], [1.0, 2.0, 2.0, 2.0, 3.0]),
    ([0.31, 0.29, 0.35, 0.30, 0.33], [0.36, 0.28, 0.40, 0.38, 0.37]),  # no ties: exact path
])
def test_p_value_matches_brute_force_enumeration(a: list[float], b: list[float]) -> None:
    assert stats.mann_whitney_p(a, b) == pytest.approx(_brute_force_two_sided_p(a, b))


def test_large_samples_use_scipys_asymptotic_test() -> None:
    rng = np.random.default_rng(3)
    a, b = list(rng.normal(10, 1, 30).round(1)), list(rng.normal(10.5, 1, 30).round(1))
    expected = sp.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic").pvalue
    assert stats.mann_whitney_p(a, b) == pytest.approx(expected)


def test_no_test_below_four_samples_and_constant_data_give_p_one() -> None:
    assert stats.mann_whitney_p([1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]) is None
    assert stats.mann_whitney_p([2.0] * 5, [2.0] * 6) == 1.0


# --- multiple comparisons ----------------------------------------------------------------------------------

def test_benjamini_hochberg_by_hand_and_nones_kept_in_place() -> None:
    # sorted p: 0.01 0.02 0.03 0.5 (m = 4) → 0.04 0.04 0.04 0.5 after the step-up minimum
    assert stats.adjust_pvalues([0.5, None, 0.01, 0.03, 0.02]) == pytest.approx([0.5, None, 0.04, 0.04, 0.04])
    assert stats.adjust_pvalues([None, None]) == [None, None]


def interval(low: float | None, high: float | None, eq_low: float | None = None, eq_high: float | None = None
             ) -> stats.Difference:
    return stats.Difference(None, low, high, None, eq_low, eq_high)


def test_slower_and_faster_need_a_small_p_and_the_interval_wholly_beyond_delta() -> None:
    assert stats.verdict(0.01, interval(1.06, 1.15), 0.05) == stats.SLOWER
    assert stats.verdict(0.01, interval(0.5, 0.9), 0.05) == stats.FASTER
    assert stats.verdict(0.01, interval(1.01, 1.15), 0.05) == stats.INCONCLUSIVE  # excludes 1, reaches into ±5 %
    assert stats.verdict(0.01, interval(1.01, 1.15), 0.005) == stats.SLOWER  # a smaller declared effect
    assert stats.verdict(0.2, interval(2.5, 3.5), 0.05) == stats.INCONCLUSIVE  # beyond δ, the test does not reject
    assert stats.verdict(0.01, interval(0.96, 0.99), 0.05) == stats.INCONCLUSIVE  # faster, but by less than δ
    assert stats.verdict(None, interval(2.5, 3.5), 0.05) == stats.UNTESTED
    assert stats.verdict(0.01, interval(None, None), 0.05) == stats.UNTESTED


def test_equivalent_needs_the_ninety_percent_interval_inside_delta() -> None:
    assert stats.verdict(0.6, interval(0.97, 1.04, 0.98, 1.03), 0.05) == stats.EQUIVALENT
    assert stats.verdict(0.6, interval(0.94, 1.06, 0.95, 1.051), 0.05) == stats.INCONCLUSIVE
    assert stats.verdict(0.01, interval(1.01, 1.04, 1.015, 1.035), 0.05) == stats.EQUIVALENT  # real, but small
    assert stats.verdict(0.6, interval(0.97, 1.04), 0.05) == stats.INCONCLUSIVE  # no 90 % interval


def test_the_control_is_a_diagnostic_with_the_smallest_detectable_effect() -> None:
    floor = stats.with_control(0.05, [(0.98, 1.01), (0.99, 1.04)])
    assert floor.method == "aa" and (floor.low, floor.high) == pytest.approx((1 / 1.05, 1.05))
    assert floor.detectable == pytest.approx(math.sqrt(1.04 / 0.99) - 1)  # the wider half-width, log scale
    assert not floor.aa_excludes_one
    assert stats.with_control(0.05, [(1.02, 1.06)]).aa_excludes_one
    assert stats.declared(0.05) == stats.NoiseFloor("none", 1 / 1.05, 1.05, 0.05)


# --- ratio of medians --------------------------------------------------------------------------------------

def test_ratio_ci_is_reproducible_order_independent_and_brackets_the_ratio() -> None:
    seed = stats.seed_from("seed", 2, "vfs")
    first = stats.ratio_ci(SEPARATED_A, SEPARATED_B, seed)
    assert first == stats.ratio_ci(SEPARATED_A[::-1], SEPARATED_B[::-1], seed)
    low, high = first
    assert low <= stats.ratio_of_medians(SEPARATED_A, SEPARATED_B) <= high
    # every resampled ratio lies between min(B)/max(A) and max(B)/min(A)
    assert 2.00 / 1.10 <= low <= high <= 2.20 / 1.00


def test_ratio_ci_matches_a_direct_scipy_bootstrap_call() -> None:
    seed = 1234
    ours = stats.ratio_ci(SEPARATED_A, SEPARATED_B, seed)
    reference = sp.bootstrap((np.array(SEPARATED_A), np.array(SEPARATED_B)),
                             lambda a, b, axis=-1: np.median(b, axis=axis) / np.median(a, axis=axis),
                             vectorized=True, method="percentile", n_resamples=9999,
                             rng=np.random.default_rng(seed)).confidence_interval
    assert ours == pytest.approx((reference.low, reference.high))


def test_ratio_ci_fallbacks() -> None:
    assert stats.ratio_ci(SEPARATED_A[:5], SEPARATED_B, 1) is None  # too few for a 95 % interval
    assert stats.ratio_ci([0.0] * 6, SEPARATED_B, 1) is None  # base median 0: ratio undefined
    assert stats.ratio_ci([2.0] * 6, [3.0] * 6, 1) == (1.5, 1.5)  # constant: the ratio is exact
    assert stats.ratio_of_medians([], [1.0]) is None


def test_difference_bundles_ratio_interval_and_p() -> None:
    diff = stats.difference(SEPARATED_A, SEPARATED_B, seed=7)
    assert diff.ratio == pytest.approx(statistics.median(SEPARATED_B) / statistics.median(SEPARATED_A))
    assert diff.ci_low is not None and diff.p_value == pytest.approx(2 / 924)


def test_geometric_mean_matches_scipy() -> None:
    values = [4.2, 0.5, 9.2, 1.01]
    assert stats.geometric_mean(values) == pytest.approx(sp.gmean(values))
    assert stats.geometric_mean([2.0, 0.5]) == pytest.approx(1.0)
    assert stats.geometric_mean([]) is None


def test_seed_depends_only_on_the_key() -> None:
    assert stats.seed_from("w", 1, "s") == stats.seed_from("w", 1, "s") != stats.seed_from("w", 2, "s")
    assert 0 <= stats.seed_from("x") < 2**64
