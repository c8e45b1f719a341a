"""A ledger of what this process started or changed on the machine, so `harness cleanup` can undo it after a SIGKILL.

Every run writes one JSON file under the state directory (`/run/harness` by default, `HARNESS_STATE_DIR` to move
it): daemons with their pids and exec-roots, mounts, loop files, overlay knob originals, work directories. Entries
are removed as their undo succeeds; a file left behind means a run died before it could clean up.

Cleanup acts as root on what a ledger says, so a ledger is trusted only as far as it is checked: the directory must
be ours and private (0700), a ledger counts as live only while the process that wrote it runs — the same pid *and*
the same start time, since pids are reused — and every path in it must lie under one of its own work directories,
every knob under the overlay module's parameters, before anything is stopped, unmounted or written.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import SCHEMA_VERSION
from harness.errors import EnvironmentNotAble
from harness.machine.namespace import PRIVATE_PATHS

#: run-PID-START.json (run-PID.json from older versions): with the start time in the name, a new process that got
#: a dead run's pid never writes over that run's ledger.
LEDGER_NAME = re.compile(r"run-([0-9]{1,10})(-[0-9]{1,20})?\.json")
KNOB_NAMES = ("redirect_dir", "metacopy")
KNOB_VALUES = ("Y", "N")


def state_dir() -> Path:
    return Path(os.environ.get("HARNESS_STATE_DIR", "/run/harness"))


def private_state_dir() -> Path:
    """The state directory, made if missing; refused unless it is ours and 0700 (others could plant ledgers)."""
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_state_dir(directory)
    return directory


def check_state_dir(directory: Path) -> None:
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) != 0o700:
        raise EnvironmentNotAble(
            f"{directory} must be a directory owned by {'root' if os.geteuid() == 0 else 'you'} with mode 0700 (it is "
            f"owned by uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):o}): another user could plant ledgers that "
            f"cleanup acts on as root. Fix it with `chown {os.geteuid()} {directory} && chmod 700 {directory}`, or "
            "remove it")


@contextmanager
def run_lock(doing: str) -> Iterator[None]:
    """Overlay knobs are machine-wide: two runs at once, or a cleanup during a run, would undo each other's work."""
    directory = private_state_dir()
    with (directory / "run.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EnvironmentNotAble(f"a `harness run` is running on this machine (it holds {directory / 'run.lock'});"
                                     f" {doing} must wait for it to finish") from None
        yield


def process_start(pid: int) -> int | None:
    """When `pid` started (clock ticks since boot, /proc/PID/stat field 22), or None if no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(text.rsplit(")", 1)[1].split()[19])


#: The ledger object of each ledger file this process writes (Ledger.for_this_process).
_OPEN: dict[Path, Ledger] = {}


class Ledger:
    """The entries of one harness process; each write replaces the file atomically."""

    def __init__(self, path: Path, pid: int | None = None, started: int | None = None):
        self.path, self.pid, self.started = path, pid, started
        self.entries: list[dict[str, Any]] = []
        self.problem: str | None = None

    @classmethod
    def for_this_process(cls) -> Ledger:
        """The one ledger of this process: every host and the runner add to the same entries (two objects on one
        file would each overwrite what the other recorded)."""
        pid, started = os.getpid(), process_start(os.getpid())
        path = private_state_dir() / f"run-{pid}-{started}.json"
        return _OPEN.setdefault(path, cls(path, pid, started))

    @classmethod
    def read(cls, path: Path) -> Ledger:
        """A ledger from its file; one that cannot be read carries the problem and no entries."""
        ledger = cls(path, int(LEDGER_NAME.fullmatch(path.name).group(1)) if LEDGER_NAME.fullmatch(path.name) else None)
        try:
            content = json.loads(path.read_text())
            ledger.entries = list(content["entries"])
            ledger.pid, ledger.started = int(content.get("pid", ledger.pid)), content.get("started")
        except (OSError, ValueError, TypeError, KeyError) as error:
            ledger.entries, ledger.problem = [], f"{path} is not a ledger harness wrote ({error}); left alone"
        return ledger

    def alive(self) -> bool:
        """The process that wrote this ledger still runs: same pid and, when recorded, the same start time."""
        if self.pid is None:
            return False
        started = process_start(self.pid)
        return started is not None and (self.started is None or started == self.started)

    def record(self, **entry: Any) -> None:
        self.entries.append(entry)
        self._write()

    def forget(self, **match: Any) -> None:
        self.entries = [e for e in self.entries if any(e.get(k) != v for k, v in match.items())]
        self._write()

    def _write(self) -> None:
        if not self.entries:
            self.path.unlink(missing_ok=True)
            return
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"schema": SCHEMA_VERSION, "pid": self.pid, "started": self.started,
                                         "entries": self.entries}, indent=1))
        temporary.replace(self.path)


def abandoned_ledgers() -> list[Ledger]:
    """Ledgers whose harness process is gone: what `harness cleanup` has to undo. Files not named like a ledger
    are not ours and are skipped."""
    directory = state_dir()
    if not directory.is_dir():
        return []
    check_state_dir(directory)
    ledgers = (Ledger.read(path) for path in sorted(directory.iterdir()) if LEDGER_NAME.fullmatch(path.name))
    return [ledger for ledger in ledgers if not ledger.alive()]


def untrusted_entries(ledger: Ledger, parameters: Path) -> list[str]:
    """Why the ledger's entries cannot be acted on as root (empty when they can): each path must lie under one of
    its own work directories, each knob be an overlay parameter with a Y/N original."""
    if ledger.problem:
        return [ledger.problem]
    problems: list[str] = []
    workspaces = [Path(e["path"]) for e in ledger.entries if isinstance(e, dict) and e.get("kind") == "workspace"
                  and _is_work_directory(e.get("path"))]
    for entry in ledger.entries:
        problem = _entry_problem(entry, workspaces, parameters)
        if problem:
            problems.append(f"{ledger.path}: {problem}; left alone (was it edited?)")
    return problems


def _entry_problem(entry: Any, workspaces: list[Path], parameters: Path) -> str | None:
    kind = entry.get("kind") if isinstance(entry, dict) else None
    paths = {"workspace": ("path",), "daemon": ("workspace",), "loop": ("image", "mountpoint")}.get(str(kind))
    if kind == "knob":
        path = entry.get("path")
        if not (isinstance(path, str) and Path(path).parent == parameters and Path(path).name in KNOB_NAMES):
            return f"knob {path!r} is not an overlay parameter under {parameters}"
        return None if entry.get("original") in KNOB_VALUES else f"knob original {entry.get('original')!r} is not Y/N"
    if kind == "mountpoint":
        path = entry.get("path")
        return None if path in {str(p) for p in PRIVATE_PATHS} else f"mount point {path!r} is not one of podman's"
    if paths is None:
        return f"unknown entry {str(entry)[:80]}"
    if kind == "daemon" and not (isinstance(entry.get("pid"), int) and entry["pid"] > 1):
        return f"daemon pid {entry.get('pid')!r} is not a process id"
    for key in paths:
        value = entry.get(key)
        if not (isinstance(value, str) and _is_work_directory(value)
                and any(Path(value) == w or Path(value).is_relative_to(w) for w in workspaces)):
            return f"{kind} {key} {value!r} is not under the ledger's work directories"
    return None


def _is_work_directory(path: Any) -> bool:
    """An absolute, normalised path at least two levels down (never `/`, `/var`, or anything with `..`)."""
    return isinstance(path, str) and path.startswith("/") and os.path.normpath(path) == path and path.count("/") >= 2
