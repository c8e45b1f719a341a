"""`source: static`: an official static tarball (download.docker.com/linux/static/…), for machines without apt.

The tarball is downloaded (http, https or file URL), its sha256 compared with `engine.sha256` before anything is
extracted, and its `docker/` directory (dockerd, containerd, shims, runc, docker, docker-init) unpacked into the
cache with tarfile's `data` filter (no absolute paths, no links out of the tree).
"""

from __future__ import annotations

import hashlib
import tarfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.config import Engine
from harness.engines.binaries import EngineBinaries
from harness.engines.cache import engine_dir, install, read_record
from harness.engines.runc import runc_choice
from harness.errors import EnvironmentNotAble

DOWNLOAD_TIMEOUT_S = 120


def resolve_static(engine: Engine) -> EngineBinaries:
    directory = engine_dir("static", engine.version)
    record = read_record(directory)
    if record is None or record.get("sha256") != engine.sha256:
        record = install(directory, lambda staging: _fetch(engine, staging))
    return binaries_of(directory, record)


def binaries_of(directory: Path, record: dict[str, Any]) -> EngineBinaries:
    tree = directory / "docker"
    prefix, host_binaries = runc_choice(tree / "runc" if (tree / "runc").exists() else None, directory / "host-runc")
    return EngineBinaries(version=record["version"], source="static", dockerd=tree / "dockerd",
                          docker_cli=tree / "docker" if (tree / "docker").exists() else None,
                          buildx=tree / "docker-buildx" if (tree / "docker-buildx").exists() else None,
                          path_prefix=(*prefix, tree), packages=tuple(record["packages"]),
                          host_binaries=host_binaries)


def _fetch(engine: Engine, staging: Path) -> dict[str, Any]:
    tarball = staging / "download.tgz"
    actual = download(engine.url, tarball)
    if actual != engine.sha256:
        raise EnvironmentNotAble(f"the tarball at {engine.url} has sha256 {actual}, not the {engine.sha256} that "
                                 f"engine.sha256 pins: refusing to extract it (check the URL and the checksum)")
    try:
        with tarfile.open(tarball) as archive:
            archive.extractall(staging, filter="data")
    except tarfile.TarError as error:  # includes the filter's refusals (absolute paths, links out of the tree)
        raise EnvironmentNotAble(f"the tarball at {engine.url} cannot be unpacked safely: {error}") from None
    tarball.unlink()
    if not (staging / "docker" / "dockerd").is_file():
        raise EnvironmentNotAble(f"the tarball at {engine.url} has no docker/dockerd: is it a Docker static "
                                 f"release (docker-VERSION.tgz)?")
    name = engine.url.rstrip("/").rsplit("/", 1)[-1]
    return {"version": engine.version, "source": "static", "url": engine.url, "sha256": engine.sha256,
            "packages": [{"name": name, "version": engine.version, "sha256": actual}]}


def download(url: str, target: Path) -> str:
    """Copy `url` to `target`; return the sha256 of what arrived."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, target.open("wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    except (urllib.error.URLError, OSError) as error:
        raise EnvironmentNotAble(f"could not download the engine tarball {url} ({error}); check the URL, or "
                                 f"prefetch with `harness engines fetch MATRIX` where it is reachable") from None
    return digest.hexdigest()
