"""`harness report RUN_DIR`: a Markdown report with plots and a citation block."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.summary import add_baseline_and_thresholds, alpha_or_default, check_thresholds

HELP = "write a Markdown report of a run: summary table, plots, methods and a citation block"
DESCRIPTION = """\
Write OUT/report.md (default OUT: RUN_DIR/report): first the headline verdicts (each compared scenario's
whole-build ratio to the baseline with its interval and verdict) and what the verdicts mean in one sentence; for a run with a
parameter sweep (≥ 3 sizes), the growth figure comes first: time against the swept parameter per scenario with
the fitted line and its cost per 1 000 (95% interval); then the summary table in Markdown, plots in OUT/plots (PNG
and SVG: every sample per step and scenario as box and strip plots, and the ratios to the baseline with their
95% intervals on a log axis), the statistical methods with their sources, and a citation block: run id, dates,
harness version and git commit, exact command, matrix sha256, host and kernel, and per scenario its engine
version, kernel, overlay knobs and driver status — what a reader needs to reproduce a number. The summary is
also written as OUT/summary.csv and OUT/summary.json (described by schemas/summary.schema.json in the harness
repository). Prints the path of report.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory (results/<run-id>)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="output directory (default: RUN_DIR/report)")
    add_baseline_and_thresholds(parser)


def run(args: argparse.Namespace) -> int:
    from harness.export.report import write_report
    from harness.results.campaign_dir import is_campaign_dir

    min_effect = check_thresholds(args)
    if is_campaign_dir(args.run_dir):  # a campaign: forest plots first, then per-machine tables (docs/campaigns.md)
        from harness.export.report_campaign import write_campaign_report

        files = write_campaign_report(args.run_dir, args.out, args.baseline, alpha=alpha_or_default(args),
                                      min_effect=min_effect)
        print(f"report: {files.markdown}")
        return 0
    files = write_report(args.run_dir, args.out, args.baseline, alpha=args.alpha, min_effect=min_effect)
    print(f"report: {files.markdown}")
    return 0
