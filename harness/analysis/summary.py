"""A run directory → one row of statistics per cell (workload × step × scenario × builder), compared with the
baseline scenario's cell under the same builder (a BuildKit build is never divided by a classic one).

Each row carries the cell's own numbers (median, its distribution-free interval, spread) and, for scenarios other
than the baseline, the ratio of medians with its interval and a p-value, Benjamini–Hochberg adjusted over every
comparison in the run. With rounds, the interval and the test treat the daemon session as the unit (see
`harness.analysis.differences`). Verdicts (`stats.verdict`) judge the interval against the declared smallest effect
δ (matrix `min_effect`, --min-effect, default 5 %): slower/faster, equivalent (TOST), inconclusive or untested. The
A/A control, when the run has one, is a diagnostic: its interval should hold 1, and its half-width is the run's
smallest detectable effect. The baseline's own rows have ratio 1.0 and no interval, p-value or verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from harness.analysis import caveats, cells, differences, growth, stats
from harness.analysis.caveats import Caveat
from harness.errors import InputError
from harness.results.reader import TOTAL, Cell, RunData, collect_cells, ordered_keys, scenario_names

#: Steps left out of geometric means, the default table and the plots: FROM only tags the base image (≈ 4 ms), so
#: its ratio says nothing about the storage configuration but would weigh as much as any real step.
SETUP_INSTRUCTIONS = ("FROM",)


@dataclass(frozen=True)
class Row:
    """One cell's statistics; ratio fields compare it with the baseline's cell for the same workload, step and
    builder."""

    workload: str
    step: int | str
    instruction: str | None
    text: str | None
    scenario: str
    is_baseline: bool
    n: int
    n_failed: int
    median_s: float | None
    ci_low_s: float | None
    ci_high_s: float | None
    min_s: float | None
    max_s: float | None
    cv: float | None
    mad_s: float | None
    ratio: float | None
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    warnings: tuple[str, ...]
    values: tuple[float, ...]
    verdict: str = stats.UNTESTED
    builder: str = "classic"
    reason: str | None = None
    diff_share: float | None = None
    commit_median_s: float | None = None
    params: dict | None = None

    @property
    def is_setup(self) -> bool:
        """A FROM step: kept in csv/json, left out of the default table, plots and geometric means."""
        return self.instruction in SETUP_INSTRUCTIONS


@dataclass(frozen=True)
class GeomeanRow:
    """Geometric mean of one scenario's step ratios over all workloads under one builder, with its interval when
    the run has rounds. Whole-build rows and FROM steps are left out; `steps` names the steps it covers."""

    scenario: str
    ratio: float | None
    n_cells: int
    ci_low: float | None = None
    ci_high: float | None = None
    steps: str = ""
    builder: str = "classic"
    #: Judged like a step against ±δ; its p-value adjusted (Benjamini–Hochberg) among the run's geometric means, a
    #: family of its own: they summarise steps whose own tests are already in the rows' family.
    p_adjusted: float | None = None
    verdict: str = stats.UNTESTED
    reason: str | None = None


@dataclass(frozen=True)
class Headline:
    """The whole-build verdict of one compared scenario in one workload: the line a reader quotes."""

    workload: str
    scenario: str
    baseline: str
    ratio: float | None
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    p_value: float | None  # Benjamini–Hochberg adjusted, like the row's p_adjusted
    significant: bool
    verdict: str
    builder: str = "classic"
    reason: str | None = None


@dataclass(frozen=True)
class Summary:
    """Everything `harness summary` shows: headlines, rows, geometric means, growth fits (runs with a sweep),
    warnings and notes about the run."""

    run_id: str
    baseline: str
    alpha: float
    noise: stats.NoiseFloor
    design: str
    n_comparisons: int
    rows: tuple[Row, ...]
    geomean: tuple[GeomeanRow, ...]
    caveats: tuple[Caveat, ...]
    notes: tuple[str, ...]
    headlines: tuple[Headline, ...] = ()
    control: str | None = None
    growth: tuple[growth.Fit, ...] = ()

    @property
    def confidence(self) -> float:
        """The ratio intervals' level, 1 − α (95 % at α = 5 %; higher for a run that stopped early, whose α is its
        per-look share)."""
        return 1 - self.alpha

    @property
    def equivalence_confidence(self) -> float:
        """The equivalence test's interval level, 1 − 2α (TOST at α): 90 % at α = 5 %."""
        return 1 - 2 * self.alpha


def resolve_baseline(run: RunData, requested: str | None) -> str:
    """The baseline scenario: `requested`, else the manifest's; InputError when unknown or missing."""
    known = scenario_names(run)
    baseline = requested or run.manifest.get("baseline")
    if not baseline:
        raise InputError(f"{run.run_dir} has no manifest baseline; pass --baseline with one of: {', '.join(known)}")
    if baseline not in known:
        raise InputError(f"baseline {baseline!r} is not a scenario of run {run.run_id}; "
                         f"use --baseline with one of: {', '.join(known)}")
    return baseline


def summarize(run: RunData, baseline: str | None = None, alpha: float | None = None,
              min_effect: float | None = None) -> Summary:
    """Statistics of every cell of `run` against `baseline` (default: the manifest's baseline scenario), judged
    against `min_effect` (a fraction; default: the manifest's, else 5 %) at `alpha` (default: the run's own — its
    per-look share when it could stop early — else 5 %)."""
    baseline = resolve_baseline(run, baseline)
    alpha = declared_alpha(run.manifest) if alpha is None else alpha
    min_effect = declared_min_effect(run.manifest) if min_effect is None else min_effect
    cells = collect_cells(run.samples)
    keys = ordered_keys(cells, run.manifest, baseline)
    found = {key: cell_caveats(cells[key], cells.get(baseline_key(key, baseline))) for key in keys}
    results, designs = _differences(cells, keys, baseline, 1 - alpha)
    adjusted = dict(zip(results, stats.adjust_pvalues([results[key].difference.p_value for key in results])))
    floor, control, floor_note = control_diagnostic(run, cells, min_effect, 1 - alpha)
    rows = tuple(_row(cells[key], cells.get(baseline_key(key, baseline)), found[key], results.get(key),
                      adjusted.get(key), floor, alpha) for key in keys)
    rows = with_params(rows, run.manifest)
    draws = {key: result.logs for key, result in results.items()}
    design = differences.ROUNDS if designs and set(designs.values()) == {differences.ROUNDS} else differences.BUILDS
    return Summary(
        run_id=run.run_id, baseline=baseline, alpha=alpha, noise=floor, design=design,
        n_comparisons=sum(p is not None for p in adjusted.values()), rows=rows,
        geomean=geomean_rows(rows, draws, floor=floor, alpha=alpha),
        caveats=tuple(Caveat(code, *key[:3], detail, key[3]) for key in keys for code, detail in found[key]),
        notes=tuple(run_notes(run, baseline, cells) + design_notes(designs) + floor_note),
        headlines=headlines(rows, baseline) + unmeasured_headlines(run, baseline, cells), control=control,
        growth=growth.fit_growth(cells, run.manifest, list(dict.fromkeys(key[2] for key in keys))))


def with_params(rows: tuple[Row, ...], manifest: dict) -> tuple[Row, ...]:
    """Each row with its workload's swept parameters from the manifest ({} when it was not swept, or for a run
    made before sweeps), so a sweep's values are columns of the results."""
    workloads = manifest.get("workloads") or {}
    return tuple(replace(row, params=dict((workloads.get(row.workload) or {}).get("params") or {})) for row in rows)


def baseline_key(key: tuple, baseline: str) -> tuple:
    """The baseline's cell for `key`: same workload, step and builder."""
    return (key[0], key[1], baseline, key[3])


def _differences(cells: dict, keys: list, baseline: str, confidence: float) -> tuple[dict, dict[str, str]]:
    """Per compared cell its `PairResult`, and per compared scenario the design used (one draw per scenario: its
    builders share the scenario's daemon sessions, so one set of round resamples serves them all)."""
    by_scenario: dict[str, list] = {}
    for key in keys:
        base = cells.get(baseline_key(key, baseline))
        if key[2] != baseline and base is not None and base.values and cells[key].values:
            by_scenario.setdefault(key[2], []).append(key)
    results, designs = {}, {}
    for scenario, members in by_scenario.items():
        pairs = [(cells[baseline_key(k, baseline)], cells[k]) for k in members]
        designs[scenario], found = differences.compare_pairs(pairs, stats.seed_from(scenario, baseline), paired=True,
                                                             confidence=confidence)
        results.update(zip(members, found))
    return results, designs


def declared_alpha(manifest: dict) -> float:
    """α as the run was planned to be judged: a run that could stop once its headlines were decided looked more than
    once and recorded each look's share (harness.analysis.stopping); other runs, the 5 % default."""
    value = (manifest.get("stopping") or {}).get("alpha")
    return float(value) if isinstance(value, (int, float)) and 0 < value < 1 else stats.DEFAULT_ALPHA


def declared_min_effect(manifest: dict) -> float:
    """δ as the manifest recorded it (a fraction; runs made before it was recorded: the 5 % default)."""
    value = manifest.get("min_effect")
    return float(value) if isinstance(value, (int, float)) and 0 < value < 1 else stats.DEFAULT_MIN_EFFECT


def control_diagnostic(run: RunData, cells: dict, min_effect: float, confidence: float = stats.CONFIDENCE
                       ) -> tuple[stats.NoiseFloor, str | None, list[str]]:
    """The ±δ band with the A/A control's diagnostic when the run has one (its name, and notes: a control that
    differs from its twin means the run is broken or drifting; one too imprecise for δ says so)."""
    control = run.manifest.get("control") or {}
    name, of = control.get("scenario"), control.get("of")
    if not name or not of:
        return stats.declared(min_effect), None, []
    pairs = [(cells[(w, TOTAL, of, b)], cells[(w, TOTAL, name, b)])
             for w, b in dict.fromkeys((k[0], k[3]) for k in cells)
             if (w, TOTAL, of, b) in cells and (w, TOTAL, name, b) in cells]
    _, found = (differences.compare_pairs(pairs, stats.seed_from("aa", name, of), paired=True, confidence=confidence)
                if pairs else ("", []))
    intervals = [(r.difference.ci_low, r.difference.ci_high) for r in found if r.difference.ci_low is not None]
    if not intervals:
        return stats.declared(min_effect), name, [
            f"A/A control {name} has no whole-build interval (too few samples or rounds): the run's smallest "
            "detectable effect is unknown"]
    floor = stats.with_control(min_effect, intervals)
    return floor, name, control_notes(floor, name, of)


def control_notes(floor: stats.NoiseFloor, name: str, of: str) -> list[str]:
    """What the A/A control says about the run: drifting (its interval excludes 1), or too imprecise for δ."""
    notes = []
    if floor.aa_excludes_one:
        notes.append(f"WARNING: A/A control {name} differs from its identical twin {of} (interval "
                     f"[{floor.aa_low:.3f}, {floor.aa_high:.3f}] excludes 1): by chance in 1 run of 20, more often "
                     "when the run is broken or drifting; check for interference (load, thermal throttling) and "
                     "rerun before citing its verdicts")
    if floor.detectable is not None and floor.detectable > floor.min_effect:
        notes.append(f"this run resolves about ±{floor.detectable:.1%} (A/A half-width), more than δ = "
                     f"{floor.min_effect:.0%}: it cannot show equivalence at δ; add rounds or raise min_effect")
    return notes


def cell_caveats(cell: Cell, base: Cell | None) -> list[tuple[str, str]]:
    """(code, detail) warnings for a cell: its own samples, and its comparison unless it is the baseline."""
    found = caveats.sample_caveats(cell.values, cell.n_failed)
    if base is not cell:
        found += caveats.comparison_caveats(len(cell.values), len(base.values) if base else None)
    return found


def _row(cell: Cell, base: Cell | None, found: list[tuple[str, str]], result, p_adjusted: float | None,
         floor: stats.NoiseFloor, alpha: float) -> Row:
    own = stats.describe(cell.values)
    is_baseline = base is cell
    if is_baseline:
        diff = stats.Difference(ratio=1.0 if own.n else None, ci_low=None, ci_high=None, p_value=None)
    elif result is None:
        diff = stats.Difference(stats.ratio_of_medians(base.values, cell.values) if base else None, None, None, None,
                                missing=nothing_to_compare(cell, base))
    else:
        diff = result.difference
    verdict = stats.UNTESTED if is_baseline else stats.verdict(p_adjusted, diff, floor.min_effect, alpha)
    return Row(
        workload=cell.workload, step=cell.step, instruction=cell.instruction, text=cell.text,
        scenario=cell.scenario, is_baseline=is_baseline, n=own.n, n_failed=cell.n_failed, median_s=own.median,
        ci_low_s=own.ci_low, ci_high_s=own.ci_high, min_s=own.minimum, max_s=own.maximum, cv=own.cv,
        mad_s=own.mad, ratio=diff.ratio, ratio_ci_low=diff.ci_low, ratio_ci_high=diff.ci_high,
        p_value=diff.p_value, p_adjusted=p_adjusted, significant=verdict in (stats.SLOWER, stats.FASTER),
        warnings=tuple(code for code, _ in found), values=cell.values, verdict=verdict, builder=cell.builder,
        reason=None if is_baseline else explain(verdict, diff, floor),
        commit_median_s=cells.commit_median_s(cell.phases), diff_share=cells.diff_share(cell.profiles))


def nothing_to_compare(cell: Cell, base: Cell | None) -> str:
    """Why a cell has no comparison at all: its own or the baseline's builds all failed, or no baseline cell."""
    if not cell.values:
        return f"all {cell.n_failed} builds failed" if cell.n_failed else "no measurements"
    if base is None or not base.values:
        return "the baseline has no successful measurement of this step"
    return "no comparison"


def explain(verdict: str, diff: stats.Difference, floor: stats.NoiseFloor) -> str | None:
    """The sentence beside a verdict that needs one: what is missing (untested), what would resolve it
    (inconclusive)."""
    if verdict == stats.UNTESTED:
        return diff.missing or "too few samples or rounds"
    if verdict != stats.INCONCLUSIVE:
        return None
    half = stats.half_width(diff.ci_low, diff.ci_high)
    resolves = f"this comparison resolves ±{half:.1%}" if half is not None else "no interval"
    return (f"neither beyond nor within ±{floor.min_effect:.0%} ({resolves}): more rounds narrow the interval "
            "(4× the rounds halve it)")


def geomean_rows(rows: tuple[Row, ...], draws: dict | None = None, paired: bool = True,
                 floor: stats.NoiseFloor | None = None, alpha: float = stats.DEFAULT_ALPHA) -> tuple[GeomeanRow, ...]:
    """Per non-baseline scenario and builder, the geometric mean of its step ratios (FROM, whole builds and cells
    without a ratio left out), with a round-level interval and a verdict when every covered step has per-round
    statistics."""
    floor = floor or stats.declared(stats.DEFAULT_MIN_EFFECT)
    members: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if not row.is_baseline and row.step != TOTAL and not row.is_setup:
            bucket = members.setdefault((row.scenario, row.builder), [])
            if row.ratio is not None:
                bucket.append(row)
    judged = {}
    for key, covered in members.items():
        found = [(draws or {}).get((row.workload, row.step, row.scenario, row.builder)) for row in covered]
        judged[key] = (differences.geomean_difference(found, paired, 1 - alpha)
                       if found and all(d is not None for d in found)
                       else stats.Difference(None, None, None, None, missing="a step without per-round statistics"))
    adjusted = dict(zip(judged, stats.adjust_pvalues([diff.p_value for diff in judged.values()])))
    geomeans = []
    for (name, builder), covered in members.items():
        diff = judged[(name, builder)]
        verdict = stats.verdict(adjusted[(name, builder)], diff, floor.min_effect, alpha)
        geomeans.append(GeomeanRow(name, stats.geometric_mean([row.ratio for row in covered]), len(covered),
                                   diff.ci_low, diff.ci_high, _step_list(covered), builder,
                                   adjusted[(name, builder)], verdict, explain(verdict, diff, floor)))
    return tuple(geomeans)


def _step_list(rows: list[Row]) -> str:
    """"seed 2–5"-style: the steps a geometric mean covers, per workload."""
    steps: dict[str, list[str]] = {}
    for row in rows:
        steps.setdefault(row.workload, []).append(str(row.step))
    return "; ".join(f"{workload} steps {', '.join(numbers)}" for workload, numbers in steps.items())


def headlines(rows: tuple[Row, ...], baseline: str) -> tuple[Headline, ...]:
    """One whole-build verdict per compared scenario, workload and builder — also for a scenario that failed every
    build (untested, saying so), never silently left out."""
    return tuple(Headline(row.workload, row.scenario, baseline, row.ratio, row.ratio_ci_low, row.ratio_ci_high,
                          row.p_adjusted, row.significant, row.verdict, row.builder, row.reason)
                 for row in rows if row.step == TOTAL and not row.is_baseline and (row.ratio is not None or row.n_failed))


def unmeasured_headlines(run: RunData, baseline: str, cells: dict) -> tuple[Headline, ...]:
    """An untested headline for each scenario the manifest names that has no whole-build sample at all (it failed
    to start or verify), per workload the run measured."""
    measured = {key[2] for key in cells if key[1] == TOTAL}
    workloads = list(dict.fromkeys(key[0] for key in cells if key[1] == TOTAL))
    found = []
    for name, facts in (run.manifest.get("scenarios") or {}).items():
        if name == baseline or name in measured:
            continue
        why = (facts.get("reason") if isinstance(facts, dict) else None) or "no build was measured"
        found += [Headline(w, name, baseline, None, None, None, None, False, stats.UNTESTED, "classic",
                           f"scenario failed: {why}") for w in workloads]
    return tuple(found)


def design_notes(designs: dict[str, str]) -> list[str]:
    """Say when a comparison could not use rounds: its intervals and test then overstate significance."""
    single = [name for name, used in designs.items() if used == differences.BUILDS]
    if not single:
        return []
    return [f"{', '.join(single)}: measured in a single daemon session per scenario (a schema-1 run, or rounds: 1), "
            "so session-to-session variance cannot be estimated; intervals and tests treat builds as independent "
            "(percentile bootstrap, Mann–Whitney) and overstate significance when sessions drift — rerun with "
            "rounds ≥ 3"]


def run_notes(run: RunData, baseline: str, cells: dict) -> list[str]:
    """Facts a reader needs next to the numbers: an unfinished run, scenarios that did not run, a baseline
    without measurements."""
    notes = []
    status = run.manifest.get("status")
    if status and status != "complete":
        notes.append(f"run status is {status!r}: the numbers cover only what was measured")
    for name, facts in (run.manifest.get("scenarios") or {}).items():
        if isinstance(facts, dict) and facts.get("status") not in (None, "ok"):
            reason = facts.get("reason") or "no reason recorded"
            notes.append(f"scenario {name} {facts['status']}: {reason}")
    stopping = run.manifest.get("stopping") or {}
    if stopping.get("looks"):
        stopped = stopping.get("stopped_after_round")
        notes.append(f"the run could stop once every headline was decided: it was to look after rounds "
                     f"{', '.join(map(str, stopping['looks']))} and "
                     + (f"stopped after round {stopped}" if stopped else "ran every planned round")
                     + f"; so every verdict judges at α = {declared_alpha(run.manifest):.3g} per look (Bonferroni)")
    if not any(key[2] == baseline and cell.values for key, cell in cells.items()):
        notes.append(f"baseline {baseline} has no successful measurements: no ratios; choose another with --baseline")
    return notes
