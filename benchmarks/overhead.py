"""Where a run's wall time went, from its manifest: builds, the harness's work between builds, daemon start and
stop, base import. The figure for "harness overhead" in the docs.

    .venv/bin/python benchmarks/overhead.py results/<run-id>
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from tabulate import tabulate


def seconds_between(start: str, end: str) -> float:
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def main(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    rows, totals = [], {"wall": 0.0, "builds": 0.0, "between": 0.0, "start": 0.0, "stop": 0.0, "import": 0.0}
    for name, scenario in manifest["scenarios"].items():
        if "timing" not in scenario:
            continue
        wall = seconds_between(scenario["started_at"], scenario["ended_at"])
        timing = scenario["timing"]
        parts = {"wall": wall, "builds": timing["builds_s"], "between": timing["between_builds_s"],
                 "start": scenario.get("daemon_start_s") or 0.0, "stop": scenario.get("daemon_stop_s") or 0.0,
                 "import": sum(scenario.get("base_import_s", {}).values())}
        for key, value in parts.items():
            totals[key] += value
        rows.append(row(name, timing["builds"], parts))
    rows.append(row("all scenarios", sum(r[1] for r in rows), totals))
    print(tabulate(rows, headers=["scenario", "builds", "wall s", "in builds s", "between builds s",
                                  "daemon start s", "daemon stop s", "base import s", "overhead excl. setup",
                                  "overhead incl. setup"], floatfmt=".2f"))
    print(f"run wall time {seconds_between(manifest['started_at'], manifest['ended_at']):.1f} s "
          f"(overhead excl. setup = wall − builds − daemon start/stop − base import, as % of wall)")


def row(name: str, builds: int, parts: dict[str, float]) -> list:
    setup = parts["start"] + parts["stop"] + parts["import"]
    excluded = parts["wall"] - parts["builds"] - setup
    return [name, builds, parts["wall"], parts["builds"], parts["between"], parts["start"], parts["stop"],
            parts["import"], f"{100 * excluded / parts['wall']:.1f} %",
            f"{100 * (parts['wall'] - parts['builds']) / parts['wall']:.1f} %"]


if __name__ == "__main__":
    main(Path(sys.argv[1]))
