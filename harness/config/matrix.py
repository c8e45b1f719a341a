"""matrix.yaml → Matrix: scenarios × workloads × builders, repetitions in rounds, baseline and A/A control.

Everything is checked before anything starts, so a typo costs a second, not a half-finished run. Scenarios live in
`scenarios/NAME.yaml` and workloads in `workloads/NAME.yaml` beside the matrix.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.config.checks import (
    at_most,
    refuse_duplicates,
    refuse_other_kinds_of_file,
    refuse_renamed,
)
from harness.config.limits import (
    MAX_PLANNED_BUILDS,
    MAX_REPETITIONS,
    MAX_SCENARIOS,
    MAX_SEED,
    MAX_WARMUP,
    MAX_WORKLOADS,
)
from harness.config.model import Matrix, Repetitions, Scenario, SshHost
from harness.config.names import BUILDER_FAMILIES, BUILDERS
from harness.config.scenario import scenario_from
from harness.config.workload import (
    refuse_commit_with_other_builders,
    refuse_duplicate_cells,
    workload_cells,
    workload_files,
)
from harness.config.yamlfile import Section, YamlDocument, between, load_yaml


def load_matrix(path: Path) -> Matrix:
    """Read and check a matrix and every scenario and workload it names."""
    doc = load_yaml(path)
    refuse_other_kinds_of_file(doc)
    top = Section(doc, (), doc.data if doc.data is not None else {})
    description = top.take("description", str, "")
    scenario_names = top.take("scenarios", list, check=at_most(MAX_SCENARIOS))
    workload_entries = top.take("workloads", list, check=at_most(MAX_WORKLOADS))
    baseline = top.take("baseline", str, scenario_names[0] if scenario_names else "")
    repetitions = _repetitions(top)
    warmup = top.take("warmup", int, 1, check=between(0, MAX_WARMUP))
    refuse_renamed(top, "seed", "order_seed", "it plans the random build order")
    seed = top.take("order_seed", int, 0, check=between(0, MAX_SEED))
    rounds = top.take("rounds", int, None, check=between(1, MAX_REPETITIONS))
    control = top.take("control", bool, False)
    builders = top.take("builders", list, None, check=at_most(len(BUILDERS) * 2))
    profile = top.take("profile", bool, False)
    min_effect = _min_effect(top)
    stop_when_decided = top.take("stop_when_decided", bool, False)
    if stop_when_decided and repetitions.target_ci is not None:
        raise top.error("stop_when_decided", "stops rounds once the verdicts are decided, while repetitions.target_ci "
                        "adds rounds until medians are precise: choose one")
    top.done()

    refuse_duplicates(doc, "scenarios", [str(name) for name in scenario_names])
    scenarios = tuple(scenario_from(doc, index, name) for index, name in enumerate(scenario_names))
    builders = _default_builders(scenarios) if builders is None else builders
    _refuse_unknown_builders(doc, builders)
    refuse_duplicates(doc, "builders", builders)
    if baseline not in {s.name for s in scenarios}:
        raise doc.error(("baseline",), f"names {baseline!r}, which is not among the matrix's scenarios")
    cells = workload_cells(doc, workload_entries)
    refuse_duplicate_cells(doc, cells)
    refuse_commit_with_other_builders(doc, cells, builders)
    _refuse_other_stacks(doc, scenarios, builders)
    workloads = tuple(workload for _, workload in cells)
    _refuse_too_many_builds(top, repetitions, warmup, len(scenarios), len(workloads), len(builders))
    files = tuple(dict.fromkeys((path, *(s.file for s in scenarios), *workload_files(path, workload_entries),
                                 *(w.user_build.dockerfile for w in workloads if w.user_build))))
    matrix = Matrix(file=path, description=description, scenarios=scenarios, workloads=workloads, baseline=baseline,
                    repetitions=repetitions, warmup=warmup, seed=seed, files=files,
                    rounds=default_rounds(repetitions.min) if rounds is None else min(rounds, repetitions.min),
                    builders=tuple(builders), profile=profile, min_effect=min_effect,
                    stop_when_decided=stop_when_decided)
    _refuse_shared_provisioned_hosts(doc, matrix)
    if control:
        if f"{baseline}-aa" in {s.name for s in scenarios}:
            raise doc.error(("control",), f"the control scenario {baseline}-aa is already among the scenarios")
        matrix = with_control(matrix)
    return matrix


def _refuse_shared_provisioned_hosts(doc: YamlDocument, matrix: Matrix) -> None:
    """Scenarios that provision the same machine reconfigure one daemon in turn: provisioning runs at a scenario's
    first session only, so in rounds a later session would find another scenario's configuration."""
    if matrix.rounds <= 1:
        return
    seen: dict[tuple[str, int], str] = {}
    for index, scenario in enumerate(matrix.scenarios):
        host = scenario.host
        if isinstance(host, SshHost) and host.provision:
            other = seen.setdefault((host.address, host.port), scenario.name)
            if other != scenario.name:
                raise doc.error(("scenarios", index), f"{scenario.name} and {other} both provision "
                                f"{host.address}:{host.port}; in rounds each session would find the other's daemon "
                                "configuration: set rounds: 1 (one block per scenario) or give each its own machine")

#: Daemon sessions per scenario when the matrix does not say (see default_rounds).
DEFAULT_ROUNDS = 5


def default_rounds(reps: int) -> int:
    """DEFAULT_ROUNDS sessions, or fewer when there are fewer reps (a session measures at least one).

    More sessions replicate the session-level noise better (the analysis treats the round as the unit that
    varies); each extra session costs a daemon stop and start.
    """
    return max(1, min(DEFAULT_ROUNDS, reps))


def with_control(matrix: Matrix) -> Matrix:
    """Add `<baseline>-aa`: the baseline scenario again, measured as an independent scenario (an A/A control)."""
    baseline = matrix.scenario(matrix.baseline)
    copy = replace(baseline, name=f"{baseline.name}-aa")
    scenarios = list(matrix.scenarios)
    scenarios.insert(scenarios.index(baseline) + 1, copy)
    return replace(matrix, scenarios=tuple(scenarios), control=baseline.name)


def _repetitions(top: Section) -> Repetitions:
    raw = top.take("repetitions", (int, dict), 5)
    if isinstance(raw, int):
        top.take("repetitions", int, raw, check=between(1, MAX_REPETITIONS))
        return Repetitions(min=raw, max=raw)
    reps = top.section("repetitions")
    low = reps.take("min", int, 3, check=between(1, MAX_REPETITIONS))
    high = reps.take("max", int, check=between(1, MAX_REPETITIONS))
    target = reps.take("target_ci", float, check=lambda v: None if 0 < v < 1 else
                       f"is a fraction of the median (0.05 for ±5 %); got {v}")
    reps.done()
    if high < low:
        raise top.error("repetitions", f"max ({high}) is below min ({low})")
    return Repetitions(min=low, max=high, target_ci=float(target))


def _min_effect(top: Section) -> float:
    """`min_effect: 5%` (or `5`): the smallest effect of interest in percent, 1–100; returned as a fraction."""
    value = top.take("min_effect", (str, float), "5%")
    text = str(value).strip().removesuffix("%").strip()
    try:
        percent = float(text)
    except ValueError:
        raise top.error("min_effect", f"must be a percentage such as 5% (the smallest effect that matters); "
                                      f"got {value!r}") from None
    if not 1 <= percent <= 100:
        raise top.error("min_effect", f"must be between 1% and 100% (it is in percent: 5 means ±5%); got {value!r}")
    return percent / 100


def _refuse_unknown_builders(doc: YamlDocument, builders: list[Any]) -> None:
    for index, entry in enumerate(builders):
        if entry not in BUILDERS:
            raise doc.error(("builders", index), f"{entry!r} is not a builder (known: {', '.join(BUILDERS)})")


def _default_builders(scenarios: tuple[Scenario, ...]) -> list[str]:
    """Each stack's own builder: Buildah for a matrix of podman scenarios, dockerd's classic builder otherwise."""
    podman = bool(scenarios) and all(s.engine.family == "podman" for s in scenarios)
    return ["buildah"] if podman else ["classic"]


def _refuse_other_stacks(doc: YamlDocument, scenarios: tuple[Scenario, ...], builders: list[str]) -> None:
    """Every scenario builds with every builder, so they must share a stack: Buildah has no dockerd to build on."""
    for index, builder in enumerate(builders):
        other = next((s for s in scenarios if s.engine.family != BUILDER_FAMILIES[builder]), None)
        if other is not None:
            raise doc.error(("builders", index), f"{builder} builds on {BUILDER_FAMILIES[builder]} engines, and "
                            f"scenario {other.name} runs {other.engine.family}: a matrix's scenarios share its "
                            f"builders, so keep podman scenarios (builders: [buildah]) and dockerd ones in separate "
                            f"matrices")


def _refuse_too_many_builds(top: Section, repetitions: Repetitions, warmup: int, scenarios: int,
                            workloads: int, builders: int = 1) -> None:
    builds = (repetitions.max + warmup) * scenarios * workloads * builders
    if builds > MAX_PLANNED_BUILDS:
        raise top.error("repetitions", f"plans up to {builds:,} builds ({repetitions.max} reps + {warmup} warmup, "
                        f"{scenarios} scenarios × {workloads} workloads × {builders} builders); "
                        f"at most {MAX_PLANNED_BUILDS:,} per run")
