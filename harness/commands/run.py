"""`harness run FILE`: measure a matrix; the last line on stdout is `results: <run dir>`."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from pathlib import Path

from harness.config import MAX_REPETITIONS, LocalHost, Matrix, Repetitions, load_matrix
from harness.errors import EnvironmentNotAble, InputError
from harness.machine.ledger import abandoned_ledgers, run_lock

HELP = "run a matrix: time every build step on every scenario, keep raw samples, print a summary"
DESCRIPTION = """\
Run the builds a matrix plans, in rounds (`rounds:` in the matrix, default 5): in each round every scenario, in a
seeded order, brings up its docker host (a private local dockerd restarted on its kept data-root, or a VM's daemon
over SSH), checks `docker info` against the scenario's `expect`, imports each workload's generated base image (once
per scenario), then times its share of the no-cache builds step by step. Every build is appended to
RUN_DIR/samples.jsonl as soon as it finishes; RUN_DIR/manifest.json records the plan, the machine and every daemon
session. Progress goes to stderr; the
summary and, last, `results: RUN_DIR` go to stdout.

A run stopped by Ctrl-C, SIGTERM or even SIGKILL loses no finished build: run `harness cleanup` after a SIGKILL,
then `harness run FILE --resume RUN_DIR` to measure only what is missing.
Exit codes: 0 all measured, 1 some builds or scenarios failed (recorded), 2 bad input, 3 nothing could run here."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so every `finally` tears down what it started."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the matrix YAML file")
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="directory that receives the run directory (default: ./results)")
    parser.add_argument("--only", action="append", default=[], metavar="SCENARIO",
                        help="run only this scenario (repeatable)")
    parser.add_argument("--reps", type=int, metavar="N", help="measured repetitions per cell, overriding the matrix")
    parser.add_argument("--resume", type=Path, metavar="RUN_DIR",
                        help="continue an interrupted run: measure only the planned builds it lacks")
    parser.add_argument("--control", action="store_true",
                        help="also measure the baseline as an independent copy, <baseline>-aa (an A/A control: "
                             "a check of the run and its smallest detectable effect); same as `control: true` in the matrix")
    parser.add_argument("--profile", action="store_true",
                        help="sample each daemon's goroutines during every build: the share of build time spent "
                             "diffing per step, and a flame graph per scenario in logs/pprof/; same as "
                             "`profile: true` in the matrix")
    parser.add_argument("--work-dir", type=Path, default=Path("/var/lib/harness"),
                        help="where private daemons keep their data and loop files (default: /var/lib/harness)")


def run(args: argparse.Namespace) -> int:
    matrix = _with_control(_with_reps(load_matrix(args.file), args.reps), args.control)
    matrix = dataclasses.replace(matrix, profile=True) if args.profile else matrix
    measured = measure(matrix, args.file, args.results, args.work_dir, tuple(args.only), args.resume)
    if measured.exit_code in (130, 143):
        return measured.exit_code
    _print_summary(measured.run_dir)
    for problem in measured.problems:
        print(problem)
    print(f"results: {measured.run_dir}")
    return measured.exit_code


@dataclasses.dataclass(frozen=True)
class Measured:
    run_dir: Path
    exit_code: int
    problems: tuple[str, ...]  # "scenario NAME: failed — reason", one per scenario that did not end ok


def measure(matrix: Matrix, file: Path, results: Path, work_dir: Path, only: tuple[str, ...] = (),
            resume: Path | None = None) -> Measured:
    """Measure `matrix` into a new run directory under `results` (or `resume` one): progress on stderr; interrupted,
    it prints how to resume and the `results:` line itself (exit code 130 or 143)."""
    from harness.measure.facts import machine_facts
    from harness.measure.progress import TerminalProgress  # noqa: PLC0415 - heavy imports only for real runs
    from harness.measure.runner import Runner, check_selection
    from harness.results.writer import RunDirectory

    check_selection(matrix, only)
    _check_machine(matrix, only)
    with run_lock("another run"):
        _refuse_leftovers()
        run_dir = _resumed(resume, matrix) if resume else RunDirectory.create(results, matrix, sys.argv,
                                                                              machine_facts())
        print(f"run directory: {run_dir.path}", file=sys.stderr)
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
        try:
            progress = TerminalProgress.for_run(matrix, only, run_dir.path.parent)
            outcome = Runner(matrix, run_dir, progress, work_dir, only).execute()
        except KeyboardInterrupt as interrupt:
            print(f"interrupted; every finished build is in {run_dir.path}/samples.jsonl — continue with "
                  f"`harness run {file} --resume {run_dir.path}`", file=sys.stderr)
            print(f"results: {run_dir.path}")
            return Measured(run_dir.path, 143 if isinstance(interrupt, Terminated) else 130, ())
        finally:
            signal.signal(signal.SIGTERM, previous)
    scenarios = run_dir.read_manifest().scenarios
    problems = tuple(f"scenario {name}: {status} — {scenarios[name].reason or 'see manifest.json'}"
                     for name, status in outcome.scenario_status.items() if status != "ok")
    return Measured(run_dir.path, outcome.exit_code, problems)


def _print_summary(path: Path) -> None:
    from harness.export.views import render_run_summary  # noqa: PLC0415

    samples = path / "samples.jsonl"
    if not samples.exists() or not samples.stat().st_size:
        print("no builds were measured (see the scenario reasons above and in manifest.json)")
        return
    print(render_run_summary(path, "table"))


def _with_reps(matrix: Matrix, reps: int | None) -> Matrix:
    if reps is None:
        return matrix
    if not 1 <= reps <= MAX_REPETITIONS:
        raise InputError(f"--reps {reps}: must be between 1 and {MAX_REPETITIONS:,}")
    return dataclasses.replace(matrix, repetitions=Repetitions(min=reps, max=reps))


def _refuse_leftovers() -> None:
    """A killed run's daemon would add noise, and its knob values would be taken for the machine's originals."""
    left = abandoned_ledgers()
    if left:
        raise EnvironmentNotAble(f"a killed run left daemons, mounts or kernel settings behind ({left[0].path}"
                                 f"{f' and {len(left) - 1} more' if len(left) > 1 else ''}): run `harness cleanup` "
                                 "first, then run again")


def _with_control(matrix: Matrix, control: bool) -> Matrix:
    from harness.config import with_control  # noqa: PLC0415

    return with_control(matrix) if control and matrix.control is None else matrix


def _resumed(path: Path, matrix: Matrix):
    """The run directory to continue, if every input file is byte for byte the one it was started with: an edited
    scenario or workload would mix two configurations in the same cells."""
    from harness.results.writer import RunDirectory, sha256_of  # noqa: PLC0415

    run_dir = RunDirectory.open(path)
    recorded = run_dir.read_manifest().matrix  # the model refuses a manifest without a matrix record
    if recorded.sha256 != sha256_of(matrix.file):
        raise InputError(f"{matrix.file} is not the matrix {path} was started with (sha256 differs); resume with "
                         f"the copy kept in {path}/inputs/")
    home = matrix.file.resolve().parent
    now = {str(f.resolve().relative_to(home)): sha256_of(f) for f in matrix.files}
    for name, digest in recorded.files.items():
        if now.get(name) != digest:
            change = "is no longer read" if name not in now else "changed (sha256 differs)"
            raise InputError(f"{home / name} {change} since {path} was started; resume with the copies kept in "
                             f"{path}/inputs/ (harness run {path}/inputs/{matrix.file.name} --resume {path})")
    added = sorted(set(now) - set(recorded.files))
    if recorded.files and added:
        raise InputError(f"{home / added[0]} is read now but was not when {path} was started; resume with the "
                         f"copies kept in {path}/inputs/")
    return run_dir


def _check_machine(matrix: Matrix, only: tuple[str, ...]) -> None:
    """Refuse before creating anything when local scenarios cannot start daemons on this machine at all."""
    from harness.hosts.local import check_machine  # noqa: PLC0415

    for scenario in matrix.scenarios:
        if isinstance(scenario.host, LocalHost) and (not only or scenario.name in only):
            check_machine(scenario)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()
