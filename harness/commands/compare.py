"""`harness compare RUN_A RUN_B [RUN_C …]`: how the cells the runs share changed from A to each later run."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.summary import add_baseline_and_thresholds, add_wide, alpha_or_default, check_thresholds

HELP = "compare runs of the same matrix (e.g. before/after a kernel or engine change); a CI gate"
DESCRIPTION = """\
Compare two run directories cell by cell (workload × step × scenario, as both runs name them). First the
headlines (each scenario's whole-build change B ÷ A − 1 with its interval and verdict) and what differs between
the two environments (kernel, engine version, driver status, overlay knobs, workload fingerprint); then for each
cell both measured: the median in A and in B, the change with its 95% interval, and its verdict. With rounds in
both runs the daemon session is the unit (Welch's t-interval and t-test on each run's per-round statistics, each run
over its own rounds); otherwise builds (percentile bootstrap, Mann–Whitney U). p-values are Benjamini–Hochberg
adjusted over all shared cells (`p_adj`). Verdicts against the smallest effect of interest δ (--min-effect, default:
run A's min_effect, else 5%): slower / faster (p_adj < --alpha and the interval wholly beyond ±δ), equivalent (the
90% interval within ±δ), inconclusive (neither — not "no change"), untested (too little data; says what).

--fail-above PCT makes this a CI gate that fails closed. Exit 1: a cell is slower in B (verdict slower) by more
than PCT percent (FROM steps are not gated). Exit 4: no cell is slower, but a cell run A measured is missing in B,
failed every build in B, or could not be tested — the gate could not judge it. Exit 0: every cell of A judged and
none slower beyond PCT; one line on stderr says so. --format json carries the gate's result under "gate".
The table fits COLUMNS (it drops n A, n B,
then p_adj, then puts each step's instruction on a line above its rows; --wide keeps every column).
With more runs (RUN_C …) each is compared with RUN_A as above, and the table has one column per run
(benchstat-style: the median and the change against A, with the same marks); --fail-above gates every later
run: exit 1 when any is slower beyond PCT, else 4 when any left a cell of A unjudged. Two campaign directories
are gated on their pooled headlines the same way: exit 4 also when a machine has a run in only one of them.
Formats: table, md, latex, csv (tidy), json."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the reference run directory (before)")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it (after)")
    parser.add_argument("more", type=Path, nargs="*", metavar="RUN_C",
                        help="more runs, each compared with RUN_A: one column per run (benchstat-style)")
    parser.add_argument("--format", default="table", choices=("table", "md", "markdown", "latex", "csv", "json"),
                        help="output format (default: table; markdown = md)")
    parser.add_argument("--fail-above", type=float, metavar="PCT",
                        help="CI gate: exit 1 when a cell is slower in B by more than PCT percent, 4 when a cell of "
                             "A could not be judged in B (missing, failed, untested)")
    add_wide(parser)
    add_baseline_and_thresholds(parser, baseline=False)


def run(args: argparse.Namespace) -> int:
    import sys

    from harness.analysis.compare import gate, load_comparison
    from harness.errors import InputError
    from harness.export.views import render_comparison, render_runs

    min_effect = check_thresholds(args)
    if args.fail_above is not None and not 0 <= args.fail_above <= 1000:
        raise InputError(f"--fail-above {args.fail_above:g} is not a percentage between 0 and 1000; give the "
                         "slowdown that fails the gate, e.g. --fail-above 5 for 5%")
    from harness.results.campaign_dir import is_campaign_dir

    if is_campaign_dir(args.run_a) or is_campaign_dir(args.run_b):
        return _campaigns(args)
    comparisons = [load_comparison(args.run_a, later, alpha=alpha_or_default(args), min_effect=min_effect)
                   for later in (args.run_b, *args.more)]
    outcomes = [None if args.fail_above is None else gate(comparison, args.fail_above) for comparison in comparisons]
    if args.more:
        print(render_runs(comparisons, args.format, wide=args.wide))
    else:
        print(render_comparison(comparisons[0], args.format, wide=args.wide, gate=outcomes[0]))
    if args.fail_above is None:
        return 0
    for later, outcome in zip((args.run_b, *args.more), outcomes):  # the gate applies to every later run
        for line in gate_lines(outcome, later if args.more else None):
            print(line, file=sys.stderr)
    codes = {outcome.exit_code for outcome in outcomes}
    return 1 if 1 in codes else 4 if 4 in codes else 0


def gate_lines(outcome, run: Path | None = None) -> list[str]:
    """What the gate says on stderr: one line when it passes, one per failing or unjudged cell otherwise."""
    head = f"fail-above {outcome.percent:g}%" + (f" ({run.name})" if run else "")
    if outcome.exit_code == 0:
        return [f"{head}: pass — {outcome.judged} cells judged, none slower beyond {outcome.percent:g}%"]
    lines = [f"{head}: {row.workload} {_where(row.step)} on {row.scenario} is {(row.ratio - 1) * 100:+.1f}% slower "
             f"(verdict slower, p_adj {row.p_adjusted:.3g})" for row in outcome.slower]
    lines += [f"{head}: cannot judge {key[0]} {_where(key[1])} on {key[2]}"
              + (f" ({key[3]})" if key[3] != "classic" else "") + f": {why} (exit 4 unless a cell is slower)"
              for key, why in outcome.unjudged]
    return lines


def _where(step) -> str:
    return "whole build" if step == "total" else f"step {step}"


def _campaigns(args: argparse.Namespace) -> int:
    """Two campaign directories: each shared machine's change, pooled over machines (docs/campaigns.md)."""
    import sys

    from harness.errors import InputError
    from harness.export.views_campaign import (
        campaign_comparison,
        pooled_slower_beyond,
        pooled_unjudged,
        render_campaign_comparison,
    )
    from harness.results.campaign_dir import is_campaign_dir

    if not (is_campaign_dir(args.run_a) and is_campaign_dir(args.run_b)):
        raise InputError(f"compare a campaign with a campaign: {args.run_a} and {args.run_b} are not both campaign "
                         "directories (campaign.json)")
    comparison = campaign_comparison(args.run_a, args.run_b, alpha=alpha_or_default(args),
                                     min_effect=check_thresholds(args))
    print(render_campaign_comparison(comparison, args.format, wide=args.wide))
    if args.fail_above is None:
        return 0
    head = f"fail-above {args.fail_above:g}%"
    slower = pooled_slower_beyond(comparison, args.fail_above)
    unjudged = pooled_unjudged(comparison)
    for line in slower:
        print(f"{head}: {line}", file=sys.stderr)
    for line in unjudged:
        print(f"{head}: cannot judge {line} (exit 4 unless a headline is slower)", file=sys.stderr)
    if not slower and not unjudged:
        print(f"{head}: pass — {len(comparison.headlines)} pooled headlines over {len(comparison.machines)} machines "
              f"judged, none slower beyond {args.fail_above:g}%", file=sys.stderr)
    return 1 if slower else 4 if unjudged else 0
