"""Podman engines on real podman: Buildah's steps timed through a private `podman system service`, a failing step
recorded as a failure, containers/storage's native/naive choice following the overlay knobs as dockerd's does, and
nothing left behind — neither by a finished run nor, after `harness cleanup`, by a killed one."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from harness.machine.namespace import PRIVATE_PATHS
from harness.machine.processes import processes_referencing
from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of
from tests.integration.test_interruption import wait_for_builds

pytestmark = pytest.mark.integration

WORKLOADS = """\
  - name: w
    base: {files: 2000, directories: 20}
    steps: [RUN touch /x, COPY payload/ /p/, RUN mv /base/d0001 /moved]
  - name: fails
    base: {files: 2000, directories: 20}
    steps: [RUN touch /y, RUN false, RUN touch /z]
"""
PODMAN = ["local-podman-overlay-native", "local-podman-overlay-naive"]


@pytest.fixture(autouse=True)
def needs_podman() -> None:
    if shutil.which("podman") is None:
        pytest.fail("podman scenarios need podman (apt-get install podman); `.ci/run` installs it")


def machine_paths() -> dict[Path, list[str] | None]:
    """What the machine's own podman paths hold (None: absent): the run must leave them as they were."""
    return {path: sorted(os.listdir(path)) if path.is_dir() else None for path in PRIVATE_PATHS}


def test_buildah_steps_are_timed_on_a_private_store_and_a_failing_step_is_a_failure(harness: Harness) -> None:
    before = machine_paths()
    matrix = matrix_with(harness.root, PODMAN, WORKLOADS, "repetitions: 2\nwarmup: 0\nbuilders: [buildah]\n")
    result = harness.run("run", str(matrix))
    assert result.returncode == 1, result.stderr  # the failing workload's builds failed; the others were measured
    run_dir = run_dir_of(result.stdout)
    manifest = manifest_of(run_dir)
    for name, native in (("local-podman-overlay-native", "true"), ("local-podman-overlay-naive", "false")):
        record = manifest["scenarios"][name]
        assert record["engine"]["family"] == "podman" and record["image_store"] == "containers-storage"
        assert record["driver_status"]["Driver"] == "overlay"
        assert record["driver_status"]["Native Overlay Diff"] == native, record["driver_status"]
        assert record["builders"]["buildah"]["builder"] == "buildah"
    naive = manifest["scenarios"]["local-podman-overlay-naive"]
    assert any(f["id"] == "overlay-naive-diff" for f in naive["findings"]), naive["findings"]

    samples = samples_of(run_dir)
    assert {s["builder"] for s in samples} == {"buildah"}
    good = [s for s in samples if s["workload"] == "w"]
    builds = [s for s in good if s["kind"] == "build"]
    assert len(builds) == 4 and all(b["ok"] for b in builds), builds
    for build in builds:
        steps = [s for s in good if s["kind"] == "step" and (s["scenario"], s["round"], s["rep"]) ==
                 (build["scenario"], build["round"], build["rep"])]
        assert [s["step"] for s in steps] == [1, 2, 3, 4] and all(s["ok"] for s in steps), steps
        assert [s["instruction"] for s in steps] == ["FROM", "RUN", "COPY", "RUN"]
        assert all(s["seconds"] > 0 for s in steps[1:]) and sum(s["seconds"] for s in steps) <= build["seconds"]

    failed = [s for s in samples if s["workload"] == "fails"]
    assert [s["ok"] for s in failed if s["kind"] == "build"] == [False] * 4
    for step in (s for s in failed if s["kind"] == "step"):
        assert step["ok"] == (step["step"] < 3), step  # FROM and RUN touch /y ran; RUN false failed
        if step["step"] == 3:
            assert "RUN false" in step["error"], step
    assert max(s["step"] for s in failed if s["kind"] == "step") == 3, "no step after the failing one is timed"

    assert not list(harness.work.iterdir()), "the private store was not removed"
    assert machine_paths() == before, "the machine's own podman paths changed"


def test_a_killed_podman_run_is_cleaned_up(harness: Harness) -> None:
    before = machine_paths()
    matrix = matrix_with(harness.root, ["local-podman-overlay-naive"], WORKLOADS.split("  - name: fails")[0],
                         "repetitions: 6\nwarmup: 0\nbuilders: [buildah]\n")
    process = harness.popen("run", str(matrix))
    wait_for_builds(harness.results, 1, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert processes_referencing(harness.work), "the killed run's podman service should still be running"
    assert Path("/sys/module/overlay/parameters/redirect_dir").read_text() == "Y\n"

    cleanup = harness.run("cleanup")
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    assert "stopped daemon" in cleanup.stdout and "restored" in cleanup.stdout, cleanup.stdout
    assert not processes_referencing(harness.work)
    assert not list(harness.work.iterdir())
    assert machine_paths() == before, "mount points made for the service's namespace were left behind"
    assert harness.run("cleanup").stdout.strip() == "nothing to clean up"
