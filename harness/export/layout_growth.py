"""Growth fits → the "Growth" block of the summary table: per family, parameter, step and scenario the fitted cost
per 1 000 units of the swept parameter with its 95 % interval, and the notes that say where a line does not fit."""

from __future__ import annotations

from collections.abc import Sequence

from harness.analysis.growth import PER, Fit
from harness.export import numbers
from harness.export.document import Block

PER_TEXT = f"{PER:,}".replace(",", " ")
HEADERS = ("workload", "param", "step", "scenario", "sizes", f"s per {PER_TEXT}", "95% CI", "R²", "model")
NUMERIC = (False, False, False, False, True, True, True, True, False)


def growth_blocks(fits: Sequence[Fit]) -> tuple[Block, ...]:
    """One block holding every fit (none without a sweep); notes numbered by the row they belong to."""
    if not fits:
        return ()
    rows, notes = [], []
    for fit in fits:
        mark = ""
        if fit.note:
            notes.append(f"[{len(notes) + 1}] {fit.scenario}, {fit.workload} {step_name(fit)}: {fit.note}")
            mark = f" [{len(notes)}]"
        rows.append((fit.workload + at_text(fit), fit.param, step_cell(fit), fit.scenario,
                     _sizes(fit), numbers.seconds(fit.slope_s_per_1000),
                     numbers.seconds_interval(fit.slope_ci_low, fit.slope_ci_high),
                     "" if fit.r_squared is None else f"{fit.r_squared:.3f}", fit.model + mark))
    legend = (f"time = a + b·N fitted to the per-size medians by least squares; b shown per {PER_TEXT} of the "
              "swept parameter, 95% CI by hierarchical bootstrap (rounds, then builds); floor+linear: the smallest "
              "sizes sit on a floor and the line is fitted above it. sizes: sizes fitted / measured.")
    return (Block("Growth", HEADERS, NUMERIC, tuple(rows), (legend, *notes), compact_drop=("R²",)),)


def step_cell(fit: Fit) -> str:
    return "total" if fit.step == "total" else f"{fit.step} {fit.instruction or ''}".rstrip()


def step_name(fit: Fit) -> str:
    return "whole build" if fit.step == "total" else f"step {fit.step} ({fit.instruction or '?'})"


def at_text(fit: Fit) -> str:
    """` (changed_files=100)`: the other swept parameters this curve holds fixed."""
    return f" ({', '.join(f'{name}={value}' for name, value in fit.at)})" if fit.at else ""


def _sizes(fit: Fit) -> str:
    return f"{fit.n_points}/{len(fit.points)}"
