"""`harness cleanup`: remove what a killed run left behind (daemons, mounts, loop devices, kernel knobs)."""

from __future__ import annotations

import argparse

HELP = "remove what a killed run left behind: its daemons, mounts, loop devices; restore overlay knobs"
DESCRIPTION = """\
Every run keeps a ledger of what it started or changed (under /run/harness, or $HARNESS_STATE_DIR). A run that
ends normally, by Ctrl-C or by SIGTERM undoes it all itself; after a SIGKILL or a power cut the ledger remains,
and this command undoes it: stops the run's private dockerd by its recorded pid (never by name), its containerd and
shims, unmounts and frees its loop files, restores the overlay module parameters and removes its work directory.
Runs still alive are left alone, and cleanup refuses to act while a `harness run` holds the run lock. A ledger
that points outside its own work directories is reported and left alone. Exit 1 if something could not be undone,
3 while a run is going on."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    from harness.machine.cleanup import clean_abandoned  # noqa: PLC0415
    from harness.machine.ledger import abandoned_ledgers, run_lock

    with run_lock("cleanup"):
        lines = clean_abandoned()
        for line in lines:
            print(line)
        left = abandoned_ledgers()
    if left:
        print(f"could not undo everything; see {', '.join(str(ledger.path) for ledger in left)}")
        return 1
    if not lines:
        print("nothing to clean up")
    return 0
