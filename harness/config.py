"""The YAML model: a matrix names scenarios (docker hosts) and workloads (builds); this turns files into dataclasses.

Everything is checked before anything starts, so a typo costs a second, not a half-finished run. Scenarios live in
`scenarios/NAME.yaml` and workloads in `workloads/NAME.yaml` beside the matrix; the Vagrantfile reads the same
scenario files, so the schema below is the only description of a docker host.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.yamlfile import Section, YamlDocument, at_least, load_yaml, one_of

FILESYSTEMS = ("host", "xfs", "ext4", "btrfs")
ENGINE_SOURCES = ("system", "debian", "static")
IMAGE_STORES = ("graphdriver", "containerd")
SNAPSHOTTERS = ("overlayfs", "native", "btrfs", "fuse-overlayfs")
#: The first engine with the containerd image store (`features: {containerd-snapshotter: true}`).
CONTAINERD_STORE_SINCE = (24, 0)
VERSION_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
HOST_TYPES = ("local", "ssh", "vagrant")
INSTRUCTIONS = ("RUN", "COPY", "ADD", "ENV", "WORKDIR", "LABEL", "USER", "CMD", "ENTRYPOINT", "EXPOSE", "VOLUME",
                "ARG", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


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
    seed: int = 0


@dataclass(frozen=True)
class Payload:
    """What COPY and ADD bring in: `payload/` with `files` files, and `payload.tar` holding the same."""

    files: int = 16
    file_size: int = 1024


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    base: BaseTree
    payload: Payload
    steps: tuple[str, ...]

    def fingerprint(self) -> str:
        """Identifies the generated inputs, so an unchanged workload reuses its files."""
        text = repr((self.base, self.payload, self.steps))
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
    seed: int
    files: tuple[Path, ...] = field(default=())  # every file read, for the run directory's copy

    def scenario(self, name: str) -> Scenario:
        return next(s for s in self.scenarios if s.name == name)


def load_matrix(path: Path) -> Matrix:
    """Read and check a matrix and every scenario and workload it names."""
    doc = load_yaml(path)
    top = Section(doc, (), doc.data if doc.data is not None else {})
    description = top.take("description", str, "")
    scenario_names = top.take("scenarios", list, check=_non_empty)
    workload_entries = top.take("workloads", list, check=_non_empty)
    baseline = top.take("baseline", str, scenario_names[0] if scenario_names else "")
    repetitions = _repetitions(top)
    warmup = top.take("warmup", int, 1, check=at_least(0))
    seed = top.take("seed", int, 0)
    top.done()

    scenarios = tuple(_scenario_from(doc, index, name) for index, name in enumerate(scenario_names))
    _refuse_duplicates(doc, "scenarios", [s.name for s in scenarios])
    if baseline not in {s.name for s in scenarios}:
        raise doc.error(("baseline",), f"names {baseline!r}, which is not among the matrix's scenarios")
    workloads = tuple(_workload_from(doc, index, entry) for index, entry in enumerate(workload_entries))
    _refuse_duplicates(doc, "workloads", [w.name for w in workloads])
    files = (path, *(s.file for s in scenarios), *_workload_files(path, workload_entries))
    return Matrix(file=path, description=description, scenarios=scenarios, workloads=workloads, baseline=baseline,
                  repetitions=repetitions, warmup=warmup, seed=seed, files=files)


def load_scenario(path: Path) -> Scenario:
    """Read one scenario file; its name is the file's stem (the Vagrantfile names the VM the same way)."""
    doc = load_yaml(path)
    top = Section(doc, (), doc.data if doc.data is not None else {})
    name = path.stem
    if not NAME_PATTERN.match(name):
        raise doc.error((), f"the file name {name!r} is not a usable scenario name (lower case, digits, . _ -)")
    description = top.take("description", str, "")
    host = _host(top.section("host", required=True))
    engine = _engine(top.section("engine"))
    storage = _storage(top.section("storage", required=True))
    kernel = top.section("kernel")
    kernel_package = kernel.take("package", str, None)
    overlay = _overlay(kernel)
    expect = _expect(top.section("expect"))
    top.done()
    if kernel_package and isinstance(host, LocalHost):
        raise doc.error(("kernel", "package"), "a kernel package is for provisioned hosts; a local scenario runs "
                        "this machine's kernel")
    if storage.filesystem != "host" and not isinstance(host, LocalHost):
        raise doc.error(("storage", "filesystem"), "a loop-file filesystem is for local hosts only; on a VM or "
                        "server the daemon uses the machine's own /var/lib/docker filesystem")
    if isinstance(host, LocalHost) and storage.driver in ("btrfs", "zfs") and storage.filesystem != storage.driver:
        raise doc.error(("storage", "filesystem"), f"the {storage.driver} driver needs its own filesystem under the "
                        f"data-root: set storage.filesystem: {storage.driver}" if storage.driver == "btrfs" else
                        "the zfs driver needs a zfs dataset, which the local backend does not make: use a VM")
    _check_engine(doc, host, engine, storage)
    if storage.direct_lvm and (storage.driver != "devicemapper" or isinstance(host, LocalHost)):
        raise doc.error(("storage", "direct_lvm"), "direct-lvm is for the devicemapper driver on a VM or server")
    if storage.direct_lvm and isinstance(host, VagrantHost) and host.extra_disk_gb <= 0:
        raise doc.error(("host", "extra_disk_gb"), "direct-lvm needs an extra disk: set host.extra_disk_gb")
    if storage.direct_lvm and isinstance(host, SshHost) and not (
            host.lvm_device or any(key == "dm.directlvm_device" for key, _ in storage.options)):
        raise doc.error(("storage", "direct_lvm"), "on an ssh host, say which disk becomes the thin pool: "
                        "host.lvm_device (e.g. /dev/disk/by-id/virtio-docker-lvm)")
    return Scenario(name=name, file=path, description=description, host=host, engine=engine, storage=storage,
                    overlay=overlay, expect=expect, kernel_package=kernel_package)


def load_workload(path: Path) -> Workload:
    doc = load_yaml(path)
    return _workload(doc, (), doc.data if doc.data is not None else {}, path.stem)


def _scenario_from(doc: YamlDocument, index: int, name: Any) -> Scenario:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise doc.error(("scenarios", index), f"must be a scenario name (a file in scenarios/), not {name!r}")
    path = doc.path.parent / "scenarios" / f"{name}.yaml"
    if not path.is_file():
        raise doc.error(("scenarios", index), f"no scenario file {path}")
    return load_scenario(path)


def _workload_from(doc: YamlDocument, index: int, entry: Any) -> Workload:
    """A workload is a name (a file in workloads/) or an inline mapping with a `name`."""
    if isinstance(entry, str):
        path = doc.path.parent / "workloads" / f"{entry}.yaml"
        if not NAME_PATTERN.match(entry) or not path.is_file():
            raise doc.error(("workloads", index), f"no workload file {path}")
        return load_workload(path)
    if isinstance(entry, dict):
        name = entry.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise doc.error(("workloads", index, "name"), "an inline workload needs a `name` (lower case, digits, . _ -)")
        return _workload(doc, ("workloads", index), entry, name)
    raise doc.error(("workloads", index), f"must be a workload name or a mapping, not {entry!r}")


def _workload_files(matrix: Path, entries: list[Any]) -> list[Path]:
    return [matrix.parent / "workloads" / f"{e}.yaml" for e in entries if isinstance(e, str)]


def _workload(doc: YamlDocument, key_path: tuple, value: Any, name: str) -> Workload:
    top = Section(doc, key_path, value)
    top.taken.add("name")
    description = top.take("description", str, "")
    base_section = top.section("base")
    base = BaseTree(files=base_section.take("files", int, BaseTree.files, check=at_least(0)),
                    file_size=base_section.take("file_size", int, BaseTree.file_size, check=at_least(0)),
                    directories=base_section.take("directories", int, BaseTree.directories, check=at_least(1)),
                    seed=base_section.take("seed", int, BaseTree.seed))
    base_section.done()
    payload_section = top.section("payload")
    payload = Payload(files=payload_section.take("files", int, Payload.files, check=at_least(1)),
                      file_size=payload_section.take("file_size", int, Payload.file_size, check=at_least(0)))
    payload_section.done()
    steps = top.take("steps", list, check=_non_empty)
    top.done()
    for index, step in enumerate(steps):
        _check_step(doc, key_path + ("steps", index), step)
    return Workload(name=name, description=description, base=base, payload=payload, steps=tuple(steps))


def _check_step(doc: YamlDocument, key_path: tuple, step: Any) -> None:
    if not isinstance(step, str) or not step.strip():
        raise doc.error(key_path, f"must be one Dockerfile instruction as a string, not {step!r}")
    word = step.split(None, 1)[0].upper()
    if word == "FROM":
        raise doc.error(key_path, "FROM is added by the harness (the generated base image); list the steps after it")
    if word not in INSTRUCTIONS:
        raise doc.error(key_path, f"{word!r} is not a Dockerfile instruction (expected one of {', '.join(INSTRUCTIONS)})")
    if "\n" in step.strip():
        raise doc.error(key_path, "must be a single line")


def _repetitions(top: Section) -> Repetitions:
    raw = top.take("repetitions", (int, dict), 5)
    if isinstance(raw, int):
        if raw < 1:
            raise top.error("repetitions", f"must be at least 1; got {raw}")
        return Repetitions(min=raw, max=raw)
    reps = top.section("repetitions")
    low = reps.take("min", int, 3, check=at_least(1))
    high = reps.take("max", int, check=at_least(1))
    target = reps.take("target_ci", float, check=lambda v: None if 0 < v < 1 else
                       f"is a fraction of the median (0.05 for ±5 %); got {v}")
    reps.done()
    if high < low:
        raise top.error("repetitions", f"max ({high}) is below min ({low})")
    return Repetitions(min=low, max=high, target_ci=float(target))


def _host(section: Section) -> Host:
    kind = section.take("type", str, check=one_of(*HOST_TYPES))
    if kind == "local":
        host: Host = LocalHost()
    elif kind == "ssh":
        host = SshHost(address=section.take("address", str), user=section.take("user", str),
                       port=section.take("port", int, 22, check=_port),
                       identity_file=section.take("identity_file", str, None),
                       known_hosts=section.take("known_hosts", str, None),
                       docker_socket=section.take("docker_socket", str, "/var/run/docker.sock"),
                       provision=section.take("provision", bool, False),
                       lvm_device=section.take("lvm_device", str, None))
    else:
        host = VagrantHost(box=section.take("box", str), box_url=section.take("box_url", str, None),
                           box_version=section.take("box_version", (str, int, float), None),
                           cpus=section.take("cpus", int, 2, check=at_least(1)),
                           memory_mb=section.take("memory_mb", int, 2048, check=at_least(256)),
                           extra_disk_gb=section.take("extra_disk_gb", int, 0, check=at_least(0)),
                           docker_socket=section.take("docker_socket", str, "/var/run/docker.sock"))
        if host.box_version is not None:
            host = VagrantHost(**{**host.__dict__, "box_version": str(host.box_version)})
    section.done()
    return host


def _engine(section: Section) -> Engine:
    engine = Engine(dockerd=section.take("dockerd", str, "dockerd"),
                    package=section.take("package", str, None),
                    version=section.take("version", (str, int, float), None),
                    source=section.take("source", str, "system", check=one_of(*ENGINE_SOURCES)),
                    url=section.take("url", str, None),
                    sha256=section.take("sha256", str, None, check=lambda v: None if SHA256_PATTERN.match(v) else
                                        "must be 64 lower-case hex digits (`sha256sum` of the tarball)"))
    section.done()
    version = None if engine.version is None else str(engine.version)
    if engine.source != "system" and not (version and VERSION_PATTERN.match(version)):
        raise section.error("version", f"a {engine.source} engine needs an upstream version to pin, "
                            f"e.g. version: \"28.5.2\"")
    if engine.source != "system" and engine.dockerd != "dockerd":
        raise section.error("dockerd", f"a {engine.source} engine brings its own dockerd; drop engine.dockerd")
    given = [key for key in ("url", "sha256") if getattr(engine, key) is not None]
    if given != (["url", "sha256"] if engine.source == "static" else []):
        key = next(k for k in ("url", "sha256") if (k in given) != (engine.source == "static"))
        raise section.error(key, "url and sha256 go together with source: static (the official tarball and "
                            "its checksum)")
    return Engine(**{**engine.__dict__, "version": version})


def _check_engine(doc: YamlDocument, host: Host, engine: Engine, storage: Storage) -> None:
    """Pinned engines and the containerd image store are for local hosts, and the store needs Docker 24 or later."""
    if engine.source != "system" and not isinstance(host, LocalHost):
        raise doc.error(("engine", "source"), "pinned engines (debian, static) run on local hosts; a VM or server "
                        "installs engine.package at engine.version when provisioned")
    if storage.image_store != "containerd":
        return
    if not isinstance(host, LocalHost):
        raise doc.error(("storage", "image_store"), "the containerd image store is for local hosts for now")
    version = engine.version
    if not has_containerd_store(version):
        raise doc.error(("storage", "image_store"), f"engine {version} has no containerd image store (it came with "
                        f"Docker 24): pin a newer engine, e.g. engine: {{version: \"28.5.2\", source: debian}}")


def has_containerd_store(version: str | None) -> bool:
    """Docker 24+ has the containerd image store; an unknown or unreadable version gets the benefit of the doubt."""
    match = re.match(r"(?:[0-9]+:)?([0-9]+)\.([0-9]+)", version or "")
    return match is None or (int(match[1]), int(match[2])) >= CONTAINERD_STORE_SINCE


def _storage(section: Section) -> Storage:
    image_store = section.take("image_store", str, "graphdriver", check=one_of(*IMAGE_STORES))
    driver = section.take("driver", str, check=lambda v: None if NAME_PATTERN.match(v) else f"{v!r} is not a driver name")
    if image_store == "containerd" and driver not in SNAPSHOTTERS:
        raise section.error("driver", f"with image_store: containerd the driver is a containerd snapshotter, one of "
                            f"{', '.join(SNAPSHOTTERS)}; got {driver!r}")
    options = section.take("options", dict, {})
    for key, value in options.items():
        if not isinstance(value, (str, int, float, bool)):
            raise section.doc.error(section.key_path + ("options", str(key)),
                                    f"must be a single value (it becomes --storage-opt {key}=VALUE)")
    storage = Storage(driver=driver,
                      options=tuple((str(k), _opt_value(v)) for k, v in options.items()),
                      filesystem=section.take("filesystem", str, "host", check=one_of(*FILESYSTEMS)),
                      size_gb=section.take("size_gb", int, 8, check=at_least(1)),
                      direct_lvm=section.take("direct_lvm", bool, False),
                      image_store=image_store)
    section.done()
    return storage


def _opt_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _overlay(kernel: Section) -> OverlayKnobs:
    overlay = kernel.section("overlay")
    knobs = OverlayKnobs(redirect_dir=overlay.take("redirect_dir", bool, None),
                         metacopy=overlay.take("metacopy", bool, None))
    overlay.done()
    kernel.done()
    if knobs.metacopy and knobs.redirect_dir is False:
        raise overlay.error("metacopy", "metacopy=on forces redirect_dir on; redirect_dir: off cannot hold with it")
    return knobs


def _expect(section: Section) -> Expect:
    expect = Expect(driver=section.take("driver", str, None),
                    native_overlay_diff=section.take("native_overlay_diff", bool, None),
                    backing_filesystem=section.take("backing_filesystem", str, None),
                    driver_type=section.take("driver_type", str, None))
    section.done()
    return expect


def _non_empty(value: list) -> str | None:
    return None if value else "must list at least one entry"


def _port(value: int) -> str | None:
    return None if 0 < value < 65536 else f"must be a TCP port (1-65535); got {value}"


def _refuse_duplicates(doc: YamlDocument, key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise doc.error((key, index), f"{name!r} is listed twice")
        seen.add(name)
