"""Command line: argparse verbs only. Each verb is a module in `harness.commands`, imported when used.

A verb module has `HELP` (one line), `add_arguments(parser)` and `run(args) -> int` (the exit code). Errors of the
`HarnessError` family become one sentence on stderr and their exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from harness import __version__
from harness.errors import HarnessError, printable

VERBS = ("validate", "run", "campaign", "summary", "compare", "report", "plan", "doctor", "up", "down",
         "cleanup", "engines")

DESCRIPTION = """\
Benchmark what a Docker storage configuration costs image builds, step by step.

A matrix (YAML) names scenarios (docker hosts: a private local dockerd, an SSH server, or a Vagrant VM, each with
its storage driver, backing filesystem and overlay knobs) and workloads (a generated base image and Dockerfile
steps). `harness run` times every ADD/COPY/RUN step of no-cache builds, keeps every raw sample in a run directory,
and summarises them. Exit codes: 0 ok, 1 some measurements failed (recorded) or `compare --fail-above` found a
slower cell, 2 bad input, 3 environment not able, 4 `compare --fail-above` could not judge a cell.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb in VERBS:
        module = importlib.import_module(f"harness.commands.{verb}")
        description = getattr(module, "DESCRIPTION", module.HELP)
        sub = verbs.add_parser(verb, help=module.HELP.replace("%", "%%"), description=description,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(command=module, verb_parser=sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the verb's own usage, which lists the options the user meant
        args.verb_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.command.run(args)
    except HarnessError as error:
        print(f"harness {args.verb}: {printable(str(error))}", file=sys.stderr)  # a name may hold ESC or BEL
        return error.exit_code
    except KeyboardInterrupt:
        print(f"harness {args.verb}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `harness summary … | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
