"""`harness plan PILOT_RUN` / `harness plan MATRIX --pilot`: how many rounds × builds per round a matrix needs,
sized from a pilot run (an earlier one, or one it measures first)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "size a matrix from a pilot run: the rounds × builds per round that decide ±δ at the stated power"
DESCRIPTION = """\
Read a finished run (a short pilot, e.g. `harness run MATRIX --reps 6` with rounds: 3, or any earlier run of the
same matrix on the same machine), estimate the variance between daemon sessions and between builds of one session
(log scale, whole builds, every scenario), and print the cheapest rounds × builds per round that, with the stated
power, show two identical scenarios `equivalent` within ±δ and a true effect of 2δ `slower` (Kalibera & Jones,
ISMM 2013). Cost: rounds × scenarios × (the pilot's per-session overhead + builds × its median build time).
Method and formulas: harness/analysis/sizing.py. Starts nothing.

With --pilot, the argument is a matrix: the pilot is measured first (every scenario of the matrix, 3 rounds × 2
builds, no warmup beyond one; needs root like `harness run`), its run directory printed, then sized as above."""

#: The pilot `--pilot` measures: the fewest rounds and builds per round that estimate both variances.
PILOT_ROUNDS = 3
PILOT_BUILDS_PER_ROUND = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="PILOT_RUN", help="a run directory to size from (a matrix "
                        "file with --pilot)")
    parser.add_argument("--pilot", action="store_true",
                        help="PILOT_RUN is a matrix: measure a short pilot of it first, then size from that")
    parser.add_argument("--results", type=Path, default=Path("results"), help="where --pilot writes its run")
    parser.add_argument("--work-dir", type=Path, default=Path("/var/lib/harness"),
                        help="private daemons' data for --pilot, as for `harness run`")
    parser.add_argument("--min-effect", type=float, metavar="PCT",
                        help="smallest effect of interest δ in percent (default: the run's min_effect, else 5)")
    parser.add_argument("--power", type=float, default=80, metavar="PCT", help="power to aim for (default: 80)")


def run(args: argparse.Namespace) -> int:
    from harness.analysis import sizing
    from harness.analysis.summary import declared_min_effect
    from harness.errors import InputError
    from harness.results.reader import load_run

    if not 50 <= args.power < 100:
        raise InputError(f"--power {args.power:g} is outside 50–99.9 (percent); use e.g. --power 80")
    if args.min_effect is not None and not 1 <= args.min_effect <= 100:
        raise InputError(f"--min-effect {args.min_effect:g} is outside 1–100: it is in percent (5 means ±5%)")
    if not args.pilot and args.run_dir.is_file():
        raise InputError(f"{args.run_dir} is a file, not a run directory: add --pilot to measure a pilot of that "
                         "matrix first, or pass a run directory")
    run_dir = args.run_dir
    if args.pilot:
        measured = _pilot(args)
        if measured.exit_code in (130, 143):  # interrupted: it said how to go on; nothing to size yet
            return measured.exit_code
        run_dir = measured.run_dir
    pilot = load_run(run_dir)
    delta = declared_min_effect(pilot.manifest) if args.min_effect is None else args.min_effect / 100
    found = sizing.variances(pilot)
    if found is None:
        raise InputError(f"{run_dir} has no whole build measured in ≥ 2 rounds of ≥ 2 builds: run a pilot "
                         "with rounds: 3 and repetitions: 6 (or more), then plan from it")
    design = sizing.cheapest(found, delta, args.power / 100)
    for line in plan_lines(found, design, delta, args.power):
        print(line)
    return 0


def _pilot(args: argparse.Namespace):
    """Measure the pilot of the matrix `args.run_dir` as `harness run` would (the same `measure`), with the pilot's
    rounds and builds instead of the matrix's; its problems and run directory are printed."""
    import dataclasses
    import sys

    from harness.commands.run import measure
    from harness.config import Repetitions, load_matrix

    matrix = load_matrix(args.run_dir)
    builds = PILOT_ROUNDS * PILOT_BUILDS_PER_ROUND
    pilot = dataclasses.replace(matrix, rounds=PILOT_ROUNDS, repetitions=Repetitions(min=builds, max=builds),
                                warmup=min(matrix.warmup, 1))
    print(f"pilot: {len(matrix.scenarios)} scenarios × {PILOT_ROUNDS} rounds × {PILOT_BUILDS_PER_ROUND} builds per "
          "round", file=sys.stderr)
    measured = measure(pilot, args.run_dir, args.results, args.work_dir)
    for problem in measured.problems:
        print(problem)
    print(f"pilot run: {measured.run_dir}")
    return measured


def plan_lines(found, design, delta: float, power: float) -> list[str]:
    lines = [f"pilot: {found.scenarios} scenarios × {found.rounds} rounds; median whole build {found.build_s:.2f} s; "
             f"{found.session_overhead_s:.1f} s per daemon session outside builds",
             f"variance (log scale): between sessions σ = {found.session ** 0.5:.1%}, between builds of a session "
             f"σ = {found.build ** 0.5:.1%}"]
    if design is None:
        return lines + [f"no design up to 30 rounds × 20 builds decides ±{delta:.0%} at {power:g}% power on this "
                        "machine: raise min_effect or quieten the machine"]
    cost = "session restarts are cheap here" if found.session_overhead_s < found.build_s else "sessions cost more"
    return lines + [
        f"cheapest design for δ = ±{delta:.0%} at {power:g}% power: {design.rounds} rounds × {design.builds} builds "
        f"per round (standard error of a log ratio {design.se:.2%}), about {design.seconds / 60:.1f} min of "
        f"measurement",
        f"why: session variance only shrinks with rounds, build variance with rounds × builds; {cost}",
        f"in the matrix: rounds: {design.rounds} and repetitions: {design.rounds * design.builds}",
    ]
