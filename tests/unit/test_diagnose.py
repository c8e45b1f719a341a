"""`diagnose()` on `docker info` answers shaped like the real ones (dockerd 20.10 on this machine, 18.09 on OL7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.doctor import Check, matrix_readiness
from harness.observe.diagnose import MODPROBE_LINE, diagnose, has_problems
from tests.conftest import REPO, write_tree


def info(driver: str = "overlay2", version: str = "20.10.24", **status: str) -> dict:
    defaults = {"overlay2": {"Backing Filesystem": "extfs", "Supports d_type": "true", "Native Overlay Diff": "true",
                             "userxattr": "false"}}.get(driver, {})
    return {"Driver": driver, "ServerVersion": version, "KernelVersion": "6.18.0",
            "DriverStatus": [[key, value] for key, value in {**defaults, **status}.items()]}


def ids(findings) -> set[str]:
    return {finding.id for finding in findings if finding.is_problem}


def test_a_native_overlay2_daemon_has_nothing_wrong() -> None:
    findings = diagnose(info(), {"redirect_dir": "N", "metacopy": "N"})
    assert not has_problems(findings)
    assert "overlay2" in findings[0].message and "extfs" in findings[0].message


def test_naive_overlay_diff_names_the_module_parameter_and_gives_the_modprobe_line_and_restart() -> None:
    log = ('time="2026-11-28T09:30:00Z" level=info msg="Not using native diff for overlay2, this may cause degraded '
           'performance for building images: kernel has CONFIG_OVERLAY_FS_REDIRECT_DIR enabled" storage-driver=overlay2')
    [finding] = [f for f in diagnose(info(**{"Native Overlay Diff": "false"}), {"redirect_dir": "Y", "metacopy": "N"},
                                     log) if f.is_problem]
    assert finding.id == "overlay-naive-diff" and finding.severity == "warning"
    assert "redirect_dir=Y" in finding.message and "6.18.0" in finding.message
    assert "CONFIG_OVERLAY_FS_REDIRECT_DIR enabled" in finding.message
    assert MODPROBE_LINE in finding.fix and "/etc/modprobe.d/" in finding.fix and "restart dockerd" in finding.fix


def test_naive_overlay_diff_without_module_parameters_still_says_what_to_do() -> None:
    [finding] = [f for f in diagnose(info(**{"Native Overlay Diff": "false"}), None) if f.is_problem]
    assert "not readable here" in finding.message and MODPROBE_LINE in finding.fix


def test_the_containerd_image_store_reports_no_native_diff_line_and_is_not_flagged() -> None:
    assert not has_problems(diagnose(info("overlayfs", "28.5.2", **{"driver-type": "io.containerd.snapshotter.v1"})))


def test_no_d_type_is_an_error_with_the_mkfs_fix() -> None:
    findings = diagnose(info(**{"Backing Filesystem": "xfs", "Supports d_type": "false"}))
    [finding] = [f for f in findings if f.id == "no-d-type"]
    assert finding.severity == "error" and "ftype=1" in finding.fix


@pytest.mark.parametrize(("status", "expected"), [
    ({"Pool Name": "docker-253:0-1-pool", "Data file": "/dev/loop0", "Data loop file": "/var/lib/docker/devicemapper/"
      "devicemapper/data"}, {"devicemapper-loop-lvm", "deprecated-driver"}),
    ({"Pool Name": "docker-thinpool", "Data file": "", "Metadata file": ""}, {"deprecated-driver"}),
])
def test_devicemapper_loop_lvm_is_told_from_direct_lvm(status: dict, expected: set) -> None:
    findings = diagnose(info("devicemapper", "18.09.1", **status))
    assert ids(findings) == expected
    if "devicemapper-loop-lvm" in expected:
        assert "dm.directlvm_device" in next(f.fix for f in findings if f.id == "devicemapper-loop-lvm")
    else:
        assert any(f.id == "devicemapper-direct-lvm" for f in findings)


def test_devicemapper_before_its_deprecation_is_not_flagged_as_deprecated() -> None:
    assert "deprecated-driver" not in ids(diagnose(info("devicemapper", "18.06.3-ce", **{"Pool Name": "p"})))


def test_vfs_on_a_build_host_is_a_warning() -> None:
    findings = diagnose(info("vfs"))
    assert ids(findings) == {"vfs-build-host"}


def test_btrfs_is_noted_as_a_naive_differ_but_not_as_wrong() -> None:
    findings = diagnose(info("btrfs", **{"Build Version": "Btrfs v6.2"}))
    assert not has_problems(findings) and any(f.id == "naive-differ" for f in findings)


def test_readiness_asks_device_mapper_only_of_devicemapper_scenarios(matrix_dir: Path, monkeypatch) -> None:
    write_tree(matrix_dir, {"scenarios/dm.yaml": "host: {type: local}\nstorage: {driver: devicemapper}\n",
                            "m.yaml": "scenarios: [native, dm]\nworkloads: [tiny]\n"})
    from harness import config, doctor

    checks = [Check(name, name != "device-mapper", "here") for name in
              ("root", "dockerd", "static busybox", "no leftovers", "device-mapper", "overlay module")]
    monkeypatch.setattr(doctor, "machine_checks", lambda: checks)
    native, dm = matrix_readiness(config.load_matrix(matrix_dir / "m.yaml"))
    assert native.ready and not dm.ready and not dm.blocks_run
    assert [check.name for check in dm.missing] == ["device-mapper"]


def test_doctor_matrix_on_this_machine_skips_rather_than_fails_for_device_mapper(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {"scenarios/dm.yaml": "host: {type: local}\nstorage: {driver: devicemapper}\n",
                            "m.yaml": "scenarios: [native, dm]\nworkloads: [tiny]\n"})
    state = {**os.environ, "HARNESS_STATE_DIR": str(matrix_dir / "state")}  # no other run's leftovers
    result = subprocess.run([sys.executable, "-m", "harness.cli", "doctor", str(matrix_dir / "m.yaml"),
                             "--format", "json"], capture_output=True, text=True, cwd=REPO, env=state)
    report = {entry["scenario"]: entry for entry in json.loads(result.stdout)["scenarios"]}
    if "device-mapper" in Path("/proc/devices").read_text():
        pytest.skip("this machine has device-mapper: nothing to skip")  # not on this project's machines (docs/facts.md)
    assert report["dm"]["skipped"] and report["dm"]["needs"][0]["id"] == "device-mapper"
    assert result.returncode == (0 if report["native"]["ready"] else 1), result.stderr


def test_doctor_refuses_a_matrix_together_with_a_host() -> None:
    result = subprocess.run([sys.executable, "-m", "harness.cli", "doctor", "m.yaml", "--host", "unix:///x.sock"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2 and "not both" in result.stderr
