"""Whether this machine has what a storage driver's registry entry asks for (harness/drivers.py `Prerequisite`).

Shared by the local backend (which skips a scenario that lacks one) and `harness doctor` (which lists them all).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.drivers import Driver, Prerequisite

#: The kernel tables a "kernel-…" prerequisite is a line of.
KERNEL_TABLES = {"kernel-device": Path("/proc/devices"), "kernel-filesystem": Path("/proc/filesystems")}


def is_met(prerequisite: Prerequisite) -> bool:
    if prerequisite.kind == "tool":
        return shutil.which(prerequisite.target) is not None
    if prerequisite.kind == "path":
        return Path(prerequisite.target).exists()
    table = KERNEL_TABLES[prerequisite.kind]
    return prerequisite.target in (line.split()[-1] for line in table.read_text().splitlines() if line.strip())


def unmet(driver: Driver | None) -> list[Prerequisite]:
    """What `driver` needs that this machine lacks (nothing for a driver the registry does not know)."""
    return [p for p in (driver.prerequisites if driver else ()) if not is_met(p)]
