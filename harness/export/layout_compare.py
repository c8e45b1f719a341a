"""A `RunComparison` → `TableDoc`: each run's median, then the change B ÷ A − 1 with its interval (`~` when not
significant, as benchstat prints it)."""

from __future__ import annotations

from harness import SCHEMA_VERSION
from harness.analysis import stats
from harness.analysis.compare import CompareRow, RunComparison
from harness.export import numbers
from harness.export.document import DisplayRow, Section, TableDoc
from harness.export.layout import (
    caveat_records,
    geomean_cells,
    geomean_records,
    geomean_title,
    grouped,
    headline_records,
    headline_text,
    marked_ratio,
    methods,
    noise_record,
    notices,
)

HEADERS = ("step", "instruction", "scenario", "n A", "median A s", "n B", "median B s", "delta", "delta 95% CI",
           "p_adj")
#: The columns of a paper's table (LaTeX); the others go to its second table.
PAPER_COLUMNS = ("step", "instruction", "scenario", "median A s", "median B s", "delta", "delta 95% CI")
NUMERIC = (True, False, False, True, True, True, True, True, True, True)
ROW_FIELDS = ("workload", "step", "instruction", "text", "scenario", "n_a", "n_failed_a", "median_a_s",
              "ci_low_a_s", "ci_high_a_s", "n_b", "n_failed_b", "median_b_s", "ci_low_b_s", "ci_high_b_s", "ratio",
              "ratio_ci_low", "ratio_ci_high", "p_value", "p_adjusted", "significant", "verdict", "warnings", "builder")


def comparison_cells(row: CompareRow, first_in_group: bool) -> tuple[str, ...]:
    return (numbers.step(row.step) if first_in_group else "",
            numbers.instruction(row.text, row.step) if first_in_group else "",
            row.scenario, _count(row.a.n, row.n_failed_a), numbers.seconds(row.a.median),
            _count(row.b.n, row.n_failed_b), numbers.seconds(row.b.median),
            marked_ratio(row.ratio, row.verdict, show=numbers.delta),
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
    rounds = comparison.design == "rounds"
    ci = ("hierarchical percentile bootstrap of the ratio, rounds then builds, each run drawn on its own"
          if rounds else "percentile bootstrap of the ratio over builds")
    test = ("Welch's t-test on the log per-round medians (the daemon session is the unit)" if rounds
            else "two-sided Mann–Whitney U over builds")
    return (
        f"A = run {comparison.run_a}, B = run {comparison.run_b}. delta: median B ÷ median A − 1; its 95% CI by "
        f"{ci} ({stats.BOOTSTRAP_RESAMPLES} resamples, seeded).",
        f"p_adj: {test}, Benjamini–Hochberg adjusted over {comparison.n_comparisons} comparisons.",
        f"Noise floor: a fixed ±{comparison.noise.high - 1:.0%} (--noise). A change is printed only when p_adj < "
        f"{comparison.alpha:g} and its interval lies wholly outside the floor.",
        "~: the interval overlaps the noise floor (it may exclude 0 by less than the floor); n.s.: outside the floor "
        f"but p_adj ≥ {comparison.alpha:g}; (…): too few samples or rounds to test; n (k failed): k failed "
        "samples, counted but not timed. Warmups and FROM steps (csv/json only) excluded.",
    )


def comparison_doc(comparison: RunComparison) -> TableDoc:
    """Headlines and environment differences first, then the table, legend, warnings and notes."""
    sections = grouped([row for row in comparison.rows if not row.is_setup], comparison_cells)
    if comparison.geomean:
        rows = [DisplayRow(geomean_cells(g, numbers.delta, numbers.delta_interval, HEADERS, "delta", "delta 95% CI"),
                           new_group=index == 0) for index, g in enumerate(comparison.geomean)]
        sections.append(Section(geomean_title("changes", comparison.geomean), tuple(rows), key="geomean"))
    records = [record(row) for row in comparison.rows]
    several = len({h.workload for h in comparison.headlines}) > 1
    environment = [note for note in comparison.notes if not note.startswith("run ")]
    first = [headline_text(h, comparison.noise, several, numbers.delta, "in run B vs") for h in comparison.headlines]
    first += [f"environment: {note}" for note in environment]
    return TableDoc(
        title=f"harness compare — A: run {comparison.run_a}, B: run {comparison.run_b}",
        headers=HEADERS, numeric=NUMERIC, sections=tuple(sections), legend=legend(comparison),
        notices=notices(comparison.caveats),
        notes=(*(n for n in comparison.notes if n not in environment), *_unshared(comparison)),
        csv_columns=("run_a", "run_b", *ROW_FIELDS),
        csv_records=tuple((comparison.run_a, comparison.run_b, *(numbers.tidy(r[f]) for f in ROW_FIELDS))
                          for r in records),
        payload=payload(comparison, records), code_column=1, headlines=tuple(first),
        compact_drop=tuple(HEADERS.index(name) for name in ("n A", "n B", "p_adj")),
        run=comparison.run_b, label=f"{comparison.run_b} compared",
        caption=f"Change of the median build-step times from run {comparison.run_a} (A) to {comparison.run_b} (B)",
        group_columns=(0, 1), paper_columns=tuple(HEADERS.index(name) for name in PAPER_COLUMNS))


def _unshared(comparison: RunComparison) -> list[str]:
    lines = []
    for label, keys in (("A", comparison.only_in_a), ("B", comparison.only_in_b)):
        if keys:
            shown = ", ".join(f"{w} step {s} on {c}" + (f" ({b})" if b != "classic" else "")
                              for w, s, c, b in keys[:5]) + (", …" if len(keys) > 5 else "")
            lines.append(f"{len(keys)} cell(s) only in run {label}, not compared: {shown}")
    return lines


def payload(comparison: RunComparison, records: list[dict]) -> dict:
    return {
        "schema": SCHEMA_VERSION, "run_a": comparison.run_a, "run_b": comparison.run_b, "alpha": comparison.alpha,
        "noise": noise_record(comparison.noise), "n_comparisons": comparison.n_comparisons,
        "methods": methods(comparison.design, paired=False),
        "headlines": headline_records(comparison.headlines, comparison.rows),
        "rows": records, "geomean": geomean_records(comparison.geomean),
        "warnings": caveat_records(comparison.caveats), "notes": list(comparison.notes),
        "only_in_a": [list(key) for key in comparison.only_in_a],
        "only_in_b": [list(key) for key in comparison.only_in_b],
    }
