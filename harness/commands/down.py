"""`harness down FILE`: destroy the Vagrant VMs of a matrix's vagrant scenarios."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from harness.config import load_matrix
from harness.errors import EnvironmentNotAble

HELP = "destroy the Vagrant VMs of a matrix's vagrant scenarios (vagrant destroy -f NAME)"
DESCRIPTION = """\
Run `vagrant destroy -f NAME` for every vagrant scenario the matrix names (or those given with --only), with the
Vagrantfile beside the scenarios/ directory. The downloaded box stays (`vagrant box remove` frees it); results are
not touched. VMs that were never created are left as they are. Vagrant's output goes to stderr.
Exit codes: 0 done, 2 bad input, 3 Vagrant failed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the matrix YAML file")
    parser.add_argument("--only", action="append", default=[], metavar="SCENARIO",
                        help="destroy only this scenario's VM (repeatable)")


def run(args: argparse.Namespace) -> int:
    from harness.hosts.vagrant import vagrant_cli, vagrant_root, vagrant_scenarios  # noqa: PLC0415

    matrix = load_matrix(args.file)
    for scenario in vagrant_scenarios(matrix.scenarios, args.only, str(args.file)):
        root = vagrant_root(scenario)
        cli = vagrant_cli(root, scenario.file.resolve().parent, show_output=True)
        try:
            cli.destroy(vm_name=scenario.name)
        except subprocess.CalledProcessError as error:
            raise EnvironmentNotAble(f"`vagrant destroy -f {scenario.name}` failed in {root} (exit "
                                     f"{error.returncode}); Vagrant's output above says why") from None
        print(f"{scenario.name}: destroyed")
    return 0
