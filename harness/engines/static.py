"""`source: static`: an official static tarball (download.docker.com/linux/static/…), for machines without apt.

The tarball is downloaded (https, loopback http or a file URL, checked at validate; at most MAX_TARBALL_BYTES)
into a staging directory only root can enter, its sha256 compared with `engine.sha256` — and recorded — before
anything is extracted, and its `docker/` directory (dockerd, containerd, shims, runc, docker, docker-init) unpacked
with tarfile's `data` filter (no absolute paths, no links out of the tree; Python ≥ 3.11.4, see pyproject). Each
pinned sha256 has its own cache directory: two scenarios pinning one version differently never share one.
"""

from __future__ import annotations

import hashlib
import http.client
import os
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
from harness.results.masking import mask_text

DOWNLOAD_TIMEOUT_S = 120
#: Far above a Docker static release (~80 MB), far below a disk: `file:///dev/zero` must not fill the cache.
MAX_TARBALL_BYTES = 1024**3


def resolve_static(engine: Engine) -> EngineBinaries:
    directory = engine_dir("static", engine.version, engine.sha256)
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
        raise EnvironmentNotAble(f"the tarball at {mask_text(engine.url)} has sha256 {actual}, not the {engine.sha256} that "
                                 f"engine.sha256 pins: refusing to extract it (check the URL and the checksum)")
    try:
        with tarfile.open(tarball) as archive:
            archive.extractall(staging, filter="data")
    except tarfile.TarError as error:  # includes the filter's refusals (absolute paths, links out of the tree)
        raise EnvironmentNotAble(f"the tarball at {mask_text(engine.url)} cannot be unpacked safely: {error}") from None
    tarball.unlink()
    if not (staging / "docker" / "dockerd").is_file():
        raise EnvironmentNotAble(f"the tarball at {mask_text(engine.url)} has no docker/dockerd: is it a Docker static "
                                 f"release (docker-VERSION.tgz)?")
    name = engine.url.rstrip("/").rsplit("/", 1)[-1]
    return {"version": engine.version, "source": "static", "url": mask_text(engine.url), "sha256": engine.sha256,
            "packages": [{"name": name, "version": engine.version, "sha256": actual}]}


def download(url: str, target: Path, limit: int = MAX_TARBALL_BYTES) -> str:
    """Copy `url` to `target` (created for its owner only), at most `limit` bytes; return the sha256 of what
    arrived. The URL was checked at validate (harness.config.urls); a failure here names it, masked."""
    digest, size = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, \
                os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), "wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                size += len(block)
                if size > limit:
                    raise EnvironmentNotAble(f"the engine tarball at {mask_text(url)} is larger than {limit:,} bytes "
                                             "(a Docker static release is about 80 MB): is the URL right?")
                digest.update(block)
                out.write(block)
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
        raise EnvironmentNotAble(f"could not download the engine tarball {mask_text(url)} ({mask_text(str(error))}); "
                                 "check the URL, or prefetch with `harness engines fetch MATRIX` where it is "
                                 "reachable") from None
    return digest.hexdigest()
