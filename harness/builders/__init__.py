"""Builders: how a scenario's timed builds are made. Each builder is one module behind the `Builder` interface.

The runner only sees this interface: `build()` makes one no-cache build of a context tar against the daemon on
`socket_path` (`api` is the low-level client on that socket), writes the builder's raw output to `log`, and returns
its step timings; a failed build is a result (`ok=False` with the builder's error text), not an exception.
`build_args` are the Dockerfile's build-args (`--build-arg`), e.g. the base image's tag for a user's own Dockerfile.
`facts()` says what built (binaries and versions) for the manifest.
`classic` is the daemon's own builder through the API; `buildkit` drives the engine's docker CLI (and buildx);
`buildah` is Buildah inside a podman engine's API service. A podman engine builds with buildah only, dockerd never.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from harness.config.names import BUILDERS
from harness.errors import EnvironmentNotAble

if TYPE_CHECKING:  # the docker SDK only when a build is made
    import docker

    from harness.builders.timing import BuildTiming
    from harness.engines.binaries import EngineBinaries


class Builder(Protocol):
    name: str

    def build(self, api: docker.APIClient, socket_path: Path, context_tar: Path, tag: str, log: TextIO,
              build_args: dict[str, str] | None = None) -> BuildTiming: ...

    def facts(self) -> dict[str, Any]: ...


def _classic(engine: EngineBinaries | None) -> Builder:
    _needs_family(engine, "docker", "classic")
    from harness.builders.classic import ClassicBuilder  # noqa: PLC0415 - the registry imports only the backend it picks
    return ClassicBuilder()


def _buildkit(engine: EngineBinaries | None) -> Builder:
    _needs_family(engine, "docker", "buildkit")
    from harness.builders.buildkit import BuildKitBuilder, find_buildkit_cli  # noqa: PLC0415 - the registry imports only the backend it picks
    return BuildKitBuilder(find_buildkit_cli(engine))


def _buildah(engine: EngineBinaries | None) -> Builder:
    _needs_family(engine, "podman", "buildah")
    from harness.builders.buildah import BuildahBuilder  # noqa: PLC0415 - the registry imports only the backend it picks
    return BuildahBuilder(engine.dockerd, engine.version)


#: What to do when a scenario's engine and a builder belong to different stacks, by the engine's family.
_OTHER_STACK = {"podman": "a podman engine builds with `builders: [buildah]`",
                "docker": "Buildah builds on a podman engine (engine: {family: podman})"}


def _needs_family(engine: EngineBinaries | None, family: str, builder: str) -> None:
    """Builders belong to one stack: Buildah is podman's, classic and BuildKit are dockerd's (None: a remote dockerd)."""
    actual = engine.family if engine is not None else "docker"
    if actual != family:
        raise EnvironmentNotAble(f"the {builder} builder needs a {family} engine, and this scenario's is {actual}: "
                                 f"{_OTHER_STACK[actual]}")


#: Builder name (config.names.BUILDERS) → how to make it for an engine. A new builder is one module and one entry.
BACKENDS: dict[str, Callable[[EngineBinaries | None], Builder]] = {"classic": _classic, "buildkit": _buildkit,
                                                                   "buildah": _buildah}


def builder_for(name: str, engine: EngineBinaries | None) -> Builder:
    """The builder called `name` for a daemon of `engine` (None: the system's engine, or a remote host's).

    Raises `EnvironmentNotAble` when the engine's docker CLI cannot do BuildKit builds.
    """
    backend = BACKENDS.get(name)
    if backend is None:
        raise ValueError(f"unknown builder {name!r} (known: {', '.join(BUILDERS)})")
    return backend(engine)
