"""`harness report`: a Markdown report of one run — summary table, plots, methods and a citation block.

The citation block is the point: a number quoted in a design document is only worth something if a reader can see
what produced it (run, date, harness version and commit, exact command, matrix hash, host kernel, engine versions,
driver status per scenario) and run it again. Everything comes from manifest.json; nothing is re-measured.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness import export
from harness.analysis import growth, stats
from harness.analysis.summary import Summary, summarize
from harness.errors import InputError, printable
from harness.export import plots
from harness.export.citation import reproduce_lines, software_table, suggested_citation
from harness.export.layout import headline_text, noise_sentence, summary_doc
from harness.export.markdown import alt, href, literal, prose
from harness.export.plots import curve_title, growth_cost, growth_curves, steepest_step
from harness.results.reader import TOTAL, RunData, collect_cells, load_run


@dataclass(frozen=True)
class ReportFiles:
    """What `write_report` wrote: the Markdown file, plots, and the summary as CSV and JSON beside it."""

    markdown: Path
    plots: tuple[Path, ...]
    data: tuple[Path, ...]


def write_report(run_dir: Path, out_dir: Path | None = None, baseline: str | None = None, *,
                 alpha: float | None = None, min_effect: float | None = None) -> ReportFiles:
    """Write report.md, plots/ and summary.{csv,json} to `out_dir` (default RUN_DIR/report)."""

    run = load_run(Path(run_dir))
    if not run.manifest:
        raise InputError(f"{run.run_dir}/manifest.json is missing; a report needs it for the citation block")
    out = Path(out_dir) if out_dir else run.run_dir / "report"
    try:
        (out / "plots").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot write the report to {out}: {error.strerror or error}; choose another --out "
                         "directory") from None
    summary = summarize(run, baseline, alpha=alpha, min_effect=min_effect)
    curves = plots.growth_plots(summary, out / "plots")  # a sweep's growth figure leads the report
    images = plots.workload_plots(summary, out / "plots",
                                  {key: cell.rounds for key, cell in collect_cells(run.samples).items()})
    doc = summary_doc(summary)
    data = (_write(out / "summary.csv", export.render(doc, "csv") + "\n"),
            _write(out / "summary.json", export.render(doc, "json") + "\n"))
    # the report leads with its own headlines and growth section
    table = export.render(dataclasses.replace(doc, headlines=(), blocks=()), "md")
    text = report_markdown(run, summary, table, {w: [p.relative_to(out) for p in ps]
                                                   for w, ps in images.items()},
                           flame_graphs=_flame_graphs(run, out),
                           growth_images={c: [p.relative_to(out) for p in ps] for c, ps in curves.items()})
    markdown = _write(out / "report.md", text)
    return ReportFiles(markdown, tuple(p for ps in (*curves.values(), *images.values()) for p in ps), data)


def _write(path: Path, text: str) -> Path:
    """Atomically: a temporary file in the same folder, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(temporary, 0o666 & ~_umask())  # as an ordinary file (the plots beside it), not mkstemp's 0600
    os.replace(temporary, path)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def report_markdown(run: RunData, summary: Summary, table_md: str, images: dict[str, list[Path]],
                    flame_graphs: dict[str, str] | None = None,
                    growth_images: dict[str, list[Path]] | None = None) -> str:
    """The report text; `images` maps each workload to its plot files relative to the report, `flame_graphs` each
    profiled scenario to its SVG, `growth_images` each swept curve to its figure (all relative to the report)."""
    manifest = run.manifest
    # the figure that answers the question leads: a sweep's growth curves, else the first ratio plot
    answer = (growth_lines(summary, growth_images or {}) + _headline_lines(summary) if summary.growth
              else _headline_lines(summary) + lead_figure(images))
    lines = [f"# Build-step benchmark of Docker storage configurations — run {prose(run.run_id)}", "",
             provenance_sentence(manifest, summary.baseline), "", *answer,
             "## Results", "", table_md, "", "## Plots", ""]
    for workload, paths in images.items():
        pngs = [p for p in paths if p.suffix == ".png"]
        lines += [f"### Workload {literal(workload)}", ""]
        for png, caption in zip(pngs, ("Every sample per step and scenario", "Ratio to the baseline")):
            lines += [f"![{caption}, {alt(workload)}]({href(png.as_posix())})", "",
                      f"*{caption}* ([SVG]({href(png.with_suffix('.svg').as_posix())}))", ""]
    lines += anatomy_lines(summary) + flame_graph_lines(flame_graphs or {}, summary.baseline)
    lines += ["## Methods", "", *methods_lines(summary), *growth_methods(summary),
              *observer_methods(run.manifest, summary), "",
              *reproduce_lines(run), "## Citation", "", *citation_lines(run, summary)]
    return "\n".join(lines).rstrip("\n") + "\n"


def lead_figure(images: dict[str, list[Path]]) -> list[str]:
    """The first workload's ratio plot, under the headlines: every step's ratio and interval at a glance."""
    for workload, paths in images.items():
        for png in (p for p in paths if p.suffix == ".png" and p.stem.endswith("-ratios")):
            return [f"![Ratio to the baseline, {alt(workload)}]({href(png.as_posix())})", "",
                    f"*Ratio to the baseline per step, workload {prose(workload)}* ([SVG]"
                    f"({href(png.with_suffix('.svg').as_posix())}))", ""]
    return []


def provenance_sentence(manifest: dict, baseline: str) -> str:
    """Where and when the numbers come from; a generated example says it is one before anyone quotes it."""
    where = (f"{prose(manifest.get('started_at', '?'))} to {prose(manifest.get('ended_at', '?'))} on "
             f"{prose(_get(manifest, 'host', 'hostname') or 'an unnamed host')}; baseline scenario {literal(baseline)}; "
             f"run status {prose(manifest.get('status', 'unknown'))}.")
    if manifest.get("synthetic"):
        return f"**Synthetic example, not a measurement** ({prose(manifest['synthetic'])}). Dated {where}"
    return f"Measured {where}"


def growth_lines(summary: Summary, images: dict[str, list[Path]]) -> list[str]:
    """Per swept curve: its figure, then per scenario the fitted cost per 1 000 with its interval, for the whole
    build and the step that grows most (the figure's panels), and what the fit says about itself."""

    if not summary.growth:
        return []
    lines = ["## Growth", "", "How the time grows with the swept parameter: a line time = a + b·N fitted per "
             "scenario to the medians of the sizes, its slope b given per 1 000 units of the parameter with a 95% "
             "interval (see Methods).", ""]
    for curve, fits in growth_curves(summary.growth).items():
        title = curve_title(curve)
        lines += [f"### {literal(title)}", ""]
        for png in (p for p in images.get(title, ()) if p.suffix == ".png"):
            lines += [f"![Time against {fits[0].param}, {alt(title)}]({href(png.as_posix())})", "",
                      f"*Medians with 95% intervals and the fitted lines; hollow: on a floor* "
                      f"([SVG]({href(png.with_suffix('.svg').as_posix())}))", ""]
        shown = [step for step in (TOTAL, steepest_step(fits)) if step is not None]
        lines += [growth_bullet(fit, growth_cost) for fit in sorted((f for f in fits if f.step in shown),
                                                                    key=lambda f: shown.index(f.step))] + [""]
    return lines


def growth_bullet(fit, cost) -> str:
    """`- `vfs`, whole build: 0.147 s per 1 000 files_in_base [0.142, 0.155] (linear, 5 sizes, R² 1.000) — note`."""
    where = "whole build" if fit.step == TOTAL else f"step {fit.step} ({fit.instruction or '?'})"
    fitted = f"{fit.model}, {fit.n_points} sizes" + (f", R² {fit.r_squared:.3f}" if fit.r_squared is not None else "")
    return (f"- {literal(fit.scenario)}, {where}: {cost(fit) if fit.slope_s_per_1000 is not None else 'no fit'} ({fitted})"
            + (f" — {fit.note}" if fit.note else ""))


def growth_methods(summary: Summary) -> list[str]:
    """How the growth lines were fitted (runs with a sweep only)."""

    if not summary.growth:
        return []
    return [f"- Growth: per scenario, step and swept parameter (≥ {growth.MIN_POINTS} sizes), least squares on the "
            "per-size medians (every size weighted alike). The slope's 95% interval: with ≥ 2 daemon sessions "
            "(rounds) in which every size was measured, a t-interval over the slopes fitted to each round's low "
            "medians (the round is the unit, as for ratios); otherwise a percentile bootstrap that draws rounds once "
            "for all sizes of a scenario, then builds within each drawn round, and refits "
            f"({stats.BOOTSTRAP_RESAMPLES} resamples, seeded) — over builds alone in a single-session run. It "
            "reflects measurement noise, not whether a line is the right model. A floor is fitted only where a "
            "straight line through every size does not fit, bending upward: the model is then time = max(floor, "
            "a + b·N) with the line fitted above the floor (floor+linear). A size more than "
            f"{growth.LINE_TOLERANCE:.0%} from the line is reported as the line not fitting, with the direction it "
            "bends."]


def anatomy_lines(summary: Summary) -> list[str]:
    """Where each step's time went, from the daemon: "RUN 4.1 s, of which commit 3.6 s; 76% diffing"."""
    found = []
    for row in summary.rows:
        if row.step == TOTAL or row.median_s is None or (row.commit_median_s is None and row.diff_share is None):
            continue
        parts = [f"{row.instruction or 'step'} {row.median_s:.2f} s"]
        if row.commit_median_s is not None:
            parts[0] += f", of which commit {row.commit_median_s:.2f} s"
        if row.diff_share is not None:
            parts.append(f"{row.diff_share:.0%} of sampled build time diffing")
        found.append(f"| {literal(row.workload)} | {row.step} | {literal(row.scenario)} | {'; '.join(parts)} |")
    if not found:
        return []
    return ["## Step anatomy", "", "Medians over the measured repetitions; commit from the daemon's container "
            "events, diffing from goroutine samples (profiled runs only).", "",
            "| workload | step | scenario | where the time went |", "|:--|--:|:--|:--|", *found, ""]


def flame_graph_lines(flame_graphs: dict[str, str], baseline: str) -> list[str]:
    """The scenarios' flame graphs side by side (baseline first), each linked to its SVG."""
    if not flame_graphs:
        return []
    names = sorted(flame_graphs, key=lambda name: (name != baseline, name))
    return ["## Flame graphs", "", "dockerd's goroutines doing build work (and, with the containerd image store, "
            "containerd's), sampled during the measured builds, one column per step at the root (red: naive or "
            "walking differ, green: native overlay diff, orange: tar, blue: container start). Open an SVG for the "
            "frame names.", "",
            "| " + " | ".join(literal(name) for name in names) + " |", "|" + ":--|" * len(names),
            "| " + " | ".join(f"[![{alt(name)}]({href(flame_graphs[name])})]({href(flame_graphs[name])})" for name in names)
            + " |",
            ""]


def _flame_graphs(run: RunData, out: Path) -> dict[str, str]:
    """Each scenario's flame graph that exists, relative to the report directory."""
    found = {}
    for name, record in (run.manifest.get("scenarios") or {}).items():
        for key, label in (("svg", name), ("containerd_svg", f"{name} (containerd)")):
            svg = _get(record, "flame_graph", key)
            if isinstance(svg, str) and (run.run_dir / svg).is_file():
                found[label] = Path(os.path.relpath(run.run_dir / svg, out)).as_posix()
    return found


def observer_methods(manifest: dict, summary: Summary) -> list[str]:
    """How the step anatomy and the diff share were measured (only what this run did; runs before the observers
    were wired have neither)."""
    if not any(row.commit_median_s is not None or row.diff_share is not None for row in summary.rows):
        return []
    lines = ["- Step anatomy: during every build the harness reads the daemon's container events (`/events`, "
             "`timeNano`) on a connection of its own. A classic-builder RUN step runs a container: setup is step "
             "start → container `start`, command `start` → `die`, commit `die` → `destroy` (the layer commit); "
             "COPY/ADD steps emit no container events and are not split. `commit` is the median over the "
             "measured repetitions."]
    profile = manifest.get("profile")
    if isinstance(profile, dict):
        lines.append(f"- Diff share: while each build ran, a goroutine dump (`/debug/pprof/goroutine?debug=2`) was "
                     f"taken every {profile.get('interval_s', '?')} s; a dump counts as diffing when a goroutine "
                     "doing build work is in the naive differ (`NaiveDiffDriver`, `archive.ChangesDirs`, "
                     "`ExportChanges`) or the native overlay diff. The share is diffing dumps ÷ all dumps taken "
                     "during the step, pooled over the measured repetitions (each weighted by its duration). Raw "
                     "dumps are in logs/pprof/.")
    return lines


def _headline_lines(summary: Summary) -> list[str]:
    """The verdicts a reader quotes, and the δ and A/A check they were judged with, before any table."""

    several = len({h.workload for h in summary.headlines}) > 1
    found = [f"- {prose(headline_text(h, summary.noise, several, alpha=summary.alpha))}" for h in summary.headlines]
    return ["## Headlines", "", *found, "", noise_sentence(summary.noise), ""] if found else []


def methods_lines(summary: Summary) -> list[str]:
    """The methods section: what was measured, how intervals, tests and verdicts are made, and their assumptions."""

    lines = [
        "- Samples: every non-warmup repetition of every build step (no cache), timed from the builder's step "
        "messages; `total` is the whole build. Failed samples are counted, never timed. FROM steps (≈ ms, they only "
        "tag the base image) are kept in the CSV/JSON but left out of the table, plots and geometric means.",
        f"- Median with a distribution-free 95% interval from order statistics (binomial; Conover, *Practical "
        f"Nonparametric Statistics*, §3.2); none below {stats.MIN_N_CI} samples.",
    ]
    if summary.design == "rounds":
        lines += [
            "- Design: the scenarios take turns in rounds, each round a fresh daemon session per scenario, in a seeded "
            "order. Builds of one session share its drift (page cache, CPU frequency, neighbours), so the session — "
            "not the build — is the unit that varies (Kalibera & Jones, \"Rigorous benchmarking in reasonable time\", "
            "ISMM 2013).",
            "- Per round, the low median of its builds (the middle build, the lower middle one for an even count: "
            "one slow build cannot move it). Ratio to the baseline: the geometric mean of the per-round ratios over "
            "the rounds both scenarios ran (paired by round: drift shared by a round cancels), with a "
            f"{stats.level(summary.confidence)} t-interval exp(mean ± t(R−1)·s/√R) on the log ratios.",
            "- Test: paired t-test on the same per-round log ratios (R − 1 degrees of freedom; Student 1908), so the "
            "interval and the test never disagree. Assumes the rounds are independent sessions and their log ratios "
            "roughly normal (session effects are multiplicative). Rank tests were not used: at 5 rounds their "
            "smallest p-value is 0.0625.",
        ]
    else:
        lines += [
            "- Design: one daemon session per scenario (a schema-1 run or `rounds: 1`). Session-to-session variance "
            "cannot be estimated, so the methods below treat builds as independent and overstate significance when "
            "sessions drift; rerun with rounds ≥ 3 for trustworthy verdicts.",
            f"- Ratio of medians to the baseline, {stats.level(summary.confidence)} interval by percentile bootstrap "
            "(scipy.stats.bootstrap, "
            f"{stats.BOOTSTRAP_RESAMPLES} resamples, each group resampled on its own, seeded per cell).",
            "- Two-sided Mann–Whitney U test (scipy.stats.mannwhitneyu; exact, or an exact permutation test with ties).",
        ]
    lines += [
        f"- p-values Benjamini–Hochberg adjusted over the {summary.n_comparisons} comparisons of the run. A geometric "
        "mean of step ratios is judged like a step (the same round-level test and intervals on the per-round mean of "
        "its steps' log statistics), its p-value adjusted among the run's geometric means.",
        f"- {noise_sentence(summary.noise)}",
        f"- Verdict against the declared smallest effect δ = ±{summary.noise.min_effect:.0%}: `slower`/`faster` "
        f"when adjusted p < {summary.alpha:g} *and* the {stats.level(summary.confidence)} interval lies wholly beyond "
        f"±δ; `equivalent` when the {stats.level(summary.equivalence_confidence)} interval lies within ±δ (two "
        "one-sided tests, TOST); `inconclusive` when neither — the data cannot "
        "tell an effect of δ from none, which is not \"no difference\"; `untested` when too little was measured. "
        "A printed interval and its verdict never contradict each other.",
        f"- Warnings: CV ≥ {stats.CV_THRESHOLD:.0%} (pyperf's threshold), modified z-score on the MAD > "
        f"{stats.OUTLIER_Z:g} (Iglewicz & Hoaglin), first measured repetition > {stats.FIRST_REP_EXCESS:.0%} "
        "above the rest, and too few samples.",
        "- Geometric mean of the step ratios per scenario (FROM and whole-build rows left out), with an interval "
        "from the per-round mean of the step log ratios (the same round-level method as one step).",
    ]
    return lines


def _get(mapping: object, *path: str) -> object:
    for key in path:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping


def citation_lines(run: RunData, summary: Summary) -> list[str]:
    """A fenced block with what identifies and reproduces the run, then one row of facts per scenario."""
    manifest = run.manifest
    matrix = manifest.get("matrix") or {}
    host = manifest.get("host") or {}
    reps = manifest.get("repetitions") or {}
    commit = manifest.get("git_commit") or "unknown (not a git checkout)"
    fields = [
        ("run id", run.run_id),
        ("measured", f"{manifest.get('started_at', '?')} → {manifest.get('ended_at', '?')} (UTC)"),
        ("harness", f"{manifest.get('harness_version', '?')}, git commit {commit}"),
        ("command", shlex.join(manifest.get("command") or []) or "?"),
        ("matrix", f"{matrix.get('file', '?')} (copy in the run directory: {matrix.get('copy', '?')})"),
        ("matrix sha256", matrix.get("sha256", "?")),
        ("host", _host_line(host)),
        ("cpu", f"{host.get('cpu_model') or 'model not recorded'}, {host.get('cpus', '?')} cores"),
        ("kernel", host.get("kernel", "?")),
        ("overlay knobs", _pairs(host.get("overlay_parameters")) or "—"),
        ("repetitions", f"min {reps.get('min', '?')}, max {reps.get('max', '?')}, target CI {_target(reps)}; "
                        f"warmup {manifest.get('warmup', '?')}; seed {manifest.get('seed', '?')}"),
        ("baseline", summary.baseline),
        ("statistics", f"harness summary RUN_DIR --baseline {summary.baseline} --alpha {summary.alpha:g}"
                       + f" --min-effect {summary.noise.min_effect * 100:g}"),
    ]
    width = max(len(name) for name, _ in fields) + 1
    block = ["```text", *(f"{name + ':':<{width}} {printable(str(value))}" for name, value in fields), "```", ""]
    return (block + scenario_table(manifest) + ["", "Software per scenario:", "", *software_table(manifest), ""]
            + suggested_citation(run, summary))


def _target(repetitions: dict) -> str:
    target = repetitions.get("target_ci")
    return f"±{target:.0%} of the median" if isinstance(target, (int, float)) else "none (fixed repetitions)"


def _host_line(host: dict) -> str:
    memory = host.get("memory_bytes")
    size = f"{memory / 2**30:.1f} GiB" if isinstance(memory, (int, float)) else "? GiB"
    return (f"{host.get('hostname', '?')}, {host.get('os', '?')}, {host.get('cpus', '?')} CPUs, {size}, "
            f"Python {host.get('python', '?')}")


def _pairs(mapping: object) -> str:
    return ", ".join(f"{key}={value}" for key, value in mapping.items()) if isinstance(mapping, dict) else ""


def scenario_table(manifest: dict) -> list[str]:
    """Per scenario: status, driver, engine version, kernel, overlay knobs, driver status, daemon start time."""
    lines = ["| scenario | status | host | driver | engine | kernel | overlay knobs | driver status | daemon start |",
             "|:--|:--|:--|:--|:--|:--|:--|:--|--:|"]
    for name, facts in (manifest.get("scenarios") or {}).items():
        facts = facts if isinstance(facts, dict) else {}
        status = str(facts.get("status", "?")) + (f" ({facts['reason']})" if facts.get("reason") else "")
        start = facts.get("daemon_start_s")
        knobs, driver = _pairs(facts.get("overlay_parameters")), _pairs(facts.get("driver_status"))
        cells = [literal(name), *map(prose, (status, facts.get("host_type", "?"), facts.get("storage_driver", "?"),
                                             _get(facts, "docker_version", "Version") or "?", facts.get("kernel", "?"))),
                 literal(knobs) if knobs else "—", literal(driver) if driver else "—",
                 f"{start:.2f} s" if isinstance(start, (int, float)) else "?"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
