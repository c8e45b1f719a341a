"""Issue 17's proof: the verdict rule (δ = 5 %, TOST) and the round-level interval, on synthetic runs with known
truth through the real `summarize` (see claims_simulation.py for the model). Seeded, so the shares are fixed; the
bounds are the issue's, the counts large enough that a binomial wobble cannot decide them (≈ ±1.4 % at 1 000).

Power table (`pytest -s` prints it; σ_session 2 %, σ_build 10 % unless named):
the share of matrices whose whole build is called slower / equivalent, any cell slower or faster, and how often the
95 % interval holds the true ratio.
"""

from __future__ import annotations

import numpy as np
import pytest
from claims_simulation import Condition, as_run, outcome, simulate, whole_build

from harness.analysis.summary import summarize

NOISY = dict(session_sigma=0.02, build_sigma=0.10)


def test_identical_scenarios_are_never_called_different() -> None:
    found = outcome(Condition(1.0, **NOISY), matrices=300, seed=1)
    assert found.any_claim <= 0.05


def test_a_true_fifteen_percent_slowdown_is_not_called_equivalent() -> None:
    found = outcome(Condition(1.15, **NOISY), matrices=400, seed=2)
    assert found.equivalent <= 0.05


def test_a_true_quarter_slowdown_is_called_slower_with_power_above_eighty_percent() -> None:
    found = outcome(Condition(1.25, **NOISY), matrices=400, seed=3)
    assert found.slower >= 0.80 and found.geomean_slower >= 0.80


def test_the_interval_covers_the_true_ratio_at_five_rounds() -> None:
    found = outcome(Condition(1.25, **NOISY), matrices=1000, seed=4)
    assert 0.93 <= found.coverage <= 0.97


def test_identical_pairs_measured_precisely_are_shown_equivalent() -> None:
    found = outcome(Condition(1.0, session_sigma=0.02, build_sigma=0.03), matrices=400, seed=5)
    assert found.equivalent >= 0.70


def test_one_slow_build_in_two_per_round_does_not_hide_a_real_effect() -> None:
    """Issue 17 §3: with 2 builds per round a round mean follows one slow baseline build; the low median does not."""
    data = simulate(Condition(1.5, session_sigma=0.01, build_sigma=0.03, rounds=5, builds=2), seed=6)
    data[0, 2, 1] *= 2.0  # one baseline build of round 3 at twice its time, in every cell
    row = whole_build(summarize(as_run(data)))
    assert row.verdict == "slower"
    assert row.ratio_ci_low <= 1.5 <= row.ratio_ci_high


def test_one_build_per_round_still_gets_an_interval_and_a_verdict() -> None:
    data = simulate(Condition(1.25, session_sigma=0.02, build_sigma=0.05, rounds=5, builds=1), seed=7)
    row = whole_build(summarize(as_run(data)))
    assert row.ratio_ci_low is not None and row.verdict == "slower"


def test_power_table() -> None:
    """Printed for the record (pytest -s); asserts only that coverage holds at every size shown."""
    conditions = [Condition(e, **NOISY, rounds=r, builds=b) for e in (1.0, 1.10, 1.25) for r, b in
                  ((2, 10), (3, 10), (5, 10), (5, 2), (5, 1))]
    print("\neffect rounds×builds  slower equivalent any-claim coverage")
    for index, condition in enumerate(conditions):
        found = outcome(condition, matrices=60, seed=100 + index)
        print(f"{condition.effect:5.2f}× {condition.rounds}×{condition.builds:<2}        {found.slower:6.0%} "
              f"{found.equivalent:10.0%} {found.any_claim:9.0%} {found.coverage:8.0%}")
        assert found.coverage >= 0.85, condition  # 60 matrices: 95 % ± 2 SE ≈ 89–100 %
    assert np.isfinite(found.coverage)


@pytest.mark.parametrize("effect", [1.0, 1.3])
def test_the_same_run_gives_the_same_verdict(effect: float) -> None:
    run = as_run(simulate(Condition(effect, **NOISY), seed=8))
    first, second = summarize(run), summarize(run)
    assert [r.verdict for r in first.rows] == [r.verdict for r in second.rows]


def compare_outcome(effect: float, matrices: int, seed: int) -> tuple[float, float, float]:
    """(slower, any claim, coverage) of the whole build of `other` between two simulated runs (B = A × effect):
    through the real `compare_runs` (Welch, each run over its own rounds)."""
    from harness.analysis.compare import compare_runs

    slower = claims = covered = 0
    for index in range(matrices):
        run_a = as_run(simulate(Condition(1.0, **NOISY), seed + 2 * index))
        run_b = as_run(simulate(Condition(effect, **NOISY), seed + 2 * index + 1))
        rows = compare_runs(run_a, run_b).rows
        row = next(r for r in rows if r.step == "total" and r.scenario == "other")
        slower += row.verdict == "slower"
        claims += any(r.verdict in ("slower", "faster") for r in rows)
        covered += row.ratio_ci_low <= effect <= row.ratio_ci_high
    return slower / matrices, claims / matrices, covered / matrices


def test_compare_between_runs_keeps_its_error_rates() -> None:
    null_slower, null_claims, null_coverage = compare_outcome(1.0, matrices=150, seed=200)
    slower, _, coverage = compare_outcome(1.25, matrices=150, seed=600)
    print(f"\ncompare: null any-claim {null_claims:.0%}, coverage {null_coverage:.0%}; 1.25× slower {slower:.0%}, "
          f"coverage {coverage:.0%}")
    assert null_claims <= 0.05 and slower >= 0.80
    assert min(null_coverage, coverage) >= 0.90  # 150 runs: 95 % ± 2 SE ≈ 91–99 %
