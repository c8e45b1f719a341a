"""A `RunComparison` → `TableDoc`: each run's median, then the change B ÷ A − 1 with its interval and its verdict
(slower / faster / equivalent / inconclusive / untested, as in `summary`)."""

from __future__ import annotations

from harness import SCHEMA_VERSION
from harness.analysis import stats
from harness.analysis.compare import CompareRow, Gate, RunComparison
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
    noise_sentence,
    notices,
    verdict_legend,
    verdict_word,
)

HEADERS = ("step", "instruction", "scenario", "n A", "median A s", "n B", "median B s", "delta", "delta 95% CI",
           "p_adj", "verdict")
#: The columns of a paper's table (LaTeX); the others go to its second table.
PAPER_COLUMNS = ("step", "instruction", "scenario", "median A s", "median B s", "delta", "delta 95% CI")
NUMERIC = (True, False, False, True, True, True, True, True, True, True, False)
ROW_FIELDS = ("workload", "step", "instruction", "text", "scenario", "n_a", "n_failed_a", "median_a_s",
              "ci_low_a_s", "ci_high_a_s", "n_b", "n_failed_b", "median_b_s", "ci_low_b_s", "ci_high_b_s", "ratio",
              "ratio_ci_low", "ratio_ci_high", "p_value", "p_adjusted", "significant", "verdict", "reason",
              "warnings", "builder")


def comparison_cells(row: CompareRow, first_in_group: bool) -> tuple[str, ...]:
    return (numbers.step(row.step) if first_in_group else "",
            numbers.instruction(row.text, row.step) if first_in_group else "",
            row.scenario, _count(row.a.n, row.n_failed_a), numbers.seconds(row.a.median),
            _count(row.b.n, row.n_failed_b), numbers.seconds(row.b.median),
            marked_ratio(row.ratio, row.verdict, show=numbers.delta),
            numbers.delta_interval(row.ratio_ci_low, row.ratio_ci_high), numbers.p_value(row.p_adjusted),
            verdict_word(row))


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
    ci = ("Welch t-interval on each run's log per-round low medians, each run over its own rounds; delta = the "
          "ratio of their geometric means − 1" if rounds
          else f"percentile bootstrap of the ratio of medians over builds ({stats.BOOTSTRAP_RESAMPLES} resamples, "
               "seeded); delta: median B ÷ median A − 1")
    test = ("Welch's t-test on the log per-round low medians (the daemon session is the unit)" if rounds
            else "two-sided Mann–Whitney U over builds")
    return (
        f"A = run {comparison.run_a}, B = run {comparison.run_b}. 95% CI by {ci}.",
        f"p_adj: {test}, Benjamini–Hochberg adjusted over {comparison.n_comparisons} comparisons (geometric means "
        "among themselves).",
        noise_sentence(comparison.noise),
        verdict_legend(comparison.alpha, comparison.noise.min_effect),
        "(…): a change without a test (untested); n (k failed): k failed samples, counted but not timed. Warmups "
        "and FROM steps (csv/json only) excluded.",
    )


def comparison_doc(comparison: RunComparison, gate: Gate | None = None) -> TableDoc:
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
        payload=payload(comparison, records) | ({"gate": gate_record(gate)} if gate else {}), code_column=1,
        headlines=tuple(first),
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


def gate_record(gate: Gate) -> dict:
    """The --fail-above outcome for the JSON: status, exit code, the slower cells and those it could not judge."""
    return {"fail_above": gate.percent, "status": gate.status, "exit_code": gate.exit_code, "judged": gate.judged,
            "slower": [[row.workload, row.step, row.scenario, row.builder] for row in gate.slower],
            "unjudged": [{"cell": list(key), "why": why} for key, why in gate.unjudged]}


def payload(comparison: RunComparison, records: list[dict]) -> dict:
    return {
        "schema": SCHEMA_VERSION, "run_a": comparison.run_a, "run_b": comparison.run_b, "alpha": comparison.alpha,
        "min_effect": comparison.noise.min_effect, "noise": noise_record(comparison.noise),
        "n_comparisons": comparison.n_comparisons,
        "methods": methods(comparison.design, paired=False),
        "headlines": headline_records(comparison.headlines, comparison.rows),
        "rows": records, "geomean": geomean_records(comparison.geomean),
        "warnings": caveat_records(comparison.caveats), "notes": list(comparison.notes),
        "only_in_a": [list(key) for key in comparison.only_in_a],
        "only_in_b": [list(key) for key in comparison.only_in_b],
        "unjudged": [{"cell": list(key), "why": why} for key, why in comparison.unjudged],
    }
