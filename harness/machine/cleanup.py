"""Undo what a killed run left behind, from its ledger: daemons, stray shims, mounts, loop files, knobs, work dirs.

Daemons are stopped by their recorded pid, and only after checking that the pid still runs our command line (a
recycled pid is left alone); everything else of ours is found by our private work directory. A ledger whose
entries point outside its own work directories or at anything but an overlay parameter is not acted on at all.
"""

from __future__ import annotations

from pathlib import Path

from harness.machine.knobs import parameters_dir, restore_knob
from harness.machine.ledger import Ledger, abandoned_ledgers, untrusted_entries
from harness.machine.namespace import remove_mountpoints
from harness.machine.processes import command_line, stop_process
from harness.machine.workspace import teardown_workspace


def clean_abandoned() -> list[str]:
    """Repair every abandoned ledger; return one line per action or problem, for the user."""
    lines = []
    for ledger in abandoned_ledgers():
        lines += untrusted_entries(ledger, parameters_dir()) or clean_ledger(ledger)
    return lines


def clean_ledger(ledger: Ledger) -> list[str]:

    lines = []
    for entry in [e for e in ledger.entries if e["kind"] == "daemon"]:
        lines.append(_stop_daemon(entry))
        ledger.forget(kind="daemon", pid=entry["pid"])
    lines += remove_mountpoints(ledger)
    for entry in [e for e in ledger.entries if e["kind"] == "workspace"]:
        workspace = Path(entry["path"])
        loop = next((Path(e["image"]) for e in ledger.entries
                     if e["kind"] == "loop" and Path(e["image"]).parent == workspace), None)
        problems = teardown_workspace(workspace, loop, ledger)
        lines += problems or [f"removed {workspace} (its processes, mounts and loop file)"]
    for entry in [e for e in ledger.entries if e["kind"] == "knob"]:
        restore_knob(Path(entry["path"]), entry["original"], ledger)
        lines.append(f"restored {entry['path']} to {entry['original']}")
    return lines


def _stop_daemon(entry: dict) -> str:
    pid, workspace = entry["pid"], entry["workspace"]
    if workspace not in command_line(pid):
        return f"daemon {pid} is already gone"
    stopped = stop_process(pid, grace_s=30.0)
    return f"stopped daemon {pid}" if stopped else f"daemon {pid} would not stop (SIGKILL ignored?)"
