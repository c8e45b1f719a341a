"""One finished build as samples.jsonl lines: its steps, then its build line (the contract of docs/design.md).

Pure: the plan entry, the builder's timings and what the observers saw go in, `Sample`s come out; the runner
appends them to the run directory in one write.
"""

from __future__ import annotations

from typing import Any

from harness.builders.timing import BuildTiming
from harness.measure.plan import PlannedBuild
from harness.observe.record import ObservedBuild
from harness.results.writer import Sample, utc_now


def samples_of(run_id: str, planned: PlannedBuild, timing: BuildTiming,
               observed: ObservedBuild | None = None) -> list[Sample]:
    """The step lines and the build line of one build, in the samples.jsonl contract."""
    observed = observed or ObservedBuild()
    ended = utc_now()
    common = dict(run_id=run_id, scenario=planned.scenario, workload=planned.workload, rep=planned.rep,
                  warmup=planned.warmup, ended_at=ended, round=planned.round, builder=planned.builder)
    steps = [Sample(**common, kind="step", step=s.index, instruction=s.instruction, text=s.text, seconds=s.seconds,
                    ok=s.ok, error=s.error, phases=_nth(observed.step_phases, i),
                    profile=_nth(observed.step_profiles, i)) for i, s in enumerate(timing.steps)]
    build = Sample(**common, kind="build", step=None, instruction=None, text=None, seconds=timing.seconds,
                   ok=timing.ok, error=timing.error, phases=observed.build_phases, profile=observed.build_profile)
    return [*steps, build]


def _nth(records: tuple[dict[str, Any] | None, ...], index: int) -> dict[str, Any] | None:
    return records[index] if index < len(records) else None
