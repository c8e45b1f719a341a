"""Planning: deterministic from the seed, warmups first, every rep exactly once, resume skips finished builds."""

from __future__ import annotations

from collections import Counter

from harness.plan import completed_builds, plan_from_manifest, plan_order


def test_the_same_seed_gives_the_same_order_and_another_seed_another() -> None:
    args = (["a", "b"], ["w1", "w2"], 6, 1)
    assert plan_order(*args, seed=1) == plan_order(*args, seed=1)
    assert plan_order(*args, seed=1) != plan_order(*args, seed=2)


def test_scenarios_run_in_turn_with_warmups_first_and_each_rep_once() -> None:
    plan = plan_order(["a", "b"], ["w1", "w2"], reps=4, warmup=2, seed=3)
    assert [p.scenario for p in plan] == ["a"] * 12 + ["b"] * 12
    for scenario in ("a", "b"):
        mine = [p for p in plan if p.scenario == scenario]
        assert all(p.warmup for p in mine[:4]) and not any(p.warmup for p in mine[4:])
        assert {p.rep for p in mine if p.warmup} == {1, 2}
        assert Counter(p.key for p in mine) == Counter({(scenario, w, r): 1 for w in ("w1", "w2") for r in range(1, 7)})


def test_measured_reps_are_shuffled_across_workloads() -> None:
    measured = [p for p in plan_order(["a"], ["w1", "w2"], reps=10, warmup=0, seed=5)]
    assert [p.workload for p in measured] != sorted(p.workload for p in measured)


def test_the_plan_round_trips_through_the_manifest() -> None:
    plan = plan_order(["a"], ["w"], reps=2, warmup=1, seed=0)
    assert plan_from_manifest([p.as_dict() for p in plan]) == plan


def test_only_builds_with_a_build_line_count_as_done() -> None:
    samples = [{"scenario": "a", "workload": "w", "rep": 1, "kind": "step"},
               {"scenario": "a", "workload": "w", "rep": 1, "kind": "build"},
               {"scenario": "a", "workload": "w", "rep": 2, "kind": "step"}]
    assert completed_builds(samples) == {("a", "w", 1)}
