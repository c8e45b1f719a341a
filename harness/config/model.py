"""The YAML model as frozen dataclasses: what a matrix, a scenario (docker host) and a workload (build) are.

The loaders (matrix.py, scenario.py, workload.py) build these after checking every value; the rest of the
harness reads only these types. The Vagrantfile reads the same scenario files and checks the same keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class LocalHost:
    """A private dockerd started by the harness on this machine."""

    type: str = "local"


@dataclass(frozen=True)
class SshHost:
    """An existing machine whose daemon socket is reached through `ssh -N -L`."""

    address: str
    user: str
    port: int = 22
    identity_file: str | None = None
    #: A known_hosts file to check the host key against strictly (else the user's, learning new keys once).
    known_hosts: str | None = None
    docker_socket: str = "/var/run/docker.sock"
    provision: bool = False
    #: The block device provisioning turns into the direct-lvm thin pool (devicemapper).
    lvm_device: str | None = None
    type: str = "ssh"


@dataclass(frozen=True)
class VagrantHost:
    """A VM made by the Vagrantfile from this scenario; reached over SSH like `SshHost`."""

    box: str
    box_url: str | None = None
    box_version: str | None = None
    cpus: int = 2
    memory_mb: int = 2048
    extra_disk_gb: int = 0
    docker_socket: str = "/var/run/docker.sock"
    type: str = "vagrant"

Host = LocalHost | SshHost | VagrantHost


@dataclass(frozen=True)
class Engine:
    """Which dockerd: a binary on this machine (local) or a package version to install (provisioned hosts).

    A local scenario can pin an engine instead: `source: debian` fetches `version` from the Debian suite that
    carries it, `source: static` an official tarball (`url`, `sha256`); see harness/engines/. With `source: system`
    a `version` is checked against what the daemon reports.
    """

    dockerd: str = "dockerd"
    package: str | None = None
    version: str | None = None
    source: str = "system"
    url: str | None = None
    sha256: str | None = None
    #: "docker" (dockerd) or "podman": `podman system service` on a private containers/storage, built with Buildah.
    family: str = "docker"


@dataclass(frozen=True)
class Storage:
    """`driver` is a graph driver, or with `image_store: containerd` the containerd snapshotter (overlayfs, …)."""

    driver: str
    options: tuple[tuple[str, str], ...] = ()
    filesystem: str = "host"
    size_gb: int = 8
    direct_lvm: bool = False
    image_store: str = "graphdriver"

    def storage_opts(self) -> list[str]:
        return [f"{key}={value}" for key, value in self.options]


@dataclass(frozen=True)
class OverlayKnobs:
    """Overlay module parameters (`/sys/module/overlay/parameters/*`); None leaves the machine's value alone."""

    redirect_dir: bool | None = None
    metacopy: bool | None = None

    def as_dict(self) -> dict[str, bool]:
        return {k: v for k, v in (("redirect_dir", self.redirect_dir), ("metacopy", self.metacopy)) if v is not None}


@dataclass(frozen=True)
class Expect:
    """What `docker info` must report once the daemon runs; None means not checked."""

    driver: str | None = None
    native_overlay_diff: bool | None = None
    backing_filesystem: str | None = None
    #: The containerd image store reports `driver-type: io.containerd.snapshotter.v1`.
    driver_type: str | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    file: Path
    description: str
    host: Host
    engine: Engine
    storage: Storage
    overlay: OverlayKnobs
    expect: Expect
    #: A kernel package provisioning installs (and boots) first, e.g. UEK R5 for redirect_dir on Oracle Linux 7.
    kernel_package: str | None = None


@dataclass(frozen=True)
class BaseTree:
    """The generated base image: static busybox plus `files` files of `file_size` bytes in `directories` dirs."""

    files: int = 20000
    file_size: int = 512
    directories: int = 100
    content_seed: int = 0


@dataclass(frozen=True)
class Payload:
    """What COPY and ADD bring in: `payload/` with `files` files, and `payload.tar` holding the same."""

    files: int = 16
    file_size: int = 1024


@dataclass(frozen=True)
class UserBuild:
    """The user's own build measured as it is: their Dockerfile and context directory (tarred once per run)."""

    dockerfile: Path
    context: Path
    #: Copy the context tar itself into results/ (mode 0600); by default only its digest and file list go there.
    publish_context: bool = False

#: Workload kinds: `build` times a Dockerfile's steps; `commit` times one container commit alone (the driver's diff).
WORKLOAD_KINDS = ("build", "commit")


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    base: BaseTree
    payload: Payload
    steps: tuple[str, ...]
    kind: str = "build"
    #: kind `commit`: the shell command run in the container after the payload is put into it (None: payload only).
    command: str | None = None
    #: The swept parameters of this cell, (name, value) in the matrix's order; () when the workload is not swept.
    params: tuple[tuple[str, int], ...] = ()
    #: The workload a sweep expanded this cell from; its cells are named `family@name=value,name=value`.
    family: str | None = None
    #: Set when the workload is the user's own Dockerfile and context instead of generated steps and payload.
    user_build: UserBuild | None = None

    @property
    def tag_name(self) -> str:
        """A name Docker accepts in an image reference (a sweep cell's own name has `@`, `=` and `,`)."""
        return self.family or self.name

    def fingerprint(self) -> str:
        """Identifies the generated inputs, so an unchanged workload reuses its files."""
        extra = (self.kind, self.command, self.user_build)
        text = repr((self.base, self.payload, self.steps)) + ("" if extra == ("build", None, None) else repr(extra))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Repetitions:
    """Measured reps per (scenario, workload): fixed when min == max, else adaptive until `target_ci` is met."""

    min: int
    max: int
    target_ci: float | None = None


@dataclass(frozen=True)
class Matrix:
    file: Path
    description: str
    scenarios: tuple[Scenario, ...]
    workloads: tuple[Workload, ...]
    baseline: str
    repetitions: Repetitions
    warmup: int
    seed: int  # the matrix's `order_seed`: plans the random build order
    files: tuple[Path, ...] = field(default=())  # every file read, for the run directory's copy
    #: Daemon sessions per scenario; the measured reps are split over them (plan.py).
    rounds: int = 1
    #: The baseline scenario measured a second time as `<baseline>-aa` (an A/A control), or None.
    control: str | None = None
    #: The builders every (scenario, workload) is built with; each is a separate cell of the analysis.
    builders: tuple[str, ...] = ("classic",)
    #: Sample the daemons' goroutines during every build (`profile: true` / `harness run --profile`).
    profile: bool = False
    #: The declared smallest effect of interest δ (`min_effect: 5%`), as a fraction: verdicts judge intervals
    #: against ±δ (slower/faster beyond it, equivalent within it).
    min_effect: float = 0.05
    #: Stop adding rounds once every compared headline is decided (harness.analysis.stopping), judging at α/looks.
    stop_when_decided: bool = False

    def scenario(self, name: str) -> Scenario:
        return next(s for s in self.scenarios if s.name == name)
