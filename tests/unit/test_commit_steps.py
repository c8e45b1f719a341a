"""The commit benchmark's pure parts: step texts and their instructions, the build result assembled from the steps,
failure texts, the payload archive taken from the context; and a daemon that is gone gives a failed result, never an
exception. Behaviour on real daemons is in tests/integration/test_commit_benchmark.py."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import docker
import pytest

from harness.builders.timing import StepTiming
from harness.config import BaseTree, Payload, Workload
from harness.measure.commit import (
    StepFailed,
    command_failure,
    commit_timing,
    payload_archive,
    step_texts,
    timed_commit,
    timed_step,
)
from harness.measure.workloads import PreparedWorkload, base_tag, build_tag, write_context

WORKLOAD = Workload("commit-small", "a commit", BaseTree(files=10, directories=2), Payload(files=3, file_size=64), (),
                    kind="commit", command="mv /base/d0000 /base/moved")


def step(index: int, seconds: float, ok: bool = True) -> StepTiming:
    return StepTiming(index=index, text=f"STEP {index}", seconds=seconds, ok=ok, error=None if ok else "broke",
                      started_ns=index)


def test_steps_are_create_change_commit_and_say_what_they_did() -> None:
    texts = step_texts(WORKLOAD, "harness-base/x:1", "harness-build/x:1")
    instructions = [StepTiming(i + 1, text, 0.0, True, None).instruction for i, text in enumerate(texts)]
    assert instructions == ["CREATE", "CHANGE", "COMMIT"]
    assert "harness-base/x:1" in texts[0] and "harness-build/x:1" in texts[2]
    assert "3 payload files of 64 B into /payload/" in texts[1] and texts[1].endswith("run: mv /base/d0000 /base/moved")


def test_without_a_command_the_change_only_puts_the_payload() -> None:
    workload = Workload("p", "", BaseTree(), Payload(files=5), (), kind="commit")
    change = step_texts(workload, "b:1", "t:1")[1]
    assert change.startswith("CHANGE put 5 payload files") and "run" not in change


def test_the_build_time_is_the_sum_of_the_steps_and_ok_needs_an_image() -> None:
    steps = [step(1, 0.25), step(2, 0.5), step(3, 1.0)]
    timing = commit_timing(steps, 7, "sha256:abc", None)
    assert timing.ok and timing.seconds == 1.75 and timing.image_id == "sha256:abc" and timing.began_ns == 7
    assert timing.steps == tuple(steps)
    no_image = commit_timing(steps, 7, None, None)
    assert not no_image.ok and no_image.error == "the commit produced no image id"


def test_an_error_fails_the_result_and_drops_the_image() -> None:
    timing = commit_timing([step(1, 0.1), step(2, 0.2, ok=False)], 0, "sha256:abc", "the command failed")
    assert not timing.ok and timing.error == "the command failed" and timing.image_id is None
    assert timing.seconds == pytest.approx(0.3)


def test_a_failed_command_says_its_status_and_the_tail_of_its_output() -> None:
    text = command_failure("false", {"StatusCode": 3, "Error": None}, "x" * 1000 + "the real reason\n")
    assert text.startswith("the command `false` exited with status 3: ") and text.endswith("the real reason")
    assert len(text) < 500
    silent = command_failure("false", {"StatusCode": 1, "Error": {"Message": "oom"}}, "")
    assert silent == "the command `false` exited with status 1 (oom) and printed nothing"


def test_a_failing_step_is_recorded_failed_and_stops_the_sequence() -> None:
    steps: list[StepTiming] = []
    log = io.StringIO()
    assert timed_step(steps, 1, "CREATE it", lambda: "abc", log) == "abc"

    def refused() -> None:
        raise StepFailed("the daemon said no")

    with pytest.raises(StepFailed, match="the daemon said no"):
        timed_step(steps, 2, "CHANGE it", refused, log)
    assert [(s.index, s.ok, s.error) for s in steps] == [(1, True, None), (2, False, "the daemon said no")]
    assert all(s.started_ns > 0 and s.seconds >= 0 for s in steps)
    assert "CHANGE it" in log.getvalue() and "FAILED: the daemon said no" in log.getvalue()


def test_a_connection_error_in_a_step_becomes_its_failure_text() -> None:
    steps: list[StepTiming] = []

    def broken() -> None:
        raise ConnectionRefusedError("the socket refused")

    with pytest.raises(StepFailed, match="the socket refused"):
        timed_step(steps, 3, "COMMIT it", broken, io.StringIO())
    assert not steps[0].ok and steps[0].instruction == "COMMIT"


def prepared(tmp_path: Path) -> PreparedWorkload:
    context = write_context(WORKLOAD, tmp_path / "contexts")
    return PreparedWorkload(WORKLOAD, base_tag(WORKLOAD), build_tag(WORKLOAD), context, 0.0)


def test_the_payload_archive_holds_exactly_the_contexts_payload_and_is_written_once(tmp_path: Path) -> None:
    context = prepared(tmp_path).context_tar
    path = payload_archive(WORKLOAD, context)
    with tarfile.open(context) as source, tarfile.open(path) as archive:
        expected = {m.name: source.extractfile(m).read() if m.isfile() else None
                    for m in source if m.name.split("/")[0] == "payload"}
        got = {m.name: archive.extractfile(m).read() if m.isfile() else None for m in archive}
    assert got == expected and len(got) == 1 + WORKLOAD.payload.files and "payload" in got
    written = path.stat().st_mtime_ns
    assert payload_archive(WORKLOAD, context) == path and path.stat().st_mtime_ns == written


def test_a_daemon_that_is_gone_is_a_failed_commit_with_the_reason(tmp_path: Path) -> None:
    api = docker.APIClient(base_url=f"unix://{tmp_path / 'absent.sock'}", version="1.41", timeout=10)
    log = io.StringIO()
    timing = timed_commit(api, prepared(tmp_path), log)
    assert not timing.ok and timing.image_id is None
    (create,) = timing.steps
    assert create.instruction == "CREATE" and not create.ok and create.error == timing.error
    assert "No such file" in timing.error or "onnection" in timing.error, timing.error
    assert "FAILED" in log.getvalue()
