"""Adaptive repetitions: one more build while a material cell's median CI is wider than the target."""

from __future__ import annotations

from harness.config import Repetitions
from harness.measure.adaptive import next_adaptive_builds


def builds(values: list[float], scenario: str = "s", workload: str = "w", first_rep: int = 2) -> list[dict]:
    """One build line and one step line (the whole build is one material step) per value."""
    samples = []
    for offset, seconds in enumerate(values):
        common = dict(scenario=scenario, workload=workload, rep=first_rep + offset, warmup=False, ok=True)
        samples += [{**common, "kind": "step", "step": 2, "seconds": seconds},
                    {**common, "kind": "build", "step": None, "seconds": seconds}]
    return samples


def test_fixed_repetitions_never_add_builds() -> None:
    assert next_adaptive_builds("s", ["w"], Repetitions(5, 5), 1, builds([1.0] * 5), {}) == []


def test_a_tight_cell_settles_and_says_why() -> None:
    reasons: dict[str, str] = {}
    tight = builds([1.00, 1.01, 0.99, 1.00, 1.02, 0.98])
    assert next_adaptive_builds("s", ["w"], Repetitions(6, 20, 0.05), 1, tight, reasons) == []
    assert reasons["w"].startswith("settled") and "6 reps" in reasons["w"]


def test_a_noisy_cell_gets_the_next_rep_number_until_max() -> None:
    reasons: dict[str, str] = {}
    noisy = builds([1.0, 2.0, 0.5, 1.5, 0.7, 1.9])
    [extra] = next_adaptive_builds("s", ["w"], Repetitions(6, 8, 0.05), 1, noisy, reasons)
    assert (extra.scenario, extra.workload, extra.rep, extra.warmup) == ("s", "w", 8, False)
    assert reasons["w"].startswith("measuring")
    at_max = noisy + builds([1.1, 0.6], first_rep=8)
    assert next_adaptive_builds("s", ["w"], Repetitions(6, 8, 0.05), 1, at_max, reasons) == []
    assert reasons["w"].startswith("max reached: 8 reps")


def test_too_few_samples_for_an_interval_keep_measuring() -> None:
    reasons: dict[str, str] = {}
    assert len(next_adaptive_builds("s", ["w"], Repetitions(3, 10, 0.05), 0, builds([1.0, 1.0, 1.0]), reasons)) == 1
    assert "too few samples" in reasons["w"]
