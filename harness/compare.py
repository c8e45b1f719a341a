"""Two runs → one row per cell they share (workload × step × scenario): how run B differs from run A.

The use is before/after: the same matrix measured on two kernels, engine versions or machines. Each shared cell
gets the ratio of medians B ÷ A (shown as a change, +12 %) with its bootstrap interval and a Mann–Whitney p-value,
Benjamini–Hochberg adjusted over all shared cells; the same methods as `harness.summary`. Cells found in only one
run are listed, and what differs between the two environments (kernel, engine, driver status, workload
fingerprint) is noted, since that is usually the point of the comparison — or the reason it is not valid.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from harness import stats
from harness.caveats import Caveat, comparison_caveats, sample_caveats
from harness.errors import InputError
from harness.rundata import TOTAL, Cell, CellKey, RunData, collect_cells, load_run, ordered_keys
from harness.summary import GeomeanRow


@dataclass(frozen=True)
class CompareRow:
    """One shared cell: each run's own numbers, then B against A."""

    workload: str
    step: int | str
    instruction: str | None
    text: str | None
    scenario: str
    a: stats.Description
    b: stats.Description
    n_failed_a: int
    n_failed_b: int
    ratio: float | None
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class RunComparison:
    """Everything `harness compare` shows."""

    run_a: str
    run_b: str
    alpha: float
    noise: float
    n_comparisons: int
    rows: tuple[CompareRow, ...]
    geomean: tuple[GeomeanRow, ...]
    caveats: tuple[Caveat, ...]
    notes: tuple[str, ...]
    only_in_a: tuple[CellKey, ...]
    only_in_b: tuple[CellKey, ...]


def compare_runs(run_a: RunData, run_b: RunData, alpha: float = stats.DEFAULT_ALPHA,
                 noise: float = stats.DEFAULT_NOISE) -> RunComparison:
    """B against A for every cell both runs measured; InputError when they share none."""
    cells_a, cells_b = collect_cells(run_a.samples), collect_cells(run_b.samples)
    shared = ordered_keys(cells_a.keys() & cells_b.keys(), run_a.manifest, run_a.manifest.get("baseline"))
    if not shared:
        raise InputError(f"runs {run_a.run_id} and {run_b.run_id} share no (workload, step, scenario) cell; "
                         "compare two runs of the same matrix (same scenario and workload names)")
    found = [_cell_caveats(cells_a[key], cells_b[key]) for key in shared]
    drafts = [_draft_row(cells_a[key], cells_b[key], codes) for key, codes in zip(shared, found)]
    adjusted = stats.adjust_pvalues([row.p_value for row in drafts])
    rows = tuple(dataclasses.replace(row, p_adjusted=p, significant=stats.is_significant(p, row.ratio, alpha, noise))
                 for row, p in zip(drafts, adjusted))
    return RunComparison(
        run_a=run_a.run_id, run_b=run_b.run_id, alpha=alpha, noise=noise,
        n_comparisons=sum(p is not None for p in adjusted), rows=rows, geomean=_geomean(rows),
        caveats=tuple(Caveat(code, *key, detail) for key, codes in zip(shared, found) for code, detail in codes),
        notes=tuple(environment_notes(run_a, run_b)),
        only_in_a=tuple(sorted(cells_a.keys() - cells_b.keys(), key=str)),
        only_in_b=tuple(sorted(cells_b.keys() - cells_a.keys(), key=str)))


def _cell_caveats(a: Cell, b: Cell) -> list[tuple[str, str]]:
    """Warnings for either run's samples of the cell (detail says which run), then for the comparison."""
    found = [(code, f"A: {detail}") for code, detail in sample_caveats(a.values, a.n_failed)]
    found += [(code, f"B: {detail}") for code, detail in sample_caveats(b.values, b.n_failed)]
    return found + comparison_caveats(len(b.values), len(a.values))


def _draft_row(a: Cell, b: Cell, found: list[tuple[str, str]]) -> CompareRow:
    diff = stats.difference(a.values, b.values, stats.seed_from("compare", a.workload, a.step, a.scenario))
    return CompareRow(
        workload=a.workload, step=a.step, instruction=a.instruction or b.instruction, text=a.text or b.text,
        scenario=a.scenario, a=stats.describe(a.values), b=stats.describe(b.values), n_failed_a=a.n_failed,
        n_failed_b=b.n_failed, ratio=diff.ratio, ratio_ci_low=diff.ci_low, ratio_ci_high=diff.ci_high,
        p_value=diff.p_value, p_adjusted=None, significant=False, warnings=tuple(code for code, _ in found))


def _geomean(rows: tuple[CompareRow, ...]) -> tuple[GeomeanRow, ...]:
    ratios: dict[str, list[float]] = {}
    for row in rows:
        if row.step != TOTAL:
            bucket = ratios.setdefault(row.scenario, [])
            if row.ratio is not None:
                bucket.append(row.ratio)
    return tuple(GeomeanRow(name, stats.geometric_mean(values), len(values)) for name, values in ratios.items())


def environment_notes(run_a: RunData, run_b: RunData) -> list[str]:
    """What differs between the runs' environments and workloads, and each run's status if not complete."""
    notes = [f"run {label} status is {run.manifest['status']!r}: it covers only what was measured"
             for label, run in (("A", run_a), ("B", run_b)) if run.manifest.get("status") not in (None, "complete")]
    notes += _differences("host kernel", _get(run_a, "host", "kernel"), _get(run_b, "host", "kernel"))
    for name in _shared_names(run_a, run_b, "scenarios"):
        for label, path in (("engine", ("docker_version", "Version")), ("kernel", ("kernel",)),
                            ("driver status", ("driver_status",)), ("overlay parameters", ("overlay_parameters",))):
            notes += _differences(f"{name} {label}", _get(run_a, "scenarios", name, *path),
                                  _get(run_b, "scenarios", name, *path))
    for name in _shared_names(run_a, run_b, "workloads"):
        fingerprints = (_get(run, "workloads", name, "fingerprint") for run in (run_a, run_b))
        notes += [f"{text}: the runs did not build the same thing, their steps may not be comparable"
                  for text in _differences(f"workload {name} fingerprint", *fingerprints)]
    return sorted(notes, key=lambda note: not note.startswith("run "))


def _shared_names(run_a: RunData, run_b: RunData, section: str) -> list[str]:
    """Names both manifests list under `section`, in A's order (deterministic, unlike a set)."""
    in_b = run_b.manifest.get(section) or {}
    return [name for name in run_a.manifest.get(section) or {} if name in in_b]


def _get(run: RunData, *path: str) -> object:
    value: object = run.manifest
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _differences(label: str, a: object, b: object) -> list[str]:
    return [] if a == b or a is None or b is None else [f"{label} differs: A {a} → B {b}"]


def render_comparison(run_a: Path, run_b: Path, fmt: str = "table", *, alpha: float = stats.DEFAULT_ALPHA,
                      noise: float = stats.DEFAULT_NOISE) -> str:
    """`harness compare RUN_A RUN_B` as text in `fmt` (table, md, latex, csv, json)."""
    from harness import export
    from harness.export.layout_compare import comparison_doc

    export.check_format(fmt)
    comparison = compare_runs(load_run(Path(run_a)), load_run(Path(run_b)), alpha=alpha, noise=noise)
    return export.render(comparison_doc(comparison), fmt)
