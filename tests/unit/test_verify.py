from harness.config import Expect
from harness.measure.verify import expectation_mismatches


def test_a_mismatch_names_the_expected_and_the_reported_value() -> None:
    status = {"Driver": "overlay2", "Native Overlay Diff": "false", "Backing Filesystem": "extfs"}
    assert expectation_mismatches(Expect(driver="overlay2", native_overlay_diff=False), status) == []
    [message] = expectation_mismatches(Expect(native_overlay_diff=True), status)
    assert "'true'" in message and "Native Overlay Diff: 'false'" in message


def test_a_value_the_daemon_does_not_report_is_a_mismatch() -> None:
    [message] = expectation_mismatches(Expect(backing_filesystem="xfs"), {"Driver": "vfs"})
    assert "not reported" in message
