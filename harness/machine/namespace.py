"""A mount namespace of its own for a daemon that writes where its configuration cannot move it (podman 4.3).

podman's API service writes three paths outside its storage.conf and containers.conf: containers/image's blob-info
cache (/var/lib/containers/cache, fixed for root in podman 4.3), the short-name alias lock (/var/cache/containers)
and runc's state for Buildah's RUN containers (/run/runc). The service runs in a mount namespace of its own (private
propagation) in which each is a bind mount of a directory in the work directory, so the machine's own — perhaps the
user's podman's — are never read or written, and what the service mounts (its overlay layers) stays in its
namespace and goes with it. A missing mount point is made first (ledger kind `mountpoint`) and removed once empty.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the ledger validates mount points against PRIVATE_PATHS: a type-only import avoids the cycle
    from harness.machine.ledger import Ledger

PRIVATE_PATHS = (Path("/var/lib/containers"), Path("/var/cache/containers"), Path("/run/runc"))


def in_private_mounts(command: list[str], workspace: Path, ledger: Ledger,
                      targets: tuple[Path, ...] = PRIVATE_PATHS) -> list[str]:
    """`command` run in a new mount namespace where each of `targets` is a directory of `workspace`."""
    binds = []
    for target in targets:
        if not target.exists():
            ledger.record(kind="mountpoint", path=str(target))
            target.mkdir(mode=0o700)
        source = workspace / "private" / target.relative_to("/")
        source.mkdir(mode=0o700, parents=True, exist_ok=True)
        binds.append(f"mount --bind {shlex.quote(str(source))} {shlex.quote(str(target))}")
    script = " && ".join([*binds, f"exec {shlex.join(command)}"])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]


def remove_mountpoints(ledger: Ledger) -> list[str]:
    """Remove the mount points `in_private_mounts` made, once nothing is in them; one line per directory removed.

    A directory something else filled meanwhile (the user's own podman) is theirs now: it is left, and forgotten.
    """
    removed = []
    for entry in [e for e in ledger.entries if e["kind"] == "mountpoint"]:
        try:
            Path(entry["path"]).rmdir()
            removed.append(f"removed the empty mount point {entry['path']}")
        except OSError:
            pass  # gone already, or not empty (something else uses it now): not ours to remove
        ledger.forget(kind="mountpoint", path=entry["path"])
    return removed
