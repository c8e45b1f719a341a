"""`harness summary RUN_DIR`: the statistics of one run, in a terminal table or a format to paste or load."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "summarise a run: per-step medians with 95% intervals and ratios to the baseline scenario"
DESCRIPTION = """\
Summarise a run directory: one row per workload × step × scenario (plus `total`, the whole build), from
samples.jsonl and manifest.json alone. Warmups are left out; failed samples are counted, never timed.

How to read it: `median s` is the median of the measured repetitions with its distribution-free 95% interval;
`CV` is their spread (standard deviation ÷ mean). `ratio` is the scenario's median ÷ the baseline's median for
the same step, with a bootstrap 95% interval. It is printed only when the difference is significant: a two-sided
Mann–Whitney U p-value, Benjamini–Hochberg adjusted over every comparison of the run (`p_adj`), below --alpha,
and a ratio outside 1 ± --noise. Otherwise the ratio reads `~` (no difference beyond noise), or `(1.20×)` when
there were too few samples to test. The baseline's own rows read `base` (ratio 1.0 in csv/json, with no
interval, p-value or significance: it is not compared with itself). The last rows give each scenario's geometric
mean of step ratios. Warnings with their remedies follow the table.

Formats: table (terminal), md (GitHub Markdown), latex (booktabs), csv (tidy: one row per cell, for pandas or R),
json ({"run_id", "baseline", "rows": [...]} and more; see DESIGN.md)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory (results/<run-id>)")
    parser.add_argument("--format", default="table", choices=("table", "md", "latex", "csv", "json"),
                        help="output format (default: table)")
    add_baseline_and_thresholds(parser)


def add_baseline_and_thresholds(parser: argparse.ArgumentParser, baseline: bool = True,
                                noise_help: str = "ratios within 1 ± this count as no difference") -> None:
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
    from harness.summary import render_run_summary

    check_thresholds(args)
    print(render_run_summary(args.run_dir, args.format, args.baseline, alpha=args.alpha, noise=args.noise))
    return 0
