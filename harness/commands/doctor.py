"""`harness doctor`: what this machine (or a matrix) can run here, or what is wrong with a running daemon's storage."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HELP = "check what this machine or a matrix can run, or diagnose a running daemon's storage (each with its fix)"
DESCRIPTION = """\
Without arguments: check what local scenarios need (root, dockerd or podman, busybox-static, mkfs tools, fuse,
device-mapper, the overlay module) and print the fix for each missing piece.
MATRIX: which scenarios of that matrix can run here, and what the others need; exit 1 only when the run would
  fail (a scenario the runner skips, such as devicemapper without device-mapper, is listed but does not fail).
--host unix:///path.sock: diagnose that daemon: storage driver and backing filesystem, Native Overlay Diff and why
  (overlay module parameters, kernel, the daemon's log with --daemon-log), d_type, devicemapper loop-lvm vs
  direct-lvm, deprecated drivers, vfs on a build host.
--scenario FILE: start the scenario's host (a private daemon, or connect to a VM/server), diagnose it, and stop it.
--format json prints {"host": ..., "findings": [{"id", "severity", "message", "fix"}]}.
Exit 0 when nothing is wrong, 1 when something is."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("matrix", type=Path, nargs="?", metavar="MATRIX", help="a matrix YAML file to check")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--host", metavar="unix:///PATH.sock", help="a running daemon's unix socket")
    target.add_argument("--scenario", type=Path, metavar="FILE", help="a scenario YAML file")
    parser.add_argument("--daemon-log", type=Path, metavar="FILE",
                        help="with --host: the daemon's log, for its own explanation of a naive differ")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--work-dir", type=Path, default=Path("/var/lib/harness"),
                        help="with --scenario: where a private daemon keeps its data (default: /var/lib/harness)")


def run(args: argparse.Namespace) -> int:
    from harness.errors import InputError  # noqa: PLC0415

    if args.matrix and (args.host or args.scenario):
        raise InputError("give either MATRIX or --host/--scenario, not both")
    if args.host:
        return _report_findings(args.host, _with_client(args.host, args.daemon_log), args.format)
    if args.scenario:
        return _report_findings(args.scenario.stem, _with_scenario(args.scenario, args.work_dir), args.format)
    if args.matrix:
        return _report_matrix(args.matrix, args.format)
    return _report_machine(args.format)


def _report_findings(host: str, findings: list, output: str) -> int:
    from harness.observe.diagnose import has_problems  # noqa: PLC0415

    if output == "json":
        print(json.dumps({"host": host, "findings": [finding.as_record() for finding in findings]}, indent=2))
    else:
        for finding in findings:
            print(f"{finding.severity.upper():8} {finding.id}: {finding.message}")
            if finding.fix:
                print(f"         → {finding.fix}")
    return 1 if has_problems(findings) else 0


def _report_machine(output: str) -> int:
    from harness.doctor import machine_checks  # noqa: PLC0415

    checks = machine_checks()
    if output == "json":
        print(json.dumps({"host": "this machine", "findings": [_check_record(c) for c in checks if not c.ok]},
                         indent=2))
    else:
        _print_checks(checks)
    return 0 if all(check.ok for check in checks) else 1


def _report_matrix(path: Path, output: str) -> int:
    from harness.config import load_matrix  # noqa: PLC0415
    from harness.doctor import matrix_readiness  # noqa: PLC0415

    readiness = matrix_readiness(load_matrix(path))
    if output == "json":
        print(json.dumps({"matrix": str(path), "scenarios": [
            {"scenario": r.scenario, "ready": r.ready, "skipped": not r.ready and not r.blocks_run,
             "needs": [_check_record(c) for c in r.missing]}
            for r in readiness]}, indent=2))
    else:
        for entry in readiness:
            mark, verdict = (("ok  ", "can run here") if entry.ready else ("FIX ", "cannot run here") if
                             entry.blocks_run else ("skip", "will be skipped"))
            needs = "" if entry.ready else "; needs " + ", ".join(check.name for check in entry.missing)
            print(f"{mark} {entry.scenario}: {verdict}{needs}")
            for check in entry.missing:
                print(f"       → {check.name} ({check.detail}): {check.remedy}")
    return 1 if any(entry.blocks_run for entry in readiness) else 0


def _print_checks(checks: list) -> None:
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FIX '} {check.name}: {check.detail}")
        if not check.ok and check.remedy:
            print(f"       → {check.remedy}")


def _check_record(check: Any) -> dict[str, Any]:
    return {"id": check.name.replace(" ", "-").strip("/"), "severity": "error", "message": f"{check.name}: "
            f"{check.detail}", "fix": check.remedy}


def _with_client(url: str, daemon_log: Path | None) -> list:
    import docker  # noqa: PLC0415

    from harness.doctor import daemon_findings  # noqa: PLC0415
    from harness.errors import InputError  # noqa: PLC0415
    from harness.machine.knobs import read_overlay_parameters  # noqa: PLC0415

    if not url.startswith("unix://"):
        raise InputError(f"--host {url}: only unix sockets are supported (unix:///path/to/docker.sock); "
                         f"reach remote daemons through an SSH scenario")
    api = docker.APIClient(base_url=url, version="auto", timeout=30)
    try:  # a unix socket is a daemon on this machine (or an SSH forward: the parameters may then not be its own)
        return daemon_findings(api, read_overlay_parameters(), daemon_log)
    finally:
        api.close()


def _with_scenario(path: Path, work_dir: Path) -> list:
    import tempfile  # noqa: PLC0415

    from harness.config import LocalHost, load_scenario  # noqa: PLC0415
    from harness.doctor import daemon_findings  # noqa: PLC0415
    from harness.hosts import host_for  # noqa: PLC0415

    scenario = load_scenario(path)
    with tempfile.TemporaryDirectory(prefix="harness-doctor-") as logs:
        host = host_for(scenario, work_dir, Path(logs))
        try:
            host.start()
            overlay = host.facts().get("overlay_parameters")  # every backend reads them where the daemon runs
            log = host.log_path if isinstance(scenario.host, LocalHost) else None
            return daemon_findings(host.api, overlay, log)
        finally:
            host.close()
