"""A `RunComparison` → `TableDoc`: each run's median, then the change B ÷ A − 1 with its interval (`~` when not
significant, as benchstat prints it)."""

from __future__ import annotations

from harness import SCHEMA_VERSION, stats
from harness.compare import CompareRow, RunComparison
from harness.export import numbers
from harness.export.document import DisplayRow, Section, TableDoc
from harness.export.layout import caveat_records, grouped, marked_ratio, methods, notices

HEADERS = ("step", "instruction", "scenario", "n A", "median A s", "n B", "median B s", "delta", "delta 95% CI",
           "p_adj")
NUMERIC = (True, False, False, True, True, True, True, True, True, True)
ROW_FIELDS = ("workload", "step", "instruction", "text", "scenario", "n_a", "n_failed_a", "median_a_s",
              "ci_low_a_s", "ci_high_a_s", "n_b", "n_failed_b", "median_b_s", "ci_low_b_s", "ci_high_b_s", "ratio",
              "ratio_ci_low", "ratio_ci_high", "p_value", "p_adjusted", "significant", "warnings")


def comparison_cells(row: CompareRow, first_in_group: bool) -> tuple[str, ...]:
    return (numbers.step(row.step) if first_in_group else "",
            numbers.instruction(row.text, row.step) if first_in_group else "",
            row.scenario, _count(row.a.n, row.n_failed_a), numbers.seconds(row.a.median),
            _count(row.b.n, row.n_failed_b), numbers.seconds(row.b.median),
            marked_ratio(row.ratio, row.p_value, row.significant, show=numbers.delta),
            numbers.delta_interval(row.ratio_ci_low, row.ratio_ci_high), numbers.p_value(row.p_adjusted))


def _count(n: int, n_failed: int) -> str:
    return f"{n} ({n_failed} failed)" if n_failed else str(n)


def record(row: CompareRow) -> dict:
    """The flat, tidy form of a row (CSV columns, JSON keys)."""
    own = {}
    for label, described in (("a", row.a), ("b", row.b)):
        own |= {f"n_{label}": described.n, f"median_{label}_s": described.median,
                f"ci_low_{label}_s": described.ci_low, f"ci_high_{label}_s": described.ci_high}
    own |= {"n_failed_a": row.n_failed_a, "n_failed_b": row.n_failed_b, "warnings": list(row.warnings)}
    return {field: own[field] if field in own else getattr(row, field) for field in ROW_FIELDS}


def legend(comparison: RunComparison) -> tuple[str, ...]:
    return (
        f"A = run {comparison.run_a}, B = run {comparison.run_b}. delta: median B ÷ median A − 1; its 95% CI by "
        f"percentile bootstrap of the ratio ({stats.BOOTSTRAP_RESAMPLES} resamples, seeded).",
        f"p_adj: two-sided Mann–Whitney U, Benjamini–Hochberg adjusted over {comparison.n_comparisons} comparisons.",
        f"~: no significant change (p_adj ≥ {comparison.alpha:g}, or within ±{comparison.noise:.0%}); (…): too few "
        "samples to test; n (k failed): k failed samples, counted but not timed. Warmups excluded.",
    )


def comparison_doc(comparison: RunComparison) -> TableDoc:
    sections = grouped(comparison.rows, comparison_cells)
    if comparison.geomean:
        rows = []
        for index, g in enumerate(comparison.geomean):
            cells = ["", f"(geomean of {g.n_cells} steps)", g.scenario] + [""] * (len(HEADERS) - 3)
            cells[HEADERS.index("delta")] = numbers.delta(g.ratio)
            rows.append(DisplayRow(tuple(cells), new_group=index == 0))
        sections.append(Section("geometric mean of step changes, all workloads", tuple(rows)))
    records = [record(row) for row in comparison.rows]
    return TableDoc(
        title=f"harness compare — A: run {comparison.run_a}, B: run {comparison.run_b}",
        headers=HEADERS, numeric=NUMERIC, sections=tuple(sections), legend=legend(comparison),
        notices=notices(comparison.caveats), notes=(*comparison.notes, *_unshared(comparison)),
        csv_columns=("run_a", "run_b", *ROW_FIELDS),
        csv_records=tuple((comparison.run_a, comparison.run_b, *(numbers.tidy(r[f]) for f in ROW_FIELDS))
                          for r in records),
        payload=payload(comparison, records), code_column=1)


def _unshared(comparison: RunComparison) -> list[str]:
    lines = []
    for label, keys in (("A", comparison.only_in_a), ("B", comparison.only_in_b)):
        if keys:
            shown = ", ".join(f"{w} step {s} on {c}" for w, s, c in keys[:5]) + (", …" if len(keys) > 5 else "")
            lines.append(f"{len(keys)} cell(s) only in run {label}, not compared: {shown}")
    return lines


def payload(comparison: RunComparison, records: list[dict]) -> dict:
    return {
        "schema": SCHEMA_VERSION, "run_a": comparison.run_a, "run_b": comparison.run_b, "alpha": comparison.alpha,
        "noise": comparison.noise, "n_comparisons": comparison.n_comparisons, "methods": methods(),
        "rows": records,
        "geomean": [{"scenario": g.scenario, "ratio": g.ratio, "n_cells": g.n_cells} for g in comparison.geomean],
        "warnings": caveat_records(comparison.caveats), "notes": list(comparison.notes),
        "only_in_a": [list(key) for key in comparison.only_in_a],
        "only_in_b": [list(key) for key in comparison.only_in_b],
    }
