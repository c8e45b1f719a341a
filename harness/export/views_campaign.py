"""What `harness summary` and `harness compare` print for campaign directories (see `views` for run directories)."""

from __future__ import annotations

from pathlib import Path

from harness.analysis import machines, stats
from harness.analysis.campaign_summary import CampaignSummary, compare_campaigns, summarize_campaign
from harness.export import check_format, render
from harness.export.layout_campaign import campaign_doc
from harness.results.campaign_dir import load_campaign_dir


def render_campaign_summary(directory: Path, fmt: str = "table", baseline: str | None = None, *,
                            alpha: float = stats.DEFAULT_ALPHA, min_effect: float | None = None,
                            wide: bool = False) -> str:
    check_format(fmt)
    summary = summarize_campaign(load_campaign_dir(Path(directory)), baseline, alpha=alpha, min_effect=min_effect)
    return render(campaign_doc(summary), fmt, wide=wide)


def campaign_comparison(before: Path, after: Path, alpha: float = stats.DEFAULT_ALPHA,
                        min_effect: float | None = None) -> CampaignSummary:
    return compare_campaigns(load_campaign_dir(Path(before)), load_campaign_dir(Path(after)), alpha=alpha,
                             min_effect=min_effect)


def render_campaign_comparison(comparison: CampaignSummary, fmt: str = "table", wide: bool = False) -> str:
    check_format(fmt)
    return render(campaign_doc(comparison), fmt, wide=wide)


def pooled_unjudged(comparison: CampaignSummary) -> list[str]:
    """What the gate could not judge: machines with a run in only one campaign (or none), pooled headlines untested."""
    return [f"machine {name}: {why}" for name, why in comparison.missing.items()] + [
        f"{h.workload} whole build on {h.scenario}: untested over {h.pooled.n_machines} machines"
        for h in comparison.headlines if h.pooled.verdict == machines.UNTESTED]


def pooled_slower_beyond(comparison: CampaignSummary, percent: float) -> list[str]:
    """The pooled headlines significantly slower in B by more than `percent` (the --fail-above gate), as lines."""
    return [f"{h.workload} whole build on {h.scenario}: {(h.pooled.ratio - 1) * 100:+.1f}% over "
            f"{h.pooled.n_machines} machines ({h.pooled.verdict})"
            for h in comparison.headlines
            if h.pooled.verdict == machines.SLOWER and h.pooled.ratio > 1 + percent / 100]
