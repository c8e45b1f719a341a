"""Adaptive repetitions: keep measuring a (scenario, workload, builder) until its medians are known well enough.

A cell is settled when the distribution-free 95 % CI of its median is within ±`target_ci` of the median, for the
build total and for every step that takes at least `MATERIAL_SHARE` of it (a 2 ms FROM step is all noise and would
never settle, yet it does not move the total). Each decision is written to the manifest with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import median
from typing import Any

from harness.config import Repetitions
from harness.measure.plan import PlannedBuild

MATERIAL_SHARE = 0.05


def next_adaptive_builds(scenario: str, workloads: list[str], repetitions: Repetitions, warmup: int,
                         samples: list[dict[str, Any]], reasons: dict[str, str],
                         builders: tuple[str, ...] = ("classic",)) -> list[PlannedBuild]:
    """One more build for each unsettled (workload, builder) of `scenario`; `reasons` gets why each stopped or goes
    on (keyed by workload, or `workload/builder` for a builder other than classic)."""
    if repetitions.target_ci is None:
        return []
    extra = []
    for builder, workload in ((b, w) for b in builders for w in workloads):
        mine = [s for s in samples if s["scenario"] == scenario and s["workload"] == workload
                and s.get("builder", "classic") == builder]
        cell = workload if builder == "classic" else f"{workload}/{builder}"
        builds = [s for s in mine if s["kind"] == "build" and not s["warmup"]]
        if len(builds) < repetitions.min:
            continue
        widest = widest_relative_half_width([s for s in mine if not s["warmup"]])
        shown = "n/a (too few samples)" if widest is None else f"±{widest:.1%}"
        if widest is not None and widest <= repetitions.target_ci:
            reasons[cell] = (f"settled: widest 95 % CI of a median {shown} ≤ target ±{repetitions.target_ci:.0%} "
                             f"after {len(builds)} reps")
        elif len(builds) >= repetitions.max:
            reasons[cell] = f"max reached: {len(builds)} reps, widest 95 % CI of a median {shown}"
        else:
            reasons[cell] = f"measuring: widest 95 % CI of a median {shown} after {len(builds)} reps"
            extra.append(PlannedBuild(scenario, workload, max(int(s["rep"]) for s in mine) + 1, False, 1, builder))
    return extra


def widest_relative_half_width(samples: Iterable[dict[str, Any]]) -> float | None:
    """The largest CI half-width ÷ median over the cells that matter; None while some CI cannot be formed yet."""
    from harness.analysis.stats import median_ci  # noqa: PLC0415 - scipy is imported only when adaptive mode is used

    ok = [s for s in samples if s["ok"]]
    totals = [s["seconds"] for s in ok if s["kind"] == "build"]
    if not totals:
        return None
    cells = [totals]
    steps = sorted({s["step"] for s in ok if s["kind"] == "step"})
    for step in steps:
        values = [s["seconds"] for s in ok if s["kind"] == "step" and s["step"] == step]
        if median(values) >= MATERIAL_SHARE * median(totals):
            cells.append(values)
    widest = 0.0
    for values in cells:
        interval = median_ci(values)
        centre = median(values)
        if interval is None or centre <= 0:
            return None
        widest = max(widest, (interval[1] - interval[0]) / 2 / centre)
    return widest
