"""`harness compare A B C …` laid out benchstat-style: one column per run, each later run's cell its median and
its change against the first run (with the verdict's marks), from the pairwise comparisons A→B, A→C, …

Each later run is compared with the first exactly as `harness compare A X` would (same intervals, tests and
correction, per pair); this module only lines the pairs up. A cell the first run has but a later run lacks shows
`—` there and is listed in the notes, so it never passes unseen.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from harness import SCHEMA_VERSION
from harness.analysis.compare import CompareRow, RunComparison
from harness.export import numbers
from harness.export.document import DisplayRow, Section, TableDoc
from harness.export.layout import marked_ratio, notices
from harness.export.layout_compare import payload, record

CSV_FIELDS = ("run_a", "run_b", "workload", "step", "builder", "scenario", "median_a_s", "median_b_s", "ratio",
              "ratio_ci_low", "ratio_ci_high", "p_adjusted", "verdict")


def letters(count: int) -> list[str]:
    """A, B, C, …, Z, then R27, R28, … (benchstat numbers its columns the same way)."""
    return [string.ascii_uppercase[i] if i < 26 else f"R{i + 1}" for i in range(count)]


def runs_doc(comparisons: Sequence[RunComparison]) -> TableDoc:
    """One table over all runs: the first run's median, then per later run its median and change."""
    names = letters(len(comparisons) + 1)
    headers = ("step", "instruction", "scenario", f"{names[0]}: median s",
               *(f"{name}: s, vs {names[0]}" for name in names[1:]))
    by_run = [{_key(row): row for row in comparison.rows if not row.is_setup} for comparison in comparisons]
    keys = list(dict.fromkeys(key for rows in by_run for key in rows))
    sections: dict[tuple[str, str], list[DisplayRow]] = {}
    previous = None
    for key in keys:
        workload, builder, step, scenario = key
        first = (workload, builder, step) != previous
        previous = (workload, builder, step)
        cells = _cells(key, [rows.get(key) for rows in by_run], first)
        sections.setdefault((workload, builder), []).append(DisplayRow(cells, new_group=first))
    named = {builder for _, builder in sections} != {"classic"}
    run_ids = [comparisons[0].run_a, *(c.run_b for c in comparisons)]
    return TableDoc(
        title=f"harness compare — {len(run_ids)} runs against {names[0]} ({run_ids[0]})",
        headers=headers, numeric=(True, False, False, *(True,) * len(run_ids)),
        sections=tuple(Section(f"workload {w}" + (f", {b} builder" if named else ""), tuple(rows),
                               key=w + (f"-{b}" if named else "")) for (w, b), rows in sections.items()),
        legend=_legend(names, run_ids),
        notices=notices(dict.fromkeys(caveat for comparison in comparisons for caveat in comparison.caveats)),
        notes=tuple(_missing(comparisons, names)), csv_columns=CSV_FIELDS,
        csv_records=tuple(record for comparison in comparisons for record in _records(comparison)),
        payload={"schema": SCHEMA_VERSION, "runs": run_ids, "comparisons": [payload(c, [record(r) for r in c.rows])
                                                                          for c in comparisons]},
        code_column=1, run=run_ids[0], label=f"{run_ids[0]} runs",
        caption=f"Median build-step times of {len(run_ids)} runs and their change against run {run_ids[0]}",
        compact_drop=(), group_columns=(0, 1))


def _key(row: CompareRow) -> tuple:
    return (row.workload, row.builder, row.step, row.scenario)


def _cells(key: tuple, rows: list[CompareRow | None], first: bool) -> tuple[str, ...]:
    """Step and instruction (first row of a step), scenario, A's median, then per later run `median change`."""
    known = next(row for row in rows if row is not None)
    later = [f"{numbers.seconds(row.b.median)} {marked_ratio(row.ratio, row.verdict, show=numbers.delta)}"
             if row is not None else numbers.MISSING for row in rows]
    return (numbers.step(key[2]) if first else "", numbers.instruction(known.text, key[2]) if first else "",
            key[3], numbers.seconds(known.a.median), *later)


def _legend(names: list[str], run_ids: list[str]) -> tuple[str, ...]:
    runs = "; ".join(f"{name} = run {run_id}" for name, run_id in zip(names, run_ids))
    return (f"{runs}.",
            f"A later run's column: its median in seconds and its change, median ÷ {names[0]}'s − 1, "
            f"judged as `harness compare {names[0]} X` judges it "
            "(its interval, test and Benjamini–Hochberg correction per pair); ~: within the noise floor; n.s.: "
            "outside it but not significant after the correction; (…): too few samples or rounds to test; "
            f"{numbers.MISSING}: the cell is not in that run.",
            "Intervals and p-values per cell: --format json (one pairwise comparison per later run).")


def _missing(comparisons: Sequence[RunComparison], names: list[str]) -> list[str]:
    """Cells of the first run a later run lacks: said, never left out silently."""
    notes = []
    for name, comparison in zip(names[1:], comparisons):
        lacking = list(comparison.only_in_a)
        if lacking:
            notes.append(f"run {name} ({comparison.run_b}) lacks {len(lacking)} cells of {names[0]}: "
                         + ", ".join(f"{k[0]} step {k[1]} on {k[2]}" for k in lacking[:5])
                         + (" …" if len(lacking) > 5 else ""))
    return notes


def _records(comparison: RunComparison) -> list[tuple[str, ...]]:
    return [tuple(numbers.tidy(value) for value in (
        comparison.run_a, comparison.run_b, row.workload, row.step, row.builder, row.scenario, row.a.median,
        row.b.median, row.ratio, row.ratio_ci_low, row.ratio_ci_high, row.p_adjusted, row.verdict))
        for row in comparison.rows]
