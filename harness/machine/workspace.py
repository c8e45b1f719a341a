"""A local scenario's work directory: what tearing it down means, for the daemon's own close and for `harness cleanup`."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.machine.ledger import Ledger
from harness.machine.loopfs import unmount_loop_filesystem, unmount_under
from harness.machine.processes import stop_processes_referencing


def teardown_workspace(workspace: Path, loop_image: Path | None, ledger: Ledger) -> list[str]:
    """Stop stray processes of ours (containerd, shims), unmount, free the loop file, delete the work directory."""
    problems = [f"process {pid} would not stop" for pid in stop_processes_referencing(workspace)]
    problems += unmount_under(workspace)
    if loop_image is not None:
        problems += unmount_loop_filesystem(loop_image, loop_image.parent / "fs", ledger)
    if not problems:
        shutil.rmtree(workspace, ignore_errors=True)
        ledger.forget(kind="workspace", path=str(workspace))
    return problems
