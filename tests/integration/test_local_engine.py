"""The local engine against real private dockerd instances: failures recorded, verification, selection.

The 2018 post's effect itself (redirect_dir on makes dockerd diff naively) is proven with rounds and an A/A control
in test_aa_control.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration


def test_a_scenario_whose_expectation_fails_is_reported_with_both_values(harness: Harness) -> None:
    lying = {"scenarios/claims-native.yaml": """
        description: redirect_dir on, yet claims the native differ
        host: {type: local}
        storage: {driver: overlay2}
        kernel: {overlay: {redirect_dir: on}}
        expect: {driver: overlay2, native_overlay_diff: true}
    """}
    matrix = matrix_with(harness.root, ["claims-native", "local-vfs"],
                         "  - name: tiny\n    base: {files: 50}\n    steps: [RUN touch /x]\n",
                         "repetitions: 1\nwarmup: 0\n", own=lying)
    result = harness.run("run", str(matrix))
    assert result.returncode == 1, result.stderr
    reason = manifest_of(run_dir_of(result.stdout))["scenarios"]["claims-native"]["reason"]
    for text in (reason, result.stderr):
        assert "expect.native_overlay_diff is 'true'" in text and "Native Overlay Diff: 'false'" in text
    statuses = {n: s["status"] for n, s in manifest_of(run_dir_of(result.stdout))["scenarios"].items()}
    assert statuses == {"claims-native": "failed", "local-vfs": "ok"}
    assert not [s for s in samples_of(run_dir_of(result.stdout)) if s["scenario"] == "claims-native"]


def test_a_failing_build_is_recorded_with_the_daemons_error_and_the_run_goes_on(harness: Harness) -> None:
    workloads = """\
  - name: broken
    base: {files: 20}
    steps: [RUN touch /x, RUN exit 3, RUN touch /never]
  - name: fine
    base: {files: 20}
    steps: [RUN touch /y]
"""
    matrix = matrix_with(harness.root, ["local-overlay2-native"], workloads, "repetitions: 2\nwarmup: 0\n")
    result = harness.run("run", str(matrix))
    assert result.returncode == 1, result.stderr
    samples = samples_of(run_dir_of(result.stdout))
    broken = [s for s in samples if s["workload"] == "broken"]
    builds = [s for s in broken if s["kind"] == "build"]
    assert len(builds) == 2 and not any(s["ok"] for s in builds)
    assert all("returned a non-zero code: 3" in s["error"] for s in builds)
    failed_steps = [s for s in broken if s["kind"] == "step" and not s["ok"]]
    assert [(s["step"], s["text"]) for s in failed_steps] == [(3, "RUN exit 3")] * 2
    assert not [s for s in broken if s["step"] == 4], "steps after the failure must not be recorded"
    fine = [s for s in samples if s["workload"] == "fine" and s["kind"] == "build"]
    assert len(fine) == 2 and all(s["ok"] for s in fine)


def test_devicemapper_is_skipped_with_its_reason_on_a_kernel_without_device_mapper(harness: Harness) -> None:
    if "device-mapper" in Path("/proc/devices").read_text():
        pytest.skip("this kernel has device-mapper: the refusal path cannot be shown here")
    matrix = matrix_with(harness.root, ["local-devicemapper"], "  - name: t\n    steps: [RUN true]\n",
                         "repetitions: 1\nwarmup: 0\n")
    result = harness.run("run", str(matrix))
    assert result.returncode == 3, result.stderr
    scenario = manifest_of(run_dir_of(result.stdout))["scenarios"]["local-devicemapper"]
    assert scenario["status"] == "skipped" and "no device-mapper" in scenario["reason"]
    assert "Traceback" not in result.stderr


def test_every_shipped_local_scenario_starts_and_meets_its_expectation(harness: Harness) -> None:
    names = ["local-overlay2-native", "local-overlay2-naive", "local-overlay2-xfs", "local-btrfs",
             "local-fuse-overlayfs", "local-vfs"]
    matrix = matrix_with(harness.root, names, "  - name: t\n    base: {files: 200}\n    steps: [RUN touch /x, "
                                              "COPY payload/ /p/]\n", "repetitions: 1\nwarmup: 0\n")
    result = harness.run("run", str(matrix))
    assert result.returncode == 0, result.stderr
    manifest = manifest_of(run_dir_of(result.stdout))
    assert {n: manifest["scenarios"][n]["status"] for n in names} == {n: "ok" for n in names}
    assert manifest["scenarios"]["local-overlay2-xfs"]["driver_status"]["Backing Filesystem"] == "xfs"
    assert manifest["scenarios"]["local-btrfs"]["driver_status"]["Driver"] == "btrfs"
    assert len([s for s in samples_of(run_dir_of(result.stdout)) if s["kind"] == "build" and s["ok"]]) == len(names)


def test_adaptive_repetitions_measure_until_the_target_or_the_maximum(harness: Harness) -> None:
    tiny = "  - name: tiny\n    base: {files: 50}\n    steps: [RUN touch /x]\n"
    outcomes = {}
    for label, target in (("unreachable", 0.0001), ("generous", 0.9)):
        matrix = matrix_with(harness.root / label, ["local-overlay2-native"], tiny,
                             f"repetitions: {{min: 6, max: 8, target_ci: {target}}}\nwarmup: 0\n")
        result = harness.run("run", str(matrix))
        assert result.returncode == 0, result.stderr
        run_dir = run_dir_of(result.stdout)
        manifest = manifest_of(run_dir)
        reps = sorted(s["rep"] for s in samples_of(run_dir) if s["kind"] == "build")
        outcomes[label] = (reps, manifest["scenarios"]["local-overlay2-native"]["stop_reasons"]["tiny"],
                           len(manifest["plan"]))
    assert outcomes["unreachable"][0] == list(range(1, 9)) and outcomes["unreachable"][2] == 8
    assert outcomes["unreachable"][1].startswith("max reached: 8 reps")
    assert outcomes["generous"][0] == list(range(1, 7)) and outcomes["generous"][2] == 6
    assert outcomes["generous"][1].startswith("settled")


def test_only_and_reps_select_what_is_measured_and_resume_refuses_another_matrix(harness: Harness) -> None:
    matrix = matrix_with(harness.root, ["local-overlay2-native", "local-vfs"],
                         "  - name: tiny\n    base: {files: 20}\n    steps: [RUN touch /x]\n",
                         "repetitions: 5\nwarmup: 1\n")
    result = harness.run("run", str(matrix), "--only", "local-vfs", "--reps", "2")
    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    builds = [(s["scenario"], s["rep"], s["warmup"]) for s in samples_of(run_dir) if s["kind"] == "build"]
    assert sorted(builds) == [("local-vfs", 1, True), ("local-vfs", 2, False), ("local-vfs", 3, False)]
    assert manifest_of(run_dir)["scenarios"]["local-overlay2-native"]["status"] == "pending"

    lines_before = (run_dir / "samples.jsonl").read_text()
    again = harness.run("run", str(matrix), "--only", "local-vfs", "--resume", str(run_dir))
    assert again.returncode == 0 and "every planned build is in this run directory already" in again.stderr
    assert (run_dir / "samples.jsonl").read_text() == lines_before

    matrix.write_text(matrix.read_text().replace("warmup: 1", "warmup: 2"))
    refused = harness.run("run", str(matrix), "--resume", str(run_dir))
    assert refused.returncode == 2 and "not the matrix" in refused.stderr and "Traceback" not in refused.stderr
    unknown = harness.run("run", str(matrix), "--only", "local-zfs")
    assert unknown.returncode == 2 and "--only local-zfs: no such scenario" in unknown.stderr
