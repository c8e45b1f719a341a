"""`harness doctor` asks a real daemon how it builds: the naive-diff daemon gets the fix, the native one passes."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from tests.integration.conftest import Harness

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("scenario", "code", "line"), [
    ("local-overlay2-naive", 1, "FIX  native overlay diff: false"),
    ("local-overlay2-native", 0, "ok   native overlay diff: true"),
])
def test_doctor_reports_whether_a_scenarios_daemon_diffs_natively(harness: Harness, scenario: str, code: int,
                                                                   line: str) -> None:
    result = harness.run("doctor", "--scenario", str(REPO / "scenarios" / f"{scenario}.yaml"),
                         "--work-dir", str(harness.work))
    assert result.returncode == code, result.stdout + result.stderr
    assert line in result.stdout
    if code:
        assert "redirect_dir=off" in result.stdout, "the fix must be printed with the finding"


def test_doctor_refuses_a_tcp_daemon_address(harness: Harness) -> None:
    result = harness.run("doctor", "--host", "tcp://127.0.0.1:2375")
    assert result.returncode == 2 and "only unix sockets" in result.stderr
