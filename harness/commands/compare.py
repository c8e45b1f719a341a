"""`harness compare RUN_A RUN_B`: how the cells two runs share changed from A to B."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.summary import add_baseline_and_thresholds, add_wide, check_thresholds

HELP = "compare two runs of the same matrix (e.g. before/after a kernel or engine change); a CI gate"
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
The table fits COLUMNS (--wide keeps every column).
Formats: table, md, latex, csv (tidy), json."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the reference run directory (before)")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it (after)")
    parser.add_argument("--format", default="table", choices=("table", "md", "latex", "csv", "json"),
                        help="output format (default: table)")
    parser.add_argument("--fail-above", type=float, metavar="PCT",
                        help="CI gate: exit 1 when a cell is slower in B by more than PCT percent, 4 when a cell of "
                             "A could not be judged in B (missing, failed, untested)")
    add_wide(parser)
    add_baseline_and_thresholds(parser, baseline=False)


def run(args: argparse.Namespace) -> int:
    import sys

    from harness.analysis.compare import gate, load_comparison
    from harness.errors import InputError
    from harness.export.views import render_comparison

    min_effect = check_thresholds(args)
    if args.fail_above is not None and not 0 <= args.fail_above <= 1000:
        raise InputError(f"--fail-above {args.fail_above:g} is not a percentage between 0 and 1000; give the "
                         "slowdown that fails the gate, e.g. --fail-above 5 for 5%")
    comparison = load_comparison(args.run_a, args.run_b, alpha=args.alpha, min_effect=min_effect)
    outcome = None if args.fail_above is None else gate(comparison, args.fail_above)
    print(render_comparison(comparison, args.format, wide=args.wide, gate=outcome))
    if outcome is None:
        return 0
    for line in gate_lines(outcome):
        print(line, file=sys.stderr)
    return outcome.exit_code


def gate_lines(outcome) -> list[str]:
    """What the gate says on stderr: one line when it passes, one per failing or unjudged cell otherwise."""
    head = f"fail-above {outcome.percent:g}%"
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
