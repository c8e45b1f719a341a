"""`harness compare RUN_A RUN_B`: how the cells two runs share changed from A to B."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.summary import add_baseline_and_thresholds, check_thresholds

HELP = "compare two runs of the same matrix (e.g. before/after a kernel or engine change)"
DESCRIPTION = """\
Compare two run directories cell by cell (workload × step × scenario, as both runs name them). For each cell
both measured: the median in A and in B, the change B ÷ A − 1 with a bootstrap 95% interval, and a two-sided
Mann–Whitney U p-value, Benjamini–Hochberg adjusted over all shared cells (`p_adj`). A change is printed only
when p_adj < --alpha and it exceeds ±--noise; otherwise it reads `~`. The last rows give each scenario's
geometric mean of step changes. Notes list what differs between the two environments (kernel, engine version,
driver status, overlay knobs, workload fingerprint) and the cells only one run has.

Formats: table, md, latex, csv (tidy), json."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the reference run directory (before)")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it (after)")
    parser.add_argument("--format", default="table", choices=("table", "md", "latex", "csv", "json"),
                        help="output format (default: table)")
    add_baseline_and_thresholds(parser, baseline=False, noise_help="changes within ± this count as no change")


def run(args: argparse.Namespace) -> int:
    from harness.compare import render_comparison

    check_thresholds(args)
    print(render_comparison(args.run_a, args.run_b, args.format, alpha=args.alpha, noise=args.noise))
    return 0
