"""`harness campaign run CAMPAIGN.yaml`: the same matrix on every machine of an Ansible inventory."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

HELP = "run one matrix on every machine of an Ansible inventory; pool the results with the machine as top level"
DESCRIPTION = """\
`harness campaign run CAMPAIGN.yaml` reads a campaign file (matrix, inventory, concurrency, work_dir; see
docs/campaigns.md), builds a wheel of this checkout and runs the shipped Ansible playbook through ansible-runner:
on each machine it checks Linux and root, installs the harness into a venv (system packages by the rules of
`make run`: nothing removed or replaced), copies the matrix and its files, runs `harness run` there with private
daemons, and fetches the run directory into RESULTS/<campaign-id>/machines/<machine>/. `harness cleanup` runs
after a failed run. A machine that fails or cannot be reached is recorded with its reason; the others go on.
campaign.json records the digests, each machine's facts, status and timing. `--resume DIR` continues a campaign:
machines already done are not run again. The last line on stdout is `results: <campaign dir>`; `harness
summary|report|compare` accept that directory. Exit 0 when every machine is done, 1 when some failed or were
unreachable (recorded), 2 bad input, 3 no Ansible here, 130 interrupted."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    run_parser = actions.add_parser("run", help="run a campaign")
    run_parser.add_argument("file", type=Path, metavar="CAMPAIGN", help="the campaign YAML file")
    run_parser.add_argument("--results", type=Path, default=Path("results"),
                            help="directory that receives the campaign directory (default: ./results)")
    run_parser.add_argument("--resume", type=Path, metavar="DIR",
                            help="continue this campaign directory: run only the machines not done")
    inventory = actions.add_parser("inventory", help="print a YAML inventory made from `vagrant ssh-config` output "
                                                     "or from a matrix's ssh scenarios")
    source = inventory.add_mutually_exclusive_group(required=True)
    source.add_argument("--ssh-config", type=Path, metavar="FILE",
                        help="a file holding ssh_config Host blocks (`vagrant ssh-config > FILE`)")
    source.add_argument("--matrix", type=Path, metavar="MATRIX",
                        help="a matrix whose `host: {type: ssh}` scenarios name the machines")


def run(args: argparse.Namespace) -> int:
    if args.action == "inventory":
        return _inventory(args.ssh_config, args.matrix)
    from harness.campaign.config import load_campaign
    from harness.campaign.run import run_campaign

    campaign = load_campaign(args.file)
    stop = {"requested": False}

    def request_stop(signum: int, frame: object) -> None:
        del frame
        stop["requested"] = True
        print(f"harness campaign: {signal.Signals(signum).name}: stopping the machines' runs", file=sys.stderr)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = run_campaign(campaign, args.results, args.resume, [*sys.argv], lambda: stop["requested"])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for name, record in result.manifest["machines"].items():
        detail = record["run_dir"] if record["status"] == "done" else record["reason"]
        print(f"{name}: {record['status']} ({detail})")
    print(f"results: {result.directory}")
    if stop["requested"]:
        return 130
    return 0 if result.manifest["status"] == "complete" else 1


def _inventory(ssh_config: Path | None, matrix: Path | None) -> int:
    from harness.campaign.inventory import inventory_from_ssh_config, inventory_from_ssh_scenarios
    from harness.config import load_matrix
    from harness.errors import InputError

    if matrix is not None:
        print(inventory_from_ssh_scenarios(list(load_matrix(matrix).scenarios)), end="")
        return 0
    try:
        text = ssh_config.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{ssh_config}: cannot read it ({error.strerror}); save `vagrant ssh-config` there") from None
    print(inventory_from_ssh_config(text), end="")
    return 0
