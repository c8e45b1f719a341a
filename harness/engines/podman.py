"""`family: podman`: the podman on this machine's PATH, whose `podman system service` serves the Docker API.

Debian 12 packages podman 4.3 and buildah 1.28 (the same Buildah is built into podman: its API's /build runs
Buildah's imagebuildah). They install beside docker.io and replace nothing. No version is fetched into the engine
cache: trixie's podman 5.4 and sid's 5.8 need glibc 2.38 (bookworm has 2.36; docs/podman.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.config import Engine
from harness.engines.binaries import EngineBinaries
from harness.engines.system import binary_version
from harness.errors import EnvironmentNotAble

INSTALL = "install it with `apt-get install podman` (Debian/Ubuntu; it installs beside Docker and replaces nothing)"


def resolve_podman(engine: Engine) -> EngineBinaries:
    found = shutil.which("podman")
    if found is None:
        raise EnvironmentNotAble(f"podman not found: {INSTALL}")
    podman = Path(found)
    return EngineBinaries(version=binary_version(podman), source="system", dockerd=podman, docker_cli=None,
                          buildx=None, path_prefix=(), family="podman")
