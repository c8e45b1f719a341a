"""Step anatomy from the daemon's own event stream: where a classic-builder RUN step spends its time.

A RUN step runs a container: the daemon reports `create → attach → start → die → destroy`, and the builder commits
the layer between `die` and `destroy` (verified on dockerd 20.10: `destroy` comes ~1 ms before the next step's
message). So a RUN step splits into setup (step start → container start: cache probe, rw layer, container create),
command (start → die) and commit (die → destroy) — the commit is where a naive differ walks the base. COPY/ADD steps
copy and commit inside the daemon without a container: they get no split rather than an invented one.

Events carry the daemon's clock (`timeNano`), steps ours (`perf_counter_ns`). The daemon may be another machine
behind an SSH-forwarded socket, so no clock is assumed shared: every event is stamped on arrival too, and the
offset between the clocks is the smallest (arrival − timeNano) seen — the event that travelled fastest, as NTP's
lower envelope does. Its error is that event's delivery delay (under a millisecond on a local socket).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from harness.hosts.api import UnixHTTPConnection

#: What a step without a container says instead of a split.
NO_CONTAINER = ("no container events: the daemon copies and commits this step without a container (or, on Buildah, "
                "runs it in a container that sends no events)")
ACTIONS = ("create", "start", "die", "destroy")


@dataclass(frozen=True)
class DaemonEvent:
    """One container event: the daemon's time, ours on arrival, what happened to which container."""

    time_ns: int      # the daemon's clock (timeNano)
    arrived_ns: int   # perf_counter_ns() when it reached us
    action: str
    container: str

    @classmethod
    def from_message(cls, message: dict[str, Any], arrived_ns: int) -> DaemonEvent | None:
        if message.get("Type") != "container" or "timeNano" not in message:
            return None
        actor = message.get("Actor") or {}
        return cls(time_ns=int(message["timeNano"]), arrived_ns=arrived_ns,
                   action=str(message.get("Action", "")).split(":", 1)[0], container=str(actor.get("ID", "")))


@dataclass(frozen=True)
class StepPhases:
    """A step's split; the phases are None (and `note` says why) where the daemon reported no container."""

    step: int
    setup_s: float | None = None
    command_s: float | None = None
    commit_s: float | None = None
    note: str | None = None

    @property
    def total_s(self) -> float | None:
        parts = (self.setup_s, self.command_s, self.commit_s)
        return None if None in parts else sum(parts)  # type: ignore[arg-type]

    def as_record(self) -> dict[str, Any]:
        """The `phases` object a step sample carries."""
        return {"setup_s": self.setup_s, "command_s": self.command_s, "commit_s": self.commit_s, "note": self.note}


class EventRecorder:
    """Records container events on a second connection while a build runs (`with EventRecorder(sock) as r:`).

    dockerd sends the response headers just *before* it subscribes us, so `since` asks it to replay what it saw
    from a second before our request: the daemon's own time, from the `Date` header of a `/_ping` (no clock is
    shared). Replayed events belong to containers created before the build and match no step. `__exit__` shuts the
    socket down, which ends the reading thread at once.
    """

    def __init__(self, socket_path: Path, timeout_s: float = 30.0):
        self.socket_path = socket_path
        self.timeout_s = timeout_s
        self.events: list[DaemonEvent] = []
        self.error: str | None = None
        self._connection: http.client.HTTPConnection | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def __enter__(self) -> EventRecorder:
        """Subscribe; a daemon that refuses leaves `error` set and no events, never a failed build."""
        self._connection = UnixHTTPConnection(self.socket_path, self.timeout_s)
        try:
            since = _daemon_seconds(self._connection) - 1
            self._connection.request("GET", f"/events?since={since}&filters="
                                     + _quote(json.dumps({"type": ["container"]})))
            response = self._connection.getresponse()
            if response.status != 200:
                raise OSError(f"HTTP {response.status} {response.read()[:200]!r}")
        except (OSError, http.client.HTTPException) as error:
            self.error = f"GET /events on {self.socket_path} failed: {error}"
            return self
        self._connection.sock.settimeout(None)  # a quiet daemon is not an error
        self._thread = threading.Thread(target=self._read, args=(response,), name="docker-events", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._wait_for_destroys()
        self._stopping.set()
        if self._connection is not None and self._connection.sock is not None:
            try:
                self._connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._connection is not None:
            self._connection.close()

    def _wait_for_destroys(self, deadline_s: float = 2.0) -> None:
        """The builder removes each RUN container right after committing its layer, so the last `destroy` can
        reach us after the build's final message — later still on a loaded machine. Wait for every container seen
        created to be destroyed (bounded: a container kept by a failed build must not hold the run up)."""
        end = time.monotonic() + deadline_s
        while self._thread is not None and self._thread.is_alive() and time.monotonic() < end:
            created = {e.container for e in list(self.events) if e.action == "create"}
            if created <= {e.container for e in list(self.events) if e.action == "destroy"}:
                return
            time.sleep(0.01)

    def _read(self, response: http.client.HTTPResponse) -> None:
        try:
            for line in response:
                arrived = time.perf_counter_ns()
                event = DaemonEvent.from_message(json.loads(line), arrived) if line.strip() else None
                if event is not None:
                    self.events.append(event)
        except (OSError, ValueError, http.client.HTTPException) as error:
            if not self._stopping.is_set():
                self.error = f"the event stream broke: {error}"


def clock_offset_ns(events: Iterable[DaemonEvent]) -> int | None:
    """perf_counter_ns − daemon ns, from the fastest-delivered event (see the module docstring)."""
    return min((event.arrived_ns - event.time_ns for event in events), default=None)


def step_phases(events: list[DaemonEvent], steps: Iterable[Any]) -> list[StepPhases]:
    """Split each step (anything with `index`, `started_ns`, `seconds`, optionally `container`) by its container's
    events.

    When the build names its steps' containers (the classic builder's "Running in" lines), a step gets its named
    container's events. Otherwise a container belongs to the step in whose span its `create` falls — which can miss
    when the build stream reaches us later than the events (an SSH forward on a loaded machine). A step with no
    container gets the "no container events" note. Pure, so it is tested on recorded events.
    """
    steps = list(steps)
    offset = clock_offset_ns(events)
    by_container = _times_by_container(events)
    by_name = any(getattr(step, "container", None) for step in steps)
    return [_split(step, _own_container(step, by_container, offset, by_name), offset) for step in steps]


def _own_container(step: Any, by_container: dict[str, dict[str, int]], offset: int | None,
                   by_name: bool) -> dict[str, int] | None:
    if by_name:
        named = getattr(step, "container", None)
        return next((times for container, times in by_container.items() if named and container.startswith(named)),
                    None)
    if offset is None or step.started_ns is None:
        return None
    end = step.started_ns + int(step.seconds * 1e9)
    return next((times for times in by_container.values()
                 if "create" in times and step.started_ns <= times["create"] + offset <= end), None)


def _split(step: Any, times: dict[str, int] | None, offset: int | None) -> StepPhases:
    if times is None:
        return StepPhases(step.index, note=NO_CONTAINER)
    missing = [action for action in ("start", "die", "destroy") if action not in times]
    if missing or offset is None:
        return StepPhases(step.index, note=f"the container's {', '.join(missing)} event was not seen")
    return StepPhases(step.index, setup_s=(times["start"] + offset - step.started_ns) / 1e9,
                      command_s=(times["die"] - times["start"]) / 1e9,
                      commit_s=(times["destroy"] - times["die"]) / 1e9)


def _times_by_container(events: Iterable[DaemonEvent]) -> dict[str, dict[str, int]]:
    """container → {action: daemon ns of its first such event}, in order of appearance."""
    containers: dict[str, dict[str, int]] = {}
    for event in events:
        if event.action in ACTIONS:
            containers.setdefault(event.container, {}).setdefault(event.action, event.time_ns)
    return containers


def _daemon_seconds(connection: http.client.HTTPConnection) -> int:
    """The daemon's clock, to the second: the `Date` header Go's HTTP server puts on every answer."""
    connection.request("GET", "/_ping")
    response = connection.getresponse()
    response.read()
    date = response.getheader("Date")
    if response.status != 200 or not date:
        raise OSError(f"/_ping answered HTTP {response.status} without a Date header")
    return int(parsedate_to_datetime(date).timestamp())


def _quote(text: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415

    return quote(text, safe="")
