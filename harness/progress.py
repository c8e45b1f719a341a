"""Live progress on stderr for long runs, stdout left for results.

On a terminal: a bar over all planned builds with notes above it. Elsewhere (CI logs, `2> file`): one line per
build, since a redrawn bar turns into noise in a file.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

from harness.build import BuildTiming
from harness.plan import PlannedBuild


class TerminalProgress:
    def __init__(self) -> None:
        self.bar: tqdm | None = None
        self.count = self.total = 0

    def start(self, total: int, done: int) -> None:
        self.count, self.total = done, total
        if not sys.stderr.isatty():
            return
        self.bar = tqdm(total=total, initial=done, unit="build", file=sys.stderr, dynamic_ncols=True,
                        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} builds [{elapsed}<{remaining}] {postfix}")

    def note(self, text: str) -> None:
        if self.bar:
            self.bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr, flush=True)

    def build_done(self, planned: PlannedBuild, timing: BuildTiming) -> None:
        outcome = f"{timing.seconds:.2f} s" if timing.ok else f"FAILED: {(timing.error or '')[:60]}"
        label = f"{planned.scenario} {planned.workload} rep {planned.rep}{' warmup' if planned.warmup else ''}"
        self.count += 1
        if not self.bar:
            self.note(f"[{self.count}/{self.total}] {label}: {outcome}")
            return
        if not timing.ok:
            self.note(f"{label}: {outcome}")
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
