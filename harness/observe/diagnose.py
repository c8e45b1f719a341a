"""What is wrong with a running daemon's storage for image builds, each finding with its fix — a pure function.

`diagnose()` reads only what it is given: `docker info`, the overlay module's parameters where the daemon runs (when
known) and the daemon's log (when at hand). So `harness doctor` can ask any daemon, and the runner can record the same
findings in the manifest when a scenario starts, without starting anything of its own.

Severities: "error" (builds may be wrong, not just slow), "warning" (builds are slow for a known, fixable reason),
"info" (what the daemon runs on). Anything but "info" means something is wrong.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from harness.drivers import GRAPH_DRIVERS

MODPROBE_LINE = "options overlay redirect_dir=off metacopy=off"
#: dockerd logs "… for overlay2, …"; containers/storage (podman, buildah) "… for overlay, …".
NAIVE_LOG = re.compile(r"Not using native diff for overlay2?\b[^\"\n]*")
#: Who decides native or naive diff, and when, by the overlay driver's name: dockerd's overlay2 probes once at start;
#: containers/storage's overlay (podman, buildah) whenever a command or the API service opens the store.
RESTART = {"overlay2": "restart dockerd (it probes native diff once, at start)",
           "overlay": "restart `podman system service` (containers/storage probes native diff when it opens the "
                      "store; each new podman or buildah command does)"}


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str  # "error" | "warning" | "info"
    message: str
    fix: str | None = None

    @property
    def is_problem(self) -> bool:
        return self.severity != "info"

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


def diagnose(info: dict[str, Any], overlay: dict[str, str] | None = None,
             daemon_log: str | None = None) -> list[Finding]:
    """Findings for one daemon: `info` is GET /info, `overlay` /sys/module/overlay/parameters where it runs."""
    status = {str(k): str(v) for k, v in info.get("DriverStatus") or []}
    driver = str(info.get("Driver", ""))
    findings = [_storage(driver, status, info)]
    checks = (_naive_overlay(driver, status, info, overlay, daemon_log), _d_type(status), _loop_lvm(driver, status),
              _retired(driver, str(info.get("ServerVersion", ""))), _naive_driver(driver))
    return findings + [finding for finding in checks if finding is not None]


def has_problems(findings: list[Finding]) -> bool:
    return any(finding.is_problem for finding in findings)


def _storage(driver: str, status: dict[str, str], info: dict[str, Any]) -> Finding:
    backing = status.get("Backing Filesystem", "not reported")
    return Finding("storage", "info", f"engine {info.get('ServerVersion')} on kernel {info.get('KernelVersion')}: "
                   f"storage driver {driver}, backing filesystem {backing}")


def _naive_overlay(driver: str, status: dict[str, str], info: dict[str, Any], overlay: dict[str, str] | None,
                   log: str | None) -> Finding | None:
    if driver not in RESTART or status.get("Native Overlay Diff") != "false":
        return None
    reasons = [f"{name}={overlay[name]}" for name in ("redirect_dir", "metacopy")
               if overlay and overlay.get(name, "N").upper() in ("Y", "ON", "1")]
    why = (f"the overlay module has {' and '.join(reasons)} on kernel {info.get('KernelVersion')}" if reasons else
           f"kernel {info.get('KernelVersion')} turns redirect_dir on for overlay mounts (module parameters "
           f"{'not readable here' if overlay is None else 'show it off now: the daemon started before that'})"
           + ("; or containers/storage mounts its layers through a mount_program such as fuse-overlayfs, which "
              "always diffs naively" if driver == "overlay" else ""))
    said = NAIVE_LOG.search(log or "")
    return Finding(
        "overlay-naive-diff", "warning",
        f"Native Overlay Diff: false — every layer commit walks the whole parent tree (naive differ), so builds slow "
        f"down with the number of files in the base; {why}" + (f"; the daemon logged: {said.group(0).strip()}" if said
                                                               else ""),
        f"echo '{MODPROBE_LINE}' > /etc/modprobe.d/overlay.conf; then reload the module (modprobe -r overlay && "
        f"modprobe overlay, with no overlay mounts left) or reboot — or for now: echo N > "
        f"/sys/module/overlay/parameters/metacopy; echo N > /sys/module/overlay/parameters/redirect_dir; then "
        f"{RESTART[driver]}")


def _d_type(status: dict[str, str]) -> Finding | None:
    if status.get("Supports d_type") != "false":
        return None
    return Finding("no-d-type", "error",
                   f"the backing filesystem ({status.get('Backing Filesystem', 'unknown')}) has no d_type support: "
                   f"overlay whiteouts and deletions misbehave, and newer engines refuse to start",
                   "put the data-root on ext4, or on xfs made with `mkfs.xfs -n ftype=1`, then restart dockerd")


def _loop_lvm(driver: str, status: dict[str, str]) -> Finding | None:
    if driver != "devicemapper":
        return None
    data = status.get("Data loop file") or ""
    if not data and not status.get("Data file", "").startswith("/dev/loop"):
        return Finding("devicemapper-direct-lvm", "info",
                       f"devicemapper on a thin pool ({status.get('Pool Name', 'unnamed')}): direct-lvm")
    return Finding("devicemapper-loop-lvm", "warning",
                   f"devicemapper in loop-lvm mode (data in {data or status.get('Data file')} on a loop device): "
                   f"slow and not for production use",
                   "give dockerd a block device: --storage-opt dm.directlvm_device=/dev/sdX (it builds the thin pool "
                   "itself), or dm.thinpooldev=/dev/mapper/docker-thinpool for a pool made by hand; restart dockerd")


def _retired(driver: str, version: str) -> Finding | None:
    """Deprecated and removed engine versions come from the graph driver's registry entry."""
    registered = GRAPH_DRIVERS.get(driver)
    if registered is None or registered.retired is None:
        return None
    deprecated, removed = registered.retired
    engine = tuple(int(part) for part in re.findall(r"\d+", version)[:2]) or (0, 0)
    if engine < deprecated:
        return None
    return Finding("deprecated-driver", "warning",
                   f"the {driver} storage driver is deprecated since engine {'.'.join(map(str, deprecated))} and "
                   f"removed in {'.'.join(map(str, removed))} (this engine: {version})",
                   "move to overlay2 (with Native Overlay Diff: true) before upgrading the engine")


def _naive_driver(driver: str) -> Finding | None:
    if driver == "vfs":
        return Finding("vfs-build-host", "warning",
                       "vfs copies the whole parent tree for every layer and diffs naively: far too slow for a build "
                       "host (meant for testing only)",
                       "use overlay2 (ext4, or xfs with ftype=1) with Native Overlay Diff: true")
    registered = GRAPH_DRIVERS.get(driver)  # by name: `docker info` names the snapshotter the same way
    if registered is not None and registered.differ == "naive":
        return Finding("naive-differ", "info", f"{driver} always commits layers with the naive differ: commits "
                       f"walk the whole parent tree; overlay2 with native diff is faster for build hosts")
    return None
