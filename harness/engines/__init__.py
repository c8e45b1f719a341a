"""Engines: which dockerd (and its containerd, shims, CLI and buildx) a local scenario runs, and where it came from.

One module per source behind `resolve_engine()`: `system` (a dockerd already on this machine), `debian` (a pinned
version fetched with a private apt configuration from the Debian suite that carries it) and `static` (an official
static tarball checked against its sha256); `podman` (family podman: the machine's own podman, whose API service
stands in for dockerd). Fetched engines live in a cache (`cache.py`) and never touch the
system's packages; the local backend puts `path_prefix` first on dockerd's PATH so it starts *its* containerd.
"""

from __future__ import annotations

from harness.config import Engine
from harness.engines.binaries import EngineBinaries
from harness.engines.packages import upstream_version


def resolve_engine(engine: Engine) -> EngineBinaries:
    """The binaries for `engine`, fetching a pinned one into the cache first if it is not there yet."""
    if engine.family == "podman":
        from harness.engines.podman import resolve_podman  # noqa: PLC0415 - the chooser imports only the backend it picks
        return resolve_podman(engine)
    if engine.source == "debian":
        from harness.engines.debian import resolve_debian  # noqa: PLC0415 - the chooser imports only the backend it picks
        return resolve_debian(engine)
    if engine.source == "static":
        from harness.engines.static import resolve_static  # noqa: PLC0415 - the chooser imports only the backend it picks
        return resolve_static(engine)
    from harness.engines.system import resolve_system  # noqa: PLC0415 - the chooser imports only the backend it picks
    return resolve_system(engine)


def version_matches(pinned: str, reported: str) -> bool:
    """Does the daemon's version ("28.5.2+dfsg4", "26.1.5") satisfy the pinned one ("28.5.2", or a prefix "28.5")?"""
    upstream = upstream_version(reported)
    return upstream.split(".")[:len(pinned.split("."))] == pinned.split(".")
