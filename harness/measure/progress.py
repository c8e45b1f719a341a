"""Live progress on stderr for long runs, stdout left for results.

It tells time: the whole run's elapsed time and an estimate of what remains, per scenario from the builds measured
so far (harness/measure/estimate.py), and a run estimated at more than ten minutes says so before its first build. On a
terminal: a bar over all planned builds with notes above it. Elsewhere (CI logs, `2> file`): one line per build,
since a redrawn bar turns into noise in a file.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from harness.builders.timing import BuildTiming
from harness.config import Matrix
from harness.measure.estimate import LONG_RUN_S, FirstGuess, RemainingTime, duration_text, first_guess
from harness.measure.plan import PlannedBuild


class TerminalProgress:
    def __init__(self, remaining: RemainingTime | None = None, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.remaining = remaining or RemainingTime((), FirstGuess({}, "nothing"))
        self.stream = stream or sys.stderr
        self.clock = clock
        self.bar: tqdm | None = None
        self.count = self.total = 0
        self.began = self.last = 0.0

    @classmethod
    def for_run(cls, matrix: Matrix, only: tuple[str, ...], results: Path) -> TerminalProgress:
        """Progress whose first estimate comes from earlier runs of `matrix` in `results` (or the rough table)."""
        scenarios = [s for s in matrix.scenarios if not only or s.name in only]
        return cls(RemainingTime([s.name for s in scenarios], first_guess(matrix, scenarios, results)))

    def start(self, total: int, done: int) -> None:
        self.count, self.total = done, total
        self.began = self.last = self.clock()
        self._announce(self.remaining.seconds_left(total, done))
        if not self.stream.isatty():
            return
        self.bar = tqdm(total=total, initial=done, unit="build", file=self.stream, dynamic_ncols=True,
                        bar_format="{bar:24}| {n_fmt}/{total_fmt} builds, {desc}{postfix}")
        self.bar.set_description_str(self._clock_text(), refresh=True)

    def note(self, text: str) -> None:
        if self.bar:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def build_done(self, planned: PlannedBuild, timing: BuildTiming) -> None:
        now = self.clock()
        self.remaining.record(planned.scenario, now - self.last)
        self.last = now
        outcome = f"{timing.seconds:.2f} s" if timing.ok else f"FAILED: {(timing.error or '')[:60]}"
        builder = "" if planned.builder == "classic" else f" {planned.builder}"
        label = f"{planned.scenario} {planned.workload}{builder} rep {planned.rep}{' warmup' if planned.warmup else ''}"
        self.count += 1
        if not self.bar:
            self.note(f"[{self.count}/{self.total}] {label}: {outcome} — {self._clock_text()}")
            return
        if not timing.ok:
            self.note(f"{label}: {outcome}")
        self.bar.set_description_str(self._clock_text(), refresh=False)
        self.bar.set_postfix_str(f"{label}: {outcome}", refresh=False)
        self.bar.update(1)

    def add_total(self, extra: int) -> None:
        self.total += extra
        if self.bar:
            self.bar.total += extra
            self.bar.refresh()

    def close(self) -> None:
        if self.bar:
            self.bar.close()
            self.bar = None

    def _announce(self, estimate: float | None) -> None:
        """Say before the first build what the run will roughly take, and loudly when that is long."""
        if estimate is None or self.count >= self.total:
            return
        source = self.remaining.guess.source
        if estimate > LONG_RUN_S:
            self.note(f"this run is estimated to take more than {LONG_RUN_S / 60:.0f} minutes (about "
                      f"{duration_text(estimate)}, from {source}); the time left is shown as builds finish")
        else:
            self.note(f"estimated run time: about {duration_text(estimate)} (from {source})")

    def _clock_text(self) -> str:
        elapsed = clock_text(self.clock() - self.began)
        left = self.remaining.seconds_left(self.total, self.count)
        if left is None:
            return f"{elapsed} elapsed"
        return f"{elapsed} elapsed, about {duration_text(left)} left (estimate)"


def clock_text(seconds: float) -> str:
    """Elapsed time as a clock shows it: `0:07`, `12:34`, `1:02:03`."""
    minutes, secs = divmod(int(max(seconds, 0.0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
