"""Per-cell figures for the summary, from what the observers left on each sample line. Pure functions.

A step sample carries `phases` ({"setup_s", "command_s", "commit_s", "note"}, from daemon events) and, in profiled
runs, `profile` ({"samples", "classes": {class: count}}); a build sample carries the same for the whole build, its
`commit_s` being the sum of its steps' commits. Warmups and failed builds are left out by the caller, as for times.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from harness.results.writer import DIFF_CLASSES


def commit_median_s(phases: Iterable[Mapping[str, Any] | None]) -> float | None:
    """Median layer-commit seconds over a cell's samples; None where no sample has a commit (COPY/ADD, no events)."""
    commits = [p["commit_s"] for p in phases if p and p.get("commit_s") is not None]
    return statistics.median(commits) if commits else None


def diff_share(profiles: Iterable[Mapping[str, Any] | None]) -> float | None:
    """Share (0–1) of a cell's goroutine samples, pooled over its reps, taken while the daemon was diffing.

    Pooling weights each rep by its samples, i.e. by its duration: the share of sampled build time. None when the
    run was not profiled (no sample carries a profile).
    """
    taken = diffing = 0
    for profile in profiles:
        if profile:
            taken += profile["samples"]
            diffing += sum(profile["classes"].get(name, 0) for name in DIFF_CLASSES)
    return diffing / taken if taken else None
