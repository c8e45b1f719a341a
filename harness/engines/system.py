"""`source: system`: the dockerd already on this machine (`engine.dockerd`, default `dockerd` on PATH), as today.

Its own docker CLI is found by asking each candidate its version: on Debian's docker.io the client is /usr/bin/docker,
while another docker (e.g. a newer client in /usr/local/bin) may come first on PATH and would not match the daemon.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from harness.config import Engine
from harness.engines.binaries import EngineBinaries
from harness.engines.packages import upstream_version
from harness.errors import EnvironmentNotAble

PLUGIN_DIRS = ("/usr/libexec/docker/cli-plugins", "/usr/lib/docker/cli-plugins",
               "/usr/local/libexec/docker/cli-plugins", "/usr/local/lib/docker/cli-plugins")
VERSION_LINE = re.compile(r"version\s+v?([0-9][^\s,]*)")


def resolve_system(engine: Engine) -> EngineBinaries:
    found = shutil.which(engine.dockerd)
    if found is None:
        raise EnvironmentNotAble(f"{engine.dockerd} not found: install it with `apt-get install docker.io` "
                                 f"(Debian/Ubuntu), set engine.dockerd, or pin one with `engine: {{version: …, "
                                 f"source: debian}}`")
    dockerd = Path(found)
    version = binary_version(dockerd)
    return EngineBinaries(version=version, source="system", dockerd=dockerd,
                          docker_cli=_matching_cli(dockerd, version), buildx=_buildx(), path_prefix=())


def binary_version(binary: Path) -> str | None:
    """The upstream version a docker binary prints ("Docker version 20.10.24+dfsg1, build …" → "20.10.24")."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = VERSION_LINE.search(out)
    return upstream_version(match.group(1)) if match else None


def _matching_cli(dockerd: Path, version: str | None) -> Path | None:
    """The first docker client near dockerd (then on PATH) whose version is the daemon's own."""
    home = dockerd.resolve().parent
    candidates = [home / "docker", home.parent / "bin" / "docker", Path("/usr/bin/docker"),
                  *(Path(p) for p in [shutil.which("docker")] if p)]
    for candidate in dict.fromkeys(candidates):
        if version is not None and candidate.is_file() and binary_version(candidate) == version:
            return candidate
    return None


def _buildx() -> Path | None:
    return next((Path(d) / "docker-buildx" for d in PLUGIN_DIRS if (Path(d) / "docker-buildx").is_file()), None)
