"""Check a running daemon against the scenario's `expect`: how a user learns their "native diff" host is not."""

from __future__ import annotations

from harness.config import Expect

#: `expect` field → the `docker info` DriverStatus key it is compared with.
FIELDS = {"driver": "Driver", "native_overlay_diff": "Native Overlay Diff", "backing_filesystem": "Backing Filesystem",
          "driver_type": "driver-type"}


def expectation_mismatches(expect: Expect, status: dict[str, str]) -> list[str]:
    """One sentence per expectation that does not hold, naming both values."""
    mismatches = []
    for field, key in FIELDS.items():
        wanted = getattr(expect, field)
        if wanted is None:
            continue
        wanted_text = str(wanted).lower() if isinstance(wanted, bool) else str(wanted)
        actual = status.get(key)
        if actual is None or actual.lower() != wanted_text.lower():
            mismatches.append(f"expect.{field} is {wanted_text!r} but docker info reports {key}: "
                              f"{actual if actual is not None else '(not reported)'!r}")
    return mismatches
