"""What one scenario's daemon runs with: the binaries an engine source resolved, and where they came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EngineBinaries:
    """The binaries one scenario's daemon runs with, and where they came from (for the manifest)."""

    version: str | None            # e.g. "28.5.2"; None when not known before the daemon answers
    source: str                    # "system" (a dockerd on PATH / engine.dockerd) | "debian" | "static"
    dockerd: Path                  # the binary serving the API: dockerd, or podman (`podman system service`)
    docker_cli: Path | None        # the engine's own docker client (BuildKit builds use it), None if none
    buildx: Path | None            # the docker-buildx CLI plugin, None if none
    path_prefix: tuple[Path, ...]  # directories put first on dockerd's PATH (containerd, shims; host runc dir first)
    packages: tuple[dict, ...] = ()       # {"name","version","sha256"} per fetched package
    host_binaries: tuple[str, ...] = ()   # e.g. "runc: /usr/sbin/runc (the packaged runc needs glibc 2.38)"
    family: str = "docker"                # "docker" | "podman" (config.limits.ENGINE_FAMILIES)

    def record(self) -> dict:
        """The manifest's `engine` record (the version is replaced by what the daemon reports, once it answers)."""
        return {"version": self.version, "source": self.source, "family": self.family, "dockerd": str(self.dockerd),
                "packages": [dict(p) for p in self.packages], "host_binaries": list(self.host_binaries)}
