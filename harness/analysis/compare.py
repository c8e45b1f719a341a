"""Two runs → one row per cell they share (workload × step × scenario): how run B differs from run A.

The use is before/after: the same matrix measured on two kernels, engine versions or machines. Each shared cell
gets the ratio B ÷ A (shown as a change, +12 %) with its interval and p-value, Benjamini–Hochberg adjusted over all
shared cells. With rounds in both runs the daemon session is the unit (Welch's interval and t-test on each run's log
round statistics — rounds of two runs are not shared in time, so each side keeps its own rounds); otherwise the
build-level methods of `harness.analysis.stats`. Verdicts follow `stats.verdict` against ±δ (--min-effect, else run
A's declared min_effect). Each run's A/A control, if any, is checked as in `summary`. Cells found in only one run are
listed, and what differs between the two environments (kernel, engine, driver status, workload fingerprint) is
noted, since that is usually the point of the comparison — or the reason it is not valid.

The gate (`gate`): cells slower beyond a percentage fail it; a cell A measured that B is missing, failed every build
of, or could not test makes the gate unable to judge — a distinct outcome, never a pass.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from harness.analysis import differences, stats
from harness.analysis.caveats import Caveat, comparison_caveats, sample_caveats
from harness.analysis.summary import (
    SETUP_INSTRUCTIONS,
    GeomeanRow,
    Headline,
    control_diagnostic,
    declared_min_effect,
    explain,
    geomean_rows,
    nothing_to_compare,
)
from harness.errors import InputError
from harness.results.reader import TOTAL, Cell, CellKey, RunData, collect_cells, load_run, ordered_keys


@dataclass(frozen=True)
class CompareRow:
    """One shared cell: each run's own numbers, then B against A."""

    workload: str
    step: int | str
    instruction: str | None
    text: str | None
    scenario: str
    a: stats.Description
    b: stats.Description
    n_failed_a: int
    n_failed_b: int
    ratio: float | None
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    warnings: tuple[str, ...]
    verdict: str = stats.UNTESTED
    builder: str = "classic"
    reason: str | None = None

    @property
    def is_setup(self) -> bool:
        return self.instruction in SETUP_INSTRUCTIONS

    @property
    def is_baseline(self) -> bool:
        """Never: in a comparison of runs every cell is compared (kept for the shared geometric mean)."""
        return False


@dataclass(frozen=True)
class RunComparison:
    """Everything `harness compare` shows."""

    run_a: str
    run_b: str
    alpha: float
    noise: stats.NoiseFloor
    n_comparisons: int
    rows: tuple[CompareRow, ...]
    geomean: tuple[GeomeanRow, ...]
    caveats: tuple[Caveat, ...]
    notes: tuple[str, ...]
    only_in_a: tuple[CellKey, ...]
    only_in_b: tuple[CellKey, ...]
    headlines: tuple[Headline, ...] = ()
    design: str = differences.BUILDS
    unjudged: tuple[tuple[CellKey, str], ...] = ()

    def slower_beyond(self, percent: float) -> list[CompareRow]:
        """Cells B is `slower` in (p_adj < α, interval beyond +δ) by more than `percent` (point estimate). FROM steps
        (milliseconds, no storage work) are not gated, as they are not in the table."""
        return [row for row in self.rows if row.verdict == stats.SLOWER and row.ratio is not None
                and not row.is_setup and row.ratio > 1 + percent / 100]


#: Exit codes of `harness compare --fail-above` (docs/design.md): 0 pass, 1 a cell slower beyond the threshold,
#: 4 the gate could not judge a cell A measured (missing, failed or untested in B) — never a silent pass.
GATE_PASS, GATE_SLOWER, GATE_UNJUDGED = 0, 1, 4


@dataclass(frozen=True)
class Gate:
    """The CI gate's outcome: the threshold (percent), the cells slower beyond it, the cells it could not judge."""

    percent: float
    slower: tuple[CompareRow, ...]
    unjudged: tuple[tuple[CellKey, str], ...]
    judged: int

    @property
    def exit_code(self) -> int:
        """1 when a cell is slower (a regression outranks a gap), else 4 when a cell could not be judged, else 0."""
        return GATE_SLOWER if self.slower else GATE_UNJUDGED if self.unjudged else GATE_PASS

    @property
    def status(self) -> str:
        return {GATE_PASS: "pass", GATE_SLOWER: "slower", GATE_UNJUDGED: "unjudged"}[self.exit_code]


def gate(comparison: RunComparison, percent: float) -> Gate:
    """`compare --fail-above percent`: fails on a `slower` cell beyond `percent`, and closed on every cell it
    could not judge."""
    judged = sum(not row.is_setup and row.verdict != stats.UNTESTED for row in comparison.rows)
    return Gate(percent, tuple(comparison.slower_beyond(percent)), comparison.unjudged, judged)


def compare_runs(run_a: RunData, run_b: RunData, alpha: float = stats.DEFAULT_ALPHA,
                 min_effect: float | None = None) -> RunComparison:
    """B against A for every cell both runs measured; InputError when they share none."""
    if min_effect is None:
        min_effect = declared_min_effect(run_a.manifest)
    cells_a, cells_b = collect_cells(run_a.samples), collect_cells(run_b.samples)
    shared = ordered_keys(cells_a.keys() & cells_b.keys(), run_a.manifest, run_a.manifest.get("baseline"))
    if not shared:
        raise InputError(f"runs {run_a.run_id} and {run_b.run_id} share no (workload, step, scenario, builder) cell; "
                         "compare two runs of the same matrix (same scenario and workload names)")
    found = [_cell_caveats(cells_a[key], cells_b[key]) for key in shared]
    results, designs = _pair_differences(cells_a, cells_b, shared, 1 - alpha)
    adjusted = stats.adjust_pvalues([results[key].difference.p_value for key in shared])
    floor = stats.declared(min_effect)
    rows = tuple(_row(cells_a[key], cells_b[key], codes, results[key].difference, p, floor, alpha)
                 for key, codes, p in zip(shared, found, adjusted))
    draws = {key: results[key].logs for key in shared}
    return RunComparison(
        run_a=run_a.run_id, run_b=run_b.run_id, alpha=alpha, noise=floor,
        n_comparisons=sum(p is not None for p in adjusted), rows=rows, geomean=_geomean(rows, draws, floor, alpha),
        caveats=tuple(Caveat(code, *key[:3], detail, key[3]) for key, codes in zip(shared, found)
                      for code, detail in codes),
        notes=tuple(environment_notes(run_a, run_b) + control_notes_of(run_a, "A", cells_a, min_effect)
                    + control_notes_of(run_b, "B", cells_b, min_effect)),
        only_in_a=tuple(sorted(cells_a.keys() - cells_b.keys(), key=str)),
        only_in_b=tuple(sorted(cells_b.keys() - cells_a.keys(), key=str)),
        headlines=tuple(Headline(row.workload, row.scenario, "run A", row.ratio, row.ratio_ci_low, row.ratio_ci_high,
                                 row.p_adjusted, row.significant, row.verdict, row.builder, row.reason)
                        for row in rows if row.step == TOTAL and (row.ratio is not None or row.n_failed_b)),
        design=differences.ROUNDS if set(designs.values()) == {differences.ROUNDS} else differences.BUILDS,
        unjudged=tuple(unjudged_cells(cells_a, cells_b, rows)))


def unjudged_cells(cells_a: dict, cells_b: dict, rows: tuple[CompareRow, ...]) -> list[tuple[CellKey, str]]:
    """Cells A measured (successfully, with a positive median) that B is missing, failed every build of, or could
    not test — with why: the gate cannot pass them. FROM steps are not gated."""
    found = []
    for key, cell in cells_a.items():
        if not cell.values or statistics.median(cell.values) <= 0 or cell.instruction in SETUP_INSTRUCTIONS:
            continue
        other = cells_b.get(key)
        if other is None:
            found.append((key, "missing in B"))
        elif not other.values:
            found.append((key, f"B failed all {other.n_failed} builds"))
    for row in rows:
        key = (row.workload, row.step, row.scenario, row.builder)
        if row.verdict == stats.UNTESTED and not row.is_setup and key not in dict(found) and row.a.n \
                and (row.a.median or 0) > 0:
            found.append((key, f"untested in B: {row.reason}"))
    return found


def control_notes_of(run: RunData, label: str, cells: dict, min_effect: float) -> list[str]:
    """The A/A control's diagnostic notes of one run (see `summary.control_notes`), prefixed with the run."""
    _, _, notes = control_diagnostic(run, cells, min_effect)
    return [f"run {label}: {note}" for note in notes]


def _pair_differences(cells_a: dict, cells_b: dict, shared: list[CellKey], confidence: float
                      ) -> tuple[dict, dict[str, str]]:
    """Per shared cell its `PairResult`, one set of draws per scenario (rounds not paired across runs)."""
    by_scenario: dict[str, list[CellKey]] = {}
    for key in shared:
        by_scenario.setdefault(key[2], []).append(key)
    results, designs = {}, {}
    for scenario, keys in by_scenario.items():
        designs[scenario], found = differences.compare_pairs(
            [(cells_a[k], cells_b[k]) for k in keys], stats.seed_from("compare", scenario), paired=False,
            confidence=confidence)
        results.update(zip(keys, found))
    return results, designs


def _cell_caveats(a: Cell, b: Cell) -> list[tuple[str, str]]:
    """Warnings for either run's samples of the cell (detail says which run), then for the comparison."""
    found = [(code, f"A: {detail}") for code, detail in sample_caveats(a.values, a.n_failed)]
    found += [(code, f"B: {detail}") for code, detail in sample_caveats(b.values, b.n_failed)]
    return found + comparison_caveats(len(b.values), len(a.values))


def _row(a: Cell, b: Cell, found: list[tuple[str, str]], diff: stats.Difference, p_adjusted: float | None,
         floor: stats.NoiseFloor, alpha: float) -> CompareRow:
    verdict = stats.verdict(p_adjusted, diff, floor.min_effect, alpha)
    return CompareRow(
        workload=a.workload, step=a.step, instruction=a.instruction or b.instruction, text=a.text or b.text,
        scenario=a.scenario, a=stats.describe(a.values), b=stats.describe(b.values), n_failed_a=a.n_failed,
        n_failed_b=b.n_failed, ratio=diff.ratio, ratio_ci_low=diff.ci_low, ratio_ci_high=diff.ci_high,
        p_value=diff.p_value, p_adjusted=p_adjusted, significant=verdict in (stats.SLOWER, stats.FASTER),
        warnings=tuple(code for code, _ in found), verdict=verdict, builder=a.builder,
        reason=explain(verdict, diff if a.values and b.values else replace(diff, missing=nothing_to_compare(b, a)),
                       floor))


def _geomean(rows: tuple[CompareRow, ...], draws: dict, floor: stats.NoiseFloor, alpha: float
             ) -> tuple[GeomeanRow, ...]:
    return geomean_rows(rows, draws, paired=False, floor=floor, alpha=alpha)


def environment_notes(run_a: RunData, run_b: RunData) -> list[str]:
    """What differs between the runs' environments and workloads, and each run's status if not complete."""
    notes = [f"run {label} status is {run.manifest['status']!r}: it covers only what was measured"
             for label, run in (("A", run_a), ("B", run_b)) if run.manifest.get("status") not in (None, "complete")]
    notes += _differences("host kernel", _get(run_a, "host", "kernel"), _get(run_b, "host", "kernel"))
    for name in _shared_names(run_a, run_b, "scenarios"):
        for label, path in (("engine", ("docker_version", "Version")), ("kernel", ("kernel",)),
                            ("driver status", ("driver_status",)), ("overlay parameters", ("overlay_parameters",))):
            notes += _differences(f"{name} {label}", _get(run_a, "scenarios", name, *path),
                                  _get(run_b, "scenarios", name, *path))
    for name in _shared_names(run_a, run_b, "workloads"):
        fingerprints = (_get(run, "workloads", name, "fingerprint") for run in (run_a, run_b))
        notes += [f"{text}: the runs did not build the same thing, their steps may not be comparable"
                  for text in _differences(f"workload {name} fingerprint", *fingerprints)]
    return sorted(notes, key=lambda note: not note.startswith("run "))


def _shared_names(run_a: RunData, run_b: RunData, section: str) -> list[str]:
    """Names both manifests list under `section`, in A's order (deterministic, unlike a set)."""
    in_b = run_b.manifest.get(section) or {}
    return [name for name in run_a.manifest.get(section) or {} if name in in_b]


def _get(run: RunData, *path: str) -> object:
    value: object = run.manifest
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _differences(label: str, a: object, b: object) -> list[str]:
    return [] if a == b or a is None or b is None else [f"{label} differs: A {a} → B {b}"]



def load_comparison(run_a: Path, run_b: Path, *, alpha: float = stats.DEFAULT_ALPHA,
                    min_effect: float | None = None) -> RunComparison:
    return compare_runs(load_run(Path(run_a)), load_run(Path(run_b)), alpha=alpha, min_effect=min_effect)
