"""The buildah builder: Buildah as podman's API service runs it (`podman build`'s engine), timed from its output.

podman's Docker-compatible /build hands the context to Buildah's imagebuildah with layers on (each step committed
as an image, the commit where containers/storage's naive differ spends its time) and streams Buildah's own "STEP
n/m:" lines as they happen; the same no-cache, network-none, no-pull build as the classic builder, timed the same
way (harness.builders.timing). It needs a podman engine: dockerd has no Buildah.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

import docker

from harness.builders.timing import BUILDAH_STEP, BuildTiming, timed_build


class BuildahBuilder:
    name = "buildah"

    def __init__(self, podman: Path, version: str | None):
        self.podman, self.version = podman, version

    def facts(self) -> dict[str, Any]:
        return {"builder": self.name, "via": "podman system service (/build, layers on)",
                "podman": str(self.podman), "podman_version": self.version}

    def build(self, api: docker.APIClient, socket_path: Path, context_tar: Path, tag: str, log: TextIO,
              build_args: dict[str, str] | None = None) -> BuildTiming:
        return timed_build(api, context_tar, tag, log, build_args, step_line=BUILDAH_STEP)
