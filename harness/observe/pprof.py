"""Where dockerd (and its containerd) spends a build's wall-clock time: goroutine dumps sampled through a socket.

dockerd serves them on its API socket; containerd on its debug socket, which a private dockerd's containerd has
(sampled too with the containerd image store, where the layer commits happen in containerd's diff service).

Why goroutine dumps (`/debug/pprof/goroutine?debug=2`) and not CPU profiles (`/debug/pprof/profile`): a build's time
is wall time, and much of the naive differ's is blocked time — disk waits, and a sleep to the next whole second when
its diff is closed — which a CPU profile (CPU time only) does not see, while a dump shows every goroutine wherever
it is, running or blocked. Dumps are plain text (no protobuf
decoder needed), cost the daemon a few milliseconds each, and can be taken at any rate; a CPU profile needs a fixed
window per request. One sample = one dump; a sample's class is the most specific one any goroutine in it shows
(CLASSES, in order), so "share of build time spent diffing" is the share of samples, taken at a steady rate, in
which the daemon was diffing. Raw dumps are kept, gzipped, one file per build.
"""

from __future__ import annotations

import gzip
import http.client
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from harness.hosts.api import UnixHTTPConnection
from harness.results.writer import DIFF_CLASSES

#: Frame classes, most specific first. A pattern matches a frame's function name (package path included).
CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("naive-diff", ("graphdriver.(*NaiveDiffDriver)", "pkg/archive.ChangesDirs", "pkg/archive.ExportChanges",
                    "pkg/archive.collectFileInfo", "pkg/archive.(*FileInfo).addChanges", "pkg/archive.Changes",
                    # containerd's walking differ (the containerd image store's commits): both trees walked
                    "continuity/fs.Changes", "continuity/fs.doubleWalkDiff", "continuity/fs.addDirChanges",
                    "diff/walking.")),
    ("native-diff", ("overlay2.(*Driver).Diff", "overlay2.(*Driver).DiffSize", "overlay2.(*Driver).Changes")),
    ("tar", ("archive/tar.", "compress/", "pkg/archive.TarWithOptions", "pkg/archive.(*tarAppender)",
             "pkg/archive.Tar", "pkg/archive.Untar", "pkg/archive.ApplyLayer", "pkg/chrootarchive.",
             "layer.(*layerStore).applyTar", "layer.(*layerStore).Register")),
    ("container-start", ("daemon.(*Daemon).containerStart", "daemon.(*Daemon).ContainerStart")),
)
OTHER = "other"
#: Goroutines that show the build's work; the rest are the daemon idling (event loops, listeners, BuildKit's
#: scheduler, which waits even during classic builds) and are neither classified nor drawn.
BUILD_FRAMES = ("builder/dockerfile.", "builder/builder-next", "daemon/images.", "docker/layer.", "graphdriver",
                "pkg/archive.", "pkg/chrootarchive.", "daemon.(*Daemon).containerStart",
                # containerd's own, profiled beside dockerd's with the containerd image store
                "continuity/fs.", "containerd/diff", "containerd/archive", "containerd/snapshots/overlay",
                "services/diff.", "services/snapshots.", "containerd/mount.")
GOROUTINE = re.compile(r"^goroutine \d+ \[([^\]]*)\]:$")
SAMPLE_HEADER = re.compile(r"^# sample (\d+) (\d+) (\d+)$")


@dataclass(frozen=True)
class Goroutine:
    state: str
    frames: tuple[str, ...]  # function names, innermost first

    @property
    def is_build_work(self) -> bool:
        return any(pattern in frame for frame in self.frames for pattern in BUILD_FRAMES)


@dataclass(frozen=True)
class Sample:
    """One goroutine dump, placed in our clock at the middle of its request."""

    at_ns: int
    goroutines: tuple[Goroutine, ...]

    @property
    def label(self) -> str:
        return classify(self.goroutines)


@dataclass(frozen=True)
class Mark:
    """What the step profiles need of a dump once its stacks are folded: when it was taken and its class. A build
    of minutes is thousands of dumps of hundreds of goroutines; these are all that stay in memory."""

    at_ns: int
    label: str


def marked(samples: Iterable[Sample], marks: list[Mark]) -> Iterator[Sample]:
    """Pass `samples` on, appending each one's Mark to `marks` (a second use of the same one-pass stream)."""
    for sample in samples:
        marks.append(Mark(sample.at_ns, sample.label))
        yield sample


@dataclass(frozen=True)
class StepProfile:
    step: int
    samples: int
    classes: dict[str, int]

    def as_record(self) -> dict[str, Any]:
        """The `profile` object a sample carries: sample count and counts by class."""
        return {"samples": self.samples, "classes": dict(sorted(self.classes.items()))}

    @property
    def diff_share(self) -> float | None:
        """Share of the step's samples in which the daemon was diffing (0–1); None without samples."""
        if not self.samples:
            return None
        return sum(self.classes.get(name, 0) for name in DIFF_CLASSES) / self.samples


def parse_dump(text: str) -> tuple[Goroutine, ...]:
    """The goroutines of one `debug=2` dump; frames are the function lines (the file:line lines are dropped)."""
    goroutines = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        header = GOROUTINE.match(lines[0]) if lines else None
        if header is None:
            continue
        frames = tuple(line.rsplit("(", 1)[0] if line.endswith(")") else line
                       for line in lines[1:] if line and not line.startswith(("\t", "created by ")))
        if not any("runtime/pprof." in frame for frame in frames):  # the goroutine answering us
            goroutines.append(Goroutine(state=header.group(1).split(",")[0], frames=frames))
    return tuple(goroutines)


def frame_class(frames: Iterable[str]) -> str | None:
    frames = tuple(frames)
    for name, patterns in CLASSES:
        if any(pattern in frame for frame in frames for pattern in patterns):
            return name
    return None


def classify(goroutines: Iterable[Goroutine]) -> str:
    """A sample's class: the first of CLASSES that any goroutine doing build work shows, else "other"."""
    found = {frame_class(goroutine.frames) for goroutine in goroutines if goroutine.is_build_work}
    return next((name for name, _ in CLASSES if name in found), OTHER)


def profile_steps(samples: Iterable[Sample | Mark], steps: Iterable[Any]) -> list[StepProfile]:
    """Count each step's samples by class (steps have `index`, `started_ns`, `seconds`). Pure."""
    samples = list(samples)
    profiles = []
    for step in steps:
        inside = [s for s in samples if step.started_ns is not None
                  and step.started_ns <= s.at_ns < step.started_ns + int(step.seconds * 1e9)]
        profiles.append(StepProfile(step.index, len(inside), dict(Counter(s.label for s in inside))))
    return profiles


def profile_build(samples: Iterable[Sample | Mark], timing: Any) -> StepProfile:
    """The whole build's counts (a BuildTiming: `began_ns`, `seconds`), for the build line; `step` is 0."""
    window = SimpleNamespace(index=0, started_ns=timing.began_ns, seconds=timing.seconds)
    return profile_steps(samples, [window])[0]


def read_samples(path: Path) -> Iterator[Sample]:
    """The samples of one recorded file (see GoroutineSampler), in order."""
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as recorded:
        header, lines = None, []
        for line in recorded:
            match = SAMPLE_HEADER.match(line.rstrip("\n"))
            if match:
                if header:
                    yield _sample(header, lines)
                header, lines = match, []
            else:
                lines.append(line)
        if header:
            yield _sample(header, lines)


def _sample(header: re.Match, lines: list[str]) -> Sample:
    began, ended = int(header.group(2)), int(header.group(3))
    return Sample(at_ns=(began + ended) // 2, goroutines=parse_dump("".join(lines)))


class GoroutineSampler:
    """Takes a goroutine dump every `interval_s` on its own connection while a build runs, into one gzip file.

    The file is a series of `# sample N BEGAN_NS ENDED_NS` lines (perf_counter_ns around the request) each followed
    by the dump as the daemon sent it. Sampling errors end sampling and are kept in `error`; they never fail a build.
    """

    def __init__(self, socket_path: Path, path: Path, interval_s: float = 0.05, timeout_s: float = 10.0):
        self.socket_path = socket_path
        self.path = path
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.count = 0
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pprof-sampler", daemon=True)

    def __enter__(self) -> GoroutineSampler:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout_s + 1)

    def _run(self) -> None:
        connection = UnixHTTPConnection(self.socket_path, self.timeout_s)
        try:
            with gzip.open(self.path, "wb", compresslevel=1) as out:
                next_at = time.perf_counter()
                while True:  # at least one sample, however short the build: a dead socket always shows
                    began = time.perf_counter_ns()
                    body = _get(connection, "/debug/pprof/goroutine?debug=2")
                    out.write(f"# sample {self.count} {began} {time.perf_counter_ns()}\n".encode() + body)
                    self.count += 1
                    next_at += self.interval_s
                    if self._stop.wait(max(0.0, next_at - time.perf_counter())):
                        break
        except (OSError, http.client.HTTPException) as error:
            self.error = f"goroutine sampling stopped: {error}"
        finally:
            connection.close()


def _get(connection: Any, url: str) -> bytes:
    connection.request("GET", url)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise OSError(f"GET {url}: HTTP {response.status}")
    return body if body.endswith(b"\n") else body + b"\n"
