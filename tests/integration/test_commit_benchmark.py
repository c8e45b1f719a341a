"""The commit micro-benchmark on real private daemons: CREATE / CHANGE / COMMIT samples through the runner, the
committed image holding the change, a failing command recorded as a failed result with nothing left behind, and the
commit alone slower where the driver diffs by walking the base (vfs, overlay2 with the naive differ) than on
overlay2's native diff.

Until matrices can name `kind: commit` workloads, the runner gets one by replacing an inline workload of a loaded
matrix (everything else — daemons, plan, samples, cleanup — is the real run loop).
"""

from __future__ import annotations

import dataclasses
import io
import statistics
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import docker.errors
import pytest

from harness.builders.timing import remove_image
from harness.config import BaseTree, Payload, Workload, load_matrix, load_scenario
from harness.hosts.local import LocalDaemon
from harness.measure.commit import timed_commit
from harness.measure.facts import machine_facts
from harness.measure.runner import Runner
from harness.measure.workloads import PreparedWorkload, base_tag, build_tag, import_base, write_context
from harness.results.writer import RunDirectory
from tests.conftest import REPO, Quiet
from tests.integration.conftest import Harness, matrix_with, samples_of

pytestmark = pytest.mark.integration

NATIVE, NAIVE, VFS = "local-overlay2-native", "local-overlay2-naive", "local-vfs"
RENAME = "mv /base/d0000 /base/moved && echo changed > /marker"


def commit_workload(files: int, command: str | None = RENAME, name: str = "commit") -> Workload:
    return Workload(name, "commit benchmark test", BaseTree(files=files, file_size=512, directories=20, content_seed=3),
                    Payload(files=10, file_size=1024), (), kind="commit", command=command)


@contextmanager
def daemon_of(harness: Harness, scenario: str) -> Iterator[LocalDaemon]:
    daemon = LocalDaemon(load_scenario(REPO / "scenarios" / f"{scenario}.yaml"), harness.work, harness.root / "logs")
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.close()


def prepared_on(api: docker.APIClient, workload: Workload, root: Path) -> PreparedWorkload:
    seconds = import_base(api, workload)
    return PreparedWorkload(workload, base_tag(workload), build_tag(workload), write_context(workload, root / "ctx"),
                            seconds)


def names_in(api: docker.APIClient, container: str, path: str) -> set[str]:
    stream, _ = api.get_archive(container, path)
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        return {member.name for member in archive}


def leftovers(api: docker.APIClient, base: str) -> tuple[list, list]:
    """Containers of any state, and images other than the base."""
    images = [i for i in api.images(all=True) if base not in (i.get("RepoTags") or [])]
    return api.containers(all=True), images



def test_the_runner_records_a_commit_workload_as_create_change_commit(harness: Harness) -> None:
    inline = "  - name: commit\n    base: {files: 2000, directories: 20}\n    steps: [RUN true]\n"
    matrix = load_matrix(matrix_with(harness.root, [NATIVE], inline, "repetitions: 2\nrounds: 1\nwarmup: 1\n"))
    matrix = dataclasses.replace(matrix, workloads=(dataclasses.replace(
        matrix.workloads[0], kind="commit", command=RENAME, steps=()),))
    run = RunDirectory.create(harness.results, matrix, ["harness", "run"], machine_facts())
    outcome = Runner(matrix, run, Quiet(), harness.work).execute()
    assert outcome.exit_code == 0 and outcome.failed_builds == 0, run.read_manifest().scenarios
    samples = samples_of(run.path)
    builds = [s for s in samples if s["kind"] == "build"]
    assert len(builds) == 3 and {b["builder"] for b in builds} == {"classic"} and all(b["ok"] for b in builds)
    for build in builds:
        steps = [s for s in samples if s["kind"] == "step" and s["rep"] == build["rep"]]
        assert [(s["step"], s["instruction"]) for s in steps] == [(1, "CREATE"), (2, "CHANGE"), (3, "COMMIT")]
        assert all(s["ok"] and s["seconds"] > 0 for s in steps)
        assert all(s["phases"] is None for s in [*steps, build]), "no RUN-step split is invented for them"
        assert build["seconds"] == pytest.approx(sum(s["seconds"] for s in steps))
        assert RENAME in steps[1]["text"]
    log = (run.logs / f"{NATIVE}.build.log").read_text()
    assert log.count("COMMIT the container as harness-build/commit:") == 3


def test_a_commit_holds_the_payload_and_the_commands_change_and_leaves_only_its_image(harness: Harness) -> None:
    workload = commit_workload(files=200)
    with daemon_of(harness, NATIVE) as daemon:
        api = daemon.api
        prepared = prepared_on(api, workload, harness.root)
        timing = timed_commit(api, prepared, io.StringIO())
        assert timing.ok, timing.error
        assert [s.instruction for s in timing.steps] == ["CREATE", "CHANGE", "COMMIT"]
        assert api.inspect_image(prepared.build_tag)["Id"] == timing.image_id
        assert api.containers(all=True) == [], "the benchmark's container is removed"
        check = api.create_container(timing.image_id, command=["/bin/true"])["Id"]
        try:
            assert names_in(api, check, "/payload") == {"payload", *(f"payload/p{i:04d}" for i in range(10))}
            assert "moved/f000000" in names_in(api, check, "/base/moved") and names_in(api, check, "/marker")
            with pytest.raises(docker.errors.NotFound):
                api.get_archive(check, "/base/d0000")
        finally:
            api.remove_container(check, force=True)
        assert remove_image(api, prepared.build_tag, failed=False) is None
        assert leftovers(api, prepared.base_tag) == ([], [])


def test_a_failing_command_is_a_failed_result_and_leaves_nothing_behind(harness: Harness) -> None:
    workload = commit_workload(files=100, command="echo 'no such thing' >&2; exit 3")
    with daemon_of(harness, NATIVE) as daemon:
        api = daemon.api
        prepared = prepared_on(api, workload, harness.root)
        log = io.StringIO()
        timing = timed_commit(api, prepared, log)
        assert not timing.ok and timing.image_id is None
        assert "exited with status 3" in timing.error and "no such thing" in timing.error, timing.error
        assert [(s.instruction, s.ok) for s in timing.steps] == [("CREATE", True), ("CHANGE", False)]
        assert timing.steps[1].error == timing.error and "no such thing" in log.getvalue()
        assert api.containers(all=True) == [], "the container is removed after a failure too"
        assert remove_image(api, prepared.build_tag, failed=True) is None
        assert leftovers(api, prepared.base_tag) == ([], [])


def commit_seconds(harness: Harness, scenario: str, workload: Workload, reps: int) -> list[float]:
    """The COMMIT step's seconds over `reps` commits after one warmup, each image removed as the runner does."""
    seconds = []
    with daemon_of(harness, scenario) as daemon:
        prepared = prepared_on(daemon.api, workload, harness.root)
        for rep in range(reps + 1):
            timing = timed_commit(daemon.api, prepared, io.StringIO())
            assert timing.ok, (scenario, timing.error)
            assert remove_image(daemon.api, prepared.build_tag, failed=False) is None
            if rep:
                seconds.append(timing.steps[2].seconds)
    return seconds


def test_the_commit_alone_is_slower_on_vfs_and_naive_overlay2_than_on_native_overlay2(harness: Harness) -> None:
    workload = commit_workload(files=4000, command="touch /base/d0000/f000000")  # 10 payload files, 1 copy-up
    medians = {scenario: statistics.median(commit_seconds(harness, scenario, workload, reps=5))
               for scenario in (NATIVE, NAIVE, VFS)}
    assert medians[VFS] > 2 * medians[NATIVE], medians
    assert medians[NAIVE] > 2 * medians[NATIVE], medians
