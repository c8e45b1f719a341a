"""Docker hosts: where a scenario's daemon lives. Each backend is one module behind the `DockerHost` interface.

The runner only sees this interface. A host serves one daemon session per round: `start()` begins a session
(the first call also prepares what the whole run keeps: work directory, loop filesystem, data-root), `api` is a
low-level docker client on a unix socket, `facts()` describes the machine for the manifest, `stop()` ends the
session and keeps the data-root for the next one, `close()` ends any session and undoes everything the first
`start()` prepared. `stop()` and `close()` never raise over an earlier error. A backend that cannot restart its
daemon per session says why in `facts()["daemon_sessions"]` and keeps one daemon (reconnecting per session).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import docker

from harness.config import Scenario
from harness.engines.binaries import EngineBinaries


class DockerHost(Protocol):
    scenario: Scenario
    api: docker.APIClient
    #: Unix socket the client talks to (a private daemon's, or the local end of an SSH forward).
    socket_path: Path
    #: The engine's binaries (dockerd, its docker CLI and buildx) on this machine; None for ssh and vagrant hosts.
    engine: EngineBinaries | None
    #: containerd's debug socket (it serves /debug/pprof), profiled beside dockerd when the harness started it and
    #: the layer commits happen there (the containerd image store); None otherwise.
    containerd_debug_socket: Path | None
    @property
    def daemon_log(self) -> Path | None:
        """The daemon's own log when the harness started it on this machine (the runner reads it for `harness
        doctor`'s findings); None for a daemon on another machine."""
        ...

    def start(self) -> None: ...

    def facts(self) -> dict[str, Any]: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


def _local(scenario: Scenario, workspace: Path, log_dir: Path) -> DockerHost:
    if scenario.engine.family == "podman":  # podman's API service in place of dockerd
        from harness.hosts.podman import LocalPodman  # noqa: PLC0415 - the registry imports only the backend it picks
        return LocalPodman(scenario, workspace, log_dir)
    from harness.hosts.local import LocalDaemon  # noqa: PLC0415 - the registry imports only the backend it picks
    return LocalDaemon(scenario, workspace, log_dir)


def _ssh(scenario: Scenario, workspace: Path, log_dir: Path) -> DockerHost:
    from harness.hosts.ssh import SshDockerHost  # noqa: PLC0415 - the registry imports only the backend it picks
    return SshDockerHost(scenario, workspace, log_dir)


def _vagrant(scenario: Scenario, workspace: Path, log_dir: Path) -> DockerHost:
    from harness.hosts.vagrant import VagrantDockerHost  # noqa: PLC0415 - the registry imports only the backend it picks
    return VagrantDockerHost(scenario, workspace, log_dir)


#: Host type (a scenario's `host.type`) → its backend. A new backend is one module and one entry here.
BACKENDS: dict[str, Callable[[Scenario, Path, Path], DockerHost]] = {"local": _local, "ssh": _ssh, "vagrant": _vagrant}


def host_for(scenario: Scenario, workspace: Path, log_dir: Path) -> DockerHost:
    """The backend for `scenario`; `workspace` holds its private files, `log_dir` the logs kept with the run."""
    backend = BACKENDS.get(scenario.host.type)
    if backend is None:
        raise TypeError(f"unknown host type {scenario.host.type!r} (known: {', '.join(BACKENDS)})")
    return backend(scenario, workspace, log_dir)
