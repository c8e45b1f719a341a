"""Engines: which dockerd (and its containerd, shims, CLI and buildx) a local scenario runs, and where it came from.

One module per source behind `resolve_engine()`: `system` (a dockerd already on this machine), `debian` (a pinned
version fetched with a private apt configuration from the Debian suite that carries it) and `static` (an official
static tarball checked against its sha256). Fetched engines live in a cache (`cache.py`) and never touch the
system's packages; the local backend puts `path_prefix` first on dockerd's PATH so it starts *its* containerd.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.config import Engine


@dataclass(frozen=True)
class EngineBinaries:
    """The binaries one scenario's daemon runs with, and where they came from (for the manifest)."""

    version: str | None            # e.g. "28.5.2"; None when not known before the daemon answers
    source: str                    # "system" (a dockerd on PATH / engine.dockerd) | "debian" | "static"
    dockerd: Path
    docker_cli: Path | None        # the engine's own docker client (BuildKit builds use it), None if none
    buildx: Path | None            # the docker-buildx CLI plugin, None if none
    path_prefix: tuple[Path, ...]  # directories put first on dockerd's PATH (containerd, shims; host runc dir first)
    packages: tuple[dict, ...] = ()       # {"name","version","sha256"} per fetched package
    host_binaries: tuple[str, ...] = ()   # e.g. "runc: /usr/sbin/runc (the packaged runc needs glibc 2.38)"

    def record(self) -> dict:
        """The manifest's `engine` record (the version is replaced by what the daemon reports, once it answers)."""
        return {"version": self.version, "source": self.source, "dockerd": str(self.dockerd),
                "packages": [dict(p) for p in self.packages], "host_binaries": list(self.host_binaries)}


def resolve_engine(engine: Engine) -> EngineBinaries:
    """The binaries for `engine`, fetching a pinned one into the cache first if it is not there yet."""
    if engine.source == "debian":
        from harness.engines.debian import resolve_debian
        return resolve_debian(engine)
    if engine.source == "static":
        from harness.engines.static import resolve_static
        return resolve_static(engine)
    from harness.engines.system import resolve_system
    return resolve_system(engine)


def version_matches(pinned: str, reported: str) -> bool:
    """Does the daemon's version ("28.5.2+dfsg4", "26.1.5") satisfy the pinned one ("28.5.2", or a prefix "28.5")?"""
    from harness.engines.packages import upstream_version
    upstream = upstream_version(reported)
    return upstream.split(".")[:len(pinned.split("."))] == pinned.split(".")
