"""Stopping processes we started, found by pid or by the private path only they reference — never by name.

Our dockerd, its containerd and the runc shims all carry the daemon's private work directory in their command
lines (config file, exec-root, containerd socket), and that directory has a random name, so matching on it finds
exactly our processes and nothing of the system's docker.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def processes_referencing(path: Path) -> list[int]:
    """Pids whose command line contains `path` (our private, randomly named directory)."""
    marker = str(path)
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid() and marker in command_line(int(entry.name)):
            pids.append(int(entry.name))
    return pids


def stop_process(pid: int, grace_s: float = 30.0, first_signal: int = signal.SIGTERM) -> bool:
    """Send `first_signal`, wait up to `grace_s`, then SIGKILL; True if the process is gone."""
    if not _signal(pid, first_signal):
        return True
    if _wait_gone(pid, grace_s):
        return True
    _signal(pid, signal.SIGKILL)
    return _wait_gone(pid, 5.0)


def stop_processes_referencing(path: Path, grace_s: float = 10.0) -> list[int]:
    """Stop every process that references `path`; return the pids that would not die."""
    return [pid for pid in processes_referencing(path) if not stop_process(pid, grace_s)]


def _signal(pid: int, signum: int) -> bool:
    try:
        os.kill(pid, signum)
        return True
    except ProcessLookupError:
        return False


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _reap_or_gone(pid):
            return True
        time.sleep(0.01)  # a daemon session's stop waits on this: poll finely (a /proc read is microseconds)
    return _reap_or_gone(pid)


def _reap_or_gone(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return True
    except ChildProcessError:
        pass  # not our child: look at /proc instead
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" in status.read_text()
    except OSError:
        return True
