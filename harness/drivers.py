"""One home per storage driver: what each graph driver and containerd snapshotter needs, expects and costs.

Config validation, the loop filesystems, the local backend's prerequisite checks, `harness doctor`, the diagnosis of
`docker info`, the time estimate and the ssh facts all read this table, so adding a driver is one entry here plus its
scenario YAML (and provisioning, for drivers a VM needs). Pure data and pure functions: nothing here probes the
machine or talks to a daemon. The Vagrantfile and provision/30-storage.sh keep their own short copies of the
provisioning facts (Ruby and shell cannot import this); tests/unit/test_drivers.py compares them with this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GRAPHDRIVER = "graphdriver"
CONTAINERD = "containerd"
#: Podman's and Buildah's store (github.com/containers/storage): the only one a `family: podman` engine has.
CONTAINERS_STORAGE = "containers-storage"
#: The image stores a scenario chooses between (`storage.image_store`).
IMAGE_STORES = (GRAPHDRIVER, CONTAINERD, CONTAINERS_STORAGE)
#: `docker info` → DriverStatus "driver-type" of the containerd image store (Docker 28; FACTS.md "Newer engines").
SNAPSHOTTER_TYPE = "io.containerd.snapshotter.v1"


@dataclass(frozen=True)
class Filesystem:
    """A backing filesystem the local backend makes in a sparse loop file (`host`: the work directory's own)."""

    name: str
    mkfs: tuple[str, ...] = ()
    package: str | None = None


#: In the order doctor lists their tools; xfs needs ftype=1 (d_type) or overlay2 refuses it.
FILESYSTEMS: dict[str, Filesystem] = {fs.name: fs for fs in (
    Filesystem("host"),
    Filesystem("xfs", ("mkfs.xfs", "-q", "-f", "-n", "ftype=1"), "xfsprogs"),
    Filesystem("ext4", ("mkfs.ext4", "-q", "-F"), "e2fsprogs"),
    Filesystem("btrfs", ("mkfs.btrfs", "-q", "-f"), "btrfs-progs"),
)}


@dataclass(frozen=True)
class Prerequisite:
    """Something on the machine a local daemon needs for this driver; `name` is its `harness doctor` check.

    kind: "tool" (a program on PATH), "path" (a file or device node), "kernel-device" (a line of /proc/devices),
    "kernel-filesystem" (a line of /proc/filesystems)."""

    name: str
    kind: str
    target: str
    needed_by: str
    remedy: str


@dataclass(frozen=True)
class InfoFacts:
    """What `docker info` shows for a daemon on this driver: its Driver name, and DriverStatus keys."""

    driver: str
    driver_type: str | None = None
    #: overlay2 reports "Native Overlay Diff"; the containerd store and other drivers do not.
    native_overlay_diff_reported: bool = False


@dataclass(frozen=True)
class Driver:
    name: str
    #: GRAPHDRIVER (dockerd's graph driver) or CONTAINERD (a containerd snapshotter behind the containerd store).
    store: str
    summary: str
    info: InfoFacts
    #: "native": commits diff the layer's own changes; "naive": they walk the whole parent tree (fsdiff.go).
    differ: str = "naive"
    #: A filesystem of its own under the data-root (btrfs, zfs) instead of any in FILESYSTEMS.
    own_filesystem: str | None = None
    #: Overlay module parameters that switch its differ (overlay2 diffs naively with redirect_dir/metacopy on).
    knobs: tuple[str, ...] = ()
    #: Needs d_type from its backing filesystem (xfs made with ftype=1): provision/30-storage.sh checks it.
    needs_d_type: bool = False
    #: Stores layers in an LVM thin pool: `direct_lvm` provisioning, and `lvs` in the ssh facts.
    thin_pool: bool = False
    prerequisites: tuple[Prerequisite, ...] = ()
    #: Why a local scenario on this driver is skipped when a prerequisite is missing, with the fix.
    missing: str = ""
    #: (deprecated in, removed in) engine versions (docs.docker.com/engine/deprecated); None: current.
    retired: tuple[tuple[int, int], tuple[int, int]] | None = None
    #: Wall seconds per planned build of the `seed` workload on the project's 2-core machine (measure/estimate.py):
    #: `harness run matrix-drivers.yaml --reps 1` and a 10-rep run of the two overlay2 scenarios on 2026-11-28,
    #: other work running. Only a first guess; None: no figure yet. `rough_naive_build_s`: with redirect_dir on.
    rough_build_s: float | None = None
    rough_naive_build_s: float | None = None


_FUSE = (Prerequisite("fuse-overlayfs", "tool", "fuse-overlayfs", "", "apt-get install fuse-overlayfs"),
         Prerequisite("/dev/fuse", "path", "/dev/fuse", "needed by fuse-overlayfs", "modprobe fuse"))
_FUSE_MISSING = ("fuse-overlayfs needs the fuse-overlayfs binary and /dev/fuse: `apt-get install fuse-overlayfs` and "
                 "`modprobe fuse`")
_DM = (Prerequisite("device-mapper", "kernel-device", "device-mapper", "needed by devicemapper scenarios",
                    "modprobe dm_mod, or run devicemapper scenarios on a VM"),)

_EROFS = (Prerequisite("erofs", "kernel-filesystem", "erofs", "needed by the erofs snapshotter", "modprobe erofs"),
          Prerequisite("mkfs.erofs", "tool", "mkfs.erofs", "", "apt-get install erofs-utils"))


def _snapshotter(name: str, summary: str, **fields: Any) -> Driver:
    return Driver(name, CONTAINERD, summary, InfoFacts(name, SNAPSHOTTER_TYPE), **fields)


GRAPH_DRIVERS: dict[str, Driver] = {d.name: d for d in (
    Driver("overlay2", GRAPHDRIVER, "overlayfs layers; native diff unless redirect_dir/metacopy are on",
           InfoFacts("overlay2", native_overlay_diff_reported=True), differ="native",
           knobs=("redirect_dir", "metacopy"), needs_d_type=True, rough_build_s=3.0, rough_naive_build_s=6.0),
    Driver("overlay", GRAPHDRIVER, "the legacy overlay driver", InfoFacts("overlay"), differ="native",
           retired=((18, 9), (24, 0))),
    Driver("aufs", GRAPHDRIVER, "aufs layers", InfoFacts("aufs"), differ="native", retired=((20, 10), (24, 0))),
    Driver("btrfs", GRAPHDRIVER, "btrfs subvolumes and snapshots", InfoFacts("btrfs"), own_filesystem="btrfs",
           rough_build_s=10.0),
    Driver("zfs", GRAPHDRIVER, "zfs datasets and clones", InfoFacts("zfs"), own_filesystem="zfs"),
    Driver("vfs", GRAPHDRIVER, "a full copy of the parent per layer (testing only)", InfoFacts("vfs"),
           rough_build_s=37.0),
    Driver("fuse-overlayfs", GRAPHDRIVER, "overlay in user space through FUSE", InfoFacts("fuse-overlayfs"),
           prerequisites=_FUSE, missing=_FUSE_MISSING, rough_build_s=22.0),
    Driver("devicemapper", GRAPHDRIVER, "thin-provisioned block devices", InfoFacts("devicemapper"),
           thin_pool=True, prerequisites=_DM, retired=((18, 9), (25, 0)),
           missing="this kernel has no device-mapper (no `device-mapper` in /proc/devices; CONFIG_BLK_DEV_DM unset or "
                   "dm_mod not loaded): run devicemapper scenarios on a VM"),
)}

#: The same figures as the graph drivers of the same name: the estimate never told the image stores apart.
SNAPSHOTTERS: dict[str, Driver] = {d.name: d for d in (
    _snapshotter("overlayfs", "containerd's overlayfs snapshotter (Docker 29's default)"),
    _snapshotter("native", "containerd's native snapshotter: a full copy per snapshot"),
    _snapshotter("btrfs", "containerd's btrfs snapshotter", own_filesystem="btrfs", rough_build_s=10.0),
    _snapshotter("fuse-overlayfs", "containerd's fuse-overlayfs snapshotter", prerequisites=_FUSE,
                 missing=_FUSE_MISSING, rough_build_s=22.0),
    _snapshotter("erofs", "containerd 2.1's erofs snapshotter: committed layers as EROFS images, an overlay on top",
                 prerequisites=_EROFS, missing="the erofs snapshotter needs the kernel's erofs filesystem and "
                 "mkfs.erofs (containerd converts each committed layer with it): `modprobe erofs` and "
                 "`apt-get install erofs-utils`"),
)}

#: containers/storage's drivers, as Podman and Buildah name them. Its overlay driver makes dockerd's choice: the
#: naive differ when the overlay module has redirect_dir or metacopy on ("Not using native diff for overlay").
#: fuse-overlayfs is `overlay` with the option `overlay.mount_program: /usr/bin/fuse-overlayfs`.
#: Rough figures from `harness run matrix-podman.yaml` on 2026-12-04 (seed whole builds 1.1 s native, 4.0 s naive,
#: 10.9 s vfs, plus the time between builds); fuse-overlayfs (23 s) has no entry of its own, so estimates miss it.
CONTAINERS_DRIVERS: dict[str, Driver] = {d.name: d for d in (
    Driver("overlay", CONTAINERS_STORAGE, "containers/storage's overlay; native diff unless redirect_dir/metacopy "
           "are on (or a mount_program such as fuse-overlayfs is set)",
           InfoFacts("overlay", native_overlay_diff_reported=True), differ="native",
           knobs=("redirect_dir", "metacopy"), needs_d_type=True, rough_build_s=1.5, rough_naive_build_s=4.5),
    Driver("vfs", CONTAINERS_STORAGE, "containers/storage's vfs: a full copy of the parent per layer",
           InfoFacts("vfs"), rough_build_s=12.0),
    Driver("btrfs", CONTAINERS_STORAGE, "containers/storage's btrfs subvolumes", InfoFacts("btrfs"),
           own_filesystem="btrfs", rough_build_s=10.0),
)}

_STORES = {GRAPHDRIVER: GRAPH_DRIVERS, CONTAINERD: SNAPSHOTTERS, CONTAINERS_STORAGE: CONTAINERS_DRIVERS}


def lookup(name: str, store: str = GRAPHDRIVER) -> Driver | None:
    """The registry entry of `name` in `store`; None for a graph driver the registry does not know (a scenario may
    still name one: dockerd decides whether it exists)."""
    return _STORES[store].get(name)


def all_drivers() -> tuple[Driver, ...]:
    return (*GRAPH_DRIVERS.values(), *SNAPSHOTTERS.values(), *CONTAINERS_DRIVERS.values())


def prerequisites() -> tuple[Prerequisite, ...]:
    """Every driver's machine prerequisites, each once, in registry order (`harness doctor` checks them all)."""
    seen: dict[str, Prerequisite] = {}
    for driver in all_drivers():
        for prerequisite in driver.prerequisites:
            seen.setdefault(prerequisite.name, prerequisite)
    return tuple(seen.values())


def info_mismatches(driver: Driver, info: dict[str, Any]) -> list[str]:
    """How a daemon's `docker info` differs from what the registry expects of `driver` (empty: as expected)."""
    status = {str(k): str(v) for k, v in info.get("DriverStatus") or []}
    problems = []
    if info.get("Driver") != driver.info.driver:
        problems.append(f"Driver is {info.get('Driver')!r}, expected {driver.info.driver!r}")
    if status.get("driver-type") != driver.info.driver_type:
        problems.append(f"driver-type is {status.get('driver-type')!r}, expected {driver.info.driver_type!r}")
    if ("Native Overlay Diff" in status) != driver.info.native_overlay_diff_reported:
        problems.append("Native Overlay Diff is " + ("missing" if driver.info.native_overlay_diff_reported else
                                                     f"reported ({status['Native Overlay Diff']})"))
    return problems
