"""Record BuildKit's raw progress output from real builds against a private dockerd (see README.md here).

Run as root under the machine lock, e.g.
  flock /tmp/harness-machine.lock .venv/bin/python tests/data/buildkit/record.py plain-20.10 \\
      --docker /usr/bin/docker
Writes NAME.ok.txt (a successful build), NAME.fail.txt (a build whose RUN fails) and, with --cached, NAME.cached.txt
(the successful build again without --no-cache, so BuildKit reports its steps CACHED) beside this file.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
from pathlib import Path

from harness.builders import buildkit
from harness.builders.buildkit import BuildKitBuilder, BuildKitCli
from harness.config import BaseTree, Engine, Payload, Workload, load_scenario
from harness.hosts.local import LocalDaemon
from harness.measure.workloads import build_tag, import_base, write_context

HERE = Path(__file__).parent
REPO = HERE.parents[2]
BASE = BaseTree(files=2000, file_size=512, directories=20, content_seed=1)
WORKLOADS = {
    "ok": ("RUN touch /x", "COPY payload/ /payload/", "ENV MARK=1", "RUN mv /base/d0000 /base/moved"),
    "fail": ("RUN touch /x", "RUN echo boom >&2 && exit 3", "COPY payload/ /payload/"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--docker", type=Path, required=True)
    parser.add_argument("--buildx", type=Path)
    parser.add_argument("--dockerd", default="dockerd")
    parser.add_argument("--path-prefix", default="", help="directories put first on dockerd's PATH (: separated)")
    parser.add_argument("--cached", action="store_true", help="also record a build that reuses the cache")
    parser.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "local-overlay2-native.yaml")
    args = parser.parse_args()
    if args.path_prefix:
        os.environ["PATH"] = f"{args.path_prefix}:{os.environ['PATH']}"
    scenario = dataclasses.replace(load_scenario(args.scenario), engine=Engine(dockerd=args.dockerd))
    builder = BuildKitBuilder(BuildKitCli(args.docker, args.buildx))
    with tempfile.TemporaryDirectory(prefix="bkrec", dir="/tmp") as root:
        daemon = LocalDaemon(scenario, Path(root) / "w", Path(root) / "logs")
        try:
            daemon.start()
            for kind, steps in WORKLOADS.items():
                workload = Workload(name=f"record-{kind}", description="", base=BASE, payload=Payload(), steps=steps)
                import_base(daemon.api, workload)
                context = write_context(workload, Path(root) / "contexts")
                with (HERE / f"{args.name}.{kind}.txt").open("w") as log:
                    timing = builder.build(daemon.api, daemon.socket_path, context, build_tag(workload), log)
                print(kind, timing.ok, timing.error, [(s.index, s.instruction, round(s.seconds, 3)) for s in timing.steps])
            if args.cached:
                record_cached(builder.cli, daemon.socket_path, Path(root), args.name)
        finally:
            daemon.stop()


def record_cached(cli: BuildKitCli, socket_path: Path, root: Path, name: str) -> None:
    """The "ok" build once more, without --no-cache: its image is still there, so every step comes from the cache."""
    workload = Workload(name="record-ok", description="", base=BASE, payload=Payload(), steps=WORKLOADS["ok"])
    config = root / "config"
    config.mkdir()
    command = [part for part in cli.command(build_tag(workload), config / "iid") if part != "--no-cache"]
    with (HERE / f"{name}.cached.txt").open("w") as log:
        buildkit._run(command, cli.environment(socket_path, config), write_context(workload, root / "contexts"), log)


if __name__ == "__main__":
    main()
