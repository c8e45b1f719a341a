"""Live progress on stderr for long runs: a bar over all planned builds, notes above it, stdout left for results."""

from __future__ import annotations

import sys

from tqdm import tqdm

from harness.build import BuildTiming
from harness.plan import PlannedBuild


class TerminalProgress:
    def __init__(self) -> None:
        self.bar: tqdm | None = None

    def start(self, total: int, done: int) -> None:
        self.bar = tqdm(total=total, initial=done, unit="build", file=sys.stderr, dynamic_ncols=True,
                        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} builds [{elapsed}<{remaining}] {postfix}")

    def note(self, text: str) -> None:
        (self.bar.write if self.bar else print)(text, file=sys.stderr)

    def build_done(self, planned: PlannedBuild, timing: BuildTiming) -> None:
        outcome = f"{timing.seconds:.2f} s" if timing.ok else f"FAILED: {(timing.error or '')[:60]}"
        label = f"{planned.scenario} {planned.workload} rep {planned.rep}{' warmup' if planned.warmup else ''}"
        if not timing.ok:
            self.note(f"{label}: {outcome}")
        if self.bar:
            self.bar.set_postfix_str(f"{label}: {outcome}", refresh=False)
            self.bar.update(1)

    def add_total(self, extra: int) -> None:
        if self.bar:
            self.bar.total += extra
            self.bar.refresh()

    def close(self) -> None:
        if self.bar:
            self.bar.close()
            self.bar = None
