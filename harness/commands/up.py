"""`harness up FILE`: create, boot and provision the Vagrant VMs of a matrix's vagrant scenarios."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from harness.config import load_matrix
from harness.errors import EnvironmentNotAble

HELP = "bring up (create, boot, provision) the Vagrant VMs of a matrix's vagrant scenarios"
DESCRIPTION = """\
Run `vagrant up NAME` for every vagrant scenario the matrix names (or those given with --only), with the
Vagrantfile beside the scenarios/ directory. Vagrant downloads the box on first use, creates the VM, and runs
provision/NN-*.sh in it: the pinned engine, the storage driver, the overlay module options, and a final check of
`docker info` against the scenario's `expect`; a VM whose daemon is not what the scenario says fails here, loudly.
Vagrant's output goes to stderr. `harness run FILE` then measures; `harness down FILE` destroys the VMs.
Exit codes: 0 all up, 2 bad input, 3 Vagrant failed (its output says why)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the matrix YAML file")
    parser.add_argument("--only", action="append", default=[], metavar="SCENARIO",
                        help="bring up only this scenario's VM (repeatable)")
    parser.add_argument("--provider", metavar="NAME",
                        help="virtualbox or libvirt (default: Vagrant's choice, VAGRANT_DEFAULT_PROVIDER)")
    parser.add_argument("--provision", action="store_true",
                        help="run the provisioning again on VMs that are already up")


def run(args: argparse.Namespace) -> int:
    from harness.hosts.vagrant import vagrant_cli, vagrant_root, vagrant_scenarios  # noqa: PLC0415

    matrix = load_matrix(args.file)
    for scenario in vagrant_scenarios(matrix.scenarios, args.only, str(args.file)):
        root = vagrant_root(scenario)
        cli = vagrant_cli(root, scenario.file.resolve().parent, show_output=True,
                          disks=scenario.host.extra_disk_gb > 0)  # type: ignore[union-attr]
        try:
            cli.up(vm_name=scenario.name, provider=args.provider, provision=True if args.provision else None)
        except subprocess.CalledProcessError as error:
            raise EnvironmentNotAble(f"`vagrant up {scenario.name}` failed in {root} (exit {error.returncode}); "
                                     f"Vagrant's output above says why") from None
        print(f"{scenario.name}: up")
    return 0
