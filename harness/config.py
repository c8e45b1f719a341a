"""The YAML model: a matrix names scenarios (docker hosts) and workloads (builds); this turns files into dataclasses.

Everything is checked before anything starts, so a typo costs a second, not a half-finished run. Scenarios live in
`scenarios/NAME.yaml` and workloads in `workloads/NAME.yaml` beside the matrix; the Vagrantfile reads the same
scenario files, so the schema below is the only description of a docker host. A matrix entry may `use:` a workload
file with `params:`; a list there expands into sweep cells (harness/sweeps.py), each an ordinary Workload.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness import sweeps
from harness.builders import BUILDERS
from harness.dockerfiles import check_dockerfile
from harness.yamlfile import Section, YamlDocument, between, load_yaml, one_of

FILESYSTEMS = ("host", "xfs", "ext4", "btrfs")
ENGINE_SOURCES = ("system", "debian", "static")
IMAGE_STORES = ("graphdriver", "containerd")
SNAPSHOTTERS = ("overlayfs", "native", "btrfs", "fuse-overlayfs")
#: The first engine with the containerd image store (`features: {containerd-snapshotter: true}`).
CONTAINERD_STORE_SINCE = (24, 0)
#: An upstream release to pin (28.5.2), without a Debian revision.
UPSTREAM_VERSION_PATTERN = re.compile(r"[0-9]+(\.[0-9]+)*")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
HOST_TYPES = ("local", "ssh", "vagrant")
INSTRUCTIONS = ("RUN", "COPY", "ADD", "ENV", "WORKDIR", "LABEL", "USER", "CMD", "ENTRYPOINT", "EXPOSE", "VOLUME",
                "ARG", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD")
#: Scenario, workload and driver names (used with fullmatch: `$` would let a trailing newline through).
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: Package names as apt and rpm accept them, and versions as both write them; never a leading `-`, which the
#: package manager would read as an option (`-oDPkg::Pre-Invoke=…` runs as root).
PACKAGE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]{0,127}")
VERSION_PATTERN = re.compile(r"[0-9][A-Za-z0-9.+~:_-]{0,63}")
#: POSIX portable user names (no leading `-`, no shell metacharacters), and DNS host names.
USER_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9._-]{0,31}")
HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
STORAGE_OPTION_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: Storage options that hand a local daemon a block device or a pool of the machine's own: a local scenario keeps
#: everything in its private work directory, so these would touch disks or daemons it does not own.
OUTSIDE_DEVICE_OPTIONS = ("dm.directlvm_device", "dm.directlvm_device_force", "dm.thinpooldev", "dm.datadev",
                          "dm.metadatadev", "dm.thinp_percent", "dm.thinp_metapercent", "dm.thinp_autoextend_percent",
                          "dm.thinp_autoextend_threshold", "zfs.fsname")
#: URLs a build would fetch from: builds are offline (network none), so ADD takes files from the context only.
REMOTE_SOURCE = re.compile(r"(https?|ftp|git|ssh)://|git@", re.I)

#: Upper bounds for every number a user gives, far above real use and below what breaks the machine or the run.
MAX_REPETITIONS = 1000
MAX_SCENARIOS = 100
MAX_WORKLOADS = 100
MAX_PLANNED_BUILDS = 100_000
MAX_WARMUP = 100
MAX_SEED = 2**64 - 1
MAX_BASE_FILES = 1_000_000
MAX_BASE_DIRECTORIES = 100_000
MAX_FILE_SIZE = 64 * 1024 * 1024
MAX_BASE_BYTES = 16 * 1024**3
MAX_PAYLOAD_FILES = 100_000
MAX_PAYLOAD_BYTES = 1024**3
MAX_STEPS = 200
MAX_SIZE_GB = 1024
MAX_CPUS = 256
MAX_MEMORY_MB = 1024 * 1024
MAX_EXTRA_DISK_GB = 4096
#: The bounds of each sweep parameter: those of the field it sets (sweeps.PARAMETERS).
PARAMETER_BOUNDS = {"files_in_base": (0, MAX_BASE_FILES), "base_file_size": (0, MAX_FILE_SIZE),
                    "base_directories": (1, MAX_BASE_DIRECTORIES), "changed_files": (1, MAX_PAYLOAD_FILES),
                    "changed_file_size": (0, MAX_FILE_SIZE)}


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

    def scenario(self, name: str) -> Scenario:
        return next(s for s in self.scenarios if s.name == name)


def load_matrix(path: Path) -> Matrix:
    """Read and check a matrix and every scenario and workload it names."""
    doc = load_yaml(path)
    _refuse_other_kinds_of_file(doc)
    top = Section(doc, (), doc.data if doc.data is not None else {})
    description = top.take("description", str, "")
    scenario_names = top.take("scenarios", list, check=_at_most(MAX_SCENARIOS))
    workload_entries = top.take("workloads", list, check=_at_most(MAX_WORKLOADS))
    baseline = top.take("baseline", str, scenario_names[0] if scenario_names else "")
    repetitions = _repetitions(top)
    warmup = top.take("warmup", int, 1, check=between(0, MAX_WARMUP))
    _refuse_renamed(top, "seed", "order_seed", "it plans the random build order")
    seed = top.take("order_seed", int, 0, check=between(0, MAX_SEED))
    rounds = top.take("rounds", int, None, check=between(1, MAX_REPETITIONS))
    control = top.take("control", bool, False)
    builders = top.take("builders", list, ["classic"], check=_at_most(len(BUILDERS) * 2))
    profile = top.take("profile", bool, False)
    top.done()

    _refuse_duplicates(doc, "scenarios", [str(name) for name in scenario_names])
    _refuse_unknown_builders(doc, builders)
    _refuse_duplicates(doc, "builders", builders)
    scenarios = tuple(_scenario_from(doc, index, name) for index, name in enumerate(scenario_names))
    if baseline not in {s.name for s in scenarios}:
        raise doc.error(("baseline",), f"names {baseline!r}, which is not among the matrix's scenarios")
    cells = _workload_cells(doc, workload_entries)
    _refuse_duplicate_cells(doc, cells)
    _refuse_commit_with_buildkit(doc, cells, builders)
    workloads = tuple(workload for _, workload in cells)
    _refuse_too_many_builds(top, repetitions, warmup, len(scenarios), len(workloads), len(builders))
    files = tuple(dict.fromkeys((path, *(s.file for s in scenarios), *_workload_files(path, workload_entries),
                                 *(w.user_build.dockerfile for w in workloads if w.user_build))))
    matrix = Matrix(file=path, description=description, scenarios=scenarios, workloads=workloads, baseline=baseline,
                    repetitions=repetitions, warmup=warmup, seed=seed, files=files,
                    rounds=default_rounds(repetitions.min) if rounds is None else min(rounds, repetitions.min),
                    builders=tuple(builders), profile=profile)
    _refuse_shared_provisioned_hosts(doc, matrix)
    if control:
        if f"{baseline}-aa" in {s.name for s in scenarios}:
            raise doc.error(("control",), f"the control scenario {baseline}-aa is already among the scenarios")
        matrix = with_control(matrix)
    return matrix


def _refuse_shared_provisioned_hosts(doc: YamlDocument, matrix: Matrix) -> None:
    """Scenarios that provision the same machine reconfigure one daemon in turn: provisioning runs at a scenario's
    first session only, so in rounds a later session would find another scenario's configuration."""
    if matrix.rounds <= 1:
        return
    seen: dict[tuple[str, int], str] = {}
    for index, scenario in enumerate(matrix.scenarios):
        host = scenario.host
        if isinstance(host, SshHost) and host.provision:
            other = seen.setdefault((host.address, host.port), scenario.name)
            if other != scenario.name:
                raise doc.error(("scenarios", index), f"{scenario.name} and {other} both provision "
                                f"{host.address}:{host.port}; in rounds each session would find the other's daemon "
                                "configuration: set rounds: 1 (one block per scenario) or give each its own machine")


#: Daemon sessions per scenario when the matrix does not say (see default_rounds).
DEFAULT_ROUNDS = 5


def default_rounds(reps: int) -> int:
    """DEFAULT_ROUNDS sessions, or fewer when there are fewer reps (a session measures at least one).

    More sessions replicate the session-level noise better (the analysis treats the round as the unit that
    varies); each extra session costs a daemon stop and start.
    """
    return max(1, min(DEFAULT_ROUNDS, reps))


def with_control(matrix: Matrix) -> Matrix:
    """Add `<baseline>-aa`: the baseline scenario again, measured as an independent scenario (an A/A control)."""
    baseline = matrix.scenario(matrix.baseline)
    copy = replace(baseline, name=f"{baseline.name}-aa")
    scenarios = list(matrix.scenarios)
    scenarios.insert(scenarios.index(baseline) + 1, copy)
    return replace(matrix, scenarios=tuple(scenarios), control=baseline.name)


def load_scenario(path: Path) -> Scenario:
    """Read one scenario file; its name is the file's stem (the Vagrantfile names the VM the same way)."""
    doc = load_yaml(path)
    top = Section(doc, (), doc.data if doc.data is not None else {})
    name = path.stem
    if not NAME_PATTERN.fullmatch(name):
        raise doc.error((), f"the file name {name!r} is not a usable scenario name (lower case, digits, . _ -)")
    description = top.take("description", str, "")
    host = _host(top.section("host", required=True))
    engine = _engine(top.section("engine"))
    storage = _storage(top.section("storage", required=True))
    kernel = top.section("kernel")
    kernel_package = kernel.take("package", str, None, check=_package_name)
    overlay = _overlay(kernel)
    expect = _expect(top.section("expect"))
    top.done()
    if isinstance(host, LocalHost):
        _refuse_outside_devices(top.section("storage"), storage)
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


def _scenario_from(doc: YamlDocument, index: int, name: Any) -> Scenario:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise doc.error(("scenarios", index), f"must be a scenario name (a file in scenarios/: lower case, digits, "
                        f". _ -, at most 64 characters), not {name!r:.80}")
    path = doc.path.parent / "scenarios" / f"{name}.yaml"
    if not path.is_file():
        raise doc.error(("scenarios", index), f"no scenario file {path}")
    _refuse_escape(doc, ("scenarios", index), path)
    return load_scenario(path)


def load_workload(path: Path) -> Workload:
    """Read one workload file as it stands: its own `params:` defaults applied, nothing swept (a user build's
    Dockerfile and context must then lie in the file's own directory; through a matrix, in the matrix's)."""
    template = _workload_file(path, path.parent)
    return _cell(template, template.defaults, (), None)


@dataclass(frozen=True)
class _Template:
    """A workload as written, before parameters: steps and command may still hold `{{name}}`."""

    workload: Workload
    defaults: dict[str, int | list[int]]
    doc: YamlDocument
    params_key: tuple


def _workload_file(path: Path, home: Path) -> _Template:
    doc = load_yaml(path)
    if not NAME_PATTERN.fullmatch(path.stem):
        raise doc.error((), f"the file name {path.stem!r} is not a usable workload name (lower case, digits, . _ -)")
    return _template(doc, (), doc.data if doc.data is not None else {}, path.stem, home, allow_sweeps=False)


def _workload_cells(doc: YamlDocument, entries: list[Any]) -> list[tuple[int, Workload]]:
    """Every entry's cells, each with the index of the entry it came from; at most MAX_WORKLOADS in all."""
    cells: list[tuple[int, Workload]] = []
    for index, entry in enumerate(entries):
        template, params, family = _entry_template(doc, index, entry)
        count = sweeps.cell_count(params)
        if len(cells) + count > MAX_WORKLOADS:
            raise doc.error(("workloads", index), f"expands into {count:,} cells ({len(cells)} before it): a matrix "
                            f"measures at most {MAX_WORKLOADS} workloads and sweep cells in all; sweep fewer values")
        cells += [(index, _cell(template, cell.settings, cell.swept, family)) for cell in sweeps.expand(params)]
    return cells


def _entry_template(doc: YamlDocument, index: int, entry: Any) -> tuple[_Template, dict, str]:
    """(template, parameters, family name) of one matrix entry: a workload name, `use:` with `params:`, or an
    inline workload (which may sweep its own `params:`)."""
    home = doc.path.parent
    if isinstance(entry, str):
        template = _workload_file(_library_file(doc, ("workloads", index), entry), home)
        return template, template.defaults, entry
    if isinstance(entry, dict) and "use" in entry:
        section = Section(doc, ("workloads", index), entry)
        use = section.take("use", str, check=_workload_name)
        family = section.take("name", str, use, check=_workload_name)
        given = _params(section, allow_sweeps=True)
        section.done()
        template = _workload_file(_library_file(doc, ("workloads", index, "use"), use), home)
        template = replace(template, doc=doc, params_key=("workloads", index, "params"))
        return template, {**template.defaults, **given}, family
    if isinstance(entry, dict):
        name = entry.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise doc.error(("workloads", index, "name"), "an inline workload needs a `name` (lower case, digits, . _ -)")
        template = _template(doc, ("workloads", index), entry, name, home, allow_sweeps=True)
        return template, template.defaults, name
    raise doc.error(("workloads", index), f"must be a workload name, a mapping with use: or an inline workload, "
                    f"not {entry!r:.80}")


def _library_file(doc: YamlDocument, key_path: tuple, name: str) -> Path:
    if not NAME_PATTERN.fullmatch(name):
        raise doc.error(key_path, f"must be a workload name (a file in workloads/: lower case, digits, . _ -, at "
                        f"most 64 characters), not {name!r:.80}")
    path = doc.path.parent / "workloads" / f"{name}.yaml"
    if not path.is_file():
        raise doc.error(key_path, f"no workload file {path}")
    _refuse_escape(doc, key_path, path)
    return path


def _workload_name(value: str) -> str | None:
    return None if NAME_PATTERN.fullmatch(value) else (
        f"{value!r:.80} is not a workload name (lower case, digits, . _ -, at most 64 characters)")


def _workload_files(matrix: Path, entries: list[Any]) -> list[Path]:
    """The library files the entries name (by name or with `use:`), for the run directory's copy."""
    names = [e if isinstance(e, str) else e.get("use") if isinstance(e, dict) else None for e in entries]
    return [matrix.parent / "workloads" / f"{name}.yaml" for name in names if isinstance(name, str)]


def _cell(template: _Template, settings: Any, swept: tuple[tuple[str, int], ...], family: str | None) -> Workload:
    """The template with `settings` applied to its base and payload and `{{name}}` replaced by the values."""
    workload = template.workload
    parts = {"base": workload.base, "payload": workload.payload}
    for name, value in dict(settings).items():
        part, field_name = sweeps.PARAMETERS[name]
        parts[part] = replace(parts[part], **{field_name: value})
    complaint = _base_size_complaint(parts["base"]) or _payload_size_complaint(parts["payload"])
    if complaint:
        cell = sweeps.cell_name(family or workload.name, swept)
        raise template.doc.error(template.params_key, f"{cell}: {complaint}")
    values = {name: getattr(parts[part], field_name) for name, (part, field_name) in sweeps.PARAMETERS.items()}
    return replace(workload, base=parts["base"], payload=parts["payload"],
                   steps=tuple(sweeps.substitute(step, values) for step in workload.steps),
                   command=sweeps.substitute(workload.command, values) if workload.command else None,
                   name=sweeps.cell_name(family, swept) if swept else (family or workload.name),
                   family=family if swept else None, params=swept)


def _template(doc: YamlDocument, key_path: tuple, value: Any, name: str, home: Path,
              allow_sweeps: bool) -> _Template:
    top = Section(doc, key_path, value)
    top.taken.add("name")
    description = top.take("description", str, "")
    kind = top.take("kind", str, "build", check=one_of(*WORKLOAD_KINDS))
    base = _base(top.section("base"))
    payload = _payload(top.section("payload"))
    defaults = _params(top, allow_sweeps)
    user_build = _user_build(top, home)
    steps = top.take("steps", list, None, check=lambda v: _non_empty(v) or (
        None if len(v) <= MAX_STEPS else f"has {len(v)} steps; at most {MAX_STEPS} (a Dockerfile of that many "
        "layers is far past what the storage drivers allow)"))
    command = top.take("command", str, None, check=_command)
    top.done()
    _check_kind(top, kind, steps, command, user_build)
    for index, step in enumerate(steps or ()):
        _check_step(doc, key_path + ("steps", index), step)
        _check_placeholders(doc, key_path + ("steps", index), step)
    if command:
        _check_placeholders(doc, key_path + ("command",), command)
    workload = Workload(name=name, description=description, base=base, payload=payload, steps=tuple(steps or ()),
                        kind=kind, command=command, user_build=user_build)
    return _Template(workload, defaults, doc, key_path + ("params",))


def _params(section: Section, allow_sweeps: bool) -> dict[str, int | list[int]]:
    """`params:`: vocabulary names → an int, or (in a matrix) a list of ints to sweep."""
    given = section.take("params", dict, {})
    for name, value in given.items():
        key_path = section.key_path + ("params", str(name))
        if name not in PARAMETER_BOUNDS:
            raise section.doc.error(key_path, f"unknown parameter (known: {', '.join(PARAMETER_BOUNDS)})")
        if isinstance(value, list) and allow_sweeps:
            _check_sweep(section.doc, key_path, name, value)
        elif not isinstance(value, int) or isinstance(value, bool):
            allowed = "an integer or a list of integers to sweep" if allow_sweeps else (
                "an integer (a default; sweeps are written in the matrix)")
            raise section.doc.error(key_path, f"must be {allowed}, not {value!r:.80}")
        else:
            _check_parameter(section.doc, key_path, name, value)
    return given


def _check_sweep(doc: YamlDocument, key_path: tuple, name: str, values: list) -> None:
    if not values:
        raise doc.error(key_path, "lists no values; give at least one (or a single integer)")
    for index, value in enumerate(values):
        if not isinstance(value, int) or isinstance(value, bool):
            raise doc.error(key_path + (index,), f"must be an integer, not {value!r:.80}")
        _check_parameter(doc, key_path + (index,), name, value)
        if value in values[:index]:
            raise doc.error(key_path + (index,), f"{value} is listed twice (each value is one cell)")


def _check_parameter(doc: YamlDocument, key_path: tuple, name: str, value: int) -> None:
    low, high = PARAMETER_BOUNDS[name]
    complaint = between(low, high)(value)
    if complaint:
        raise doc.error(key_path, complaint)


def _check_placeholders(doc: YamlDocument, key_path: tuple, text: str) -> None:
    unknown = sweeps.unknown_placeholders(text)
    if unknown:
        raise doc.error(key_path, f"{{{{{unknown[0]}}}}} is not a parameter (known: "
                        f"{', '.join(sweeps.PARAMETERS)})")


def _command(value: str) -> str | None:
    if not value.strip():
        return "is empty; give the shell command to run in the container, or drop command"
    return None if "\0" not in value else "must not contain NUL characters"


def _check_kind(top: Section, kind: str, steps: list | None, command: str | None,
                user_build: UserBuild | None) -> None:
    """A build has steps (or the user's Dockerfile); a commit has neither, only an optional command."""
    if kind == "commit":
        if steps is not None:
            raise top.error("steps", "a commit workload has no steps: it puts the payload into a container from the "
                            "base, runs `command` and times the commit; drop steps (or use kind: build)")
        if user_build is not None:
            raise top.error("dockerfile", "a commit workload times one container commit; a Dockerfile is built "
                            "with kind: build")
        return
    if command is not None:
        raise top.error("command", "is for kind: commit (run in the container before the commit); a build runs "
                        "its steps: write it as a RUN step")
    if user_build is not None:
        for key, what in (("steps", "steps"), ("payload", "a payload")):
            if key in top.value:
                raise top.error(key, f"a workload with dockerfile: builds the user's own Dockerfile and context; "
                                f"it takes no {what}: drop {key}")
    elif steps is None:
        raise top.error("steps", "is required (a list of Dockerfile instructions), or dockerfile: and context: for "
                        "your own build")


def _user_build(top: Section, home: Path) -> UserBuild | None:
    """`dockerfile:` + `context:`, relative to the file that names them and inside the matrix's directory."""
    dockerfile = top.take("dockerfile", str, None)
    context = top.take("context", str, None)
    if dockerfile is None and context is None:
        return None
    if dockerfile is None or context is None:
        missing = "context" if context is None else "dockerfile"
        raise top.error(missing, "dockerfile: and context: go together (your Dockerfile and the directory it "
                        "builds from)")
    where = top.doc.path.parent
    paths = {"dockerfile": where / dockerfile, "context": where / context}
    for key, path in paths.items():
        _refuse_escape(top.doc, top.key_path + (key,), path, home)
    if not paths["dockerfile"].is_file():
        raise top.error("dockerfile", f"no such file {paths['dockerfile']}")
    if not paths["context"].is_dir():
        raise top.error("context", f"{paths['context']} is not a directory")
    check_dockerfile(paths["dockerfile"])
    return UserBuild(dockerfile=paths["dockerfile"].resolve(), context=paths["context"].resolve())


def _refuse_duplicate_cells(doc: YamlDocument, cells: list[tuple[int, Workload]]) -> None:
    seen: dict[str, int] = {}
    for index, workload in cells:
        if workload.name in seen:
            other = seen[workload.name]
            raise doc.error(("workloads", index), f"{workload.name!r} is listed twice" + (
                f" (also by workloads[{other}]); give one a different name" if other != index else ""))
        seen[workload.name] = index


def _refuse_commit_with_buildkit(doc: YamlDocument, cells: list[tuple[int, Workload]], builders: list) -> None:
    if "buildkit" not in builders:
        return
    for index, workload in cells:
        if workload.kind == "commit":
            raise doc.error(("workloads", index), f"{workload.name} is a commit workload: it times one container "
                            "commit through the daemon's API, which has no BuildKit counterpart; drop buildkit from "
                            "builders or measure it in a matrix of its own")


def _base(section: Section) -> BaseTree:
    _refuse_renamed(section, "seed", "content_seed", "it seeds the generated files' contents")
    base = BaseTree(files=section.take("files", int, BaseTree.files, check=between(0, MAX_BASE_FILES)),
                    file_size=section.take("file_size", int, BaseTree.file_size,
                                           check=between(0, MAX_FILE_SIZE, "bytes")),
                    directories=section.take("directories", int, BaseTree.directories,
                                             check=between(1, MAX_BASE_DIRECTORIES)),
                    content_seed=section.take("content_seed", int, BaseTree.content_seed, check=between(0, MAX_SEED)))
    section.done()
    complaint = _base_size_complaint(base)
    if complaint:
        raise section.error("files", complaint)
    return base


def _base_size_complaint(base: BaseTree) -> str | None:
    if base.files * base.file_size <= MAX_BASE_BYTES:
        return None
    return (f"{base.files:,} files of {base.file_size:,} bytes make a base image of {base.files * base.file_size:,} "
            f"bytes; at most {MAX_BASE_BYTES:,} (16 GiB)")


def _payload(section: Section) -> Payload:
    payload = Payload(files=section.take("files", int, Payload.files, check=between(1, MAX_PAYLOAD_FILES)),
                      file_size=section.take("file_size", int, Payload.file_size,
                                             check=between(0, MAX_FILE_SIZE, "bytes")))
    section.done()
    complaint = _payload_size_complaint(payload)
    if complaint:
        raise section.error("files", complaint)
    return payload


def _payload_size_complaint(payload: Payload) -> str | None:
    if payload.files * payload.file_size <= MAX_PAYLOAD_BYTES:
        return None
    return (f"{payload.files:,} files of {payload.file_size:,} bytes make a payload of "
            f"{payload.files * payload.file_size:,} bytes; at most {MAX_PAYLOAD_BYTES:,} (1 GiB; it is sent twice "
            "with every build)")


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
    if step.rstrip().endswith("\\"):
        raise doc.error(key_path, "ends in a backslash, which would join it with the next step; remove it (each "
                        "step is one line)")
    if word in ("ADD", "COPY", "ONBUILD") and REMOTE_SOURCE.search(step):
        raise doc.error(key_path, "builds are offline (no network): ADD and COPY take files from the build "
                        "context (payload/, payload.tar), not from a URL")
    if word in ("COPY", "ADD", "ONBUILD") and "--from" in step:
        raise doc.error(key_path, "COPY --from would pull an image from a registry; builds use only the generated "
                        "base and the build context")


def _repetitions(top: Section) -> Repetitions:
    raw = top.take("repetitions", (int, dict), 5)
    if isinstance(raw, int):
        top.take("repetitions", int, raw, check=between(1, MAX_REPETITIONS))
        return Repetitions(min=raw, max=raw)
    reps = top.section("repetitions")
    low = reps.take("min", int, 3, check=between(1, MAX_REPETITIONS))
    high = reps.take("max", int, check=between(1, MAX_REPETITIONS))
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
        host = SshHost(address=section.take("address", str, check=_host_address),
                       user=section.take("user", str, check=_user_name),
                       port=section.take("port", int, 22, check=_port),
                       identity_file=section.take("identity_file", str, None, check=_one_path),
                       known_hosts=section.take("known_hosts", str, None, check=_one_path),
                       docker_socket=section.take("docker_socket", str, "/var/run/docker.sock", check=_socket),
                       provision=section.take("provision", bool, False),
                       lvm_device=section.take("lvm_device", str, None, check=_device))
    else:
        host = VagrantHost(box=section.take("box", str), box_url=section.take("box_url", str, None),
                           box_version=section.text("box_version", None),
                           cpus=section.take("cpus", int, 2, check=between(1, MAX_CPUS)),
                           memory_mb=section.take("memory_mb", int, 2048, check=between(256, MAX_MEMORY_MB, "MiB")),
                           extra_disk_gb=section.take("extra_disk_gb", int, 0, check=between(0, MAX_EXTRA_DISK_GB)),
                           docker_socket=section.take("docker_socket", str, "/var/run/docker.sock", check=_socket))
    section.done()
    return host


def _engine(section: Section) -> Engine:
    engine = Engine(dockerd=section.take("dockerd", str, "dockerd"), **_engine_package(section),
                    source=section.take("source", str, "system", check=one_of(*ENGINE_SOURCES)),
                    url=section.take("url", str, None),
                    sha256=section.take("sha256", str, None, check=lambda v: None if SHA256_PATTERN.fullmatch(v) else
                                        "must be 64 lower-case hex digits (`sha256sum` of the tarball)"))
    section.done()
    version = engine.version
    if engine.source != "system" and not (version and UPSTREAM_VERSION_PATTERN.fullmatch(version)):
        raise section.error("version", f"a {engine.source} engine needs an upstream version to pin, "
                            f"e.g. version: \"28.5.2\"")
    if engine.source != "system" and engine.dockerd != "dockerd":
        raise section.error("dockerd", f"a {engine.source} engine brings its own dockerd; drop engine.dockerd")
    given = [key for key in ("url", "sha256") if getattr(engine, key) is not None]
    if given != (["url", "sha256"] if engine.source == "static" else []):
        key = next(k for k in ("url", "sha256") if (k in given) != (engine.source == "static"))
        raise section.error(key, "url and sha256 go together with source: static (the official tarball and "
                            "its checksum)")
    return engine


def _engine_package(section: Section) -> dict[str, str | None]:
    """The package fields reach apt-get/yum as root on the target, so they must be package names and versions."""
    return {"package": section.take("package", str, None, check=_package_name),
            "version": section.text("version", None, check=_version)}


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
    driver = section.take("driver", str, check=lambda v: None if NAME_PATTERN.fullmatch(v) else f"{v!r:.80} is not a "
                          "driver name")
    if image_store == "containerd" and driver not in SNAPSHOTTERS:
        raise section.error("driver", f"with image_store: containerd the driver is a containerd snapshotter, one of "
                            f"{', '.join(SNAPSHOTTERS)}; got {driver!r}")
    options = section.take("options", dict, {})
    for key, value in options.items():
        _check_storage_option(section, key, value)
    storage = Storage(driver=driver,
                      options=tuple((str(k), _opt_value(v)) for k, v in options.items()),
                      filesystem=section.take("filesystem", str, "host", check=one_of(*FILESYSTEMS)),
                      size_gb=section.take("size_gb", int, 8, check=between(1, MAX_SIZE_GB, "GiB")),
                      direct_lvm=section.take("direct_lvm", bool, False),
                      image_store=image_store)
    section.done()
    return storage


def _check_storage_option(section: Section, key: Any, value: Any) -> None:
    """Each option becomes one `--storage-opt KEY=VALUE` argument: a key holding `=`, a space or a newline would
    smuggle in a second option (or a second daemon.json line)."""
    where = section.key_path + ("options", str(key))
    if not isinstance(key, str) or not STORAGE_OPTION_KEY.fullmatch(key):
        raise section.doc.error(where, f"{str(key)!r:.80} is not a storage option name (lower case, digits, . _ -; "
                                "e.g. overlay2.size)")
    if not isinstance(value, (str, int, bool)) or (isinstance(value, str) and not value.isprintable()):
        raise section.doc.error(where, f"must be a single printable value (it becomes --storage-opt {key}=VALUE)")


def _refuse_outside_devices(section: Section, storage: Storage) -> None:
    for key, _ in storage.options:
        if key in OUTSIDE_DEVICE_OPTIONS:
            raise section.doc.error(section.key_path + ("options", key), "a local scenario keeps its storage in its "
                                    "own work directory (a loop file); this option hands the daemon a disk or pool "
                                    "of this machine's, which a benchmark must not touch. Use a VM or an ssh host")


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


def _at_most(high: int):
    return lambda value: _non_empty(value) or (None if len(value) <= high else
                                                f"lists {len(value)} entries; at most {high}")


def _refuse_unknown_builders(doc: YamlDocument, builders: list[Any]) -> None:
    for index, entry in enumerate(builders):
        if entry not in BUILDERS:
            raise doc.error(("builders", index), f"{entry!r} is not a builder (known: {', '.join(BUILDERS)})")


def _refuse_too_many_builds(top: Section, repetitions: Repetitions, warmup: int, scenarios: int,
                            workloads: int, builders: int = 1) -> None:
    builds = (repetitions.max + warmup) * scenarios * workloads * builders
    if builds > MAX_PLANNED_BUILDS:
        raise top.error("repetitions", f"plans up to {builds:,} builds ({repetitions.max} reps + {warmup} warmup, "
                        f"{scenarios} scenarios × {workloads} workloads × {builders} builders); "
                        f"at most {MAX_PLANNED_BUILDS:,} per run")


def _refuse_other_kinds_of_file(doc: YamlDocument) -> None:
    """A scenario or workload file passed as the matrix: say what it is, not that `scenarios:` is missing."""
    if not isinstance(doc.data, dict) or "scenarios" in doc.data:
        if not isinstance(doc.data, (dict, type(None))):
            raise doc.error((), f"is not a matrix: expected a mapping with scenarios: and workloads:, found "
                            f"{type(doc.data).__name__}")
        return
    if "host" in doc.data or "storage" in doc.data:
        raise doc.error((), "is a scenario file (it has host:/storage:), not a matrix; pass a matrix, which lists "
                        "scenarios: and workloads: (e.g. matrix-local.yaml)")
    if {"steps", "kind", "dockerfile"} & set(doc.data):
        raise doc.error((), "is a workload file (it has steps:, kind: or dockerfile:), not a matrix; pass a "
                        "matrix, which lists scenarios: and workloads: (e.g. matrix-local.yaml)")


def _refuse_escape(doc: YamlDocument, key_path: tuple, path: Path, home: Path | None = None) -> None:
    """Every input is copied into the run directory beside the matrix, so each must lie inside its directory
    (`home`, by default the directory of the file naming it)."""
    home = (home or doc.path.resolve().parent).resolve()
    target = path.resolve()
    if not target.is_relative_to(home):
        raise doc.error(key_path, f"{path} leads to {target}, outside the matrix's directory {home}; copy the file "
                        "there instead of linking to it")


def _refuse_renamed(section: Section, old: str, new: str, why: str) -> None:
    if old in section.value:
        raise section.error(old, f"was renamed to {new} ({why}); write {new}: {section.value[old]!r}")


def _package_name(value: str) -> str | None:
    return None if PACKAGE_PATTERN.fullmatch(value) else (
        f"{value!r:.80} is not a package name (letters, digits, + . _ -, not starting with -)")


def _version(value: str) -> str | None:
    return None if VERSION_PATTERN.fullmatch(value) else (
        f"{value!r:.80} is not a package version (starts with a digit; letters, digits, . + ~ : _ -)")


def _user_name(value: str) -> str | None:
    return None if USER_PATTERN.fullmatch(value) else (
        f"{value!r:.80} is not a user name (letters, digits, . _ -, not starting with - or a digit; at most 32)")


def _host_address(value: str) -> str | None:
    """A DNS name, an IPv4 or an IPv6 address: never an ssh option (`-oProxyCommand=…`)."""
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    labels = value[:-1].split(".") if value.endswith(".") else value.split(".")
    if len(value) <= 253 and all(HOST_LABEL.fullmatch(label) for label in labels):
        return None
    return f"{value!r:.80} is not a host name, IPv4 or IPv6 address"


def _one_path(value: str) -> str | None:
    """One file, as ssh reads it in `-i FILE` or `-o UserKnownHostsFile=FILE` (where a space starts another)."""
    return None if value.isprintable() and " " not in value else f"{value!r:.80} must be one path, without spaces"


def _socket(value: str) -> str | None:
    return None if value.startswith("/") and value.isprintable() and " " not in value else (
        f"{value!r:.80} must be an absolute path to the daemon's unix socket")


def _device(value: str) -> str | None:
    return None if re.fullmatch(r"/dev/[A-Za-z0-9/._:-]+", value) and ".." not in value else (
        f"{value!r:.80} must be a block device path under /dev (e.g. /dev/disk/by-id/virtio-docker-lvm)")


def _port(value: int) -> str | None:
    return None if 0 < value < 65536 else f"must be a TCP port (1-65535); got {value}"


def _refuse_duplicates(doc: YamlDocument, key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise doc.error((key, index), f"{name!r} is listed twice")
        seen.add(name)
