"""`harness report CAMPAIGN_DIR`: a Markdown report of a campaign, led by a forest plot per compared scenario —
one row per machine with its interval, the pooled estimate (a diamond) at the bottom — then the per-machine
table, the machines' facts, and a citation block (campaign id, digests, command, harness version and commit)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from harness import export
from harness.analysis import machines, stats
from harness.analysis.campaign_summary import CampaignSummary, PooledHeadline, summarize_campaign
from harness.errors import printable
from harness.export.layout_campaign import campaign_doc, pooled_sentence
from harness.export.markdown import alt, href, literal, prose
from harness.results.campaign_dir import CampaignData, load_campaign_dir


@dataclass(frozen=True)
class CampaignReportFiles:
    markdown: Path
    plots: tuple[Path, ...]
    data: tuple[Path, ...]


def write_campaign_report(directory: Path, out_dir: Path | None = None, baseline: str | None = None, *,
                          alpha: float = stats.DEFAULT_ALPHA, min_effect: float | None = None) -> CampaignReportFiles:
    campaign = load_campaign_dir(directory)
    out = Path(out_dir) if out_dir else campaign.directory / "report"
    summary = summarize_campaign(campaign, baseline, alpha=alpha, min_effect=min_effect)
    images = [path for index, h in enumerate(summary.headlines)
              for path in save_forest(forest_figure(h, summary.min_effect), out / "plots", f"forest-{index + 1}")]
    doc = campaign_doc(summary)
    data = (_write(out / "summary.csv", export.render(doc, "csv") + "\n"),
            _write(out / "summary.json", export.render(doc, "json") + "\n"))
    pngs = [path.relative_to(out) for path in images if path.suffix == ".png"]
    markdown = _write(out / "report.md", report_markdown(campaign, summary, doc, pngs))
    return CampaignReportFiles(markdown, tuple(images), data)


def forest_figure(h: PooledHeadline, min_effect: float) -> Figure:
    """Rows top to bottom: each machine's ratio and 95% interval, then the pooled ratio as a diamond spanning its
    interval; a log x axis, the line at 1× and the band 1 ± δ shaded."""
    rows = list(h.per_machine)
    height = 1.2 + 0.35 * (len(rows) + 2)
    figure = Figure(figsize=(7, height), layout="constrained")
    axes = figure.subplots()
    for position, m in enumerate(rows):
        y = len(rows) + 1 - position
        if m.ratio is None:
            continue
        if m.ratio_ci_low is not None and m.ratio_ci_high is not None:
            axes.plot([m.ratio_ci_low, m.ratio_ci_high], [y, y], color="#333333", linewidth=1.5)
        axes.plot([m.ratio], [y], marker="s", color="#1f77b4", markersize=6)
    p = h.pooled
    if p.ratio is not None and p.ci_low is not None:
        axes.fill([p.ci_low, p.ratio, p.ci_high, p.ratio], [0.5, 0.8, 0.5, 0.2], color="#d62728")
    axes.axvspan(1 - min_effect, 1 + min_effect, color="#dddddd", zorder=0)
    axes.axvline(1.0, color="#888888", linewidth=0.8)
    labels = [m.machine for m in rows] + [f"pooled ({p.n_machines})"]
    axes.set_yticks([len(rows) + 1 - i for i in range(len(rows))] + [0.5], labels)
    axes.set_xscale("log")
    axes.set_xlabel(f"whole-build time ÷ {h.baseline} (95% interval, log scale)")
    axes.set_title(f"{h.workload}: {h.scenario}" + (f" ({h.builder})" if h.builder != "classic" else ""))
    return figure


def save_forest(figure: Figure, out_dir: Path, stem: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.svg"]
    with matplotlib.rc_context({"svg.hashsalt": "harness", "svg.fonttype": "none"}):
        figure.savefig(paths[0], dpi=120, metadata={"Software": None})
        figure.savefig(paths[1], metadata={"Date": None})
    return paths


def report_markdown(campaign: CampaignData, summary: CampaignSummary, doc, images: list[Path]) -> str:
    """The report text. Machine names, facts and reasons come from campaign.json, which anyone may have written:
    they are shown as text (`markdown.prose`/`literal`), never as markup, and the citation block holds no line
    break of theirs."""
    lines = [f"# Campaign {prose(summary.campaign_id)}", ""]
    for h, image in zip(summary.headlines, images):
        lines += [f"![forest plot: {alt(h.scenario)}]({href(image.as_posix())})", "",
                  f"**{prose(pooled_sentence(h))}**", ""]
    lines += [export.render(replace(doc, headlines=()), "md"), "", "## Machines", "",
              "| machine | status | CPU | cores | memory MB | kernel | distribution | engines |",
              "|---|---|---|---|---|---|---|---|"]
    for name, record in campaign.manifest.get("machines", {}).items():
        facts = record.get("facts") or {}
        engines = ", ".join(sorted({str(v) for v in (record.get("engines") or {}).values() if v})) or "–"
        status = f"{record.get('status')}" + (f": {record['reason']}" if record.get("reason") else "")
        cells = [status, *(facts.get(key) or "–" for key in ("cpu_model", "cores", "memory_mb", "kernel",
                                                             "distribution")), engines]
        lines.append("| " + " | ".join([literal(name), *map(prose, cells)]) + " |")
    manifest = campaign.manifest
    cite = [f"campaign {summary.campaign_id}: {manifest.get('started_at')} – {manifest.get('ended_at')}",
            f"harness {manifest.get('harness_version')} ({manifest.get('git_commit') or 'no git commit'})",
            f"command: {' '.join(map(str, manifest.get('command') or []))}",
            f"matrix sha256 {_digest(manifest, 'matrix')}; inventory sha256 {_digest(manifest, 'inventory')}",
            f"machines: {', '.join(summary.machines)}; pooled by {machines.__name__} (random effects, Hartung–Knapp)"]
    return "\n".join([*lines, "", "## Cite", "", "```", *map(printable, cite), "```", ""])


def _digest(manifest: dict, key: str) -> object:
    record = manifest.get(key)
    return record.get("sha256", "?") if isinstance(record, dict) else "?"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
