"""A `CampaignSummary` → `TableDoc`: one block per compared scenario with a row per machine (its ratio, interval
and verdict from its own rounds) and the pooled row last; the headline lines say how much the machines disagree."""

from __future__ import annotations

from harness.analysis import machines
from harness.analysis.campaign_summary import CampaignSummary, PooledHeadline
from harness.export import numbers
from harness.export.document import DisplayRow, Section, TableDoc

CAMPAIGN_SCHEMA = 1
HEADERS = ("machine", "ratio", "95% CI", "verdict", "p")
NUMERIC = (False, True, True, False, True)
CSV_COLUMNS = ("campaign_id", "workload", "builder", "scenario", "baseline", "machine", "ratio", "ratio_ci_low",
               "ratio_ci_high", "p_value", "verdict")
POOLED = "pooled"


def pooled_sentence(h: PooledHeadline) -> str:
    """`seed · naive: whole build 3.10× [2.60, 3.70] the time of native over 4 machines; between-machine spread
    ±12 % (I² 80 %); slower` — the line a reader quotes."""
    p = h.pooled
    where = f"{h.workload} · " + (f"{h.builder} · " if h.builder != "classic" else "") + h.scenario
    interval = numbers.ratio_interval(p.ci_low, p.ci_high)
    if p.verdict == machines.UNTESTED:
        return (f"{where}: whole build {numbers.ratio(p.ratio)} the time of {h.baseline} on {p.n_machines} machine"
                f"{'s' if p.n_machines != 1 else ''} with an interval (untested: pooling needs ≥ 2)")
    spread = f"between-machine spread ±{p.spread:.0%} (τ² {p.tau2:.4f}, I² {p.i2:.0%})"
    outliers = f"; outlier: {', '.join(p.outliers)}" if p.outliers else ""
    return (f"{where}: whole build {numbers.ratio(p.ratio)} {interval} the time of {h.baseline} over "
            f"{p.n_machines} machines; {spread}; {p.verdict} (p {numbers.p_value(p.p_value)}){outliers}")


def campaign_doc(summary: CampaignSummary) -> TableDoc:
    sections = tuple(Section(f"{h.workload}{' · ' + h.builder if h.builder != 'classic' else ''}: {h.scenario} ÷ "
                             f"{h.baseline}, whole build", _rows(h)) for h in summary.headlines)
    records = tuple(record for h in summary.headlines for record in _records(summary.campaign_id, h))
    notes = tuple(f"machine {name} has no run: {why}" for name, why in summary.missing.items())
    return TableDoc(
        title=f"harness summary — campaign {summary.campaign_id}, {len(summary.machines)} machines, baseline "
              f"{summary.baseline}",
        headers=HEADERS, numeric=NUMERIC, sections=sections, legend=legend(summary), notices=(), notes=notes,
        csv_columns=CSV_COLUMNS, csv_records=records, payload=campaign_payload(summary),
        headlines=tuple(pooled_sentence(h) for h in summary.headlines))


def _rows(h: PooledHeadline) -> tuple[DisplayRow, ...]:
    rows = [DisplayRow((m.machine, numbers.ratio(m.ratio), numbers.ratio_interval(m.ratio_ci_low, m.ratio_ci_high),
                        m.verdict, numbers.p_value(m.p_value))) for m in h.per_machine]
    p = h.pooled
    rows.append(DisplayRow((f"{POOLED} ({p.n_machines})", numbers.ratio(p.ratio),
                            numbers.ratio_interval(p.ci_low, p.ci_high), p.verdict, numbers.p_value(p.p_value)),
                           new_group=True))
    return tuple(rows)


def _records(campaign_id: str, h: PooledHeadline) -> list[tuple[str, ...]]:
    base = (campaign_id, h.workload, h.builder, h.scenario, h.baseline)
    rows = [base + (m.machine, *map(numbers.tidy, (m.ratio, m.ratio_ci_low, m.ratio_ci_high, m.p_value)), m.verdict)
            for m in h.per_machine]
    p = h.pooled
    rows.append(base + (POOLED, *map(numbers.tidy, (p.ratio, p.ci_low, p.ci_high, p.p_value)), p.verdict))
    return rows


def legend(summary: CampaignSummary) -> tuple[str, ...]:
    return (
        "Per machine: the whole-build ratio to the baseline with its 95% interval and p_adj from that machine's own "
        "rounds (as `harness summary` of its run directory shows them).",
        "pooled: random-effects meta-analysis of the per-machine log ratios, machines as the top level — "
        "DerSimonian–Laird τ², Hartung–Knapp 95% interval on k − 1 degrees of freedom; spread ±(e^τ − 1); I²: the "
        "share of the between-machine variation beyond within-machine noise; outliers: studentized deleted residual "
        f"|z| > {machines.OUTLIER_Z:g}.",
        f"verdict: slower/faster when p < {summary.alpha:g} and the 95% interval lies wholly outside 1 ± "
        f"{summary.min_effect:.0%} (δ, the smallest effect of interest); equivalent when the 90% interval lies "
        "inside it; inconclusive otherwise; untested without an interval.",
    )


def methods() -> dict[str, str]:
    return {
        "per_machine": "each machine's run summary: hierarchical bootstrap over its rounds then builds, paired "
                       "t-test on per-round medians, Benjamini-Hochberg within the run",
        "pooled": "random-effects meta-analysis of log ratios: DerSimonian-Laird tau^2, Hartung-Knapp-Sidik-Jonkman "
                  "t interval (k-1 df), Higgins-Thompson I^2, prediction interval on k-2 df",
        "outliers": f"studentized deleted residual (Viechtbauer & Cheung 2010) |z| > {machines.OUTLIER_Z:g}",
        "verdict": "slower/faster: p < alpha and the 95% interval outside 1 +- min_effect; equivalent: the 90% "
                   "interval inside it (TOST); else inconclusive; untested without an interval",
    }


def campaign_payload(summary: CampaignSummary) -> dict:
    """The JSON object of a campaign summary (schemas/campaign-summary.schema.json)."""
    return {
        "schema": CAMPAIGN_SCHEMA, "kind": "campaign", "campaign_id": summary.campaign_id,
        "run_id": summary.campaign_id, "baseline": summary.baseline, "alpha": summary.alpha,
        "min_effect": summary.min_effect, "machines": list(summary.machines),
        "missing_machines": dict(summary.missing), "methods": methods(),
        "headlines": [headline_record(h) for h in summary.headlines],
    }


def headline_record(h: PooledHeadline) -> dict:
    p = h.pooled
    return {
        "workload": h.workload, "scenario": h.scenario, "baseline": h.baseline, "builder": h.builder,
        "ratio": p.ratio, "ratio_ci_low": p.ci_low, "ratio_ci_high": p.ci_high, "ratio_ci90_low": p.ci90_low,
        "ratio_ci90_high": p.ci90_high, "p_value": p.p_value, "verdict": p.verdict, "n_machines": p.n_machines,
        "tau2": p.tau2, "i2": p.i2, "spread": p.spread, "prediction_low": p.prediction_low,
        "prediction_high": p.prediction_high, "outliers": list(p.outliers),
        "per_machine": [{"machine": m.machine, "ratio": m.ratio, "ratio_ci_low": m.ratio_ci_low,
                         "ratio_ci_high": m.ratio_ci_high, "p_value": m.p_value, "verdict": m.verdict}
                        for m in h.per_machine],
    }
