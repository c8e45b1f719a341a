"""`harness validate FILE`: check a matrix and everything it names, without touching any daemon."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.analysis.stopping import Looks
from harness.config import Workload, load_matrix

HELP = "check a matrix and the scenario/workload files it names (starts nothing)"
DESCRIPTION = """\
Check a matrix YAML file and every scenario (scenarios/NAME.yaml) and workload (workloads/NAME.yaml) it names:
unknown keys, wrong types, missing files and impossible values are reported with the file, the key path and the
line. Exit 0 when valid, 2 otherwise. Nothing is started."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the matrix YAML file")


def run(args: argparse.Namespace) -> int:
    matrix = load_matrix(args.file)
    reps = matrix.repetitions
    repetitions = str(reps.min) if reps.target_ci is None else f"{reps.min}..{reps.max} until ±{reps.target_ci:.0%}"
    builders = f" × {counted(len(matrix.builders), 'builder')}" if len(matrix.builders) > 1 else ""
    print(f"{args.file}: valid — {counted(len(matrix.scenarios), 'scenario')} × "
          f"{counted(len(matrix.workloads), 'workload')}{builders}, {repetitions} reps + {matrix.warmup} warmup, "
          f"baseline {matrix.baseline}")
    for scenario in matrix.scenarios:
        engine = scenario.engine
        print(f"  scenario {scenario.name}: {scenario.host.type} host, {scenario.storage.driver}"
              f"{' (containerd image store)' if scenario.storage.image_store == 'containerd' else ''}"
              f" on {scenario.storage.filesystem} filesystem"
              f"{f', engine {engine.source} {engine.version}' if engine.source != 'system' else ''}")
    for workload in matrix.workloads:
        print(f"  workload {workload.name}: base {workload.base.files} files, {_what_is_timed(workload)}")
    print(f"  builders: {', '.join(matrix.builders)}")
    print(f"  rounds: {counted(matrix.rounds, 'daemon session')} per scenario"
          + (f"; A/A control {matrix.control}-aa" if matrix.control else ""))
    if matrix.stop_when_decided:
        looks = Looks(matrix.rounds)
        print(f"  stops when decided: looks after rounds {', '.join(map(str, looks.after))}, each at "
              f"α = {looks.alpha_per_look:.3g} (Bonferroni over the looks)")
    if reps.min < FEW_REPS:
        print(f"{args.file}: warning: repetitions {reps.min} is below {FEW_REPS}: the summary will have no 95 % "
              f"intervals of medians and no ratio intervals (they need 6 samples), and no test at all below 4; "
              f"use repetitions: 10", file=sys.stderr)
    return 0


#: Below this many measured reps the distribution-free 95 % CI of a median does not exist.
FEW_REPS = 6


def _what_is_timed(workload: Workload) -> str:
    if workload.kind == "commit":
        return "commit micro-benchmark (create, change, commit)"
    if workload.user_build is not None:
        return f"your Dockerfile {workload.user_build.dockerfile} on context {workload.user_build.context}"
    return counted(len(workload.steps), "step")


def counted(count: int, noun: str) -> str:
    """`1 step`, `4 steps`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
