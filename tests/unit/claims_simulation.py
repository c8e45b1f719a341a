"""Synthetic runs with known truth, summarised by the real `harness.analysis.summary.summarize` (issue 17's proof).

Model (multiplicative, as docs/facts.md shows drift on this machine): every daemon session of a scenario gets its
own offset exp(N(0, σ_session)), shared by all steps of its builds; every step of every build adds lognormal noise
exp(N(0, σ_build)); the whole build is the sum of its steps plus a fixed overhead. The compared scenario is
`effect` times the baseline in every step and in the overhead, so the true whole-build ratio is `effect` exactly.
One matrix: a baseline and one compared scenario, one workload of two steps plus the whole build (3 compared
cells), `rounds` rounds of `builds` builds, scenarios interleaved by round as `harness run` plans them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.analysis.summary import Summary, summarize
from harness.results.reader import TOTAL, RunData
from harness.results.writer import Sample

STEP_MEDIANS = np.array([0.40, 0.25])
OVERHEAD_S = 0.15
SCENARIOS = ("base", "other")


@dataclass(frozen=True)
class Condition:
    effect: float
    session_sigma: float
    build_sigma: float
    rounds: int = 5
    builds: int = 10


def simulate(condition: Condition, seed: int) -> np.ndarray:
    """Seconds, shape (2 scenarios, rounds, builds, 3 cells: the steps, then the whole build)."""
    rng = np.random.default_rng(seed)
    shape = (2, condition.rounds, condition.builds)
    offset = rng.lognormal(0, condition.session_sigma, size=(*shape[:2], 1, 1))
    steps = STEP_MEDIANS * offset * rng.lognormal(0, condition.build_sigma, size=(*shape, len(STEP_MEDIANS)))
    data = np.concatenate([steps, steps.sum(axis=-1, keepdims=True) + OVERHEAD_S * offset], axis=-1)
    data[1] *= condition.effect
    return data


def as_run(data: np.ndarray, min_effect: float = 0.05) -> RunData:
    """The simulated matrix as a run directory would load: step and build samples with their rounds."""
    samples = []
    for s, scenario in enumerate(SCENARIOS):
        for r in range(data.shape[1]):
            for b in range(data.shape[2]):
                for c in range(data.shape[3]):
                    step = None if c == data.shape[3] - 1 else c + 2
                    samples.append(Sample(
                        run_id="sim", scenario=scenario, workload="w", rep=r * data.shape[2] + b + 1, warmup=False,
                        kind="build" if step is None else "step", step=step, instruction="RUN" if step else None,
                        text=f"RUN step {step}" if step else None, seconds=float(data[s, r, b, c]), ok=True,
                        error=None, ended_at="", round=r + 1))
    manifest = {"run_id": "sim", "baseline": "base", "min_effect": min_effect, "status": "complete",
                "scenarios": {name: {"status": "ok"} for name in SCENARIOS}, "workloads": {"w": {}}}
    return RunData(run_dir=None, run_id="sim", manifest=manifest, samples=tuple(samples))  # type: ignore[arg-type]


def whole_build(summary: Summary):
    """The compared scenario's whole-build row."""
    return next(row for row in summary.rows if row.step == TOTAL and not row.is_baseline)


@dataclass(frozen=True)
class Outcome:
    """Shares over the simulated matrices."""

    slower: float  # whole build called slower
    equivalent: float  # whole build called equivalent
    any_claim: float  # any cell or geometric mean called slower or faster
    coverage: float  # whole-build 95 % interval holds the true ratio
    geomean_slower: float = 0.0  # the geometric mean of the step ratios called slower


def outcome(condition: Condition, matrices: int, seed: int) -> Outcome:
    slower = equivalent = claims = covered = geomean_slower = 0
    for index in range(matrices):
        summary = summarize(as_run(simulate(condition, seed + index)))
        row = whole_build(summary)
        slower += row.verdict == "slower"
        equivalent += row.verdict == "equivalent"
        claims += any(r.verdict in ("slower", "faster") for r in (*summary.rows, *summary.geomean))
        geomean_slower += summary.geomean[0].verdict == "slower"
        covered += row.ratio_ci_low <= condition.effect <= row.ratio_ci_high
    return Outcome(slower / matrices, equivalent / matrices, claims / matrices, covered / matrices,
                   geomean_slower / matrices)
