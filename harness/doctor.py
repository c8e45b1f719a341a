"""What this machine can run, and what a given daemon really does — each problem with the command that fixes it."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.knobs import read_overlay_parameters
from harness.leftovers import abandoned_ledgers
from harness.workloads import BUSYBOX


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    remedy: str | None = None


def machine_checks() -> list[Check]:
    dockerd = shutil.which("dockerd")
    overlay = read_overlay_parameters()
    return [
        Check("root", os.geteuid() == 0, f"uid {os.geteuid()}", "run as root: local scenarios start private daemons"),
        Check("dockerd", dockerd is not None, _version([dockerd, "--version"]) if dockerd else "not found",
              "apt-get install docker.io"),
        Check("static busybox", BUSYBOX.is_file(), str(BUSYBOX), "apt-get install busybox-static"),
        *[_tool(tool, package) for tool, package in (("mkfs.xfs", "xfsprogs"), ("mkfs.btrfs", "btrfs-progs"),
                                                     ("mkfs.ext4", "e2fsprogs"),
                                                     ("fuse-overlayfs", "fuse-overlayfs"))],
        Check("/dev/fuse", Path("/dev/fuse").exists(), "needed by fuse-overlayfs", "modprobe fuse"),
        Check("device-mapper", "device-mapper" in Path("/proc/devices").read_text(),
              "needed by devicemapper scenarios", "modprobe dm_mod, or run devicemapper scenarios on a VM"),
        Check("overlay module", bool(overlay),
              ", ".join(f"{k}={overlay[k]}" for k in ("redirect_dir", "metacopy") if k in overlay) or "not loaded",
              "modprobe overlay"),
        _tool("vagrant", "vagrant"), _tool("ssh", "openssh-client"),
        Check("no leftovers", not abandoned_ledgers(), "ledgers of killed runs under the state directory",
              "harness cleanup"),
    ]


def daemon_report(api: Any) -> list[Check]:
    """How a running daemon will build: its driver and whether it diffs natively (the seed's question)."""
    from harness.facts import driver_status  # noqa: PLC0415

    info = api.info()
    status = driver_status(info)
    checks = [Check("engine", True, f"{info.get('ServerVersion')} on {info.get('KernelVersion')}"),
              Check("storage driver", True, ", ".join(f"{k}: {v}" for k, v in status.items()))]
    driver = status["Driver"]
    if driver == "overlay2":
        native = status.get("Native Overlay Diff") == "true"
        checks.append(Check("native overlay diff", native, status.get("Native Overlay Diff", "not reported"),
                            "turn redirect_dir (and metacopy) off: echo 'options overlay redirect_dir=off "
                            "metacopy=off' > /etc/modprobe.d/overlay.conf, reload the module or reboot, restart dockerd"))
    elif driver in ("devicemapper", "btrfs", "zfs", "vfs", "fuse-overlayfs"):
        checks.append(Check("native diff", False, f"{driver} always commits layers with the naive differ",
                            "for build hosts prefer overlay2 with Native Overlay Diff: true"))
    return checks


def _tool(tool: str, package: str) -> Check:
    found = shutil.which(tool)
    return Check(tool, found is not None, found or "not found", f"apt-get install {package}")


def _version(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run: {exc}"
