"""scenarios/NAME.yaml → Scenario: the docker host (local, ssh, vagrant), its engine, storage and kernel knobs.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

from harness import drivers
from harness.config.checks import one_path, refuse_escape
from harness.config.limits import (
    CONTAINERD_STORE_SINCE,
    ENGINE_FAMILIES,
    ENGINE_SOURCES,
    HOST_LABEL,
    HOST_TYPES,
    MAX_CPUS,
    MAX_EXTRA_DISK_GB,
    MAX_MEMORY_MB,
    MAX_SIZE_GB,
    NAME_PATTERN,
    OUTSIDE_DEVICE_OPTIONS,
    PACKAGE_PATTERN,
    SHA256_PATTERN,
    STORAGE_OPTION_KEY,
    UPSTREAM_VERSION_PATTERN,
    USER_PATTERN,
    VERSION_PATTERN,
)
from harness.config.model import (
    Engine,
    Expect,
    Host,
    LocalHost,
    OverlayKnobs,
    Scenario,
    SshHost,
    Storage,
    VagrantHost,
)
from harness.config.urls import engine_url_complaint
from harness.config.yamlfile import Section, YamlDocument, between, load_yaml, one_of


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
    storage = _storage(top.section("storage", required=True), engine.family)
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
    _check_storage(doc, host, storage)
    _check_engine(doc, host, engine, storage)
    return Scenario(name=name, file=path, description=description, host=host, engine=engine, storage=storage,
                    overlay=overlay, expect=expect, kernel_package=kernel_package)


def scenario_from(doc: YamlDocument, index: int, name: Any) -> Scenario:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise doc.error(("scenarios", index), f"must be a scenario name (a file in scenarios/: lower case, digits, "
                        f". _ -, at most 64 characters), not {name!r:.80}")
    path = doc.path.parent / "scenarios" / f"{name}.yaml"
    if not path.is_file():
        raise doc.error(("scenarios", index), f"no scenario file {path}")
    refuse_escape(doc, ("scenarios", index), path)
    return load_scenario(path)


def _check_storage(doc: YamlDocument, host: Host, storage: Storage) -> None:
    """What the driver's registry entry asks of where it runs: its own filesystem, a thin pool on a VM or server."""
    if storage.filesystem != "host" and not isinstance(host, LocalHost):
        raise doc.error(("storage", "filesystem"), "a loop-file filesystem is for local hosts only; on a VM or "
                        "server the daemon uses the machine's own /var/lib/docker filesystem")
    registered = drivers.lookup(storage.driver, storage.image_store)
    own = registered.own_filesystem if registered else None
    if isinstance(host, LocalHost) and own and storage.filesystem != own:
        raise doc.error(("storage", "filesystem"), f"the {storage.driver} driver needs its own filesystem under the "
                        f"data-root: set storage.filesystem: {own}" if own in drivers.FILESYSTEMS else
                        f"the {storage.driver} driver needs a {own} dataset, which the local backend does not make: "
                        "use a VM")
    if storage.direct_lvm and (not (registered and registered.thin_pool) or isinstance(host, LocalHost)):
        raise doc.error(("storage", "direct_lvm"), "direct-lvm is for the devicemapper driver on a VM or server")
    if storage.direct_lvm and isinstance(host, VagrantHost) and host.extra_disk_gb <= 0:
        raise doc.error(("host", "extra_disk_gb"), "direct-lvm needs an extra disk: set host.extra_disk_gb")
    if storage.direct_lvm and isinstance(host, SshHost) and not (
            host.lvm_device or any(key == "dm.directlvm_device" for key, _ in storage.options)):
        raise doc.error(("storage", "direct_lvm"), "on an ssh host, say which disk becomes the thin pool: "
                        "host.lvm_device (e.g. /dev/disk/by-id/virtio-docker-lvm)")


def _host(section: Section) -> Host:
    kind = section.take("type", str, check=one_of(*HOST_TYPES))
    if kind == "local":
        host: Host = LocalHost()
    elif kind == "ssh":
        host = SshHost(address=section.take("address", str, check=_host_address),
                       user=section.take("user", str, check=_user_name),
                       port=section.take("port", int, 22, check=_port),
                       identity_file=section.take("identity_file", str, None, check=one_path),
                       known_hosts=section.take("known_hosts", str, None, check=one_path),
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
                                        "must be 64 lower-case hex digits (`sha256sum` of the tarball)"),
                    family=section.take("family", str, "docker", check=one_of(*ENGINE_FAMILIES)))
    section.done()
    if engine.family == "podman":
        _check_podman_engine(section, engine)
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
    complaint = engine_url_complaint(engine.url) if engine.url is not None else None
    if complaint:
        raise section.error("url", complaint)
    return engine


def _check_podman_engine(section: Section, engine: Engine) -> None:
    """Podman is the machine's own (Debian 12 packages 4.3): no dockerd, nothing pinned or fetched for it yet."""
    for key, value, default in (("source", engine.source, "system"), ("dockerd", engine.dockerd, "dockerd"),
                                ("package", engine.package, None)):
        if value != default:
            raise section.error(key, "a podman engine is the `podman` on this machine's PATH (`apt-get install "
                                f"podman`): drop engine.{key}")


def _engine_package(section: Section) -> dict[str, str | None]:
    """The package fields reach apt-get/yum as root on the target, so they must be package names and versions."""
    return {"package": section.take("package", str, None, check=_package_name),
            "version": section.text("version", None, check=_version)}


def _check_engine(doc: YamlDocument, host: Host, engine: Engine, storage: Storage) -> None:
    """Pinned engines and the containerd image store are for local hosts, and the store needs Docker 24 or later."""
    if engine.source != "system" and not isinstance(host, LocalHost):
        raise doc.error(("engine", "source"), "pinned engines (debian, static) run on local hosts; a VM or server "
                        "installs engine.package at engine.version when provisioned")
    if engine.family == "podman" and not isinstance(host, LocalHost):
        raise doc.error(("engine", "family"), "podman engines run on local hosts for now (a private `podman system "
                        "service` per scenario); provisioning Podman on a VM or server is not written yet")
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


def _storage(section: Section, family: str) -> Storage:
    """A podman engine has one image store, containers/storage, and only its drivers; dockerd has the other two."""
    podman = family == "podman"
    image_store = section.take("image_store", str, drivers.CONTAINERS_STORAGE if podman else drivers.GRAPHDRIVER,
                               check=one_of(*drivers.IMAGE_STORES))
    if podman != (image_store == drivers.CONTAINERS_STORAGE):
        raise section.error("image_store", "containers-storage is the image store of podman engines (engine: "
                            "{family: podman}), and theirs only")
    driver = section.take("driver", str, check=lambda v: None if NAME_PATTERN.fullmatch(v) else f"{v!r:.80} is not a "
                          "driver name")
    if image_store == drivers.CONTAINERD and drivers.lookup(driver, image_store) is None:
        raise section.error("driver", f"with image_store: containerd the driver is a containerd snapshotter, one of "
                            f"{', '.join(drivers.SNAPSHOTTERS)}; got {driver!r}")
    if podman and drivers.lookup(driver, image_store) is None:
        raise section.error("driver", f"a podman engine's driver is one of containers/storage's: "
                            f"{', '.join(drivers.CONTAINERS_DRIVERS)} (fuse-overlayfs is overlay with the option "
                            f"overlay.mount_program: /usr/bin/fuse-overlayfs); got {driver!r}")
    options = section.take("options", dict, {})
    for key, value in options.items():
        _check_storage_option(section, key, value)
    storage = Storage(driver=driver,
                      options=tuple((str(k), _opt_value(v)) for k, v in options.items()),
                      filesystem=section.take("filesystem", str, "host", check=one_of(*drivers.FILESYSTEMS)),
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


def _socket(value: str) -> str | None:
    return None if value.startswith("/") and value.isprintable() and " " not in value else (
        f"{value!r:.80} must be an absolute path to the daemon's unix socket")


def _device(value: str) -> str | None:
    return None if re.fullmatch(r"/dev/[A-Za-z0-9/._:-]+", value) and ".." not in value else (
        f"{value!r:.80} must be a block device path under /dev (e.g. /dev/disk/by-id/virtio-docker-lvm)")


def _port(value: int) -> str | None:
    return None if 0 < value < 65536 else f"must be a TCP port (1-65535); got {value}"
