"""A run directory → one row of statistics per cell (workload × step × scenario), compared with the baseline.

Each row carries the cell's own numbers (median, its distribution-free interval, spread) and, for scenarios other
than the baseline, the ratio of medians with its bootstrap interval and a Mann–Whitney p-value, Benjamini–Hochberg
adjusted over every comparison in the run. The baseline's own rows have ratio 1.0 and no interval, p-value or
significance: it is not compared with itself. See `harness.stats` for the methods and their sources.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from harness import caveats, stats
from harness.caveats import Caveat
from harness.errors import InputError
from harness.rundata import TOTAL, Cell, RunData, collect_cells, load_run, ordered_keys, scenario_names


@dataclass(frozen=True)
class Row:
    """One cell's statistics; ratio fields compare it with the baseline's cell for the same workload and step."""

    workload: str
    step: int | str
    instruction: str | None
    text: str | None
    scenario: str
    is_baseline: bool
    n: int
    n_failed: int
    median_s: float | None
    ci_low_s: float | None
    ci_high_s: float | None
    min_s: float | None
    max_s: float | None
    cv: float | None
    mad_s: float | None
    ratio: float | None
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    warnings: tuple[str, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class GeomeanRow:
    """Geometric mean of one scenario's step ratios over all workloads (whole-build rows left out: they would
    count every step twice)."""

    scenario: str
    ratio: float | None
    n_cells: int


@dataclass(frozen=True)
class Summary:
    """Everything `harness summary` shows: rows, geometric means, warnings and notes about the run."""

    run_id: str
    baseline: str
    alpha: float
    noise: float
    n_comparisons: int
    rows: tuple[Row, ...]
    geomean: tuple[GeomeanRow, ...]
    caveats: tuple[Caveat, ...]
    notes: tuple[str, ...]


def resolve_baseline(run: RunData, requested: str | None) -> str:
    """The baseline scenario: `requested`, else the manifest's; InputError when unknown or missing."""
    known = scenario_names(run)
    baseline = requested or run.manifest.get("baseline")
    if not baseline:
        raise InputError(f"{run.run_dir} has no manifest baseline; pass --baseline with one of: {', '.join(known)}")
    if baseline not in known:
        raise InputError(f"baseline {baseline!r} is not a scenario of run {run.run_id}; "
                         f"use --baseline with one of: {', '.join(known)}")
    return baseline


def summarize(run: RunData, baseline: str | None = None, alpha: float = stats.DEFAULT_ALPHA,
              noise: float = stats.DEFAULT_NOISE) -> Summary:
    """Statistics of every cell of `run` against `baseline` (default: the manifest's baseline scenario)."""
    baseline = resolve_baseline(run, baseline)
    cells = collect_cells(run.samples)
    pairs = [(cells[key], cells.get((key[0], key[1], baseline))) for key in ordered_keys(cells, run.manifest, baseline)]
    found = [cell_caveats(cell, base) for cell, base in pairs]
    drafts = [_draft_row(cell, base, codes) for (cell, base), codes in zip(pairs, found)]
    adjusted = stats.adjust_pvalues([row.p_value for row in drafts])
    rows = tuple(dataclasses.replace(row, p_adjusted=p, significant=stats.is_significant(p, row.ratio, alpha, noise))
                 for row, p in zip(drafts, adjusted))
    return Summary(
        run_id=run.run_id, baseline=baseline, alpha=alpha, noise=noise,
        n_comparisons=sum(p is not None for p in adjusted), rows=rows, geomean=geomean_rows(rows),
        caveats=tuple(Caveat(code, cell.workload, cell.step, cell.scenario, detail)
                      for (cell, _), codes in zip(pairs, found) for code, detail in codes),
        notes=tuple(run_notes(run, baseline, cells)))


def cell_caveats(cell: Cell, base: Cell | None) -> list[tuple[str, str]]:
    """(code, detail) warnings for a cell: its own samples, and its comparison unless it is the baseline."""
    found = caveats.sample_caveats(cell.values, cell.n_failed)
    if base is not cell:
        found += caveats.comparison_caveats(len(cell.values), len(base.values) if base else None)
    return found


def _draft_row(cell: Cell, base: Cell | None, found: list[tuple[str, str]]) -> Row:
    """A row without multiple-comparison correction (that needs every row's p-value)."""
    own = stats.describe(cell.values)
    is_baseline = base is cell
    if is_baseline:
        diff = stats.Difference(ratio=1.0 if own.n else None, ci_low=None, ci_high=None, p_value=None)
    elif base is None:
        diff = stats.Difference(None, None, None, None)
    else:
        seed = stats.seed_from(cell.workload, cell.step, cell.scenario, base.scenario)
        diff = stats.difference(base.values, cell.values, seed)
    return Row(
        workload=cell.workload, step=cell.step, instruction=cell.instruction, text=cell.text,
        scenario=cell.scenario, is_baseline=is_baseline, n=own.n, n_failed=cell.n_failed, median_s=own.median,
        ci_low_s=own.ci_low, ci_high_s=own.ci_high, min_s=own.minimum, max_s=own.maximum, cv=own.cv,
        mad_s=own.mad, ratio=diff.ratio, ratio_ci_low=diff.ci_low, ratio_ci_high=diff.ci_high,
        p_value=diff.p_value, p_adjusted=None, significant=False, warnings=tuple(code for code, _ in found),
        values=cell.values)


def geomean_rows(rows: tuple[Row, ...]) -> tuple[GeomeanRow, ...]:
    """Per non-baseline scenario, the geometric mean of its step ratios (cells without a ratio left out)."""
    ratios: dict[str, list[float]] = {}
    for row in rows:
        if not row.is_baseline and row.step != TOTAL:
            bucket = ratios.setdefault(row.scenario, [])
            if row.ratio is not None:
                bucket.append(row.ratio)
    return tuple(GeomeanRow(name, stats.geometric_mean(values), len(values)) for name, values in ratios.items())


def run_notes(run: RunData, baseline: str, cells: dict) -> list[str]:
    """Facts a reader needs next to the numbers: an unfinished run, scenarios that did not run, a baseline
    without measurements."""
    notes = []
    status = run.manifest.get("status")
    if status and status != "complete":
        notes.append(f"run status is {status!r}: the numbers cover only what was measured")
    for name, facts in (run.manifest.get("scenarios") or {}).items():
        if isinstance(facts, dict) and facts.get("status") not in (None, "ok"):
            reason = facts.get("reason") or "no reason recorded"
            notes.append(f"scenario {name} {facts['status']}: {reason}")
    if not any(key[2] == baseline and cell.values for key, cell in cells.items()):
        notes.append(f"baseline {baseline} has no successful measurements: no ratios; choose another with --baseline")
    return notes


def render_run_summary(run_dir: Path, fmt: str = "table", baseline: str | None = None, *,
                       alpha: float = stats.DEFAULT_ALPHA, noise: float = stats.DEFAULT_NOISE) -> str:
    """The summary of `run_dir` as text in `fmt` (table, md, latex, csv, json); what `harness summary` prints."""
    from harness import export
    from harness.export.layout import summary_doc

    export.check_format(fmt)
    summary = summarize(load_run(Path(run_dir)), baseline, alpha=alpha, noise=noise)
    return export.render(summary_doc(summary), fmt)
