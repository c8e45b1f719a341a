"""Growth fits on synthetic sweeps with known curves (tests/unit/growth_runs.py): the slope is recovered within its
interval, a floor is found and fitted above, a curve that is not a line is said to be one, and the summary carries
the fits in JSON (validated), table and Markdown."""

from __future__ import annotations

import json
from pathlib import Path

import growth_runs
import pytest
from jsonschema import Draft202012Validator

from harness.analysis import growth
from harness.export.views import render_run_summary
from harness.results.reader import collect_cells, load_run, scenario_names

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "summary.schema.json"
SCENARIOS = list(growth_runs.CURVES)


def fits_of(run_dir: Path, n_resamples: int = 2000) -> dict[tuple, growth.Fit]:
    run = load_run(run_dir)
    found = growth.fit_growth(collect_cells(run.samples), run.manifest, scenario_names(run), n_resamples=n_resamples)
    return {(fit.scenario, fit.step, fit.param, fit.at): fit for fit in found}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return growth_runs.write_run(tmp_path_factory.mktemp("sweep"))


def test_the_fit_recovers_known_slopes_within_their_intervals(sweep: Path) -> None:
    fits = fits_of(sweep)
    vfs, naive = fits[("vfs", 2, "files_in_base", ())], fits[("naive", 2, "files_in_base", ())]
    assert vfs.model == growth.LINEAR and vfs.n_points == 5
    assert vfs.slope_ci_low <= 0.15 <= vfs.slope_ci_high and vfs.slope_ci_high - vfs.slope_ci_low < 0.03
    assert naive.slope_ci_low <= 0.04 <= naive.slope_ci_high
    assert vfs.r_squared > 0.99 and vfs.note == ""
    assert vfs.intercept_s == pytest.approx(0.30, rel=0.1)


def test_a_flat_curve_has_an_interval_around_zero_and_says_so(sweep: Path) -> None:
    native = fits_of(sweep)[("native", 2, "files_in_base", ())]
    assert native.model == growth.LINEAR and native.floor_s is None
    assert native.slope_ci_low <= 0 <= native.slope_ci_high
    assert "no growth measurable" in native.note


def test_the_interval_covers_the_true_slope_in_most_repeated_runs(tmp_path: Path) -> None:
    """Coverage of the hierarchical bootstrap with 3 rounds (nominal 95 %; simulated 93–97 % over 30 seeds)."""
    covered = 0
    for seed in range(20):
        fit = fits_of(growth_runs.write_run(tmp_path / str(seed), seed=seed), n_resamples=1000)[
            ("vfs", 2, "files_in_base", ())]
        covered += fit.slope_ci_low <= 0.15 <= fit.slope_ci_high
    assert covered >= 16


def test_sizes_on_a_floor_are_found_and_the_line_is_fitted_above_it(sweep: Path) -> None:
    naive = fits_of(sweep)[("naive", 2, "files_in_base", ())]
    assert naive.model == growth.FLOOR_LINEAR
    assert [p.on_floor for p in naive.points] == [True, True, True, False, False] and naive.n_points == 2
    assert naive.floor_s == pytest.approx(1.0, rel=0.05)
    assert "sit on a floor" in naive.note and "next whole second" in naive.note
    predicted = naive.predict([1000, 100000])
    assert predicted[0] == naive.floor_s and predicted[1] == pytest.approx(4.2, rel=0.05)


def soft_floor(n: float) -> float:
    """The naive differ's commit, E[max(U, d)] with U ~ Uniform(0, 1) the wait for the next whole second and
    d = 0.04 s per 1 000 files the diff: no flat floor, a curve that bends up into the line d."""
    d = 0.04 * n / 1000
    return d + (1 - d) ** 2 / 2 if d < 1 else d


def test_a_curve_bending_up_from_a_soft_floor_gets_the_floor_model(tmp_path: Path) -> None:
    run = growth_runs.write_run(tmp_path / "run", curves={"naive": soft_floor},
                                sizes=(1000, 10000, 25000, 50000, 100000))
    fit = fits_of(run)[("naive", 2, "files_in_base", ())]
    assert fit.points[1].median_s > 1.1 * fit.points[0].median_s  # not flat: the flat rule alone would miss it
    assert fit.model == growth.FLOOR_LINEAR and "bending upward" in fit.note and fit.points[0].on_floor
    assert fit.slope_ci_low <= 0.04 <= fit.slope_ci_high
    line_through_all = growth._line(fit.points)[0] * growth.PER
    assert line_through_all < fit.slope_ci_low  # what the floor model corrects: a line through all is too flat


def test_a_floor_with_one_size_above_keeps_the_line_and_says_it_underestimates(tmp_path: Path) -> None:
    run = growth_runs.write_run(tmp_path / "run", sizes=(1000, 10000, 100000))
    naive = fits_of(run)[("naive", 2, "files_in_base", ())]
    assert naive.model == growth.LINEAR and naive.floor_s is None and naive.n_points == 3
    assert "underestimates" in naive.note and naive.slope_s_per_1000 < 0.04


def test_a_curve_that_is_not_a_line_gets_a_note(tmp_path: Path) -> None:
    curves = {"quadratic": lambda n: 0.5 + 4e-10 * n * n, "line": lambda n: 0.5 + 0.01 * n / 1000}
    run = growth_runs.write_run(tmp_path / "run", curves=curves, sizes=(10000, 40000, 70000, 100000))
    run_fits = {key[0]: fit for key, fit in fits_of(run).items() if key[1] == 2}
    assert "a straight line does not fit" in run_fits["quadratic"].note
    assert "faster than linearly" in run_fits["quadratic"].note
    assert run_fits["line"].note == ""


def test_noise_alone_is_not_called_a_bad_fit(tmp_path: Path) -> None:
    """A flat curve measured on a busy machine (build CV ≈ 30 %, as on this 2-core host with neighbours): the
    medians wander by more than 10 % from the line, but inside their own intervals, so no misfit is claimed."""
    wandered = 0
    for seed in range(8):
        run = growth_runs.write_run(tmp_path / str(seed), curves={"flat": lambda n: 0.4}, build_sigma=0.3,
                                    seed=seed)
        fit = fits_of(run, n_resamples=500)[("flat", 2, "files_in_base", ())]
        wandered += max(abs(p.median_s / fit.predict([p.value])[0] - 1) for p in fit.points) > growth.LINE_TOLERANCE
        assert fit.model == growth.LINEAR and "does not fit" not in fit.note
    assert wandered >= 6  # the check is not vacuous: most curves stray beyond the tolerance


def test_params_come_from_cell_names_when_the_manifest_lacks_them(tmp_path: Path) -> None:
    run = growth_runs.write_run(tmp_path / "run", manifest_params=False)
    assert growth.cell_params({}, "rename-sweep@files_in_base=1000,changed_files=10") == (
        "rename-sweep", {"files_in_base": 1000, "changed_files": 10})
    assert growth.cell_params({}, "seed") == ("seed", {})
    assert fits_of(run)[("vfs", 2, "files_in_base", ())].model == growth.LINEAR


def test_two_swept_parameters_are_fitted_along_cells_where_the_other_is_equal(tmp_path: Path) -> None:
    run = growth_runs.write_run(tmp_path / "run", curves={"vfs": growth_runs.CURVES["vfs"]})
    samples = (run / "samples.jsonl").read_text().splitlines()
    extra = [json.loads(line) for line in samples]
    for record in extra:
        record["workload"] += ",changed_files=10"
    for record in [json.loads(line) for line in samples]:  # a second slice: changed_files=20, 0.1 s slower
        record["workload"] += ",changed_files=20"
        if (record["kind"], record["step"]) in (("step", 2), ("build", None)):
            record["seconds"] += 0.1
        extra.append(record)
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in extra))
    (run / "manifest.json").write_text(json.dumps({"baseline": "vfs", "scenarios": {"vfs": {}}}))
    fits = fits_of(run)
    slices = {key[3] for key in fits if key[2] == "files_in_base"}
    assert slices == {(("changed_files", 10),), (("changed_files", 20),)}
    assert not any(key[2] == "changed_files" for key in fits)  # only two values: not a sweep of ≥ 3
    for at in slices:
        fit = fits[("vfs", 2, "files_in_base", at)]
        assert fit.slope_ci_low <= 0.15 <= fit.slope_ci_high


def test_too_few_measured_sizes_give_no_fit_and_say_why(tmp_path: Path) -> None:
    run = growth_runs.write_run(tmp_path / "run", sizes=(1000, 3000, 10000))
    lines = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    for record in lines:
        if record["scenario"] == "vfs" and record["workload"].endswith("=3000"):
            record |= {"ok": False, "error": "no space left on device"}
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    fit = fits_of(run)[("vfs", "total", "files_in_base", ())]
    assert fit.model == growth.NO_FIT and fit.slope_s_per_1000 is None and fit.n_points == 0
    assert "only 2 of 3 sizes" in fit.note


def test_runs_without_a_sweep_have_no_growth_key() -> None:
    example = Path(__file__).resolve().parents[1] / "data" / "example-run"
    assert "growth" not in json.loads(render_run_summary(example, "json"))


def test_the_summary_json_carries_growth_and_validates(sweep: Path) -> None:
    summary = json.loads(render_run_summary(sweep, "json"))
    Draft202012Validator(json.loads(SCHEMA.read_text())).validate(summary)
    rows = {(g["scenario"], g["step"]): g for g in summary["growth"]}
    assert set(rows) == {(s, step) for s in SCENARIOS for step in (2, "total")}  # FROM is not fitted
    vfs = rows[("vfs", "total")]
    assert vfs["workload"] == "rename-sweep" and vfs["param"] == "files_in_base" and vfs["builder"] == "classic"
    assert vfs["slope_ci_low"] <= 0.15 <= vfs["slope_ci_high"] and vfs["n_points"] == 5
    assert rows[("naive", 2)]["model"] == "floor+linear"
    assert json.loads(render_run_summary(sweep, "json"))["growth"] == summary["growth"]  # seeded: reproducible


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_table_and_markdown_print_a_growth_section_after_the_headlines(sweep: Path, fmt: str) -> None:
    text = render_run_summary(sweep, fmt)
    growth_at, first_workload = text.index("Growth"), text.index("workload rename-sweep@")
    assert text.index("whole build") < growth_at < first_workload  # headlines, then growth, then the cells
    section = text[growth_at:first_workload].replace("\\_", "_")  # Markdown escapes _
    assert "s per 1 000" in section and "floor+linear" in section and "files_in_base" in section
    assert "sit on a floor" in section


def test_the_report_leads_with_the_growth_figure_and_states_the_costs(sweep: Path, tmp_path: Path) -> None:
    import re

    from harness.export.report import write_report

    files = write_report(sweep, tmp_path / "report")
    assert [p.name for p in files.plots[:2]] == ["growth-rename-sweep-files_in_base.png",
                                                 "growth-rename-sweep-files_in_base.svg"]
    assert files.plots[0].read_bytes().startswith(b"\x89PNG")
    text = files.markdown.read_text(encoding="utf-8")
    images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", text)
    assert images[0] == "plots/growth-rename-sweep-files_in_base.png" and len(images) > 1
    growth_section = text[text.index("## Growth"):text.index("## Results")]
    vfs = next(line for line in growth_section.splitlines() if line.startswith("- `vfs`, whole build"))
    fit = json.loads((tmp_path / "report" / "summary.json").read_text())["growth"]
    cost = next(g for g in fit if (g["scenario"], g["step"]) == ("vfs", "total"))
    assert f"{cost['slope_s_per_1000']:.3f} s per 1 000 files in the base image [{cost['slope_ci_low']:.3f}, " \
           f"{cost['slope_ci_high']:.3f}]" in vfs
    assert "step 2 (RUN)" in growth_section and "sit on a floor" in growth_section
    assert "Growth: per scenario" in text  # the method is stated
    assert "Growth" not in text[text.index("## Results"):text.index("## Plots")]  # not repeated in the table


def test_a_growth_figure_draws_one_line_per_scenario_and_the_steepest_step(sweep: Path) -> None:
    from harness.export.plots import growth_figure, steepest_step

    run = load_run(sweep)
    fits = growth.fit_growth(collect_cells(run.samples), run.manifest, SCENARIOS, n_resamples=500)
    assert steepest_step(fits) == 2
    figure = growth_figure(fits, SCENARIOS)
    panels = figure.get_axes()
    assert [axes.get_title(loc="left") for axes in panels] == ["whole build", "step 2: RUN (grows most)"]
    assert all(axes.get_xscale() == "log" for axes in panels)  # 1 000 → 100 000 spans two decades
    labels = [text.get_text() for text in panels[0].get_legend().get_texts()]
    assert [label.split(":")[0] for label in labels] == SCENARIOS and "floor" in labels[1]


def test_latex_puts_the_growth_fits_in_a_table_float_of_their_own(sweep: Path) -> None:
    text = render_run_summary(sweep, "latex")
    growth_float = text[text.index(r"\caption{Growth"):]
    assert text.count(r"\caption{Growth") == 1 and r"\end{table}" in growth_float
    assert r"files\_in\_base" in growth_float and "floor+linear" in growth_float and "s per 1 000" in growth_float


def test_a_sweep_that_failed_everywhere_still_reports_without_a_figure(tmp_path: Path) -> None:
    from harness.export.report import write_report

    run = growth_runs.write_run(tmp_path / "run", curves={"vfs": growth_runs.CURVES["vfs"]}, sizes=(1000, 3000, 10000))
    lines = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    for record in lines:
        if record["workload"].endswith("=1000") or record["workload"].endswith("=3000"):
            record |= {"ok": False, "error": "no space left on device"}
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    files = write_report(run, tmp_path / "report")
    text = files.markdown.read_text(encoding="utf-8")
    assert "only 1 of 3 sizes have successful measurements" in text and "no fit" in text
    assert "plots/growth-" in text  # the one measured size is still drawn


def test_sizes_measured_in_different_rounds_give_no_interval_and_say_why(tmp_path: Path) -> None:
    """A run still going (or resumed partly): one size lacks round 3, so a third of the round draws lack it."""
    run = growth_runs.write_run(tmp_path / "run", curves={"vfs": growth_runs.CURVES["vfs"]})
    lines = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    kept = [r for r in lines if not (r["round"] == 3 and r["workload"].endswith("=1000"))]
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    fit = fits_of(run)[("vfs", "total", "files_in_base", ())]
    assert fit.slope_s_per_1000 == pytest.approx(0.15, rel=0.1) and fit.slope_ci_low is None
    assert growth.UNPAIRED in fit.note


def test_growth_figure_names_its_run_and_parameter_in_words_on_log_log_axes(sweep: Path, tmp_path: Path) -> None:
    from harness.analysis.summary import summarize
    from harness.export.plots import growth_figure, growth_plots
    from harness.results.reader import load_run

    summary = summarize(load_run(sweep))
    paths = growth_plots(summary, tmp_path)
    assert paths and all(p.exists() for ps in paths.values() for p in ps)
    figure = growth_figure(summary.growth, SCENARIOS, f"run {summary.run_id}: x")
    axes = figure.get_axes()[0]
    assert figure.get_suptitle().startswith(f"run {summary.run_id}")
    assert axes.get_xlabel() == "files in the base image (log scale)"
    assert axes.get_xscale() == axes.get_yscale() == "log"  # a line a + b·N on log x alone would look exponential
