"""BuildKit's EXPORT step on naive vs native overlay2, for the figures in the report (until `builders:` is a matrix key).

Starts each scenario's private dockerd like `harness run` does (LocalDaemon, the repository's scenario files),
imports the seed-like base and makes 1 warmup + N no-cache BuildKit builds with every CLI given: the system's
(plain progress if it has BuildKit built in) and, with --docker/--buildx, an engine's CLI and buildx (rawjson).
Prints the median EXPORT step and whole build per scenario and CLI.

    sudo flock /tmp/harness-machine.lock .venv/bin/python benchmarks/buildkit_export.py --reps 5 \\
        --docker /tmp/bk-engines/sid/root/usr/bin/docker \\
        --buildx /tmp/bk-engines/sid/root/usr/libexec/docker/cli-plugins/docker-buildx
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from harness.builders import Builder, builder_for
from harness.builders.buildkit import BuildKitBuilder, BuildKitCli
from harness.builders.timing import remove_image
from harness.config import BaseTree, Payload, Workload, load_scenario
from harness.hosts.local import LocalDaemon
from harness.measure.workloads import build_tag, import_base, write_context

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ("local-overlay2-naive", "local-overlay2-native")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--docker", type=Path)
    parser.add_argument("--buildx", type=Path)
    args = parser.parse_args()
    workload = Workload(name="bk-export", description="", payload=Payload(),
                        base=BaseTree(files=args.files, file_size=512, directories=100),
                        steps=("RUN touch /x", "COPY payload/ /payload/", "RUN mv /base/d0000 /moved"))
    builders: dict[str, Builder] = {"system CLI": builder_for("buildkit", None)}
    if args.docker and args.buildx:
        builders["engine CLI + buildx"] = BuildKitBuilder(BuildKitCli(args.docker, args.buildx))
    with tempfile.TemporaryDirectory(prefix="bkx", dir="/tmp") as root:
        os.environ["HARNESS_STATE_DIR"] = f"{root}/state"
        for scenario in SCENARIOS:
            daemon = LocalDaemon(load_scenario(REPO / "scenarios" / f"{scenario}.yaml"), Path(root) / "w",
                                 Path(root) / "logs")
            try:
                daemon.start()
                import_base(daemon.api, workload)
                context = write_context(workload, Path(root) / "contexts")
                for name, builder in builders.items():
                    report(scenario, name, builder, measure(daemon, builder, workload, context, args.reps))
            finally:
                daemon.stop()


def measure(daemon: LocalDaemon, builder: Builder, workload: Workload, context: Path, reps: int
            ) -> list[tuple[float, float]]:
    """(EXPORT seconds, build seconds) of `reps` builds after one warmup."""
    measured = []
    for rep in range(reps + 1):
        with open(os.devnull, "w") as log:
            timing = builder.build(daemon.api, daemon.socket_path, context, build_tag(workload), log)
        remove_image(daemon.api, build_tag(workload), failed=not timing.ok)
        if not timing.ok:
            raise SystemExit(f"build failed: {timing.error}")
        if rep:
            measured.append((timing.steps[-1].seconds, timing.seconds))
    return measured


def report(scenario: str, name: str, builder: Builder, measured: list[tuple[float, float]]) -> None:
    exports = [e for e, _ in measured]
    print(f"{scenario:24} {name:20} ({builder.facts()['progress']}): EXPORT median {statistics.median(exports):.3f} s "
          f"{[round(e, 3) for e in exports]}; build median {statistics.median(b for _, b in measured):.2f} s",
          flush=True)


if __name__ == "__main__":
    main()
