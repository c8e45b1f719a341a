"""BuildKit's progress output → steps, on real outputs recorded from private daemons (tests/data/buildkit/README.md)."""

from __future__ import annotations

import base64
import itertools
import json
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.builders.buildkit_progress import (
    CACHED_ERROR,
    _ns,
    aligned_with_dockerfile,
    steps_from_plain,
    steps_from_rawjson,
)
from harness.builders.timing import timings_from_stream

DATA = Path(__file__).parents[1] / "data" / "buildkit"
RAWJSON = ("rawjson-0.29.1-on-20.10", "rawjson-0.13.1-on-20.10", "rawjson-0.29.1-on-28.5.2")
#: The recorded "ok" workload: FROM base, RUN touch /x, COPY payload/ /payload/, ENV MARK=1, RUN mv … (record.py).
OK_DOCKERFILE = "FROM base\nRUN touch /x\nCOPY payload/ /payload/\nENV MARK=1\nRUN mv /base/d0000 /base/moved\n"


def rawjson(name: str) -> tuple[list, str | None]:
    return steps_from_rawjson((DATA / f"{name}.txt").read_text().splitlines(keepends=True), began_ns=0, began_wall_ns=None)


def plain(name: str) -> tuple[list, str | None]:
    lines = (DATA / f"{name}.txt").read_text().splitlines(keepends=True)
    return steps_from_plain([(1_000_000 * i, line) for i, line in enumerate(lines)], began_ns=0)


def vertex_span_s(name: str, vertex_name: str) -> float:
    """The vertex's completed − started as written in the file, read independently of the parser."""
    objects = re.findall(r"\{.*?\}\s*\]\s*\}", (DATA / f"{name}.txt").read_text(), re.S)
    vertices = [v for o in objects for v in json.loads(o).get("vertexes") or () if v.get("name") == vertex_name]
    started = next(v["started"] for v in vertices if "started" in v)
    completed = [v["completed"] for v in vertices if "completed" in v][-1]
    return (_ns(completed) - _ns(started)) / 1e9


@pytest.mark.parametrize("name", RAWJSON)
def test_rawjson_steps_are_the_numbered_vertices_and_the_export_timed_by_buildkit(name: str) -> None:
    steps, error = rawjson(f"{name}.ok")
    assert error is None
    assert [(s.index, s.instruction, s.text) for s in steps] == [
        (2, "RUN", "RUN touch /x"), (3, "COPY", "COPY payload/ /payload/"),
        (4, "RUN", "RUN mv /base/d0000 /base/moved"), (5, "EXPORT", "EXPORT exporting to image")]
    assert all(s.ok and not s.cached and s.error is None and s.seconds > 0 for s in steps)
    assert steps[-1].seconds == pytest.approx(vertex_span_s(f"{name}.ok", "exporting to image"), abs=1e-9)
    starts = [s.started_ns for s in steps]
    assert starts == sorted(starts) and starts[0] > 0  # after the [internal] vertices that began the build


def test_both_json_layouts_are_read_one_object_per_line_and_pretty_printed() -> None:
    assert (DATA / "rawjson-0.13.1-on-20.10.ok.txt").read_text().startswith("{\n  ")
    assert (DATA / "rawjson-0.29.1-on-20.10.ok.txt").read_text().startswith('{"vertexes"')
    assert [s.text for s in rawjson("rawjson-0.13.1-on-20.10.ok")[0]] == \
           [s.text for s in rawjson("rawjson-0.29.1-on-20.10.ok")[0]]


def test_text_between_json_objects_is_skipped_and_an_error_line_is_the_builds_error() -> None:
    text = ('WARNING: something\n{"vertexes":[{"digest":"d1","name":"[2/2] RUN x","started":"2026-11-28T09:00:00Z",'
            '"completed":"2026-11-28T09:00:01.5Z"}]}\n{not json\nERROR: failed to solve: boom\n')
    steps, error = steps_from_rawjson(text.splitlines(keepends=True), began_ns=0, began_wall_ns=None)
    assert [(s.index, s.seconds, s.ok) for s in steps] == [(2, 1.5, True)]
    assert error == "failed to solve: boom"


@pytest.mark.parametrize("name", RAWJSON)
def test_a_failing_run_fails_its_step_and_the_build_with_buildkits_text(name: str) -> None:
    steps, error = rawjson(f"{name}.fail")
    assert "exit code: 3" in error and "failed to solve" in error
    assert [(s.index, s.instruction, s.ok) for s in steps] == [(2, "RUN", True), (3, "RUN", False)]
    assert "exit code: 3" in steps[-1].error and "EXPORT" not in [s.instruction for s in steps]


def test_cached_vertices_are_flagged_and_failed_never_timed_as_zero_second_steps() -> None:
    for steps, _ in (rawjson("rawjson-0.29.1-on-28.5.2.cached"), plain("plain-20.10.cached")):
        built = [s for s in steps if s.instruction != "EXPORT"]
        assert [s.index for s in built] == [2, 3, 4]
        assert all(s.cached and not s.ok and s.error == CACHED_ERROR for s in built)
        assert steps[-1].instruction == "EXPORT" and not steps[-1].cached
    assert not any(s.cached for s in rawjson("rawjson-0.29.1-on-28.5.2.ok")[0])


def test_plain_steps_take_buildkits_printed_durations() -> None:
    steps, error = plain("plain-20.10.ok")
    assert error is None
    assert [(s.index, s.instruction) for s in steps] == [(2, "RUN"), (3, "COPY"), (4, "RUN"), (5, "EXPORT")]
    text = (DATA / "plain-20.10.ok.txt").read_text()
    numbers = re.findall(r"^#(\d+) (?:\[\d/4\] (?:RUN|COPY)|exporting to image)", text, re.M)
    printed = [float(re.search(rf"^#{n} DONE (\d+\.\d)s$", text, re.M).group(1)) for n in numbers]
    assert [s.seconds for s in steps] == printed
    assert all(s.ok for s in steps)


def test_plain_failure_is_the_steps_error_and_the_builds() -> None:
    steps, error = plain("plain-20.10.fail")
    assert error == "executor failed running [/bin/sh -c echo boom >&2 && exit 3]: exit code: 3"
    assert [(s.index, s.ok) for s in steps] == [(2, True), (3, False)] and steps[-1].error == error


def test_steps_are_renumbered_like_the_classic_builders_around_instructions_without_a_vertex() -> None:
    steps = aligned_with_dockerfile(rawjson("rawjson-0.29.1-on-20.10.ok")[0], OK_DOCKERFILE)
    assert [(s.index, s.instruction) for s in steps] == [(2, "RUN"), (3, "COPY"), (5, "RUN"), (6, "EXPORT")]
    unmatched = rawjson("rawjson-0.29.1-on-20.10.ok")[0]
    assert aligned_with_dockerfile(unmatched, "FROM base\nRUN touch /x\n") == unmatched


def test_timestamps_keep_their_nanoseconds() -> None:
    assert _ns("2026-11-28T09:34:20.848208396Z") - _ns("2026-11-28T09:34:20Z") == 848208396
    assert _ns("2026-11-28T10:34:20.5+01:00") == _ns("2026-11-28T09:34:20.500Z")


def test_classic_steps_carry_their_start_on_the_builds_clock() -> None:
    timing = timings_from_stream([(10, {"stream": "Step 1/2 : FROM b\n"}), (30, {"stream": "Step 2/2 : RUN x\n"}),
                                  (90, {"aux": {"ID": "sha256:f"}})], began_ns=5)
    assert timing.began_ns == 5 and [s.started_ns for s in timing.steps] == [10, 30]


def _stream_of_logs(lines: int, width: int) -> Iterator[str]:
    """A RUN that prints `lines` lines of `width` characters, as buildx's rawjson (0.29) streams it."""
    yield '{"vertexes":[{"digest":"d1","name":"[2/2] RUN big","started":"2026-11-28T09:00:00Z"}]}\n'
    chunk = base64.b64encode(b"x" * width).decode()
    for _ in range(lines):
        yield json.dumps({"logs": [{"vertex": "d1", "stream": 1, "data": chunk}]}) + "\n"
    yield '{"vertexes":[{"digest":"d1","name":"[2/2] RUN big","completed":"2026-11-28T09:00:02Z"}]}\n'


@pytest.mark.parametrize("layout", ["rawjson", "plain"])
def test_a_build_that_prints_much_is_parsed_in_bounded_memory(layout: str) -> None:
    """40 MB of RUN output pass through the parser while it holds a small fraction of it (issue 18): the vertices
    and the last error line, never the output."""
    lines, width = 20_000, 1_500
    tracemalloc.start()
    try:
        if layout == "rawjson":
            steps, error = steps_from_rawjson(_stream_of_logs(lines, width), began_ns=0, began_wall_ns=None)
        else:
            stamped = itertools.chain([(0, "#5 [2/2] RUN big\n")],
                                      ((i, f"#5 {i / 1e4:.3f} {'x' * width}\n") for i in range(lines)),
                                      [(2_000_000_000, "#5 DONE 2.0s\n")])
            steps, error = steps_from_plain(stamped, began_ns=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(s.index, s.seconds, s.ok) for s in steps] == [(2, 2.0, True)] and error is None
    assert peak < lines * width / 50, f"peak {peak:,} bytes for {lines * width:,} bytes of output"
