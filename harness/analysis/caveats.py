"""Warnings about a cell's numbers, each with the remedy that fixes it (as pyperf and benchstat do).

A number without its caveat gets cited anyway; a caveat without a remedy gets ignored. So every code below has a
one-line title (what is wrong) and a remedy (what to do), and the tables print both under the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.analysis import stats


@dataclass(frozen=True)
class CaveatKind:
    """What a warning code means and how to fix it."""

    code: str
    title: str
    remedy: str


KINDS: dict[str, CaveatKind] = {kind.code: kind for kind in (
    CaveatKind("failed", "failed samples (counted, not in the statistics)",
               "read the `error` of those samples in samples.jsonl and the daemon log in logs/, fix the cause, rerun"),
    CaveatKind("no-baseline", "no baseline samples for this step, so no ratio",
               "check why the baseline scenario has no measurements here, or pick another with --baseline"),
    CaveatKind("few-ci", f"fewer than {stats.MIN_N_CI} samples: no 95% interval",
               f"run at least {stats.MIN_N_CI} repetitions (repetitions.min in the matrix, or --reps)"),
    CaveatKind("few-test", f"fewer than {stats.MIN_N_TEST} samples here or in the baseline: not tested",
               f"run at least {stats.MIN_N_TEST} (better {stats.MIN_N_CI}) repetitions per scenario"),
    CaveatKind("spread", f"high spread: CV ≥ {stats.CV_THRESHOLD:.0%} of the mean",
               "stop other load on the host (and its VM host), then rerun with more repetitions; compare ratios"),
    CaveatKind("outliers", f"outliers: |modified z| > {stats.OUTLIER_Z:g} (robust, on the MAD)",
               "look for interference at those times (`ended_at` in samples.jsonl, logs/); "
               "rerun if many cells have them"),
    CaveatKind("first-rep", f"first measured repetition slowest, > {stats.FIRST_REP_EXCESS:.0%} above the rest",
               "raise `warmup` in the matrix (e.g. warmup: 2) so caches and the daemon settle before measuring"),
)}


@dataclass(frozen=True)
class Caveat:
    """One warning about one cell (workload × step × scenario × builder); `detail` holds the cell's own numbers."""

    code: str
    workload: str
    step: int | str
    scenario: str
    detail: str
    builder: str = "classic"


def sample_caveats(values_in_order: Sequence[float], n_failed: int) -> list[tuple[str, str]]:
    """(code, detail) pairs for one cell's own samples: failures, too few, spread, outliers, first-rep effect."""
    found: list[tuple[str, str]] = []
    if n_failed:
        found.append(("failed", f"{n_failed} failed"))
    n = len(values_in_order)
    if 0 < n < stats.MIN_N_CI:
        found.append(("few-ci", f"n={n}"))
    cv = stats.coefficient_of_variation(values_in_order)
    if cv is not None and cv >= stats.CV_THRESHOLD:
        found.append(("spread", f"CV {cv:.0%}"))
    outliers = stats.outlier_indices(values_in_order)
    if outliers:
        found.append(("outliers", ", ".join(f"{values_in_order[i]:.3f} s" for i in outliers)))
    excess = stats.first_rep_excess(values_in_order)
    if excess is not None and excess > stats.FIRST_REP_EXCESS:
        found.append(("first-rep", f"+{excess:.0%}"))
    return found


def comparison_caveats(n: int, base_n: int | None) -> list[tuple[str, str]]:
    """(code, detail) pairs about comparing a cell with its baseline cell (`base_n` None: no baseline cell)."""
    if n == 0:
        return []
    if not base_n:
        return [("no-baseline", "")]
    if min(n, base_n) < stats.MIN_N_TEST:
        return [("few-test", f"n={n} vs {base_n}")]
    return []
