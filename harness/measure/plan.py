"""The order of builds, planned up front from the matrix seed so a run can be repeated, resumed and audited.

The run is cut into rounds. In each round every scenario gets one daemon session (its daemon restarted on the same
data-root) and measures its share of the reps; the scenarios take turns in a seeded random order that changes from
round to round, so drift between sessions (page cache, CPU frequency, a neighbour) spreads over all scenarios
instead of reading as the difference between two of them. Warmups run in each scenario's first session only, one
set per (builder, workload). Within a session the measured reps of all builders and workloads run together in one
seeded random order, so drift within it spreads over builders and workloads alike.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PlannedBuild:
    scenario: str
    workload: str
    rep: int  # 1-based per (scenario, workload); warmups take the first numbers
    warmup: bool
    round: int = 1  # 1-based daemon session of the scenario this build runs in
    builder: str = "classic"  # harness.builders.BUILDERS; reps are numbered per (scenario, workload, builder)

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.scenario, self.workload, self.rep, self.builder)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reps_per_round(reps: int, rounds: int) -> list[int]:
    """Split `reps` over `rounds` as evenly as possible, the earlier rounds taking the remainder."""
    return [reps // rounds + (1 if r < reps % rounds else 0) for r in range(rounds)]


def plan_order(scenarios: Iterable[str], workloads: list[str], reps: int, warmup: int, seed: int,
               rounds: int = 1, builders: Iterable[str] = ("classic",)) -> list[PlannedBuild]:
    """Every build of the run in execution order: round by round, scenarios shuffled per round."""
    names, kinds = list(scenarios), list(builders)
    rounds = max(1, min(rounds, reps))
    shares = reps_per_round(reps, rounds)
    plan: list[PlannedBuild] = []
    for number, share in enumerate(shares, start=1):
        for scenario in scenario_order(names, seed, number):
            if number == 1:
                plan += [PlannedBuild(scenario, w, rep, True, 1, b) for b in kinds for w in workloads
                         for rep in range(1, warmup + 1)]
            first = warmup + sum(shares[: number - 1]) + 1
            measured = [PlannedBuild(scenario, w, rep, False, number, b) for b in kinds for w in workloads
                        for rep in range(first, first + share)]
            random.Random(f"{seed}:{scenario}:{number}").shuffle(measured)
            plan += measured
    return plan


def scenario_order(scenarios: list[str], seed: int, round_number: int) -> list[str]:
    """The seeded turn order of the scenarios in one round."""
    order = list(scenarios)
    random.Random(f"{seed}:round:{round_number}").shuffle(order)
    return order


def plan_from_manifest(entries: list[dict[str, Any]]) -> list[PlannedBuild]:
    """The saved plan; entries of runs made before rounds (builders) existed ran as round 1 (classic)."""
    return [PlannedBuild(e["scenario"], e["workload"], int(e["rep"]), bool(e["warmup"]), int(e.get("round", 1)),
                         str(e.get("builder", "classic"))) for e in entries]


def completed_builds(samples: Iterable[dict[str, Any]]) -> set[tuple[str, str, int, str]]:
    """Builds whose `build` line was written: with their steps, they are complete and never measured again."""
    return {(s["scenario"], s["workload"], int(s["rep"]), str(s.get("builder", "classic")))
            for s in samples if s.get("kind") == "build"}


def sessions_of(plan: list[PlannedBuild]) -> list[tuple[int, str, list[PlannedBuild]]]:
    """The plan grouped into daemon sessions (round, scenario, builds), in execution order."""
    sessions: list[tuple[int, str, list[PlannedBuild]]] = []
    for planned in plan:
        if sessions and sessions[-1][:2] == (planned.round, planned.scenario):
            sessions[-1][2].append(planned)
        else:
            sessions.append((planned.round, planned.scenario, [planned]))
    return sessions
