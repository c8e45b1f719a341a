"""A `Summary` → `TableDoc`: which columns a reader sees, how a difference is marked, what the legend says.

Every compared cell carries one verdict word (`stats.verdict`): slower / faster (BH-adjusted p < α and the interval
wholly beyond ±δ), equivalent (the 90 % interval inside ±δ), inconclusive (neither: never read as "no difference")
or untested (what is missing is said). The ratio and its interval are printed either way; an untested ratio in
parentheses. A verdict never contradicts its interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harness import SCHEMA_VERSION
from harness.analysis import stats
from harness.analysis.caveats import KINDS, Caveat
from harness.analysis.growth import fit_records
from harness.analysis.summary import Row, Summary
from harness.export import numbers
from harness.export.document import DisplayRow, Notice, Section, TableDoc
from harness.export.layout_growth import growth_blocks

#: The ratio interval's column at α = 5 %; `ratio_ci_header` names it at another level.
RATIO_CI = "ratio 95% CI"
SUMMARY_HEADERS = ("step", "instruction", "scenario", "n", "median s", "95% CI", "CV", "ratio", RATIO_CI,
                   "p_adj", "verdict")
SUMMARY_NUMERIC = (True, False, False, True, True, True, True, True, True, True, False)
MAX_PLACES = 8
ROW_FIELDS = ("workload", "step", "instruction", "text", "scenario", "is_baseline", "n", "n_failed", "median_s",
              "ci_low_s", "ci_high_s", "min_s", "max_s", "cv", "mad_s", "ratio", "ratio_ci_low", "ratio_ci_high",
              "p_value", "p_adjusted", "significant", "verdict", "reason", "warnings", "builder", "diff_share",
              "commit_median_s", "params")
#: Terminal columns dropped, in this order, while the table does not fit COLUMNS (--wide keeps them all).
COMPACT_DROP = tuple(SUMMARY_HEADERS.index(name) for name in ("CV", "95% CI", "p_adj", "n"))


#: The columns of a paper's table (LaTeX; at most seven fit \textwidth); the others go to its second table.
PAPER_COLUMNS = ("step", "instruction", "scenario", "n", "median s", "ratio", RATIO_CI)


def marked_ratio(ratio: float | None, verdict: str, show=numbers.ratio) -> str:
    """`show(ratio)`, in parentheses when untested (a point estimate without a test behind it)."""
    if ratio is None:
        return numbers.MISSING
    return f"({show(ratio)})" if verdict == stats.UNTESTED else show(ratio)


def verdict_word(row) -> str:
    """The verdict column: the word, empty for the baseline itself."""
    return "" if getattr(row, "is_baseline", False) else row.verdict


def noise_sentence(noise: stats.NoiseFloor) -> str:
    """What the verdicts were judged against (δ), and what the A/A control says about the run, in one sentence."""
    rule = (f"Verdicts judge each ratio interval against the declared smallest effect δ = ±{noise.min_effect:.0%} "
            f"({noise.low:.3f}–{noise.high:.3f}×; min_effect in the matrix, --min-effect).")
    if noise.method != "aa":
        return rule + (" The run has no A/A control (control: true in the matrix), so its smallest detectable effect "
                       "is not measured.")
    state = "excludes 1: the run is broken or drifting" if noise.aa_excludes_one else "holds 1, as it should"
    return rule + (f" A/A control: whole-build interval [{noise.aa_low:.3f}, {noise.aa_high:.3f}] {state}; smallest "
                   f"detectable effect ≈ ±{noise.detectable:.1%}.")


def headline_text(headline, noise: stats.NoiseFloor, with_workload: bool, show=numbers.ratio,
                  what: str = "the time of", alpha: float = stats.DEFAULT_ALPHA) -> str:
    """`naive: whole build 3.66× [3.49, 3.88] the time of native — slower (p_adj 0.003, beyond ±5%)`; a build other
    than classic is named (`seed · buildkit · naive: …`)."""
    builder = getattr(headline, "builder", "classic")
    where = (f"{headline.workload} · " if with_workload else "") + (f"{builder} · " if builder != "classic" else "")
    reason = verdict_reason(headline, noise, alpha)
    if headline.ratio is None:
        return f"{where}{headline.scenario}: whole build — {reason}"
    interval = numbers.ratio_interval(headline.ratio_ci_low, headline.ratio_ci_high) if show is numbers.ratio \
        else numbers.delta_interval(headline.ratio_ci_low, headline.ratio_ci_high)
    return f"{where}{headline.scenario}: whole build {show(headline.ratio)} {interval} {what} {headline.baseline} " \
           f"— {reason}".replace("  ", " ")


def verdict_reason(headline, noise: stats.NoiseFloor, alpha: float = stats.DEFAULT_ALPHA) -> str:
    """The verdict word with what backs it (p_adj and δ), or what is missing / would resolve it."""
    p, delta = numbers.p_value(headline.p_value), f"±{noise.min_effect:.0%}"
    if headline.verdict in (stats.SLOWER, stats.FASTER):
        return f"{headline.verdict} (p_adj {p}, interval beyond {delta})"
    if headline.verdict == stats.EQUIVALENT:
        return f"equivalent ({stats.level(1 - 2 * alpha)} interval within {delta}, TOST)"
    return f"{headline.verdict}: {getattr(headline, 'reason', None) or 'too few samples or rounds'}"


def summary_cells(row: Row, first_in_group: bool) -> tuple[str, ...]:
    ratio = "base" if row.is_baseline and row.n else marked_ratio(row.ratio, row.verdict)
    return (numbers.step(row.step) if first_in_group else "",
            numbers.instruction(row.text, row.step) if first_in_group else "",
            row.scenario, _count(row.n, row.n_failed), numbers.seconds(row.median_s),
            numbers.seconds_interval(row.ci_low_s, row.ci_high_s), numbers.percent(row.cv), ratio,
            numbers.ratio_interval(row.ratio_ci_low, row.ratio_ci_high), numbers.p_value(row.p_adjusted),
            verdict_word(row))


def _count(n: int, n_failed: int) -> str:
    return f"{n} ({n_failed} failed)" if n_failed else str(n)


def grouped(rows: Sequence, cells) -> list[Section]:
    """One section per workload × builder (the builder named once a run has more than classic builds); step and
    instruction shown on the first row of each step only."""
    sections: dict[tuple[str, str], list[DisplayRow]] = {}
    previous = None
    for row in rows:
        builder = getattr(row, "builder", "classic")
        first = (row.workload, builder, row.step) != previous
        sections.setdefault((row.workload, builder), []).append(DisplayRow(cells(row, first), new_group=first))
        previous = (row.workload, builder, row.step)
    named = {builder for _, builder in sections} != {"classic"}
    return [Section(f"workload {name}" + (f", {builder} builder" if named else ""), tuple(lines),
                    key=name + (f"-{builder}" if named else "")) for (name, builder), lines in sections.items()]


def notices(found: Iterable[Caveat]) -> tuple[Notice, ...]:
    """Caveats grouped by kind, in the order of `KINDS`; one place per cell, with its numbers."""
    details: dict[str, dict[str, list[str]]] = {}
    for caveat in found:
        step = "whole build" if caveat.step == "total" else f"step {caveat.step}"
        builder = f" ({caveat.builder})" if caveat.builder != "classic" else ""
        where = f"{caveat.workload} {step} on {caveat.scenario}{builder}"
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
        noise_sentence(summary.noise),
        f"ratio: median ÷ the median of baseline {summary.baseline} for the same step"
        f"{' and builder' if {row.builder for row in summary.rows} != {'classic'} else ''}; "
        f"{stats.level(summary.confidence)} CI: "
        f"{_ci_method(summary)}",
        f"median 95% CI: distribution-free, from order statistics (none below {stats.MIN_N_CI} samples); "
        "CV: standard deviation ÷ mean.",
        f"p_adj: {_test_method(summary.design)}, Benjamini–Hochberg adjusted over {summary.n_comparisons} "
        "comparisons (a geometric mean: the same test on the per-round mean of its steps' logs, adjusted among the "
        "geometric means).",
        verdict_legend(summary.alpha, summary.noise.min_effect),
        "(…): a ratio without a test (untested); n (k failed): k failed samples, counted but not timed. Warmups and "
        "FROM steps (csv/json only) excluded.",
    ) + _observer_legend(summary)


def verdict_legend(alpha: float, min_effect: float) -> str:
    return (f"verdict: slower/faster = p_adj < {alpha:g} and the {stats.level(1 - alpha)} interval wholly beyond "
            f"±{min_effect:.0%}; equivalent = the {stats.level(1 - 2 * alpha)} interval within ±{min_effect:.0%} "
            "(TOST); inconclusive = neither (not \"no "
            "difference\": more rounds would decide); untested = too little data (json/csv say what is missing).")


def _observer_legend(summary: Summary) -> tuple[str, ...]:
    found = {field for _, field, _ in OBSERVER_COLUMNS for row in summary.rows if getattr(row, field) is not None}
    return ((("commit s: median layer commit of a RUN step (container die → destroy, from the daemon's events); "
              if "commit_median_s" in found else "")
             + ("diffing: share of goroutine samples (--profile) taken while the daemon was diffing."
                if "diff_share" in found else "")).strip(),) if found else ()


def _ci_method(summary: Summary) -> str:
    if summary.design == "rounds":
        return ("t-interval on the per-round log ratios, paired by round (each round: the low median of its builds); "
                "ratio = their geometric mean.")
    return f"percentile bootstrap over builds ({stats.BOOTSTRAP_RESAMPLES} resamples, seeded)."


def _test_method(design: str) -> str:
    if design == "rounds":
        return "paired t-test on the per-round log ratios (the daemon session is the unit)"
    return "two-sided Mann–Whitney U over builds (single session per scenario)"


#: Columns shown only when a run has them: from daemon events (every run since they were wired) and profiling.
OBSERVER_COLUMNS = (("commit s", "commit_median_s", numbers.seconds), ("diffing", "diff_share", numbers.percent))


def summary_doc(summary: Summary) -> TableDoc:
    """The `harness summary` headlines, table, legend, warnings and notes, and the CSV/JSON forms of the rows."""
    observed = tuple(column for column in OBSERVER_COLUMNS
                     if any(getattr(row, column[1]) is not None for row in summary.rows))
    ci = ratio_ci_header(summary.confidence)
    headers = tuple(ci if header == RATIO_CI else header for header in SUMMARY_HEADERS) + tuple(
        header for header, _, _ in observed)

    def cells(row: Row, first_in_group: bool) -> tuple[str, ...]:
        extra = tuple("" if getattr(row, field) is None else show(getattr(row, field)) for _, field, show in observed)
        return summary_cells(row, first_in_group) + extra

    sections = grouped([row for row in summary.rows if not row.is_setup], cells)
    if summary.geomean:
        sections.append(Section(geomean_title("ratios", summary.geomean),
                                tuple(DisplayRow(geomean_cells(g, headers=headers, ci_column=ci,
                                                               several=_mixed(summary.geomean)),
                                                 new_group=i == 0) for i, g in enumerate(summary.geomean)),
                                key="geomean"))
    records = tuple((summary.run_id, summary.baseline, *(numbers.tidy(getattr(row, f)) for f in ROW_FIELDS))
                    for row in summary.rows)
    several = len({h.workload for h in summary.headlines}) > 1
    return TableDoc(
        title=f"harness summary — run {summary.run_id}, baseline {summary.baseline}",
        headers=headers, numeric=SUMMARY_NUMERIC + (True,) * len(observed), sections=tuple(sections),
        legend=summary_legend(summary), notices=notices(summary.caveats), notes=summary.notes,
        csv_columns=("run_id", "baseline", *ROW_FIELDS), csv_records=records, payload=summary_payload(summary),
        code_column=1, headlines=tuple(headline_text(h, summary.noise, several, alpha=summary.alpha)
                                       for h in summary.headlines),
        compact_drop=COMPACT_DROP + tuple(range(len(SUMMARY_HEADERS), len(headers))),
        blocks=growth_blocks(summary.growth), run=summary.run_id,
        caption=f"Median build-step times per scenario and their ratio to the baseline {summary.baseline}",
        group_columns=(0, 1), paper_columns=tuple(headers.index(ci if name == RATIO_CI else name)
                                                  for name in PAPER_COLUMNS))


def ratio_ci_header(confidence: float) -> str:
    """The ratio interval's column: "ratio 95% CI", or its level when α is not 5 % (a run that could stop early)."""
    return f"ratio {stats.level(confidence)} CI"


def geomean_title(what: str, geomean) -> str:
    """The geometric-mean section's title, naming the steps it covers when every scenario covers the same ones."""
    covered = f" over {geomean[0].steps}" if geomean and not _mixed(geomean) else ""
    return f"geometric mean of step {what}{covered} (FROM and whole builds excluded)"


def _mixed(geomean) -> bool:
    return len({g.steps for g in geomean}) > 1


def geomean_cells(g, show=numbers.ratio, interval=numbers.ratio_interval, headers=SUMMARY_HEADERS,
                  ratio_column: str = "ratio", ci_column: str = RATIO_CI, several: bool = False
                  ) -> tuple[str, ...]:
    """A geometric-mean line: its value and (with rounds) its interval; the steps it covers when they differ
    between scenarios (else the section title names them)."""
    builder = getattr(g, "builder", "classic")
    cells = ["", f"(geomean: {g.steps})" if several else f"(geomean, {g.n_cells} steps)",
             g.scenario + (f" ({builder})" if builder != "classic" else "")] + [""] * (len(headers) - 3)
    cells[headers.index(ratio_column)] = show(g.ratio)
    cells[headers.index(ci_column)] = interval(g.ci_low, g.ci_high)
    cells[headers.index("p_adj")] = numbers.p_value(g.p_adjusted)
    cells[headers.index("verdict")] = g.verdict
    return tuple(cells)


def geomean_records(geomean) -> list[dict]:
    return [{"scenario": g.scenario, "ratio": g.ratio, "ratio_ci_low": g.ci_low, "ratio_ci_high": g.ci_high,
             "n_cells": g.n_cells, "steps": g.steps, "builder": g.builder, "p_adjusted": g.p_adjusted,
             "verdict": g.verdict, "reason": g.reason} for g in geomean]


def headline_records(found, rows: Sequence = ()) -> list[dict]:
    """Headlines as JSON, p-values named as in the rows: `p_adjusted` (what the verdict used) and `p_value`, the
    unadjusted p of the whole-build row (None where the rows are not given)."""
    raw = {(r.workload, r.scenario, getattr(r, "builder", "classic")): r.p_value for r in rows if r.step == "total"}
    return [{"workload": h.workload, "scenario": h.scenario, "baseline": h.baseline, "ratio": h.ratio,
             "ratio_ci_low": h.ratio_ci_low, "ratio_ci_high": h.ratio_ci_high,
             "p_value": raw.get((h.workload, h.scenario, h.builder)), "p_adjusted": h.p_value,
             "significant": h.significant, "verdict": h.verdict, "reason": h.reason, "builder": h.builder}
            for h in found]


def noise_record(noise: stats.NoiseFloor) -> dict:
    return {"method": noise.method, "low": noise.low, "high": noise.high, "min_effect": noise.min_effect,
            "aa_low": noise.aa_low, "aa_high": noise.aa_high, "detectable": noise.detectable}


def caveat_records(found: Iterable[Caveat]) -> list[dict]:
    return [{"code": c.code, "workload": c.workload, "step": c.step, "scenario": c.scenario, "builder": c.builder,
             "detail": c.detail, "title": KINDS[c.code].title, "remedy": KINDS[c.code].remedy} for c in found]


def methods(design: str = "rounds", paired: bool = True, alpha: float = stats.DEFAULT_ALPHA) -> dict[str, str]:
    """The statistical methods, named for a reader of the JSON (details and sources in harness/analysis/sessions.py and
    harness/analysis/stats.py)."""
    pairing = "paired by round" if paired else "each run over its own rounds (Welch)"
    ratio_ci = (f"t-interval on log per-round low medians ({pairing}); ratio = exp(mean log ratio)"
                if design == "rounds" else
                f"percentile bootstrap of the ratio of medians (builds), {stats.BOOTSTRAP_RESAMPLES} resamples, seeded")
    round_test = ("paired t-test on log per-round ratios (Student)" if paired
                  else "Welch t-test on log per-round low medians")
    return {
        "design": design,
        "median_ci": "distribution-free order-statistic interval (binomial), 95%",
        "ratio_ci": f"{ratio_ci}, {stats.level(1 - alpha)}",
        "test": (f"{round_test}, unit = daemon session" if design == "rounds"
                 else "two-sided Mann-Whitney U (exact, or exact permutation with ties, else normal approximation)"),
        "correction": "Benjamini-Hochberg",
        "verdict": f"slower/faster = p_adj < alpha and the {stats.level(1 - alpha)} interval wholly beyond "
                   f"+-min_effect; equivalent = the {stats.level(1 - 2 * alpha)} interval within +-min_effect (TOST); "
                   "inconclusive = neither; untested = too little data",
        "outliers": f"modified z-score on the MAD > {stats.OUTLIER_Z:g}",
    }


def summary_payload(summary: Summary) -> dict:
    """The JSON object of the contract (docs/design.md): run_id, baseline, noise, headlines, rows, and more."""
    return {
        "schema": SCHEMA_VERSION, "run_id": summary.run_id, "baseline": summary.baseline,
        "alpha": summary.alpha, "min_effect": summary.noise.min_effect, "noise": noise_record(summary.noise),
        "control": summary.control,
        "n_comparisons": summary.n_comparisons, "methods": methods(summary.design, alpha=summary.alpha),
        "headlines": headline_records(summary.headlines, summary.rows),
        "rows": [{f: (list(v) if isinstance(v := getattr(row, f), tuple) else v) for f in ROW_FIELDS}
                 for row in summary.rows],
        "geomean": geomean_records(summary.geomean),
        "warnings": caveat_records(summary.caveats), "notes": list(summary.notes),
    } | ({"growth": fit_records(summary.growth)} if summary.growth else {})
