"""Backing filesystems for local daemons: a sparse file formatted as asked and loop-mounted in the work directory.

This lets one machine compare overlay2 on ext4 and on xfs, or run btrfs, without spare disks. `mount -o loop`
sets the loop device to auto-clear, so unmounting also frees the device.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from harness.drivers import FILESYSTEMS
from harness.errors import EnvironmentNotAble
from harness.machine.ledger import Ledger


def mount_loop_filesystem(filesystem: str, size_gb: int, image: Path, mountpoint: Path, ledger: Ledger) -> None:
    """Create `image` (sparse), format it with `filesystem` (its mkfs command from the driver registry) and mount
    it on `mountpoint`."""
    made = FILESYSTEMS[filesystem]
    tool = made.mkfs[0]
    if shutil.which(tool) is None:
        raise EnvironmentNotAble(f"{tool} is missing: install it with `apt-get install {made.package}`")
    with image.open("wb") as handle:
        handle.truncate(size_gb * 1024**3)
    _run([*made.mkfs, str(image)], f"formatting {image} as {filesystem}")
    mountpoint.mkdir(parents=True, exist_ok=True)
    ledger.record(kind="loop", image=str(image), mountpoint=str(mountpoint))
    _run(["mount", "-o", "loop", str(image), str(mountpoint)], f"loop-mounting {image}")


def unmount_loop_filesystem(image: Path, mountpoint: Path, ledger: Ledger) -> list[str]:
    """Unmount everything at or under `mountpoint`, detach `image`'s loop devices; return what went wrong."""
    problems = unmount_under(mountpoint)
    problems += detach_loop_devices(image)
    if not problems:
        image.unlink(missing_ok=True)
        ledger.forget(kind="loop", image=str(image))
    return problems


def unmount_under(directory: Path) -> list[str]:
    """Unmount every mount at or below `directory`, deepest first (daemons leave overlay and shm mounts)."""
    problems = []
    for target in sorted(mounts_under(directory), key=len, reverse=True):
        result = subprocess.run(["umount", target], capture_output=True, text=True)
        if result.returncode != 0:
            lazy = subprocess.run(["umount", "-l", target], capture_output=True, text=True)
            if lazy.returncode != 0:
                problems.append(f"umount {target}: {result.stderr.strip()}")
    return problems


def mounts_under(directory: Path) -> list[str]:
    prefix = str(directory.resolve()) if directory.exists() else str(directory)
    targets = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        target = line.split()[1].replace("\\040", " ")
        if target == prefix or target.startswith(prefix.rstrip("/") + "/"):
            targets.append(target)
    return targets


def detach_loop_devices(image: Path) -> list[str]:
    if not image.exists():
        return []
    listing = subprocess.run(["losetup", "-j", str(image)], capture_output=True, text=True).stdout
    problems = []
    for device in (line.split(":", 1)[0] for line in listing.splitlines() if line.strip()):
        result = subprocess.run(["losetup", "-d", device], capture_output=True, text=True)
        if result.returncode != 0:
            problems.append(f"losetup -d {device}: {result.stderr.strip()}")
    return problems


def _run(command: list[str], doing: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise EnvironmentNotAble(f"{doing} failed: {' '.join(command)}: {detail[0]}")
