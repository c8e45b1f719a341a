"""The order of builds, planned up front from the matrix seed so a run can be repeated, resumed and audited.

Scenarios run one after another (each needs its own daemon, and the kernel knobs are machine-wide). Within a
scenario the warmups of every workload come first, then the measured reps of all workloads in a seeded random
order, so slow drift of the machine (thermal, page cache, a neighbour) spreads over workloads instead of biasing one.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class PlannedBuild:
    scenario: str
    workload: str
    rep: int  # 1-based per (scenario, workload); warmups take the first numbers
    warmup: bool

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.scenario, self.workload, self.rep)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_order(scenarios: Iterable[str], workloads: list[str], reps: int, warmup: int,
               seed: int) -> list[PlannedBuild]:
    plan: list[PlannedBuild] = []
    for scenario in scenarios:
        plan += [PlannedBuild(scenario, w, rep, True) for w in workloads for rep in range(1, warmup + 1)]
        measured = [PlannedBuild(scenario, w, rep, False) for w in workloads
                    for rep in range(warmup + 1, warmup + reps + 1)]
        random.Random(f"{seed}:{scenario}").shuffle(measured)
        plan += measured
    return plan


def plan_from_manifest(entries: list[dict[str, Any]]) -> list[PlannedBuild]:
    return [PlannedBuild(e["scenario"], e["workload"], int(e["rep"]), bool(e["warmup"])) for e in entries]


def completed_builds(samples: Iterable[dict[str, Any]]) -> set[tuple[str, str, int]]:
    """Builds whose `build` line was written: with their steps, they are complete and never measured again."""
    return {(s["scenario"], s["workload"], int(s["rep"])) for s in samples if s.get("kind") == "build"}
