"""`harness summary RUN_DIR`: the statistics of one run, in a terminal table or a format to paste or load."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "summarise a run: headline verdicts, per-step medians with 95% intervals and ratios to the baseline"
DESCRIPTION = """\
Summarise a run directory: first one headline per compared scenario (its whole-build ratio to the baseline, the
interval and the verdict); for a run with a parameter sweep (≥ 3 sizes) a Growth block, the fitted cost per
1 000 of the swept parameter (time = a + b·N on the per-size medians, 95% interval) per scenario and step; then
one row per workload × step × scenario (plus `total`, the whole build), from
samples.jsonl and manifest.json alone. Warmups are left out; failed samples are counted, never timed; FROM steps
are in csv/json only.

How to read it: `median s` is the median of the measured repetitions with its distribution-free 95% interval;
`CV` is their spread. `ratio` is the scenario's median ÷ the baseline's median for the same step, with a 95%
interval. With rounds (one daemon session per scenario per round) the interval is a hierarchical bootstrap over
rounds then builds and the test a paired t-test on per-round medians: the session is the unit that varies. The
noise floor is the A/A control's whole-build interval when the run has a control (control: true), else
1 ± --noise. A ratio is printed only when p_adj (Benjamini–Hochberg) < --alpha AND its interval lies wholly
outside the noise floor; `~` when the interval overlaps the floor, `n.s.` when it is outside but p_adj ≥ --alpha,
`(1.20×)` when there were too few samples or rounds to test. The geometric means cover the steps they name.

The table fits the terminal width (COLUMNS, down to 80): it drops CV, then the median's 95% CI, then p_adj,
then puts each step's instruction on a line of its own above its rows (shortened, never dropped); the Growth block
names its one-value columns in its title, then drops R². --wide keeps everything.
Formats: table (terminal), md (GitHub Markdown), latex (booktabs table float), csv (tidy: one row per cell),
json (described by schemas/summary.schema.json in the harness repository)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory (results/<run-id>)")
    parser.add_argument("--format", default="table", choices=("table", "md", "markdown", "latex", "csv", "json"),
                        help="output format (default: table; markdown = md)")
    add_wide(parser)
    add_baseline_and_thresholds(parser)


def add_wide(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wide", action="store_true",
                        help="terminal table with every column, however wide (default: fit COLUMNS)")


def add_baseline_and_thresholds(parser: argparse.ArgumentParser, baseline: bool = True,
                                noise_help: str = "without an A/A control in the run, ratios within 1 ± this count as "
                                                  "no difference") -> None:
    """The options summary, report (and, without --baseline, compare) share."""
    if baseline:
        parser.add_argument("--baseline", metavar="SCENARIO",
                            help="scenario the others are compared with (default: the matrix's baseline)")
    parser.add_argument("--noise", type=float, default=0.02, metavar="FRACTION", help=f"{noise_help} (default: 0.02)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level for p_adj (default: 0.05)")


def check_thresholds(args: argparse.Namespace) -> None:
    """InputError for an --alpha outside (0, 1) or a negative --noise."""
    from harness.errors import InputError

    if not 0 < args.alpha < 1:
        raise InputError(f"--alpha {args.alpha} is not between 0 and 1; use e.g. --alpha 0.05")
    if args.noise < 0:
        raise InputError(f"--noise {args.noise} is negative; use a fraction such as --noise 0.02 for ±2%")


def run(args: argparse.Namespace) -> int:
    from harness.export.views import render_run_summary
    from harness.results.campaign_dir import is_campaign_dir

    check_thresholds(args)
    if is_campaign_dir(args.run_dir):  # a campaign: per-machine headlines pooled over machines (docs/campaigns.md)
        from harness.export.views_campaign import render_campaign_summary

        print(render_campaign_summary(args.run_dir, args.format, args.baseline, alpha=args.alpha, wide=args.wide))
        return 0
    print(render_run_summary(args.run_dir, args.format, args.baseline, alpha=args.alpha, noise=args.noise,
                             wide=args.wide))
    return 0
