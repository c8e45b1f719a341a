"""How long a run will take: a first guess before anything is measured, then the builds measured so far.

Builds differ tenfold between drivers (fuse-overlayfs and vfs against overlay2), so time is estimated per scenario:
what one planned build of that scenario costs in wall time — the build, the image removal after it and its share of
daemon start, base import and daemon stop. Before a scenario's first build that cost comes from the newest earlier
run of the same matrix in the results directory, else from a rough table measured on the project's 2-core machine.
Every number here is an estimate and is shown as one.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import Matrix, Scenario
from harness.drivers import lookup

#: A run estimated above this is announced as long before it starts.
LONG_RUN_S = 600.0


@dataclass(frozen=True)
class FirstGuess:
    """Seconds per build for the scenarios a guess exists for, and where the figures come from."""

    build_s: Mapping[str, float]
    source: str


def first_guess(matrix: Matrix, scenarios: Iterable[Scenario], results: Path) -> FirstGuess:
    """Per-scenario costs from the newest earlier run of this matrix that measured them, else the rough table."""
    scenarios = list(scenarios)
    rough = {s.name: cost for s in scenarios if (cost := rough_build_s(s, matrix)) is not None}
    for run_dir in earlier_runs(results, matrix.file.stem):
        measured = {name: cost for name, cost in build_costs(run_dir).items() if name in {s.name for s in scenarios}}
        if measured:
            return FirstGuess({**rough, **measured}, f"the earlier run {run_dir.name}")
    return FirstGuess(rough, "rough figures from the project's 2-core machine (no earlier run of this matrix in "
                             f"{results})")


def earlier_runs(results: Path, matrix_stem: str) -> list[Path]:
    """Run directories of the same matrix file name, newest first (run ids start with a UTC time stamp)."""
    if not results.is_dir():
        return []
    return sorted((p for p in results.glob(f"*-{matrix_stem}") if (p / "manifest.json").is_file()), reverse=True)


def build_costs(run_dir: Path) -> dict[str, float]:
    """Wall seconds per build of each scenario that measured something, from the run's manifest."""
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    costs = {}
    for name, record in (manifest.get("scenarios") or {}).items():
        cost = _cost_per_build(record)
        if cost is not None:
            costs[name] = cost
    return costs


def _cost_per_build(record: Mapping[str, Any]) -> float | None:
    timing = record.get("timing") or {}
    builds = timing.get("builds") or 0
    if builds <= 0:
        return None
    imports = record.get("base_import_s") or {}
    sessions = record.get("sessions") or [record]  # one record per daemon session with rounds, else the scenario's
    daemons = sum((s.get("daemon_start_s") or 0.0) + (s.get("daemon_stop_s") or 0.0) for s in sessions)
    seconds = timing.get("builds_s", 0.0) + timing.get("between_builds_s", 0.0) + sum(imports.values()) + daemons
    return seconds / builds


def rough_build_s(scenario: Scenario, matrix: Matrix) -> float | None:
    """The driver's rough figure (its registry entry: seconds per build of the `seed` workload's 20 000-file base,
    with a share of daemon start, base import and stop), scaled by the workloads' base sizes; None for what it
    does not know. Only a first guess; overlay2 on xfs is overlay2."""
    driver = lookup(scenario.storage.driver, scenario.storage.image_store)
    seconds = driver.rough_build_s if driver else None
    if driver and scenario.overlay.redirect_dir and "redirect_dir" in driver.knobs:
        seconds = driver.rough_naive_build_s
    if seconds is None or not matrix.workloads:
        return None
    scale = sum(max(w.base.files, 1000) / 20000 for w in matrix.workloads) / len(matrix.workloads)
    return seconds * scale


class RemainingTime:
    """Remaining wall time of a run, from per-scenario build costs: measured ones replace guessed ones.

    Each scenario is assumed to get an equal share of the planned builds (the plan gives every scenario the same
    repetitions); the sum is then scaled to the number of builds actually left, so skipped scenarios and extra
    adaptive builds do not throw it off for long. A measured cost is the median wall time between builds, so the
    one-off base import that precedes a scenario's first build does not count as the price of every later one.
    """

    def __init__(self, scenarios: Iterable[str], guess: FirstGuess):
        self.scenarios = list(scenarios)
        self.guess = guess
        self.walls: dict[str, list[float]] = {}

    def record(self, scenario: str, wall_s: float) -> None:
        """One build of `scenario` finished; `wall_s` is the wall time since the previous one (overhead included)."""
        if scenario not in self.scenarios:
            self.scenarios.append(scenario)  # e.g. an A/A control copy the matrix does not list
        self.walls.setdefault(scenario, []).append(wall_s)

    def cost(self, scenario: str) -> float | None:
        if self.walls.get(scenario):
            return statistics.median(self.walls[scenario])
        return self.guess.build_s.get(scenario)

    def seconds_left(self, total: int, done: int) -> float | None:
        """None while no scenario has a cost yet."""
        left = max(total - done, 0)
        known = {s: c for s in self.scenarios if (c := self.cost(s)) is not None}
        if not left or not known:
            return 0.0 if not left else None
        share = total / len(self.scenarios)
        shares = {s: max(share - len(self.walls.get(s, ())), 0.0) for s in self.scenarios}
        unknown_cost = sum(known.values()) / len(known)
        seconds = sum(n * known.get(s, unknown_cost) for s, n in shares.items())
        planned_left = sum(shares.values())
        if planned_left <= 0:
            return left * unknown_cost
        return seconds * left / planned_left


def duration_text(seconds: float) -> str:
    """`1 h 05 min`, `12 min`, `45 s`: to the minute above five minutes, where finer would be false precision."""
    seconds = max(seconds, 0.0)
    if seconds < 90:
        return f"{math.ceil(seconds / 5) * 5:.0f} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
