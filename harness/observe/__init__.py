"""Explaining the numbers: what the daemon did during a timed build, observed on connections of our own.

- `events`: the daemon's container events split each RUN step into setup, command and layer commit (cheap: on
  for every build).
- `pprof`: goroutine dumps sampled at a steady rate say how much of each step the daemon spent diffing (`--profile`).
- `flamegraph`: the sampled stacks as folded text and an SVG flame graph.

The runner needs one thing from here, `observing()`, wrapped around a build:

    with observing(host.socket_path, profile_to=run.logs / "pprof" / f"{name}.goroutines.gz") as seen:
        timing = timed_build(...)
    phases, profiles = seen.phases(timing), seen.step_profiles(timing)

Both observers use their own unix-socket connections, so they work on a private daemon's socket and on the local
end of an SSH forward alike, and a failing observer never fails the build (its `error` says what happened).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.observe.events import EventRecorder, StepPhases, step_phases
from harness.observe.pprof import GoroutineSampler, StepProfile, profile_steps, read_samples

DEFAULT_INTERVAL_S = 0.05


@dataclass
class Observation:
    events: EventRecorder
    sampler: GoroutineSampler | None
    #: containerd's goroutines, when its debug socket is known (a private dockerd's, with the containerd store).
    containerd_sampler: GoroutineSampler | None = None

    def phases(self, timing: Any) -> list[StepPhases]:
        """One StepPhases per step of `timing` (a BuildTiming)."""
        return step_phases(self.events.events, timing.steps)

    def step_profiles(self, timing: Any) -> list[StepProfile] | None:
        """Per step sample counts by frame class (None when not profiling or no sample was taken)."""
        if self.sampler is None or not self.sampler.count:
            return None
        return profile_steps(read_samples(self.sampler.path), timing.steps)

    @property
    def errors(self) -> list[str]:
        samplers = (self.sampler, self.containerd_sampler)
        return [error for error in (self.events.error, *(s and s.error for s in samplers)) if error]


@contextmanager
def observing(socket_path: Path, profile_to: Path | None = None, interval_s: float = DEFAULT_INTERVAL_S,
              containerd: tuple[Path, Path] | None = None) -> Iterator[Observation]:
    """Record events (always) and goroutine samples (when `profile_to` is given) while the body builds;
    `containerd` is (debug socket, dump file) to sample containerd's goroutines too."""
    with ExitStack() as stack:
        events = stack.enter_context(EventRecorder(socket_path))
        sampler = (stack.enter_context(GoroutineSampler(socket_path, profile_to, interval_s))
                   if profile_to is not None else None)
        beside = (stack.enter_context(GoroutineSampler(containerd[0], containerd[1], interval_s))
                  if containerd is not None else None)
        yield Observation(events, sampler, beside)
