"""What profiling costs, and what it shows: the seed workload on naive and native overlay2, profile off vs on.

For each scenario one private dockerd (like `harness run`) builds the workload `--pairs` times with goroutine
sampling off and on, alternating which goes first (ABBA), after one warmup build. Daemon events are recorded on
every build (they are always on in the harness). Prints per step: median seconds, median commit (from events),
the worst |step − phases| gap, and the diff share (profiled builds); then the median build time off vs on. Flame
graphs (folded + SVG) of all profiled builds go to --out.

    sudo flock /tmp/harness-machine.lock .venv/bin/python benchmarks/profile_overhead.py --pairs 8 --out /tmp/prof-bench
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from tabulate import tabulate

from harness.builders.timing import remove_image, timed_build
from harness.config import load_scenario, load_workload
from harness.hosts.local import LocalDaemon
from harness.measure.workloads import build_tag, import_base, write_context
from harness.observe import observing
from harness.observe.flamegraph import folded_stacks, write_flame_graph
from harness.observe.pprof import read_samples

REPO = Path(__file__).resolve().parent.parent


def measure(scenario_name: str, args: argparse.Namespace) -> list[dict]:
    workload = load_workload(REPO / "workloads" / f"{args.workload}.yaml")
    daemon = LocalDaemon(load_scenario(REPO / "scenarios" / f"{scenario_name}.yaml"), args.work, args.out / "logs")
    context = write_context(workload, args.out / "contexts")
    tag, builds = build_tag(workload), []
    daemon.start()
    try:
        import_base(daemon.api, workload)
        with (args.out / f"{scenario_name}.build.log").open("w") as log:
            for index, profiled in enumerate([False] + [on for pair in range(args.pairs)
                                                        for on in ((False, True) if pair % 2 else (True, False))]):
                target = args.out / "pprof" / f"{scenario_name}-{index}.goroutines.gz" if profiled else None
                with observing(daemon.socket_path, target, args.interval) as seen:
                    timing = timed_build(daemon.api, context, tag, log)
                remove_image(daemon.api, tag, failed=not timing.ok)
                if index and timing.ok:  # the first build is the warmup
                    builds.append({"profiled": profiled, "timing": timing, "phases": seen.phases(timing),
                                   "profiles": seen.step_profiles(timing), "file": target})
    finally:
        daemon.stop()
    return builds


def step_rows(scenario: str, builds: list[dict]) -> list[list]:
    per_step: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for build in builds:
        for number, step in enumerate(build["timing"].steps):
            cell = per_step[step.index]
            cell["text"] = [step.text]
            cell["seconds"].append(step.seconds)
            phase = build["phases"][number]
            if phase.commit_s is not None:
                cell["commit"].append(phase.commit_s)
                cell["gap"].append(abs(step.seconds - phase.total_s))
            if build["profiles"] and build["profiles"][number].samples:
                cell["diff"].append(build["profiles"][number].diff_share)
                cell["samples"].append(build["profiles"][number].samples)
    return [[scenario, index, cell["text"][0][:32], _median(cell["seconds"]), _median(cell["commit"]),
             max(cell["gap"], default=None), _median(cell["diff"]), sum(cell["samples"])]
            for index, cell in sorted(per_step.items()) if index > 1]


def flame(scenario: str, builds: list[dict], out: Path) -> None:
    folded: Counter[str] = Counter()
    for build in builds:
        if build["file"]:
            folded += folded_stacks(read_samples(build["file"]), build["timing"].steps)
    write_flame_graph(folded, out, scenario, f"{scenario}: seed workload, goroutine samples")


def _median(values: list) -> float | None:
    return round(statistics.median(values), 3) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between goroutine dumps")
    parser.add_argument("--workload", default="seed")
    parser.add_argument("--out", type=Path, default=Path("/tmp/prof-bench"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/pbw"))
    parser.add_argument("--scenarios", nargs="+", default=["local-overlay2-naive", "local-overlay2-native"])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    steps, totals = [], []
    for scenario in args.scenarios:
        builds = measure(scenario, args)
        steps += step_rows(scenario, builds)
        flame(scenario, builds, args.out)
        off = [b["timing"].seconds for b in builds if not b["profiled"]]
        on = [b["timing"].seconds for b in builds if b["profiled"]]
        overhead = statistics.median(on) / statistics.median(off) - 1
        totals.append([scenario, len(off), _median(off), _median(on), f"{overhead:+.1%}"])
    print(tabulate(steps, headers=["scenario", "step", "instruction", "median s", "commit s", "max |step−phases| s",
                                   "diff share", "samples"]))
    print()
    print(tabulate(totals, headers=["scenario", "pairs", "off: median s", "on: median s", "overhead"]))


if __name__ == "__main__":
    main()
