"""`harness doctor` diagnoses real private daemons: naive-diff overlay2 gets the fix, native passes, vfs warns."""

from __future__ import annotations

import json

import pytest

from harness.observe.diagnose import MODPROBE_LINE
from tests.conftest import REPO
from tests.integration.conftest import Harness

pytestmark = pytest.mark.integration

SEVERITIES = {"error", "warning", "info"}


def doctor_json(harness: Harness, scenario: str) -> tuple[int, dict]:
    result = harness.run("doctor", "--scenario", str(REPO / "scenarios" / f"{scenario}.yaml"),
                         "--work-dir", str(harness.work), "--format", "json")
    report = json.loads(result.stdout)
    assert set(report) == {"host", "findings"} and report["host"] == scenario, report
    for finding in report["findings"]:  # the contract: {"id", "severity", "message", "fix"}
        assert set(finding) == {"id", "severity", "message", "fix"}, finding
        assert finding["severity"] in SEVERITIES and finding["id"] and finding["message"], finding
        assert finding["fix"] is None or isinstance(finding["fix"], str)
    return result.returncode, {finding["id"]: finding for finding in report["findings"]}


def test_doctor_reports_the_naive_differ_with_its_cause_and_fix(harness: Harness) -> None:
    code, findings = doctor_json(harness, "local-overlay2-naive")
    assert code == 1
    naive = findings["overlay-naive-diff"]
    assert naive["severity"] == "warning" and "redirect_dir=Y" in naive["message"]
    assert "Not using native diff for overlay2" in naive["message"], "the daemon's own log line is quoted"
    assert MODPROBE_LINE in naive["fix"] and "restart dockerd" in naive["fix"]


def test_doctor_finds_nothing_wrong_with_a_native_overlay2_daemon(harness: Harness) -> None:
    code, findings = doctor_json(harness, "local-overlay2-native")
    assert code == 0 and "overlay-naive-diff" not in findings
    assert "overlay2" in findings["storage"]["message"]


def test_doctor_warns_about_vfs_on_a_build_host(harness: Harness) -> None:
    code, findings = doctor_json(harness, "local-vfs")
    assert code == 1 and findings["vfs-build-host"]["severity"] == "warning"


def test_doctor_prints_a_table_with_the_fix(harness: Harness) -> None:
    result = harness.run("doctor", "--scenario", str(REPO / "scenarios" / "local-overlay2-naive.yaml"),
                         "--work-dir", str(harness.work))
    assert result.returncode == 1, result.stderr
    assert "WARNING  overlay-naive-diff: Native Overlay Diff: false" in result.stdout
    assert f"→ echo '{MODPROBE_LINE}'" in result.stdout


def test_doctor_refuses_a_tcp_daemon_address(harness: Harness) -> None:
    result = harness.run("doctor", "--host", "tcp://127.0.0.1:2375")
    assert result.returncode == 2 and "only unix sockets" in result.stderr
