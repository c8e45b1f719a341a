"""Synthetic run directories with a parameter sweep, for the growth tests: known curves plus noise shaped like the
example run's (a multiplicative offset per daemon session, σ 2 %, and per build, σ 3 % unless told), seeded, so
every test sees the same samples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

FAMILY, PARAM = "rename-sweep", "files_in_base"
SIZES = (1000, 3000, 10000, 30000, 100000)
#: scenario → seconds of the growing RUN step at N files in the base (whole build = FROM + RUN + 0.15 s overhead).
CURVES: dict[str, Callable[[float], float]] = {
    "native": lambda n: 0.40,
    "naive": lambda n: max(1.0, 0.20 + 0.04 * n / 1000),
    "vfs": lambda n: 0.30 + 0.15 * n / 1000,
}
FROM_S, OVERHEAD_S = 0.004, 0.15


def cell_name(size: int, param: str = PARAM, family: str = FAMILY) -> str:
    return f"{family}@{param}={size}"


def write_run(directory: Path, curves: dict[str, Callable[[float], float]] = CURVES, sizes=SIZES, rounds: int = 3,
              per_round: int = 2, seed: int = 7, manifest_params: bool = True, build_sigma: float = 0.03) -> Path:
    """samples.jsonl + manifest.json of a sweep over `sizes` measured on every scenario of `curves`."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for round_number in range(1, rounds + 1):
        for scenario, curve in curves.items():
            session = rng.lognormal(0, 0.02)
            for size in sizes:
                for rep in range(per_round):
                    run_s = curve(size) * session * rng.lognormal(0, build_sigma)
                    lines += _build(scenario, cell_name(size), (round_number - 1) * per_round + rep + 1,
                                    round_number, run_s)
    (directory / "samples.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    workloads = {cell_name(size): {"description": "rename a directory of the base", "family": FAMILY,
                                   "params": {PARAM: size} if manifest_params else {}, "kind": "build",
                                   "command": None} for size in sizes}
    manifest = {"schema": 2, "run_id": "growth-example", "baseline": next(iter(curves)), "status": "complete",
                "started_at": "2026-11-28T12:00:00Z", "ended_at": "2026-11-28T13:00:00Z", "rounds": rounds,
                "scenarios": {name: {"status": "ok"} for name in curves}, "workloads": workloads}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return directory


def _build(scenario: str, workload: str, rep: int, round_number: int, run_s: float) -> list[dict]:
    common = {"schema": 2, "run_id": "growth-example", "scenario": scenario, "workload": workload, "rep": rep,
              "round": round_number, "builder": "classic", "warmup": False, "ok": True, "error": None,
              "ended_at": "2026-11-28T12:00:00Z"}
    return [common | {"kind": "step", "step": 1, "instruction": "FROM", "text": "FROM base", "seconds": FROM_S},
            common | {"kind": "step", "step": 2, "instruction": "RUN", "text": "RUN mv /base/d /moved",
                      "seconds": run_s},
            common | {"kind": "build", "step": None, "instruction": None, "text": None,
                      "seconds": FROM_S + run_s + OVERHEAD_S}]
