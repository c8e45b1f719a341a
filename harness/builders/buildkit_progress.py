"""BuildKit's progress output → step timings. Pure functions, tested on real recorded outputs (tests/data/buildkit).

BuildKit runs a graph of vertices. Steps are the vertices named `[k/N] INSTRUCTION …` (k counts FROM and every
instruction that changes the filesystem; metadata-only ones such as ENV or LABEL have no vertex) and the export
vertex `exporting to image`, where BuildKit writes the layers through the graph driver and so pays for the diff: it
becomes step N+1 with instruction EXPORT. Left out, though counted in the build's total: `[internal] …` vertices
(Dockerfile, context transfer, base metadata) and `[1/N] FROM`, which only resolves the imported base (BuildKit
says CACHED or ~0 s). `aligned_with_dockerfile` then renumbers steps like the classic builder's `Step k/N`.
A vertex BuildKit took from its cache (none are expected with --no-cache) is flagged `cached` and failed, so it
never enters statistics as a zero-second step.

- rawjson (buildx): a stream of JSON objects (one per line in buildx 0.29, pretty-printed over many lines in 0.13)
  whose `vertexes` carry the daemon's own `started`/`completed` (RFC 3339, ns). A step's seconds are exactly those.
- plain (a CLI with BuildKit built in, e.g. 20.10): `#N name`, then `#N DONE 1.2s` / `#N CACHED` /
  `#N ERROR: …`. The CLI prints a vertex's lines together once it ends, so arrival times say nothing about
  durations: a step's seconds are BuildKit's printed duration, rounded to 0.1 s (a native-diff export is `0.0s`),
  and it started that long before its DONE line arrived. A failed step prints no duration (seconds 0, ok false).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from harness.builders.timing import StepTiming

STEP_NAME = re.compile(r"^\[(?:[^\]]*\s)?(\d+)/(\d+)\] (.*)$", re.S)
EXPORT_PREFIX = "exporting to "
EXPORT_TEXT = "EXPORT {name}"
CACHED_ERROR = "BuildKit reused this step from its cache instead of building it, so it has no time"
TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")
PLAIN_LINE = re.compile(r"^#(\d+) (.*)$")
PLAIN_DONE = re.compile(r"^DONE (\d+(?:\.\d+)?)s$")
CLI_ERROR = re.compile(r"^(?:ERROR|error): ?(.*)$")


@dataclass(frozen=True)
class Vertex:
    """One BuildKit vertex as far as the output told: times on the parser's clock (ns), None when not seen."""

    name: str
    started: int | None = None
    completed: int | None = None
    cached: bool = False
    error: str | None = None


def steps_from_rawjson(lines: Iterable[str], began_ns: int,
                       began_wall_ns: int | None) -> tuple[list[StepTiming], str | None]:
    """Steps and the build's error from buildx's rawjson output lines (and any text the CLI mixed in).

    Read as it streams, one status object at a time (`status_objects`): what is kept is the vertices and the CLI's
    last error line, never the output itself, whose RUN logs may be any size. `began_wall_ns` is time.time_ns() at
    `began_ns`; it places the daemon's timestamps on the perf_counter clock (a local daemon shares this machine's
    clock). None: the first vertex's start stands for `began_ns`.
    """
    vertices: dict[str, Vertex] = {}
    errors = _LastError()
    for status in status_objects(errors.watched(lines)):
        for raw in status.get("vertexes") or ():
            digest = raw.get("digest") or raw.get("name", "")
            vertices[digest] = _merged(vertices.get(digest), raw)
    origin = began_wall_ns if began_wall_ns is not None else min(
        (v.started for v in vertices.values() if v.started is not None), default=0)
    return _steps(list(vertices.values()), began_ns, origin), _build_error(errors.last, vertices.values())


def steps_from_plain(stamped: Iterable[tuple[int, str]], began_ns: int) -> tuple[list[StepTiming], str | None]:
    """Steps and the build's error from plain progress lines stamped with their arrival (perf_counter ns), read as
    they stream: only the vertices and the CLI's last error line are kept."""
    vertices: dict[str, Vertex] = {}
    errors = _LastError()
    for arrived, line in stamped:
        line = errors.seen(line.rstrip("\n"))
        match = PLAIN_LINE.match(line)
        if not match:
            continue
        number, rest = match.groups()
        vertex = vertices.get(number)
        if vertex is None:
            vertices[number] = Vertex(name=rest.strip(), started=arrived)
        else:
            vertices[number] = _plain_update(vertex, rest.strip(), arrived)
    return _steps(list(vertices.values()), began_ns, began_ns), _build_error(errors.last, vertices.values())


class _LastError:
    """The CLI's own last `ERROR: …` line (BuildKit's text as the user sees it), remembered as lines pass."""

    def __init__(self) -> None:
        self.last: str | None = None

    def seen(self, line: str) -> str:
        if match := CLI_ERROR.match(line.strip()):
            self.last = match.group(1).strip()
        return line

    def watched(self, lines: Iterable[str]) -> Iterator[str]:
        for line in lines:
            yield self.seen(line)


def status_objects(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Each JSON object of a rawjson stream as soon as it is complete, holding one object at a time: buildx 0.29
    writes one per line; 0.13 pretty-prints them, from a line `{` to a line `}` (nested braces are indented).
    Other lines (CLI warnings and errors) are skipped."""
    pending: list[str] = []
    for line in lines:
        stripped = line.rstrip("\n")
        if not pending:
            if not stripped.startswith("{"):
                continue
            if stripped != "{":  # a whole object on its line
                yield from _json_objects(line)
                continue
        pending.append(line)
        if stripped == "}":
            yield from _json_objects("".join(pending))
            pending = []
    yield from _json_objects("".join(pending))  # a stream cut short: whatever objects it completed


def _json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object in `text`, whatever its layout; other text is skipped."""
    decoder = json.JSONDecoder()
    position = 0
    while (start := text.find("{", position)) >= 0:
        try:
            value, position = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        if isinstance(value, dict):
            yield value


def _merged(known: Vertex | None, raw: dict[str, Any]) -> Vertex:
    """Later updates of a vertex add to what is known; its first start and last completion win."""
    vertex = known or Vertex(name=raw.get("name", ""))
    started = _ns(raw.get("started"))
    completed = _ns(raw.get("completed"))
    return replace(vertex,
                   started=vertex.started if vertex.started is not None else started,
                   completed=completed if completed is not None else vertex.completed,
                   cached=vertex.cached or bool(raw.get("cached")),
                   error=raw.get("error") or vertex.error)


def _plain_update(vertex: Vertex, rest: str, arrived: int) -> Vertex:
    if done := PLAIN_DONE.match(rest):
        return replace(vertex, started=arrived - round(float(done.group(1)) * 1e9), completed=arrived)
    if rest == "CACHED":
        return replace(vertex, completed=arrived, cached=True)
    if rest.startswith("ERROR"):
        return replace(vertex, started=arrived, completed=arrived, error=rest.removeprefix("ERROR").lstrip(": "))
    if rest == "CANCELED":
        return replace(vertex, started=arrived, completed=arrived, error="canceled")
    return vertex


def _steps(vertices: list[Vertex], began_ns: int, origin: int) -> list[StepTiming]:
    numbered = [(STEP_NAME.match(v.name), v) for v in vertices]
    total = max((int(m.group(2)) for m, _ in numbered if m), default=0)
    steps = []
    for match, vertex in numbered:
        if vertex.started is None:
            continue  # never ran (e.g. canceled after another step failed)
        if match and match.group(3).upper().startswith("FROM "):
            continue  # resolving the already imported base: no layer is built (BuildKit often says CACHED)
        if match:
            steps.append(_step(int(match.group(1)), match.group(3).strip(), vertex, began_ns, origin))
        elif vertex.name.startswith(EXPORT_PREFIX):
            steps.append(_step(total + 1, EXPORT_TEXT.format(name=vertex.name), vertex, began_ns, origin))
    return sorted(steps, key=lambda s: s.index)


def _step(index: int, text: str, vertex: Vertex, began_ns: int, origin: int) -> StepTiming:
    ended = vertex.completed if vertex.completed is not None else vertex.started
    error = CACHED_ERROR if vertex.cached else vertex.error
    return StepTiming(index=index, text=text, seconds=(ended - vertex.started) / 1e9,
                      ok=error is None and vertex.completed is not None,
                      error=error if error or vertex.completed is not None else "the step never completed",
                      started_ns=began_ns + vertex.started - origin, cached=vertex.cached)


def _build_error(cli_error: str | None, vertices: Iterable[Vertex]) -> str | None:
    """The CLI's own last error line, else the first failed vertex's error."""
    return cli_error or next((v.error for v in vertices if v.error), None)


def _ns(timestamp: str | None) -> int | None:
    """RFC 3339 with up to nanoseconds → ns since the epoch (datetime alone would drop the last three digits)."""
    if not timestamp:
        return None
    match = TIMESTAMP.match(timestamp)
    if not match:
        return None
    whole, fraction, zone = match.groups()
    seconds = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone)).timestamp()
    return int(seconds) * 1_000_000_000 + int((fraction or "0").ljust(9, "0"))


def aligned_with_dockerfile(steps: list[StepTiming], dockerfile: str) -> list[StepTiming]:
    """Renumber BuildKit's `[k/N]` steps as the classic builder numbers them (`Step k/N` counts every instruction).

    BuildKit has no vertex for metadata-only instructions (ENV, LABEL, CMD, …), so after one of those its k falls
    behind. Steps run in Dockerfile order, so each is matched to the next instruction of its kind; EXPORT follows
    the last instruction. If the Dockerfile does not match (an unexpected vertex), BuildKit's numbers are kept.
    """
    keywords = [line.split(None, 1)[0].upper() for line in _instructions(dockerfile)]
    renumbered, position = [], 0
    for step in steps:
        if step.instruction == "EXPORT":
            renumbered.append(replace(step, index=len(keywords) + 1))
            continue
        while position < len(keywords) and keywords[position] != step.instruction:
            position += 1
        if position == len(keywords):
            return steps
        position += 1
        renumbered.append(replace(step, index=position))
    return renumbered


def _instructions(dockerfile: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments and blank lines left out."""
    instructions, pending = [], ""
    for line in dockerfile.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        instructions.append(pending + stripped)
        pending = ""
    if pending.strip():
        instructions.append(pending)
    return instructions
