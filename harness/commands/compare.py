"""`harness compare RUN_A RUN_B [RUN_C …]`: how the cells the runs share changed from A to each later run."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.summary import add_baseline_and_thresholds, add_wide, check_thresholds

HELP = "compare runs of the same matrix (e.g. before/after a kernel or engine change); a CI gate"
DESCRIPTION = """\
Compare two run directories cell by cell (workload × step × scenario, as both runs name them). First the
headlines (each scenario's whole-build change B ÷ A − 1 with its interval and verdict) and what differs between
the two environments (kernel, engine version, driver status, overlay knobs, workload fingerprint); then for each
cell both measured: the median in A and in B and the change with its 95% interval. With rounds in both runs the
daemon session is the unit (hierarchical bootstrap, Welch's t-test on per-round medians); otherwise builds
(percentile bootstrap, Mann–Whitney U). p-values are Benjamini–Hochberg adjusted over all shared cells (`p_adj`).
A change is printed only when p_adj < --alpha and its interval lies wholly outside ±--noise; otherwise `~`
(interval overlaps the floor) or `n.s.` (outside it but not significant after the correction).

--fail-above PCT makes this a CI gate: exit 1 when any cell is significantly slower in B by more than PCT percent
(median ratio > 1 + PCT/100; FROM steps are not gated), else 0. The table fits COLUMNS (it drops n A, n B,
then p_adj, then puts each step's instruction on a line above its rows; --wide keeps every column).
With more runs (RUN_C …) each is compared with RUN_A as above, and the table has one column per run
(benchstat-style: the median and the change against A, with the same marks); --fail-above gates every later run.
Formats: table, md, latex, csv (tidy), json."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the reference run directory (before)")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it (after)")
    parser.add_argument("more", type=Path, nargs="*", metavar="RUN_C",
                        help="more runs, each compared with RUN_A: one column per run (benchstat-style)")
    parser.add_argument("--format", default="table", choices=("table", "md", "markdown", "latex", "csv", "json"),
                        help="output format (default: table; markdown = md)")
    parser.add_argument("--fail-above", type=float, metavar="PCT",
                        help="exit 1 when any cell is significantly slower in B by more than PCT percent")
    add_wide(parser)
    add_baseline_and_thresholds(parser, baseline=False, noise_help="changes within ± this count as no change")


def run(args: argparse.Namespace) -> int:
    import sys

    from harness.analysis.compare import load_comparison
    from harness.errors import InputError
    from harness.export.views import render_comparison, render_runs

    check_thresholds(args)
    if args.fail_above is not None and args.fail_above < 0:
        raise InputError(f"--fail-above {args.fail_above} is negative; give a slowdown in percent, e.g. --fail-above 5")
    from harness.results.campaign_dir import is_campaign_dir

    if is_campaign_dir(args.run_a) or is_campaign_dir(args.run_b):
        return _campaigns(args)
    comparisons = [load_comparison(args.run_a, later, alpha=args.alpha, noise=args.noise)
                   for later in (args.run_b, *args.more)]
    if args.more:
        print(render_runs(comparisons, args.format, wide=args.wide))
    else:
        print(render_comparison(comparisons[0], args.format, wide=args.wide))
    if args.fail_above is None:
        return 0
    failed = False
    for comparison in comparisons:  # the gate applies to every later run against the first
        for row in comparison.slower_beyond(args.fail_above):
            failed = True
            where = "whole build" if row.step == "total" else f"step {row.step}"
            print(f"fail-above {args.fail_above:g}%: {row.workload} {where} on {row.scenario} is "
                  f"{(row.ratio - 1) * 100:+.1f}% slower in {comparison.run_b} (significant, p_adj "
                  f"{row.p_adjusted:.3g})", file=sys.stderr)
    return 1 if failed else 0


def _campaigns(args: argparse.Namespace) -> int:
    """Two campaign directories: each shared machine's change, pooled over machines (docs/campaigns.md)."""
    import sys

    from harness.errors import InputError
    from harness.export.views_campaign import campaign_comparison, pooled_slower_beyond, render_campaign_comparison
    from harness.results.campaign_dir import is_campaign_dir

    if not (is_campaign_dir(args.run_a) and is_campaign_dir(args.run_b)):
        raise InputError(f"compare a campaign with a campaign: {args.run_a} and {args.run_b} are not both campaign "
                         "directories (campaign.json)")
    comparison = campaign_comparison(args.run_a, args.run_b, alpha=args.alpha)
    print(render_campaign_comparison(comparison, args.format, wide=args.wide))
    slower = pooled_slower_beyond(comparison, args.fail_above) if args.fail_above is not None else []
    for line in slower:
        print(f"fail-above {args.fail_above:g}%: {line}", file=sys.stderr)
    return 1 if slower else 0
