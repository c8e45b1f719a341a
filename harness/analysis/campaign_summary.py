"""A campaign's summary: every machine's run summarised on its own (its headlines come from its own rounds), then
each headline pooled over machines with the machine as the top level (`harness.analysis.machines`)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.analysis import machines, stats
from harness.analysis.compare import load_comparison
from harness.analysis.summary import Headline, Summary, declared_min_effect, summarize
from harness.results.campaign_dir import CampaignData


@dataclass(frozen=True)
class MachineHeadline:
    machine: str
    ratio: float | None
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    p_value: float | None
    verdict: str


@dataclass(frozen=True)
class PooledHeadline:
    """One compared scenario × workload × builder over every machine that measured it."""

    workload: str
    scenario: str
    baseline: str
    builder: str
    pooled: machines.Pooled
    per_machine: tuple[MachineHeadline, ...]


@dataclass(frozen=True)
class CampaignSummary:
    campaign_id: str
    baseline: str
    alpha: float
    min_effect: float
    machines: tuple[str, ...]  # machines with a run, in inventory order
    missing: dict[str, str]  # machine → why it has no run
    headlines: tuple[PooledHeadline, ...]
    per_machine: dict[str, Summary]


def summarize_campaign(campaign: CampaignData, baseline: str | None = None, alpha: float = stats.DEFAULT_ALPHA,
                       min_effect: float | None = None) -> CampaignSummary:
    """Each machine's summary against `baseline` (default: the matrix's), and the pooled headlines, all judged
    against `min_effect` (default: the matrix's, as its runs recorded it, else 5 %)."""
    min_effect = campaign_min_effect(campaign) if min_effect is None else min_effect
    summaries = {name: summarize(run, baseline, alpha=alpha, min_effect=min_effect)
                 for name, run in campaign.runs.items()}
    groups: dict[tuple[str, str, str, str], list[tuple[str, Headline]]] = {}
    for name, summary in summaries.items():
        for headline in summary.headlines:
            key = (headline.workload, headline.scenario, headline.baseline, headline.builder)
            groups.setdefault(key, []).append((name, headline))
    headlines = tuple(_pooled(key, members, min_effect, alpha) for key, members in groups.items())
    first = next(iter(summaries.values()))
    return CampaignSummary(campaign_id=campaign.campaign_id, baseline=first.baseline, alpha=alpha,
                           min_effect=min_effect, machines=tuple(summaries), missing=dict(campaign.missing),
                           headlines=headlines, per_machine=summaries)


def _pooled(key: tuple[str, str, str, str], members: list[tuple[str, Headline]], min_effect: float,
            alpha: float) -> PooledHeadline:
    estimates = [machines.MachineEstimate(name, h.ratio, h.ratio_ci_low, h.ratio_ci_high, h.p_value)
                 for name, h in members]
    per_machine = tuple(MachineHeadline(e.machine, e.ratio, e.ci_low, e.ci_high, e.p_value,
                                        machines.machine_verdict(e, min_effect, alpha)) for e in estimates)
    workload, scenario, baseline, builder = key
    return PooledHeadline(workload, scenario, baseline, builder, machines.pool(estimates, min_effect, alpha),
                          per_machine)


def campaign_min_effect(campaign: CampaignData) -> float:
    """The δ the campaign's matrix declared (every machine ran the same matrix: its first run says it)."""
    return declared_min_effect(next(iter(campaign.runs.values())).manifest)


def compare_campaigns(before: CampaignData, after: CampaignData, alpha: float = stats.DEFAULT_ALPHA,
                      min_effect: float | None = None) -> CampaignSummary:
    """Each machine both campaigns measured: its whole-build change B ÷ A (as `harness compare` of its two runs),
    then pooled over those machines; machines in only one campaign are listed as missing."""
    min_effect = campaign_min_effect(before) if min_effect is None else min_effect
    shared = [name for name in before.runs if name in after.runs]
    groups: dict[tuple[str, str, str, str], list[tuple[str, Headline]]] = {}
    for name in shared:
        comparison = load_comparison(before.runs[name].run_dir, after.runs[name].run_dir, alpha=alpha,
                                     min_effect=min_effect)
        for headline in comparison.headlines:
            key = (headline.workload, headline.scenario, f"campaign {before.campaign_id}", headline.builder)
            groups.setdefault(key, []).append((name, headline))
    missing = {name: "measured in only one of the two campaigns"
               for name in (*before.runs, *after.runs) if name not in shared}
    return CampaignSummary(campaign_id=f"{before.campaign_id} → {after.campaign_id}",
                           baseline=f"campaign {before.campaign_id}", alpha=alpha, min_effect=min_effect,
                           machines=tuple(shared), missing={**before.missing, **after.missing, **missing},
                           headlines=tuple(_pooled(key, members, min_effect, alpha) for key, members in groups.items()),
                           per_machine={})
