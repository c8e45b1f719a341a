"""The classic builder: the daemon's own builder through the API, timed from its streamed progress (timing.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

import docker

from harness.builders.timing import BuildTiming, timed_build


class ClassicBuilder:
    name = "classic"

    def facts(self) -> dict[str, Any]:
        return {"builder": self.name}

    def build(self, api: docker.APIClient, socket_path: Path, context_tar: Path, tag: str, log: TextIO,
              build_args: dict[str, str] | None = None) -> BuildTiming:
        return timed_build(api, context_tar, tag, log, build_args)
