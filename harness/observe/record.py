"""What the observers saw of one build, shaped for its sample lines and its scenario's flame graph.

The runner wraps each build in `observing()` and hands the result here once the observers have stopped (the
goroutine file is only complete then): step lines get `phases` and `profile`, the build line their sums, and the
build's folded stacks go to the scenario's flame graph. Nothing here fails a build: an observer that broke leaves
its error for the build log and `None` fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.observe import Observation
from harness.observe.events import StepPhases
from harness.observe.flamegraph import folded_stacks
from harness.observe.pprof import Mark, marked, profile_build, profile_steps, read_samples


@dataclass(frozen=True)
class ObservedBuild:
    """Per-step records (aligned with the BuildTiming's steps) and the build line's, plus the folded stacks."""

    step_phases: tuple[dict[str, Any] | None, ...] = ()
    build_phases: dict[str, Any] | None = None
    step_profiles: tuple[dict[str, Any] | None, ...] = ()
    build_profile: dict[str, Any] | None = None
    folded: Counter[str] = field(default_factory=Counter)
    errors: tuple[str, ...] = ()
    #: containerd's folded stacks, when it was sampled beside dockerd (its own flame graph).
    containerd_folded: Counter[str] = field(default_factory=Counter)


def observed_build(seen: Observation, timing: Any) -> ObservedBuild:
    """Phases from the events (always), profiles and folded stacks from the goroutine samples (when taken)."""
    phases = seen.phases(timing)
    step_phases = tuple(phase.as_record() for phase in phases)
    whole = build_phases(phases) if phases else None
    sampler = seen.sampler
    if sampler is None or not sampler.count:
        return ObservedBuild(step_phases, whole, errors=tuple(seen.errors))
    marks: list[Mark] = []  # one dump parsed at a time: its stacks folded, then only its time and class kept
    folded = folded_stacks(marked(read_samples(sampler.path), marks), timing.steps)
    beside = seen.containerd_sampler
    containerd = (folded_stacks(read_samples(beside.path), timing.steps) if beside is not None and beside.count
                  else Counter())
    return ObservedBuild(step_phases, whole,
                         step_profiles=tuple(p.as_record() for p in profile_steps(marks, timing.steps)),
                         build_profile=profile_build(marks, timing).as_record(), folded=folded,
                         errors=tuple(seen.errors), containerd_folded=containerd)


def build_phases(steps: Iterable[StepPhases]) -> dict[str, Any]:
    """The build line's `phases`: its steps' commits summed (None when no step had one)."""
    commits = [phase.commit_s for phase in steps if phase.commit_s is not None]
    return {"setup_s": None, "command_s": None, "commit_s": sum(commits) if commits else None,
            "note": None if commits else "no step had a container commit"}
