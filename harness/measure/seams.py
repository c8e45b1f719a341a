"""What the runner needs from outside itself, handed to it instead of imported by it: its seams.

hyperfine's scheduler talks to an `Executor` trait and its tests give it a `MockExecutor`; the runner likewise gets
a `Collaborators`: how to make a scenario's host (`DockerHost`), how to resolve a builder for an engine (`Builder`),
and the few daemon API calls it makes besides builds (`DaemonCalls`: facts, base import, image removal, a ping, a
commit). The defaults are the real ones (the host and builder registries, the docker API); a unit test passes fakes
and patches nothing. The runner reaches a host or a builder through their protocols only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from harness.builders import Builder, builder_for
from harness.builders.timing import BuildTiming, remove_image
from harness.config import Scenario, Workload
from harness.hosts import DockerHost, host_for
from harness.hosts.api import ping
from harness.measure.commit import timed_commit
from harness.measure.facts import docker_facts
from harness.measure.workloads import PreparedWorkload, import_base

if TYPE_CHECKING:
    from harness.engines.binaries import EngineBinaries

#: scenario, workspace, log directory → the scenario's host (harness.hosts.host_for).
HostFactory = Callable[[Scenario, Path, Path], DockerHost]
#: builder name, the engine's binaries → the builder (harness.builders.builder_for; EnvironmentNotAble if it can't).
BuilderFactory = Callable[[str, "EngineBinaries | None"], Builder]


class DaemonCalls(Protocol):
    """The daemon API calls the runner makes on a started host, besides builds."""

    def facts(self, host: DockerHost) -> dict[str, Any]:
        """`docker version`, `docker info` and the driver status (masked), for the scenario's record."""
        ...

    def import_base(self, host: DockerHost, workload: Workload) -> float:
        """Import the workload's base unless the daemon has it; the seconds it took."""
        ...

    def remove_image(self, host: DockerHost, tag: str, failed: bool) -> str | None:
        """Remove a built image (and a failed build's leftovers); the problem, or None. Never raises."""
        ...

    def answers(self, host: DockerHost) -> bool:
        """Whether the daemon still answers a ping."""
        ...

    def commit(self, host: DockerHost, prepared: PreparedWorkload, log: TextIO) -> BuildTiming:
        """One timed container commit (a `commit` workload: no builder)."""
        ...


class DockerApi:
    """The real calls, through the host's docker API client and socket."""

    def facts(self, host: DockerHost) -> dict[str, Any]:
        return docker_facts(host.api)

    def import_base(self, host: DockerHost, workload: Workload) -> float:
        return import_base(host.api, workload)

    def remove_image(self, host: DockerHost, tag: str, failed: bool) -> str | None:
        return remove_image(host.api, tag, failed=failed)

    def answers(self, host: DockerHost) -> bool:
        return ping(host.socket_path, timeout=5) is not None

    def commit(self, host: DockerHost, prepared: PreparedWorkload, log: TextIO) -> BuildTiming:
        return timed_commit(host.api, prepared, log)


@dataclass(frozen=True)
class Collaborators:
    """The runner's seams; the defaults drive real hosts, builders and daemons."""

    hosts: HostFactory = host_for
    builders: BuilderFactory = builder_for
    daemon: DaemonCalls = field(default_factory=DockerApi)
