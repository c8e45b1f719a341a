"""runc is the one packaged binary that may not run here (trixie's and sid's need glibc 2.38; Debian 12 has 2.36).

Decided by trying, not by a list of versions: run the engine's runc; if it fails, try the host's. A host runc goes
into a directory of its own (a single symlink) put first on dockerd's PATH, so nothing else of the system's docker
(its docker-proxy beside /usr/sbin/runc) is picked up with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from harness.errors import EnvironmentNotAble


def runc_choice(packaged: Path | None, host_dir: Path) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """(directories to put first on PATH, host binaries used) for an engine whose own runc is `packaged`."""
    packaged_error = runs(packaged) if packaged is not None else "the engine ships no runc"
    if packaged_error is None:
        return (), ()
    host = shutil.which("runc", path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    host_error = runs(Path(host)) if host else "no runc on this machine"
    if host is None or host_error is not None:
        raise EnvironmentNotAble(f"no runc that runs here: the engine's ({packaged_error}) nor the host's "
                                 f"({host_error}); install one with `apt-get install runc`")
    host_dir.mkdir(exist_ok=True)
    link = host_dir / "runc"
    if not link.is_symlink() or os.readlink(link) != host:
        temporary = host_dir / f".runc-{os.getpid()}"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(host)
        temporary.replace(link)
    return (host_dir,), (f"runc: {host} (the engine's runc does not run here: {packaged_error})",)


def runs(binary: Path) -> str | None:
    """None when `binary --version` works, else why not (its first line of stderr, e.g. the missing glibc)."""
    try:
        done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20)
    except OSError as error:
        return error.strerror or str(error)
    except subprocess.TimeoutExpired:
        return "`--version` did not finish in 20 s"
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[0].strip() if lines else f"exit code {done.returncode}"
