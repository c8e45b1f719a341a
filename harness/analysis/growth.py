"""Growth curves: how a step's time grows with a swept workload parameter (files in the base, changed files…), as
a straight line time = a + b·N fitted per scenario, family, step and builder, with a 95 % interval on the slope b.

What is fitted, and why:
- Points are the cells of one family that differ in one swept parameter only (with several swept parameters, each
  is fitted along the cells where the others are equal, and the row says at which values). A fit needs ≥ 3 sizes.
- Ordinary least squares on the per-cell medians, every size weighted alike: a median is robust to the odd slow
  build, and fitting all builds would let a size with more repetitions pull the line.
- Interval: with ≥ 2 rounds measuring every size, a t-interval over the slopes fitted to each round's low medians
  (the round is the unit, as for ratios). Otherwise a hierarchical percentile bootstrap: daemon sessions
  (rounds) are drawn with replacement — the same draw for every size of a scenario, since one session builds them
  all and its drift moves them together — then builds within each drawn round; each resample's medians are fitted
  again. In a single-session run this is a bootstrap over builds. It measures how sure the slope is given the
  noise of the measurements, not whether a line is the right model: that is judged separately (`LINE_TOLERANCE`).
- Floor: differs that wait for the next whole second after each layer diff (the naive differ, docs/facts.md) make the
  smallest sizes sit on a floor, and a line through them underestimates the growth above it. When the medians of the
  smallest sizes are flat (within `FLOOR_TOLERANCE` or the smallest size's interval) and later sizes rise above them,
  the model is time = max(floor, a + b·N): the floor is the median of the flat sizes and the line is fitted to the
  sizes above it (needs ≥ 2; with fewer, a line over every size is kept and the note says why it underestimates). A
  floor is only fitted where the data show one: when a straight line through every size does not fit, bending upward
  (a true line with flat-looking small sizes keeps the line). The wait is uniform in 0–1 s, so the floor can be soft
  (a curve bending up into the line): when the flat sizes do not show it, the split into floor and line that fits
  best is used, if it fits. The split is chosen on the medians and held fixed in the bootstrap (the interval is
  conditional on it).
Slopes are reported per 1 000 units of the parameter (files for the file-count parameters).
"""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.analysis import sessions, stats
from harness.results.reader import TOTAL, Cell, CellKey

#: Fewest sizes a growth fit needs (two points always lie on a line).
MIN_POINTS = 3
#: Sizes whose medians lie within this fraction of the smallest size's median are "flat": on a floor when larger
#: sizes rise above it. Above the 2–5 % session-to-session noise of a build on this kind of machine (docs/facts.md).
FLOOR_TOLERANCE = 0.10
FLAT = (f"medians within {FLOOR_TOLERANCE:.0%} of the smallest size's or inside its 95% interval")
UNPAIRED = ("no interval: the sizes were not all measured in the same daemon sessions (rounds), so too many "
            "resamples lack a size; finish or --resume the run")
#: A straight line "does not fit" when a size's median is further than this fraction from it.
LINE_TOLERANCE = 0.10
#: A floor in this range (seconds) is read as the naive differ's wait for the next whole second (docs/facts.md: ≈ 0.85 s
#: per commit back to back) and the note says so.
SECOND_FLOOR = (0.7, 1.5)
PER = 1000
LINEAR, FLOOR_LINEAR, NO_FIT = "linear", "floor+linear", "none"
#: Cell names of a sweep: `family@name=value,name=value` (config.py's contract), read when a manifest lacks them.
_SWEPT_NAME = re.compile(r"^(?P<family>[^@]+)@(?P<params>\w+=-?\d+(?:,\w+=-?\d+)*)$")


@dataclass(frozen=True)
class Point:
    """One size of a growth curve: the parameter's value and the cell's median with its 95 % interval."""

    value: int
    median_s: float
    ci_low_s: float | None
    ci_high_s: float | None
    on_floor: bool = False


@dataclass(frozen=True)
class Fit:
    """time = max(floor, a + b·N) (floor None for a plain line) for one scenario, family, step and builder."""

    scenario: str
    workload: str  # the family
    step: int | str
    instruction: str | None
    param: str
    builder: str
    points: tuple[Point, ...]
    slope_s_per_1000: float | None
    slope_ci_low: float | None
    slope_ci_high: float | None
    intercept_s: float | None
    floor_s: float | None
    r_squared: float | None
    model: str
    note: str
    at: tuple[tuple[str, int], ...] = ()  # the other swept parameters, held at these values

    @property
    def n_points(self) -> int:
        """Sizes the line was fitted to (those above the floor for the floor model)."""
        return sum(not point.on_floor for point in self.points) if self.slope_s_per_1000 is not None else 0

    def predict(self, values: np.ndarray) -> np.ndarray:
        """The fitted model at `values` (seconds)."""
        line = (self.intercept_s or 0.0) + (self.slope_s_per_1000 or 0.0) / PER * np.asarray(values, float)
        return line if self.floor_s is None else np.maximum(self.floor_s, line)


def cell_params(manifest: dict[str, Any], workload: str) -> tuple[str, dict[str, Any]]:
    """(family, swept params) of a workload: from the manifest's `workloads.NAME`, else from a sweep cell's name
    (`family@name=value,…`); a plain workload is its own family with no params."""
    record = (manifest.get("workloads") or {}).get(workload)
    if isinstance(record, dict) and isinstance(record.get("params"), dict) and record["params"]:
        return str(record.get("family") or workload), dict(record["params"])
    match = _SWEPT_NAME.match(workload)
    if match:
        pairs = (pair.split("=") for pair in match["params"].split(","))
        return match["family"], {name: int(value) for name, value in pairs}
    return workload, {}


def fit_growth(cells: dict[CellKey, Cell], manifest: dict[str, Any], scenarios: Sequence[str],
               n_resamples: int = stats.BOOTSTRAP_RESAMPLES) -> tuple[Fit, ...]:
    """Every growth fit of a run: per family, builder, swept parameter (and values of the others), step and
    scenario (in `scenarios` order), for each numeric parameter swept over ≥ `MIN_POINTS` values."""
    fits = []
    for (family, builder, param, at), members in _curves(cells, manifest).items():
        steps = sorted({key[1] for key in members}, key=lambda s: (s == TOTAL, 0 if s == TOTAL else int(s)))
        for step in steps:
            for scenario in [s for s in scenarios if any(k[1] == step and k[2] == s for k in members)]:
                chosen = sorted(((value, cells[key]) for key, value in members.items()
                                 if key[1] == step and key[2] == scenario), key=lambda pair: pair[0])
                if chosen[0][1].instruction in ("FROM",):
                    continue  # FROM only tags the base image: nothing grows there
                seed = stats.seed_from("growth", scenario, family, step, builder, param, at)
                fits.append(fit_curve(chosen, scenario, family, step, param, builder, at, seed, n_resamples))
    return tuple(fits)


def _curves(cells: dict[CellKey, Cell], manifest: dict[str, Any]) -> dict[tuple, dict[CellKey, int]]:
    """(family, builder, param, other params) → {cell key: value of param}, for sweeps of ≥ MIN_POINTS values."""
    curves: dict[tuple, dict[CellKey, int]] = {}
    for key in cells:
        family, params = cell_params(manifest, key[0])
        for param, value in params.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                at = tuple(sorted((name, other) for name, other in params.items() if name != param))
                curves.setdefault((family, key[3], param, at), {})[key] = value
    return {curve: members for curve, members in curves.items()
            if len(set(members.values())) >= MIN_POINTS}


def fit_curve(chosen: Sequence[tuple[int, Cell]], scenario: str, family: str, step: int | str, param: str,
              builder: str, at: tuple, seed: int, n_resamples: int = stats.BOOTSTRAP_RESAMPLES) -> Fit:
    """The fit of one scenario's curve (`chosen`: (value, cell) by ascending value)."""
    measured = [(value, cell) for value, cell in chosen if cell.values]
    empty = Fit(scenario, family, step, chosen[0][1].instruction, param, builder,
                tuple(_point(value, cell) for value, cell in measured), None, None, None, None, None, None, NO_FIT,
                "", at)
    if len(measured) < MIN_POINTS:
        return dataclasses.replace(empty, note=f"only {len(measured)} of {len(chosen)} sizes have successful "
                                               f"measurements; a growth fit needs {MIN_POINTS}")
    points, level, note = floor_model(list(empty.points), param)
    fitted = [pair for pair, point in zip(measured, points) if not point.on_floor]
    xs = np.array([value for value, _ in fitted], float)
    ys = np.array([point.median_s for point in points if not point.on_floor])
    slope, intercept = (float(v) for v in np.polyfit(xs, ys, 1))
    low, high = slope_interval(fitted, seed, n_resamples) or (None, None)
    low, high = (None, None) if low is None else (min(low, slope) * PER, max(high, slope) * PER)
    r2 = r_squared(xs, ys, slope, intercept) if len(xs) >= MIN_POINTS else None
    notes = (note, shape_note([p for p in points if not p.on_floor], slope, intercept, r2, param),
             flat_note(low, high), "" if low is not None or len(fitted) < 2 else UNPAIRED)
    return dataclasses.replace(
        empty, points=tuple(points), slope_s_per_1000=slope * PER, slope_ci_low=low, slope_ci_high=high,
        intercept_s=intercept, floor_s=level, r_squared=r2, model=LINEAR if level is None else FLOOR_LINEAR,
        note="; ".join(part for part in notes if part))


def floor_model(points: list[Point], param: str) -> tuple[list[Point], float | None, str]:
    """(points with the floor's marked, the floor in seconds or None, a note): only when a line through every size
    does not fit, bending upward — then the floor model if the smallest sizes are flat and ≥ 2 sizes rise above them,
    else the best split into floor and line if that fits; a plain line otherwise (with a note when a floor was seen
    but too few sizes lie above it to fit)."""
    if misfit(points, *_line(points)) <= 0:
        return points, None, ""  # a line through every size fits: a floor would be read into noise, not data
    floor, why = floor_sizes(points), FLAT
    if not floor:
        floor, why = knee(points), "a line through every size does not fit, bending upward, and a floor under one does"
    if not floor:
        return points, None, ""
    flat = f"{param} ≤ {_number(points[floor - 1].value)}"
    if len(points) - floor < 2:
        return points, None, (f"{flat} are flat ({FLAT}: a floor) and only one size rises above them: this line "
                              "over every size underestimates the growth above the floor; sweep larger sizes")
    level = statistics.median(point.median_s for point in points[:floor])
    marked = [dataclasses.replace(point, on_floor=index < floor) for index, point in enumerate(points)]
    if SECOND_FLOOR[0] <= level <= SECOND_FLOOR[1]:
        why += "; about a second: the naive differ waits for the next whole second after each layer diff"
    return marked, level, (f"{flat} sit on a floor of {level:.3f} s ({why}); line fitted above it: "
                           "time = max(floor, a + b·N)")


def knee(points: Sequence[Point]) -> int:
    """How many of the smallest sizes to put on a floor so that time = max(floor, a + b·N) fits best (least squares
    over every size, the floor the median of those sizes, the line fitted to the ≥ 2 sizes above); 0 when even the
    best such model does not fit (`misfit`)."""
    best, best_error = 0, np.inf
    for floor in range(1, len(points) - 1):
        level = statistics.median(point.median_s for point in points[:floor])
        slope, intercept = _line(points[floor:])
        predicted = np.maximum(level, intercept + slope * np.array([point.value for point in points], float))
        error = float(np.sum((np.array([point.median_s for point in points]) - predicted) ** 2))
        fits = not any(_outside(point, at) and abs(point.median_s - at) > LINE_TOLERANCE * point.median_s
                       for point, at in zip(points, predicted))
        if fits and error < best_error:
            best, best_error = floor, error
    return best


def _line(points: Sequence[Point]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through the points' medians."""
    slope, intercept = np.polyfit([point.value for point in points], [point.median_s for point in points], 1)
    return float(slope), float(intercept)


def misfit(points: Sequence[Point], slope: float, intercept: float) -> float:
    """0 when the line fits every size (within `LINE_TOLERANCE`, or inside the size's own 95 % median interval),
    else the sign of its bend: > 0 when the medians curve upward (convex), < 0 downward. Needs ≥ 3 sizes."""
    if len(points) < MIN_POINTS:
        return 0.0
    if not any(_outside(point, intercept + slope * point.value)
               and abs(point.median_s - intercept - slope * point.value) > LINE_TOLERANCE * point.median_s
               for point in points):
        return 0.0
    return float(np.sign(np.polyfit([p.value for p in points], [p.median_s for p in points], 2)[0]))


def flat_note(low: float | None, high: float | None) -> str:
    """Say so when the interval cannot tell the slope from zero: no growth measurable over this range."""
    return "no growth measurable: the slope's interval includes 0" if low is not None and low <= 0 <= high else ""


def _point(value: int, cell: Cell) -> Point:
    described = stats.describe(cell.values)
    return Point(value, float(described.median), described.ci_low, described.ci_high)


def _number(value: float) -> str:
    """1 000 000: thousands separated by spaces, as the report writes counts."""
    return f"{int(value):,}".replace(",", " ")


def floor_sizes(points: Sequence[Point]) -> int:
    """How many of the smallest sizes sit on a floor: the leading sizes that cannot be told from the smallest —
    their medians within `FLOOR_TOLERANCE` of its median or inside its 95 % interval (a noisy machine) — when
    there are ≥ 2 of them and a larger size rises above; else 0."""
    ceiling = max(points[0].median_s * (1 + FLOOR_TOLERANCE), points[0].ci_high_s or 0.0)
    flat = next((i for i, point in enumerate(points) if point.median_s > ceiling), len(points))
    return flat if 2 <= flat < len(points) else 0


def slope_interval(fitted: Sequence[tuple[int, Cell]], seed: int, n_resamples: int) -> tuple[float, float] | None:
    """95 % interval of the slope: with ≥ 2 rounds in which every size was measured, a t-interval over the rounds'
    own slopes (each round's low medians fitted by least squares; t with R − 1 degrees of freedom) — the round is the
    unit, and a bootstrap over 3 rounds has almost nothing to resample (it gave a native differ a slope excluding 0);
    else the hierarchical bootstrap over builds (`bootstrap_slope_interval`)."""
    shared = sorted(set.intersection(*(set(cell.rounds) for _, cell in fitted))) if fitted else []
    if len(shared) < sessions.MIN_ROUNDS:
        return bootstrap_slope_interval(fitted, seed, n_resamples)
    xs = np.array([value for value, _ in fitted], float)
    per_round = [sessions.round_medians(cell.values, cell.rounds) for _, cell in fitted]
    slopes = np.array([np.polyfit(xs, [medians[r] for medians in per_round], 1)[0] for r in shared])
    half = float(stats.stats.t.ppf(0.5 + stats.CONFIDENCE / 2, slopes.size - 1)) * slopes.std(ddof=1) / np.sqrt(
        slopes.size)
    return float(slopes.mean() - half), float(slopes.mean() + half)


def bootstrap_slope_interval(fitted: Sequence[tuple[int, Cell]], seed: int, n_resamples: int
                             ) -> tuple[float, float] | None:
    """95 % percentile interval of the least-squares slope over hierarchical bootstrap resamples of the cells'
    medians: rounds drawn once for all sizes (one daemon session builds them all), builds drawn within each drawn
    round independently per size. None when too many resamples are undefined."""
    cells = [cell for _, cell in fitted]
    rounds = sorted({r for cell in cells for r in cell.rounds})
    per_round = max(int(max(np.unique(cell.rounds, return_counts=True)[1])) for cell in cells)
    shared = sessions.resamples(rounds, per_round, seed, n_resamples)
    rng = np.random.default_rng(stats.seed_from(seed, "within"))
    medians = np.column_stack([
        sessions.resampled_medians(cell.values, cell.rounds,
                                   dataclasses.replace(shared, within_base=rng.random(shared.within_base.shape)),
                                   "base")
        for cell in cells])
    xs = np.array([value for value, _ in fitted], float)
    centred = xs - xs.mean()
    slopes = (medians - medians.mean(axis=1, keepdims=True)) @ centred / (centred @ centred)
    return sessions.percentile_interval(slopes, stats.CONFIDENCE)


def r_squared(xs: np.ndarray, ys: np.ndarray, slope: float, intercept: float) -> float | None:
    """Share of the medians' variance the line explains; None when they do not vary."""
    total = float(np.sum((ys - ys.mean()) ** 2))
    return None if total == 0 else 1 - float(np.sum((ys - (intercept + slope * xs)) ** 2)) / total


def shape_note(points: Sequence[Point], slope: float, intercept: float, r2: float | None, param: str) -> str:
    """Where a straight line does not fit (see `misfit`): the size furthest from it and which way the medians
    bend; a two-point line is said to be unable to show curvature."""
    if len(points) < MIN_POINTS:
        return f"a line through {len(points)} sizes cannot show curvature"
    bend = misfit(points, slope, intercept)
    if not bend:
        return ""
    worst = max(points, key=lambda p: abs(p.median_s - intercept - slope * p.value) / p.median_s)
    deviation = (worst.median_s - intercept - slope * worst.value) / worst.median_s
    shape = "grows faster than linearly (convex)" if bend > 0 else "grows slower than linearly (concave)"
    return (f"a straight line does not fit: the median at {param} = {_number(worst.value)} is {abs(deviation):.0%} "
            f"{'above' if deviation > 0 else 'below'} it (R² {r2:.3f}); time {shape}")


def _outside(point: Point, value: float) -> bool:
    """Whether `value` lies outside the point's median interval (True when it has none: too few samples)."""
    return point.ci_low_s is None or not point.ci_low_s <= value <= point.ci_high_s


def fit_records(fits: Sequence[Fit]) -> list[dict]:
    """The summary JSON's top-level `growth` list."""
    return [{"scenario": f.scenario, "workload": f.workload, "step": f.step, "param": f.param,
             "builder": f.builder, "n_points": f.n_points, "slope_s_per_1000": f.slope_s_per_1000,
             "slope_ci_low": f.slope_ci_low, "slope_ci_high": f.slope_ci_high, "intercept_s": f.intercept_s,
             "floor_s": f.floor_s, "r_squared": f.r_squared, "model": f.model, "note": f.note, "at": dict(f.at)}
            for f in fits]
