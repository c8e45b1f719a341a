"""How many rounds × builds per round a matrix needs, sized from a pilot run (Kalibera & Jones, "Rigorous
benchmarking in reasonable time", ISMM 2013: estimate the variance at each level, then spend repetitions where the
variance is).

From the pilot's whole builds (every scenario and workload, warmups out), on the log scale:
- σ_build² — the pooled variance of builds within a round (one daemon session);
- σ_session² — the variance of round means beyond what σ_build²/k explains (method of moments, floored at 0).
A per-round log ratio of two scenarios then has variance 2·(σ_session² + f(K)·σ_build²), f(K) the variance of the low
median of K standard normals (the per-round statistic the summary uses). A design of R rounds × K builds is adequate
when, with power `power`, it shows `equivalent` for two identical scenarios (TOST at ±δ) and `slower` for a true
effect of 2δ: (t(1−α_eq) + t(power')) · se ≤ margin for each, se = √(var/R), t with R − 1 degrees of freedom.
Cost: rounds × scenarios × (session overhead + K × median build time); the overhead is what the pilot spent outside
builds per session (daemon start and stop, base image import).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import stats

from harness.analysis import sessions
from harness.results.reader import TOTAL, RunData, collect_cells

MAX_ROUNDS, MAX_BUILDS = 30, 20


@dataclass(frozen=True)
class Variances:
    """What the pilot says: log-scale variances per level, the median build time and the per-session overhead."""

    session: float
    build: float
    build_s: float
    session_overhead_s: float
    scenarios: int
    rounds: int


@dataclass(frozen=True)
class Design:
    rounds: int
    builds: int
    seconds: float
    se: float


def low_median_factor(builds: int) -> float:
    """Var(low median of K standard normals), by a seeded simulation (exact enough: 40 000 draws)."""
    draws = np.random.default_rng(builds).standard_normal((40_000, builds))
    return float(np.var(np.sort(draws, axis=1)[:, (builds - 1) // 2]))


def variances(run: RunData) -> Variances | None:
    """The pilot's variance components; None when no whole-build cell has ≥ 2 rounds of ≥ 2 builds."""
    within, within_df, between = [], 0, []
    builds = []
    for key, cell in collect_cells(run.samples).items():
        if key[1] != TOTAL or not cell.values or min(cell.values) <= 0:
            continue
        groups: dict[int, list[float]] = {}
        for value, number in zip(cell.values, cell.rounds):
            groups.setdefault(number, []).append(math.log(value))
        builds += cell.values
        for members in groups.values():
            if len(members) > 1:
                within.append(np.var(members, ddof=1) * (len(members) - 1))
                within_df += len(members) - 1
        if len(groups) > 1:
            per_round = np.mean([len(m) for m in groups.values()])
            between.append((np.var([np.mean(m) for m in groups.values()], ddof=1), per_round))
    if not within_df or not between:
        return None
    build = float(sum(within) / within_df)
    session = max(0.0, float(np.mean([v - build / k for v, k in between])))
    return Variances(session, build, float(np.median(builds)), session_overhead(run, builds),
                     len({s.scenario for s in run.samples}), len({s.round for s in run.samples}))


def session_overhead(run: RunData, builds: Sequence[float]) -> float:
    """Seconds per daemon session spent outside measured builds: wall time minus every build (warmups too)."""
    manifest = run.manifest
    try:
        wall = (datetime.fromisoformat(manifest["ended_at"].replace("Z", "+00:00"))
                - datetime.fromisoformat(manifest["started_at"].replace("Z", "+00:00"))).total_seconds()
    except (KeyError, AttributeError, TypeError, ValueError):
        return 1.0
    spent = sum(s.seconds for s in run.samples if s.kind == "build")
    count = len({(s.scenario, s.round) for s in run.samples}) or 1
    return max(0.0, (wall - spent) / count)


def adequate(var_d: float, rounds: int, min_effect: float, power: float, alpha: float = 0.05) -> tuple[bool, float]:
    """(whether R rounds reach both goals, the se): equivalent for identical scenarios, slower for a true 2δ."""
    se = math.sqrt(var_d / rounds)
    df = rounds - 1
    equivalence = (stats.t.ppf(1 - alpha, df) + stats.t.ppf(1 - (1 - power) / 2, df)) * se <= math.log(1 + min_effect)
    slower = ((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * se
              <= math.log(1 + 2 * min_effect) - math.log(1 + min_effect))
    return equivalence and slower, se


def cheapest(found: Variances, min_effect: float, power: float = 0.8) -> Design | None:
    """The adequate design of least cost (ties: fewer rounds); None when none within the limits is."""
    best = None
    for builds in range(1, MAX_BUILDS + 1):
        var_d = 2 * (found.session + low_median_factor(builds) * found.build)
        for rounds in range(max(sessions.MIN_ROUNDS, 3), MAX_ROUNDS + 1):
            ok, se = adequate(var_d, rounds, min_effect, power)
            if ok:
                seconds = rounds * found.scenarios * (found.session_overhead_s + builds * found.build_s)
                if best is None or seconds < best.seconds:
                    best = Design(rounds, builds, seconds, se)
                break
    return best
