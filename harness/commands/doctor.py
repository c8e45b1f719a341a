"""`harness doctor`: check this machine, or ask a running daemon whether it diffs natively."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "check what this machine can run, or how a given daemon builds (native or naive diff)"
DESCRIPTION = """\
Without options: check what local scenarios need (root, dockerd, busybox-static, mkfs tools, fuse, device-mapper,
the overlay module) and print the fix for each missing piece.
--host unix:///path.sock: ask that daemon for its storage driver and whether it uses the native overlay differ.
--scenario FILE: start the scenario's host (a private daemon, or connect to a VM/server), report, and stop it.
Exit 0 when everything checked is fine, 1 otherwise."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--host", metavar="unix:///PATH.sock", help="a running daemon's unix socket")
    target.add_argument("--scenario", type=Path, metavar="FILE", help="a scenario YAML file")
    parser.add_argument("--work-dir", type=Path, default=Path("/var/lib/harness"),
                        help="with --scenario: where a private daemon keeps its data (default: /var/lib/harness)")


def run(args: argparse.Namespace) -> int:
    from harness.doctor import daemon_report, machine_checks  # noqa: PLC0415

    if args.host:
        checks = _with_client(args.host, daemon_report)
    elif args.scenario:
        checks = _with_scenario(args.scenario, args.work_dir, daemon_report)
    else:
        checks = machine_checks()
    for check in checks:
        mark = "ok  " if check.ok else "FIX "
        print(f"{mark} {check.name}: {check.detail}")
        if not check.ok and check.remedy:
            print(f"       → {check.remedy}")
    return 0 if all(check.ok for check in checks) else 1


def _with_client(url: str, report):
    import docker  # noqa: PLC0415

    from harness.errors import InputError

    if not url.startswith("unix://"):
        raise InputError(f"--host {url}: only unix sockets are supported (unix:///path/to/docker.sock); "
                         f"reach remote daemons through an SSH scenario")
    api = docker.APIClient(base_url=url, version="auto", timeout=30)
    try:
        return report(api)
    finally:
        api.close()


def _with_scenario(path: Path, work_dir: Path, report):
    import tempfile  # noqa: PLC0415

    from harness.config import load_scenario
    from harness.hosts import host_for

    scenario = load_scenario(path)
    with tempfile.TemporaryDirectory(prefix="harness-doctor-") as logs:
        host = host_for(scenario, work_dir, Path(logs))
        try:
            host.start()
            return report(host.api)
        finally:
            host.close()
