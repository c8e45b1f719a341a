"""The pooled analysis over machines (harness.analysis.machines): known answers, and simulations through the real
pooling code that check what the issue asks — no false "slower/faster" beyond 5 % when every machine's scenarios
are the same in expectation but machines differ by σ 10 %, and 93–97 % coverage of the true ratio over ≥ 5 machines.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.analysis import machines
from harness.analysis.machines import MachineEstimate, pool

SIGMA_MACHINE = 0.10  # machine-to-machine variation of the effect (log scale ≈ fraction)
SIGMA_ROUND = 0.06  # session-to-session noise of one machine's per-round log ratio
ROUNDS = 5


def simulated_machines(rng: np.random.Generator, k: int, true_ratio: float) -> list[MachineEstimate]:
    """k machines; each has its own true effect (log-normal around `true_ratio`, σ 10 %) and measures it in
    `ROUNDS` daemon sessions: its estimate is the mean per-round log ratio with a t-interval, as a machine's own
    rounds give it."""
    estimates = []
    for index in range(k):
        own = math.log(true_ratio) + rng.normal(0, SIGMA_MACHINE)
        rounds = own + rng.normal(0, SIGMA_ROUND, ROUNDS)
        mean, se = rounds.mean(), rounds.std(ddof=1) / math.sqrt(ROUNDS)
        half = 2.776 * se  # t(0.975, 4)
        estimates.append(MachineEstimate(f"m{index}", math.exp(mean), math.exp(mean - half), math.exp(mean + half),
                                         p_value=None))
    return estimates


@pytest.mark.parametrize("k", [5, 8, 12])
def test_identical_scenarios_rarely_called_slower_or_faster(k: int) -> None:
    rng = np.random.default_rng(2026 + k)
    trials = 1500
    wrong = sum(pool(simulated_machines(rng, k, 1.0)).verdict in (machines.SLOWER, machines.FASTER)
                for _ in range(trials))
    assert wrong / trials <= 0.05


@pytest.mark.parametrize("k,true_ratio", [(5, 1.0), (5, 3.0), (10, 1.3), (12, 0.8)])
def test_pooled_interval_covers_the_true_ratio_93_to_97_percent(k: int, true_ratio: float) -> None:
    rng = np.random.default_rng(7 * k)
    trials = 2000
    covered = 0
    for _ in range(trials):
        pooled = pool(simulated_machines(rng, k, true_ratio))
        covered += pooled.ci_low <= true_ratio <= pooled.ci_high
    assert 0.93 <= covered / trials <= 0.97


def test_a_clear_effect_on_every_machine_is_slower_with_its_spread() -> None:
    rng = np.random.default_rng(11)
    pooled = pool(simulated_machines(rng, 6, 3.0))
    assert pooled.verdict == machines.SLOWER
    assert pooled.ci_low < 3.0 < pooled.ci_high or abs(math.log(pooled.ratio / 3.0)) < 0.15
    assert pooled.spread is not None and 0 <= pooled.spread < 0.5
    assert pooled.prediction_low < pooled.ci_low and pooled.ci_high < pooled.prediction_high


def test_homogeneous_machines_have_no_between_machine_variance() -> None:
    same = [MachineEstimate(f"m{i}", 2.0, 1.9, 2.1) for i in range(4)]
    pooled = pool(same)
    assert pooled.tau2 == 0 and pooled.i2 == 0 and pooled.spread == 0
    assert pooled.ratio == pytest.approx(2.0)


def test_dersimonian_laird_matches_a_hand_computation() -> None:
    logs, variances = [0.0, 0.2, 0.4], [0.01, 0.01, 0.01]
    tau2, i2 = machines.dersimonian_laird(logs, variances)
    # Q = 100·(0.04 + 0 + 0.04) = 8, df = 2, scale = 300 − 30000/300 = 200: τ² = 6 / 200, I² = 6 / 8
    assert tau2 == pytest.approx(0.03)
    assert i2 == pytest.approx(0.75)


def test_one_machine_far_from_the_rest_is_flagged_as_an_outlier() -> None:
    rest = [MachineEstimate(f"m{i}", r, r * 0.95, r * 1.05) for i, r in enumerate([2.9, 3.0, 3.1, 3.05, 2.95])]
    pooled = pool([*rest, MachineEstimate("odd", 1.2, 1.15, 1.25)])
    assert pooled.outliers == ("odd",)
    assert pool(rest).outliers == ()


def test_untested_machines_are_left_out_and_fewer_than_two_is_untested() -> None:
    lone = [MachineEstimate("a", 2.0, 1.8, 2.2), MachineEstimate("b", None, None, None)]
    pooled = pool(lone)
    assert pooled.verdict == machines.UNTESTED and pooled.n_machines == 1 and pooled.ratio == 2.0
    assert machines.machine_verdict(lone[1]) == machines.UNTESTED


def test_verdict_rule() -> None:
    assert machines.verdict(0.01, 1.10, 1.30, 1.12, 1.28) == machines.SLOWER
    assert machines.verdict(0.01, 0.70, 0.90, 0.72, 0.88) == machines.FASTER
    assert machines.verdict(0.01, 1.02, 1.08, 1.03, 1.07) == machines.INCONCLUSIVE  # real but smaller than δ?
    assert machines.verdict(0.40, 0.97, 1.04, 0.98, 1.03) == machines.EQUIVALENT
    assert machines.verdict(0.40, 0.80, 1.30, 0.85, 1.25) == machines.INCONCLUSIVE
    assert machines.verdict(None, None, None, None, None) == machines.UNTESTED


def test_one_hundred_machines_pool_with_every_machine_screened() -> None:
    rng = np.random.default_rng(100)
    pooled = pool(simulated_machines(rng, 100, 2.0))
    assert pooled.n_machines == 100 and pooled.verdict == machines.SLOWER
    assert len(pooled.outliers) <= 2  # |z| > 3 under the model: ≈ 0.3 % of machines


def test_t_p_value_matches_scipy() -> None:
    from scipy import stats

    for statistic, df in [(0.0, 4), (2.1, 4), (-3.3, 9), (10.0, 99)]:
        assert machines._t_two_sided_p(statistic, df) == pytest.approx(2 * stats.t.sf(abs(statistic), df))
