"""Properties the statistics must keep for any data (hypothesis): intervals contain their estimate, a scenario
compared with itself shows no difference, and scaling a scenario's times by k scales its ratio by k."""

from __future__ import annotations

import statistics

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from harness.analysis import stats

# Build-step times: positive, from a millisecond to minutes, rounded like a clock (ties happen).
times = st.floats(min_value=0.001, max_value=300.0, allow_nan=False).map(lambda x: round(x, 4))
samples = st.lists(times, min_size=6, max_size=14)
small_samples = st.lists(times, min_size=1, max_size=14)
factors = st.floats(min_value=0.05, max_value=20.0, allow_nan=False)
#: Local settings (not a global profile: other test modules keep theirs). No deadline: bootstraps take ms.
examples = settings(max_examples=60, deadline=None)


@examples
@given(small_samples)
def test_median_interval_contains_the_median(values: list[float]) -> None:
    interval = stats.median_ci(values)
    if len(values) < stats.MIN_N_CI:
        assert interval is None
    else:
        assert interval[0] <= statistics.median(values) <= interval[1]
        assert min(values) <= interval[0] and interval[1] <= max(values)


@examples
@given(samples, samples)
def test_ratio_interval_contains_the_ratio_of_medians(base: list[float], other: list[float]) -> None:
    low, high = stats.ratio_ci(base, other, seed=stats.seed_from("p"))
    ratio = stats.ratio_of_medians(base, other)
    assert low <= ratio * (1 + 1e-9) and ratio <= high * (1 + 1e-9)


@examples
@given(samples)
def test_identical_samples_give_ratio_one_and_no_significance(values: list[float]) -> None:
    diff = stats.difference(values, list(values), seed=1)
    assert diff.ratio == 1.0
    assert diff.ci_low <= 1.0 <= diff.ci_high
    assert diff.p_value == 1.0
    (adjusted,) = stats.adjust_pvalues([diff.p_value])
    assert stats.verdict(adjusted, diff) not in (stats.SLOWER, stats.FASTER)


@examples
@given(samples, samples, factors)
def test_scaling_one_scenario_by_k_scales_its_ratio_and_interval_by_k(base: list[float], other: list[float],
                                                                      k: float) -> None:
    plain = stats.difference(base, other, seed=99)
    scaled = stats.difference(base, [k * x for x in other], seed=99)
    assert scaled.ratio == _approx(k * plain.ratio)
    assert (scaled.ci_low, scaled.ci_high) == (_approx(k * plain.ci_low), _approx(k * plain.ci_high))


@examples
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=30))
def test_adjusted_p_values_are_valid_and_never_below_the_raw_ones(p_values: list[float]) -> None:
    adjusted = stats.adjust_pvalues(p_values)
    assert all(0.0 <= q <= 1.0 and q >= p - 1e-12 for p, q in zip(p_values, adjusted))


@examples
@given(st.lists(times, min_size=4, max_size=8), st.lists(times, min_size=4, max_size=8))
def test_p_value_is_a_probability_and_symmetric_in_its_arguments(a: list[float], b: list[float]) -> None:
    p = stats.mann_whitney_p(a, b)
    assert 0.0 < p <= 1.0
    assert p == _approx(stats.mann_whitney_p(b, a))


def _approx(value: float):
    import pytest

    return pytest.approx(value, rel=1e-9)


# --- verdicts and what is printed next to them -------------------------------------------------------------

ratios = st.floats(min_value=0.2, max_value=5.0, allow_nan=False)
p_values = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
half_widths = st.floats(min_value=0.0, max_value=0.2, allow_nan=False)


def _printed_bounds(text: str) -> tuple[float, float]:
    low, high = text.strip("[]").split(", ")
    return float(low), float(high)


@settings(max_examples=400, deadline=None)
@given(ratios, ratios, p_values, half_widths, st.booleans())
def test_printed_interval_and_verdict_never_contradict(a: float, b: float, p: float | None, half: float,
                                                       narrower: bool) -> None:
    from harness.export import numbers

    low, high = min(a, b), max(a, b)
    assume(abs(low - 1) > 1e-6 and abs(high - 1) > 1e-6)  # six decimals are the most a table prints
    delta = max(half, 0.01)
    eq = (low, high) if not narrower else ((2 * low + high) / 3, (low + 2 * high) / 3)  # the 90 % inside the 95 %
    verdict = stats.verdict(p, stats.Difference(None, low, high, None, *eq), delta)
    printed_low, printed_high = _printed_bounds(numbers.ratio_interval(low, high))
    if verdict in (stats.SLOWER, stats.FASTER):
        assert p is not None and p < stats.DEFAULT_ALPHA
        assert high < 1 / (1 + delta) or low > 1 + delta
        assert printed_high < 1 or printed_low > 1  # the printed interval excludes 1 too
    if verdict == stats.EQUIVALENT:
        assert 1 / (1 + delta) < eq[0] and eq[1] < 1 + delta  # never where the interval reaches beyond δ
    if verdict == stats.INCONCLUSIVE:
        assert not (1 / (1 + delta) < eq[0] and eq[1] < 1 + delta)
