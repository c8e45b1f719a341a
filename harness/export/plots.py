"""Figures for the report (matplotlib, no display needed): every sample per step and scenario, the ratios to the
baseline with their intervals, and, for runs with a sweep, time against the swept parameter with the fitted lines.
Each figure is written as PNG (for Markdown viewers) and SVG (for print).

Figures are built on `matplotlib.figure.Figure` directly (no pyplot state), and written without timestamps and with
a fixed SVG hash salt, so the same run gives the same files.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from harness.analysis import stats
from harness.analysis.growth import Fit
from harness.analysis.summary import Row, Summary
from harness.export import numbers
from harness.results.reader import TOTAL

COLUMNS = 3
#: The ±δ band (the declared smallest effect) is shaded around 1× in the ratio plot.
BAND_COLOUR = "#dddddd"
#: Tick labels wrap at this many characters (never cut: `…-redirect-dir-on` and `…-off` must stay distinct).
LABEL_WIDTH = 15


def _figure(width: float, height: float):

    return Figure(figsize=(width, height), layout="constrained")


def _colours(names: Sequence[str]) -> dict[str, str]:

    palette = colormaps["tab10"].colors
    return {name: palette[index % len(palette)] for index, name in enumerate(names)}


def _step_title(row: Row) -> str:
    if row.step == TOTAL:
        return "whole build"
    text = row.text or row.instruction or ""
    return f"{row.step}: {text if len(text) <= 28 else text[:27] + '…'}"


#: Rounds (daemon sessions) in a sequential colour map: early light, late dark, so drift between sessions shows.
ROUND_COLOURS = "viridis"
#: Half the width of a strip's random horizontal jitter (seeded: the same run draws the same picture).
JITTER = 0.16


def step_figure(rows: Sequence[Row], scenarios: Sequence[str], title: str = "",
                rounds: dict[tuple, tuple[int, ...]] | None = None):
    """One panel per step of one workload: a box per scenario with every sample drawn over it (strip plot), so a
    reader sees n, spread and outliers rather than a bar that hides them. The dots keep their values unsorted and
    are spread sideways at random (a sorted strip rises like drift), coloured by round where known: a session
    that ran slow shows as one colour sitting high in every box."""
    steps = list(dict.fromkeys(row.step for row in rows))
    grid_rows = -(-len(steps) // COLUMNS)
    figure = _figure(4.2 * min(COLUMNS, len(steps)), 3.2 * grid_rows + 0.5)
    known = rounds or {}
    count = max((r for values in known.values() for r in values), default=0)
    for index, step in enumerate(steps):
        axes = figure.add_subplot(grid_rows, min(COLUMNS, len(steps)), index + 1)
        cells = [row for row in rows if row.step == step]
        _draw_cells(axes, cells, {row.scenario: _rounds_of(row, known) for row in cells}, count)
        axes.set_title(_step_title(cells[0]), fontsize=9, loc="left")
        axes.set_ylabel("seconds", fontsize=8)
        axes.tick_params(labelsize=7)
        axes.set_ylim(bottom=0)
    if count > 1:
        cmap = colormaps[ROUND_COLOURS]
        handles = [figure.axes[0].scatter([], [], s=12, color=cmap(_shade(r, count)), label=f"round {r}")
                   for r in range(1, count + 1)]
        figure.legend(handles=handles, loc="outside lower center", ncols=count, fontsize=7, frameon=False)
    if title:
        figure.suptitle(title, fontsize=9, x=0.01, ha="left")
    return figure


def _rounds_of(row: Row, known: dict[tuple, tuple[int, ...]]) -> tuple[int, ...]:
    """The round of each of the row's values (measurement order), or () when they cannot be matched."""
    found = known.get((row.workload, row.step, row.scenario, row.builder), ())
    return found if len(found) == len(row.values) else ()


def _shade(round_number: int, count: int) -> float:
    return 0.85 * (round_number - 1) / max(count - 1, 1)


def _draw_cells(axes, cells: Sequence[Row], rounds: dict[str, tuple[int, ...]], count: int) -> None:
    positions = list(range(1, len(cells) + 1))
    drawn = [(pos, cell) for pos, cell in zip(positions, cells) if cell.values]
    if drawn:
        axes.boxplot([cell.values for _, cell in drawn], positions=[pos for pos, _ in drawn], widths=0.5,
                     showfliers=False, medianprops={"color": "black"})
    cmap = colormaps[ROUND_COLOURS]
    for pos, cell in drawn:
        jitter = np.random.default_rng(pos).uniform(-JITTER, JITTER, len(cell.values))
        of_round = rounds.get(cell.scenario) or ()
        colours = [cmap(_shade(r, count)) for r in of_round] if of_round else "#555555"
        axes.scatter(pos + jitter, cell.values, s=12, c=colours, zorder=3, edgecolors="none")
    axes.set_xticks(positions, [wrapped(cell.scenario) for cell in cells], fontsize=6)


def wrapped(name: str, width: int = LABEL_WIDTH) -> str:
    """`name` on several lines of at most `width` characters, broken after a hyphen where possible; nothing cut."""
    parts = textwrap.wrap(name.replace("-", "- "), width, break_long_words=True)
    return "\n".join(part.replace("- ", "-") for part in parts) or name


def ratio_figure(rows: Sequence[Row], noise: stats.NoiseFloor, scenarios: Sequence[str], baseline: str = "",
                 run: str = "", confidence: float = stats.CONFIDENCE):
    """Ratio to the baseline per step and scenario with its interval (95 % unless α says otherwise), on a log axis
    (2× and ½× are equally far from 1×); a filled marker is a `slower`/`faster` verdict, a hollow one is not, and a
    grey cross is a cell without an interval (untested); the grey band is ±δ, the declared smallest effect."""

    compared = [row for row in rows if not row.is_baseline and row.ratio is not None and not row.is_setup]
    labels = [f"{_step_title(row)} ·\n{wrapped(row.scenario, 40)}" for row in compared]
    figure = _figure(7.5, 1.4 + 0.22 * sum(label.count("\n") + 1 for label in labels))
    axes = figure.add_subplot()
    axes.axvspan(noise.low, noise.high, color=BAND_COLOUR, zorder=0)
    axes.axvline(1.0, color="grey", linewidth=0.8)
    colours = _colours(scenarios)
    for y, row in enumerate(compared):
        colour = colours[row.scenario]
        if row.ratio_ci_low is None or row.ratio_ci_high is None:
            axes.plot([row.ratio], [y], marker="x", color="grey", markersize=6, linestyle="none")
            continue
        axes.errorbar([row.ratio], [y], xerr=[[row.ratio - row.ratio_ci_low], [row.ratio_ci_high - row.ratio]],
                      fmt="o", color=colour, markerfacecolor=colour if row.significant else "white", capsize=3,
                      markersize=5)
    axes.set_yticks(range(len(compared)), labels, fontsize=6)
    axes.set_title((f"run {run}: " if run else "") + (f"ratio to baseline {baseline}" if baseline
                                                      else "ratio to the baseline"), fontsize=8, loc="left")
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}×"))
    axes.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
    axes.tick_params(labelsize=7)
    axes.set_xlabel(f"ratio to {baseline or 'the baseline'} (log scale)\nbars: {stats.level(confidence)} interval; "
                    "grey band: ±δ "
                    f"{noise.low:.3f}–{noise.high:.3f}\nfilled: slower/faster; hollow: equivalent, inconclusive; "
                    "×: untested", fontsize=7)  # three lines: one would run past a narrow figure's edge
    return figure


def save(figure, out_dir: Path, stem: str) -> list[Path]:
    """Write `figure` as out_dir/stem.png and .svg without timestamps; returns the paths."""

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.svg"]
    with matplotlib.rc_context({"svg.hashsalt": "harness", "svg.fonttype": "none"}):
        figure.savefig(paths[0], dpi=150, metadata={"Software": None})
        figure.savefig(paths[1], metadata={"Date": None, "Creator": None})
    return paths


def workload_plots(summary: Summary, out_dir: Path, rounds: dict[tuple, tuple[int, ...]] | None = None
                   ) -> dict[str, list[Path]]:
    """For each workload × builder: `-steps` and `-ratios` figures; returns the paths per workload (named
    `workload (builder)` and `<workload>-<builder>-…` once a run has builds other than classic). `rounds` maps a
    cell (workload, step, scenario, builder) to the round of each of its values, to colour the dots."""
    scenarios = list(dict.fromkeys(row.scenario for row in summary.rows))
    named = {row.builder for row in summary.rows} != {"classic"}
    written: dict[str, list[Path]] = {}
    for workload, builder in dict.fromkeys((row.workload, row.builder) for row in summary.rows):
        rows = [row for row in summary.rows if (row.workload, row.builder) == (workload, builder) and not row.is_setup]
        name, stem = ((f"{workload} ({builder})", f"{_slug(workload)}-{builder}") if named
                      else (workload, _slug(workload)))
        title = f"run {summary.run_id}, workload {name}: every measured build, in seconds"
        written[name] = save(step_figure(rows, scenarios, title, rounds), out_dir, f"{stem}-steps")
        written[name] += save(ratio_figure(rows, summary.noise, scenarios, summary.baseline, summary.run_id,
                                           summary.confidence),
                              out_dir, f"{stem}-ratios")
    return written


def _slug(name: str) -> str:
    return "".join(char if char.isalnum() or char in "-_." else "_" for char in name)


#: Axes turn logarithmic when their values span at least this factor (two decades).
LOG_SPAN = 100


def growth_curves(fits: Sequence[Fit]) -> dict[tuple, list[Fit]]:
    """The fits of each curve to draw: (family, builder, param, other params) → its fits, in summary order."""
    curves: dict[tuple, list[Fit]] = {}
    for fit in fits:
        curves.setdefault((fit.workload, fit.builder, fit.param, fit.at), []).append(fit)
    return curves


def steepest_step(fits: Sequence[Fit]) -> int | str | None:
    """The step (not the whole build) whose fitted cost grows most in any scenario: the one worth its own panel."""
    steps = [fit for fit in fits if fit.step != TOTAL and fit.slope_s_per_1000 is not None]
    return max(steps, key=lambda fit: fit.slope_s_per_1000).step if steps else None


#: What each sweep parameter counts, in words, with its unit (the x axis of a growth figure).
PARAMETER_LABELS = {"files_in_base": "files in the base image", "base_file_size": "size of each base file (bytes)",
                    "base_directories": "directories in the base image", "changed_files": "files the step changes",
                    "changed_file_size": "size of each changed file (bytes)"}


def parameter_label(param: str) -> str:
    return PARAMETER_LABELS.get(param, param.replace("_", " "))


def growth_figure(fits: Sequence[Fit], scenarios: Sequence[str], title: str = ""):
    """Time against the swept parameter, one line per scenario: medians with their 95 % intervals (hollow where a
    size sits on a floor), the fitted model drawn over the measured range, its cost per 1 000 in the legend. One
    panel for the whole build and one for the step that grows most; log axes where values span two decades."""
    panels = [step for step in (TOTAL, steepest_step(fits))
              if step is not None and any(f.step == step and f.points for f in fits)]
    figure = _figure(5.2 * len(panels), 4.0 + 0.15 * len({f.scenario for f in fits}))
    colours = _colours(scenarios)
    for index, step in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), index + 1)
        drawn = [fit for fit in fits if fit.step == step and fit.points]
        for fit in drawn:
            _draw_growth(axes, fit, colours[fit.scenario])
        values = [p.value for fit in drawn for p in fit.points]
        medians = [p.median_s for fit in drawn for p in fit.points]
        logarithmic = _wide(values)
        if logarithmic or _wide(medians):  # both or neither: a line a + b·N on log x alone looks exponential
            axes.set_xscale("log")
            axes.set_yscale("log")
        first = drawn[0]
        axes.set_title("whole build" if step == TOTAL else f"step {step}: {first.instruction or ''} (grows most)",
                       fontsize=9, loc="left")
        scale = " (log scale)" if axes.get_xscale() == "log" else ""
        axes.set_xlabel(parameter_label(first.param) + scale, fontsize=8)
        axes.set_ylabel("seconds (median, 95% interval)" + scale, fontsize=8)
        axes.tick_params(labelsize=7)
        axes.legend(fontsize=6, loc="upper left", bbox_to_anchor=(0, -0.16))  # below: never over the points
    if title:
        figure.suptitle(title, fontsize=9, x=0.01, ha="left")
    return figure


def _draw_growth(axes, fit: Fit, colour) -> None:

    for point in fit.points:
        low, high = point.ci_low_s, point.ci_high_s
        axes.errorbar([point.value], [point.median_s], fmt="o", color=colour, markersize=4, capsize=2,
                      markerfacecolor="white" if point.on_floor else colour,
                      yerr=None if low is None else [[point.median_s - low], [high - point.median_s]])
    label = fit.scenario
    if fit.slope_s_per_1000 is not None:
        smallest, largest = fit.points[0].value, fit.points[-1].value
        wide = largest >= LOG_SPAN * smallest > 0
        xs = np.geomspace(smallest, largest, 100) if wide else np.linspace(smallest, largest, 100)
        axes.plot(xs, fit.predict(xs), color=colour, linewidth=1)
        label += f": {growth_cost(fit)}" + (f", above a {fit.floor_s:.2f} s floor" if fit.floor_s is not None else "")
    axes.plot([], [], color=colour, marker="o", label=label)


def growth_cost(fit: Fit) -> str:
    """`0.147 s per 1 000 files_in_base [0.142, 0.155]`."""

    return f"{numbers.seconds(fit.slope_s_per_1000)} s per 1 000 {parameter_label(fit.param)} " \
           f"{numbers.seconds_interval(fit.slope_ci_low, fit.slope_ci_high)}".rstrip()


def _wide(values: Sequence[float]) -> bool:
    """Whether `values` span `LOG_SPAN` (two decades): such an axis is drawn logarithmic."""
    positive = [value for value in values if value > 0]
    return bool(positive) and max(positive) >= LOG_SPAN * min(positive)


def growth_plots(summary: Summary, out_dir: Path) -> dict[str, list[Path]]:
    """One `growth-…` figure per swept curve of the run (none without a sweep); paths per curve title."""
    scenarios = list(dict.fromkeys(row.scenario for row in summary.rows))
    written: dict[str, list[Path]] = {}
    for (family, builder, param, at), fits in growth_curves(summary.growth).items():
        if not any(fit.points for fit in fits):
            continue  # nothing measured on any scenario: nothing to draw (the text says so)
        held = "".join(f"-{name}{value}" for name, value in at)
        stem = _slug(f"growth-{family}-{param}{held}" + (f"-{builder}" if builder != "classic" else ""))
        title = f"run {summary.run_id}: {curve_title((family, builder, param, at))}"
        written[curve_title((family, builder, param, at))] = save(growth_figure(fits, scenarios, title), out_dir,
                                                                  stem)
    return written


def curve_title(curve: tuple) -> str:
    """`rename-sweep over files_in_base, changed_files=10 (buildkit)`: a curve of `growth_curves` in words."""
    family, builder, param, at = curve
    return f"{family} over {param}" + "".join(f", {name}={value}" for name, value in at) \
        + (f" ({builder})" if builder != "classic" else "")
