"""Planning: deterministic from the seed, rounds of daemon sessions, warmups first, every rep exactly once."""

from __future__ import annotations

from collections import Counter

from harness.measure.plan import (
    completed_builds,
    plan_from_manifest,
    plan_order,
    reps_per_round,
    scenario_order,
    sessions_of,
)


def test_the_same_seed_gives_the_same_order_and_another_seed_another() -> None:
    args = (["a", "b"], ["w1", "w2"], 6, 1)
    assert plan_order(*args, seed=1, rounds=3) == plan_order(*args, seed=1, rounds=3)
    assert plan_order(*args, seed=1, rounds=3) != plan_order(*args, seed=2, rounds=3)


def test_one_round_is_the_block_design_with_warmups_first_and_each_rep_once() -> None:
    plan = plan_order(["a", "b"], ["w1", "w2"], reps=4, warmup=2, seed=3)
    assert sorted({p.scenario for p in plan[:12]}) == [plan[0].scenario] and {p.round for p in plan} == {1}
    for scenario in ("a", "b"):
        mine = [p for p in plan if p.scenario == scenario]
        assert all(p.warmup for p in mine[:4]) and not any(p.warmup for p in mine[4:])
        assert {p.rep for p in mine if p.warmup} == {1, 2}
        assert Counter(p.key for p in mine) == Counter({(scenario, w, r, "classic"): 1 for w in ("w1", "w2")
                                                        for r in range(1, 7)})


def test_reps_are_split_evenly_over_rounds_the_first_rounds_taking_the_remainder() -> None:
    assert reps_per_round(10, 5) == [2, 2, 2, 2, 2]
    assert reps_per_round(10, 3) == [4, 3, 3]
    assert reps_per_round(2, 2) == [1, 1]


def test_every_planned_build_appears_exactly_once_in_its_round_with_warmups_in_the_first_session() -> None:
    scenarios, workloads = ["a", "b", "c"], ["w1", "w2"]
    plan = plan_order(scenarios, workloads, reps=10, warmup=1, seed=7, rounds=3)
    assert Counter(p.key for p in plan) == Counter({(s, w, r, "classic"): 1 for s in scenarios for w in workloads
                                                    for r in range(1, 12)})
    assert all(p.round == 1 for p in plan if p.warmup)
    for scenario in scenarios:
        for workload in workloads:
            rounds = Counter(p.round for p in plan if (p.scenario, p.workload) == (scenario, workload) and not p.warmup)
            assert rounds == Counter({1: 4, 2: 3, 3: 3})
    assert [p.round for p in plan] == sorted(p.round for p in plan), "rounds run one after another"


def test_each_round_is_one_session_per_scenario_in_a_seeded_order_that_changes() -> None:
    scenarios = ["a", "b", "c", "d"]
    plan = plan_order(scenarios, ["w"], reps=6, warmup=1, seed=11, rounds=6)
    sessions = sessions_of(plan)
    assert [(r, s) for r, s, _ in sessions] == [(r, s) for r in range(1, 7) for s in scenario_order(scenarios, 11, r)]
    orders = {tuple(scenario_order(scenarios, 11, r)) for r in range(1, 7)}
    assert len(orders) > 1, "the turn order is reshuffled from round to round"
    first_sessions = [builds for r, _, builds in sessions if r == 1]
    assert all(builds[0].warmup and not builds[-1].warmup for builds in first_sessions)


def test_rounds_are_capped_by_the_reps_so_no_session_is_empty() -> None:
    plan = plan_order(["a"], ["w"], reps=2, warmup=0, seed=0, rounds=5)
    assert [r for r, _, _ in sessions_of(plan)] == [1, 2]


def test_measured_reps_are_shuffled_across_workloads() -> None:
    measured = plan_order(["a"], ["w1", "w2"], reps=10, warmup=0, seed=5)
    assert [p.workload for p in measured] != sorted(p.workload for p in measured)


def test_the_plan_round_trips_through_the_manifest_and_old_plans_run_as_round_one() -> None:
    plan = plan_order(["a"], ["w"], reps=4, warmup=1, seed=0, rounds=2)
    assert plan_from_manifest([p.as_dict() for p in plan]) == plan
    old = [{"scenario": "a", "workload": "w", "rep": 1, "warmup": False}]
    assert plan_from_manifest(old)[0].round == 1


def test_resume_mid_round_leaves_exactly_the_missing_builds_in_their_sessions() -> None:
    plan = plan_order(["a", "b"], ["w"], reps=6, warmup=1, seed=4, rounds=3)
    cut = next(i for i, p in enumerate(plan) if p.round == 2) + 1  # killed after the first build of round 2
    samples = [{"scenario": p.scenario, "workload": p.workload, "rep": p.rep, "kind": "build"} for p in plan[:cut]]
    done = completed_builds(samples)
    todo = [(r, s, [p for p in builds if p.key not in done]) for r, s, builds in sessions_of(plan)]
    todo = [(r, s, builds) for r, s, builds in todo if builds]
    assert [p for _, _, builds in todo for p in builds] == plan[cut:]
    assert todo[0][0] == 2 and len(todo[0][2]) == len(sessions_of(plan)[2][2]) - 1


def test_only_builds_with_a_build_line_count_as_done() -> None:
    samples = [{"scenario": "a", "workload": "w", "rep": 1, "kind": "step"},
               {"scenario": "a", "workload": "w", "rep": 1, "kind": "build"},
               {"scenario": "a", "workload": "w", "rep": 2, "kind": "step"}]
    assert completed_builds(samples) == {("a", "w", 1, "classic")}, "lines without a builder were classic builds"


BOTH = ("classic", "buildkit")


def test_with_two_builders_every_build_appears_exactly_once_with_warmups_per_builder_and_workload() -> None:
    scenarios, workloads = ["a", "b"], ["w1", "w2"]
    plan = plan_order(scenarios, workloads, reps=6, warmup=2, seed=3, rounds=3, builders=BOTH)
    assert Counter(p.key for p in plan) == Counter({(s, w, r, b): 1 for s in scenarios for w in workloads
                                                    for b in BOTH for r in range(1, 9)})
    warmups = Counter((p.scenario, p.workload, p.builder) for p in plan if p.warmup)
    assert warmups == Counter({(s, w, b): 2 for s in scenarios for w in workloads for b in BOTH})
    assert all(p.round == 1 for p in plan if p.warmup)
    assert [(r, s) for r, s, _ in sessions_of(plan)] == [(r, s) for r in (1, 2, 3) for s in scenario_order(scenarios, 3, r)]


def test_inside_a_session_builders_and_workloads_are_shuffled_together() -> None:
    plan = plan_order(["a"], ["w1", "w2"], reps=20, warmup=0, seed=5, rounds=1, builders=BOTH)
    builders = [p.builder for p in plan]
    assert builders != sorted(builders) and builders != sorted(builders, reverse=True)
    switches = sum(1 for x, y in zip(builders, builders[1:]) if x != y)
    assert switches > 5, "the builders are interleaved, not run in two blocks"
    assert {(p.builder, p.workload) for p in plan[:20]} == {(b, w) for b in BOTH for w in ("w1", "w2")}


def test_one_builder_plans_exactly_what_it_planned_before_builders_existed() -> None:
    old = plan_order(["a", "b"], ["w1", "w2"], reps=6, warmup=1, seed=8, rounds=2)
    assert plan_order(["a", "b"], ["w1", "w2"], reps=6, warmup=1, seed=8, rounds=2, builders=("classic",)) == old
    assert {p.builder for p in old} == {"classic"}


def test_a_builders_plan_round_trips_and_resume_leaves_exactly_the_missing_builds_of_each_builder() -> None:
    plan = plan_order(["a", "b"], ["w"], reps=6, warmup=1, seed=4, rounds=3, builders=BOTH)
    assert plan_from_manifest([p.as_dict() for p in plan]) == plan
    cut = next(i for i, p in enumerate(plan) if p.round == 2) + 3
    samples = [{"scenario": p.scenario, "workload": p.workload, "rep": p.rep, "builder": p.builder, "kind": "build"}
               for p in plan[:cut]]
    done = completed_builds(samples)
    assert [p for p in plan if p.key not in done] == plan[cut:]
