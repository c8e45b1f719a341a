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
interval. With rounds (one daemon session per scenario per round) the ratio is the geometric mean of per-round
ratios (each round: the low median of its builds), with a t-interval and a paired t-test on them: the session is the
unit that varies. Each compared cell gets one verdict against the smallest effect of interest δ (--min-effect, in
percent; default: the matrix's min_effect, else 5%): `slower`/`faster` when p_adj (Benjamini–Hochberg) < --alpha
AND the interval lies wholly beyond ±δ; `equivalent` when the 90% interval lies within ±δ (two one-sided tests);
`inconclusive` when neither (not "no difference": more rounds would decide); `untested` when there were too few
samples or rounds (the ratio in parentheses; json/csv say what is missing). An A/A control (control: true) is a
diagnostic: its interval must hold 1 (else a loud warning), and its half-width is the run's smallest detectable
effect. The geometric means cover the steps they name.

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


def add_baseline_and_thresholds(parser: argparse.ArgumentParser, baseline: bool = True) -> None:
    """The options summary, report (and, without --baseline, compare) share."""
    if baseline:
        parser.add_argument("--baseline", metavar="SCENARIO",
                            help="scenario the others are compared with (default: the matrix's baseline)")
    parser.add_argument("--min-effect", "--noise", dest="min_effect", type=float, metavar="PCT",
                        help="smallest effect of interest δ in percent: slower/faster needs the interval beyond ±δ, "
                             "equivalent needs it within (default: the matrix's min_effect, else 5); --noise is the "
                             "old name, now in percent too")
    parser.add_argument("--alpha", type=float, default=None,
                        help="significance level for p_adj; the ratio intervals are at 1 − α, the equivalence test's at "
                             "1 − 2α (default: the run's own — a run that could stop early records its per-look α — "
                             "else 0.05)")


def alpha_or_default(args: argparse.Namespace) -> float:
    """--alpha, else 0.05: comparisons between runs and campaigns have no per-run α of their own."""
    from harness.analysis.stats import DEFAULT_ALPHA

    return DEFAULT_ALPHA if args.alpha is None else args.alpha


def check_thresholds(args: argparse.Namespace) -> float | None:
    """δ as a fraction (None: the run's own); InputError for an --alpha outside (0, 1) or a δ outside 1–100 %."""
    from harness.errors import InputError

    if args.alpha is not None and not 0 < args.alpha < 1:
        raise InputError(f"--alpha {args.alpha} is not between 0 and 1; use e.g. --alpha 0.05")
    if args.min_effect is None:
        return None
    if not 1 <= args.min_effect <= 100:
        raise InputError(f"--min-effect {args.min_effect:g} is outside 1–100: it is in percent (5 means ±5%; the old "
                         f"fraction {args.min_effect:g} would be --min-effect {args.min_effect * 100:g})")
    return args.min_effect / 100


def run(args: argparse.Namespace) -> int:
    from harness.export.views import render_run_summary
    from harness.results.campaign_dir import is_campaign_dir

    min_effect = check_thresholds(args)
    if is_campaign_dir(args.run_dir):  # a campaign: per-machine headlines pooled over machines (docs/campaigns.md)
        from harness.export.views_campaign import render_campaign_summary

        print(render_campaign_summary(args.run_dir, args.format, args.baseline, alpha=alpha_or_default(args),
                                      min_effect=min_effect, wide=args.wide))
        return 0
    print(render_run_summary(args.run_dir, args.format, args.baseline, alpha=args.alpha, min_effect=min_effect,
                             wide=args.wide))
    return 0
