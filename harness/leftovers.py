"""A ledger of what this process started or changed on the machine, so `harness cleanup` can undo it after a SIGKILL.

Every run writes one JSON file under the state directory (`/run/harness` by default, `HARNESS_STATE_DIR` to move
it): daemons with their pids and exec-roots, mounts, loop files, overlay knob originals, work directories. Entries
are removed as their undo succeeds; a file left behind means a run died before it could clean up.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness import SCHEMA_VERSION


def state_dir() -> Path:
    return Path(os.environ.get("HARNESS_STATE_DIR", "/run/harness"))


class Ledger:
    """The entries of one harness process; each write replaces the file atomically."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: list[dict[str, Any]] = []
        if path.exists():
            self.entries = json.loads(path.read_text())["entries"]

    @classmethod
    def for_this_process(cls) -> "Ledger":
        directory = state_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return cls(directory / f"run-{os.getpid()}.json")

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
        temporary.write_text(json.dumps({"schema": SCHEMA_VERSION, "pid": os.getpid(), "entries": self.entries},
                                        indent=1))
        temporary.replace(self.path)


def abandoned_ledgers() -> list[Ledger]:
    """Ledgers whose harness process is gone: what `harness cleanup` has to undo."""
    directory = state_dir()
    if not directory.is_dir():
        return []
    ledgers = []
    for path in sorted(directory.glob("run-*.json")):
        pid = int(path.stem.split("-", 1)[1])
        if not _alive(pid):
            ledgers.append(Ledger(path))
    return ledgers


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
