"""A `Summary` → `TableDoc`: which columns a reader sees, how a difference is marked, what the legend says.

Differences follow benchstat: a ratio is printed only when it is significant (BH-adjusted p < α and outside the
noise band); otherwise `~`, so noise never reads as a result. The intervals are printed either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harness import SCHEMA_VERSION, stats
from harness.caveats import KINDS, Caveat
from harness.export import numbers
from harness.export.document import DisplayRow, Notice, Section, TableDoc
from harness.summary import Row, Summary

SUMMARY_HEADERS = ("step", "instruction", "scenario", "n", "median s", "95% CI", "CV", "ratio", "ratio 95% CI",
                   "p_adj")
SUMMARY_NUMERIC = (True, False, False, True, True, True, True, True, True, True)
MAX_PLACES = 8
ROW_FIELDS = ("workload", "step", "instruction", "text", "scenario", "is_baseline", "n", "n_failed", "median_s",
              "ci_low_s", "ci_high_s", "min_s", "max_s", "cv", "mad_s", "ratio", "ratio_ci_low", "ratio_ci_high",
              "p_value", "p_adjusted", "significant", "warnings")


def marked_ratio(ratio: float | None, p_value: float | None, significant: bool, show=numbers.ratio) -> str:
    """`show(ratio)` when significant, `~` when tested and not, `(show(ratio))` when too few samples to test."""
    if ratio is None:
        return numbers.MISSING
    if significant:
        return show(ratio)
    return "~" if p_value is not None else f"({show(ratio)})"


def summary_cells(row: Row, first_in_group: bool) -> tuple[str, ...]:
    ratio = "base" if row.is_baseline and row.n else marked_ratio(row.ratio, row.p_value, row.significant)
    return (numbers.step(row.step) if first_in_group else "",
            numbers.instruction(row.text, row.step) if first_in_group else "",
            row.scenario, _count(row.n, row.n_failed), numbers.seconds(row.median_s),
            numbers.seconds_interval(row.ci_low_s, row.ci_high_s), numbers.percent(row.cv), ratio,
            numbers.ratio_interval(row.ratio_ci_low, row.ratio_ci_high), numbers.p_value(row.p_adjusted))


def _count(n: int, n_failed: int) -> str:
    return f"{n} ({n_failed} failed)" if n_failed else str(n)


def grouped(rows: Sequence, cells) -> list[Section]:
    """One section per workload; step and instruction shown on the first row of each step only."""
    sections: dict[str, list[DisplayRow]] = {}
    previous = None
    for row in rows:
        first = (row.workload, row.step) != previous
        sections.setdefault(row.workload, []).append(DisplayRow(cells(row, first), new_group=first))
        previous = (row.workload, row.step)
    return [Section(f"workload {name}", tuple(lines)) for name, lines in sections.items()]


def notices(found: Iterable[Caveat]) -> tuple[Notice, ...]:
    """Caveats grouped by kind, in the order of `KINDS`; one place per cell, with its numbers."""
    details: dict[str, dict[str, list[str]]] = {}
    for caveat in found:
        step = "whole build" if caveat.step == "total" else f"step {caveat.step}"
        where = f"{caveat.workload} {step} on {caveat.scenario}"
        details.setdefault(caveat.code, {}).setdefault(where, []).extend([caveat.detail] if caveat.detail else [])
    return tuple(Notice(KINDS[code].title, _places(details[code]), KINDS[code].remedy)
                 for code in KINDS if code in details)


def _places(details: dict[str, list[str]]) -> tuple[str, ...]:
    """At most `MAX_PLACES` cells per warning, so a big matrix keeps a readable table; JSON lists them all."""
    places = [f"{where} ({', '.join(notes)})" if notes else where for where, notes in details.items()]
    if len(places) > MAX_PLACES:
        places[MAX_PLACES:] = [f"and {len(places) - MAX_PLACES} more cells (--format json lists all)"]
    return tuple(places)


def summary_legend(summary: Summary) -> tuple[str, ...]:
    return (
        f"ratio: median ÷ the median of baseline {summary.baseline} for the same step; its 95% CI by percentile "
        f"bootstrap ({stats.BOOTSTRAP_RESAMPLES} resamples, seeded).",
        f"median 95% CI: distribution-free, from order statistics (none below {stats.MIN_N_CI} samples); "
        "CV: standard deviation ÷ mean.",
        f"p_adj: two-sided Mann–Whitney U, Benjamini–Hochberg adjusted over {summary.n_comparisons} comparisons.",
        f"~: no significant difference (p_adj ≥ {summary.alpha:g}, or ratio within 1 ± {summary.noise:.0%}); "
        "(…): too few samples to test; n (k failed): k failed samples, counted but not timed. Warmups excluded.",
    )


def summary_doc(summary: Summary) -> TableDoc:
    """The `harness summary` table, legend, warnings and notes, and the CSV/JSON forms of the same rows."""
    sections = grouped(summary.rows, summary_cells)
    if summary.geomean:
        sections.append(Section("geometric mean of step ratios, all workloads",
                                tuple(DisplayRow(_geomean_cells(g.scenario, g.ratio, g.n_cells), new_group=i == 0)
                                      for i, g in enumerate(summary.geomean))))
    records = tuple((summary.run_id, summary.baseline, *(numbers.tidy(getattr(row, f)) for f in ROW_FIELDS))
                    for row in summary.rows)
    return TableDoc(
        title=f"harness summary — run {summary.run_id}, baseline {summary.baseline}",
        headers=SUMMARY_HEADERS, numeric=SUMMARY_NUMERIC, sections=tuple(sections),
        legend=summary_legend(summary), notices=notices(summary.caveats), notes=summary.notes,
        csv_columns=("run_id", "baseline", *ROW_FIELDS), csv_records=records, payload=summary_payload(summary),
        code_column=1)


def _geomean_cells(scenario: str, ratio: float | None, n_cells: int, show=numbers.ratio) -> tuple[str, ...]:
    cells = ["", f"(geomean of {n_cells} steps)", scenario] + [""] * (len(SUMMARY_HEADERS) - 3)
    cells[SUMMARY_HEADERS.index("ratio")] = show(ratio)
    return tuple(cells)


def caveat_records(found: Iterable[Caveat]) -> list[dict]:
    return [{"code": c.code, "workload": c.workload, "step": c.step, "scenario": c.scenario, "detail": c.detail,
             "title": KINDS[c.code].title, "remedy": KINDS[c.code].remedy} for c in found]


def methods() -> dict[str, str]:
    """The statistical methods, named for a reader of the JSON (details and sources in harness/stats.py)."""
    return {
        "median_ci": "distribution-free order-statistic interval (binomial), 95%",
        "ratio_ci": f"percentile bootstrap of the ratio of medians, {stats.BOOTSTRAP_RESAMPLES} resamples, seeded",
        "test": "two-sided Mann-Whitney U (exact, or exact permutation with ties, else normal approximation)",
        "correction": "Benjamini-Hochberg",
        "outliers": f"modified z-score on the MAD > {stats.OUTLIER_Z:g}",
    }


def summary_payload(summary: Summary) -> dict:
    """The DESIGN.md JSON object: run_id, baseline, rows (plus geomean, warnings, notes and the methods)."""
    return {
        "schema": SCHEMA_VERSION, "run_id": summary.run_id, "baseline": summary.baseline,
        "alpha": summary.alpha, "noise": summary.noise, "n_comparisons": summary.n_comparisons,
        "methods": methods(),
        "rows": [{f: (list(v) if isinstance(v := getattr(row, f), tuple) else v) for f in ROW_FIELDS}
                 for row in summary.rows],
        "geomean": [{"scenario": g.scenario, "ratio": g.ratio, "n_cells": g.n_cells} for g in summary.geomean],
        "warnings": caveat_records(summary.caveats), "notes": list(summary.notes),
    }
