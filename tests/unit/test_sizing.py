"""`harness plan`: variance components from a pilot, and a design that reaches the stated power when simulated."""

from __future__ import annotations

import argparse

import pytest
from claims_simulation import Condition, as_run, outcome, simulate

from harness.analysis import sizing
from harness.commands import plan as plan_command
from harness.errors import InputError


def test_the_pilot_recovers_the_session_and_build_variance() -> None:
    pilot = as_run(simulate(Condition(1.0, session_sigma=0.04, build_sigma=0.05, rounds=12, builds=6), seed=1))
    found = sizing.variances(pilot)
    # the whole build (0.40 + 0.25 + 0.15 s) sums two noisy steps: σ = √(0.40² + 0.25²) / 0.80 · 5 % ≈ 2.9 %
    assert found.build ** 0.5 == pytest.approx(0.05 * 0.59, rel=0.25)
    assert found.session ** 0.5 == pytest.approx(0.04, rel=0.4)
    assert found.scenarios == 2 and found.rounds == 12


def test_the_recommended_design_reaches_its_power_in_simulation() -> None:
    truth = dict(session_sigma=0.02, build_sigma=0.06)
    pilot = as_run(simulate(Condition(1.0, **truth, rounds=5, builds=4), seed=2))
    design = sizing.cheapest(sizing.variances(pilot), min_effect=0.05, power=0.8)
    assert design is not None and design.rounds >= 3
    same = outcome(Condition(1.0, **truth, rounds=design.rounds, builds=design.builds), matrices=150, seed=3)
    twice = outcome(Condition(1.10, **truth, rounds=design.rounds, builds=design.builds), matrices=150, seed=4)
    assert same.equivalent >= 0.65 and twice.slower >= 0.65  # 80 % aimed, from a 5-round pilot's estimate


def test_more_session_noise_buys_rounds_not_builds() -> None:
    quiet = sizing.Variances(session=0.0001, build=0.0025, build_s=1.0, session_overhead_s=1.0, scenarios=2, rounds=5)
    drifting = sizing.Variances(session=0.0004, build=0.0025, build_s=1.0, session_overhead_s=1.0, scenarios=2,
                                rounds=5)
    assert sizing.cheapest(drifting, 0.05).rounds > sizing.cheapest(quiet, 0.05).rounds


def test_plan_rejects_a_power_in_the_wrong_unit(tmp_path) -> None:
    parser = argparse.ArgumentParser()
    plan_command.add_arguments(parser)
    with pytest.raises(InputError, match="--power"):
        plan_command.run(parser.parse_args([str(tmp_path), "--power", "0.8"]))
