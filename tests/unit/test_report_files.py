"""`harness report`: the Markdown report (golden), its plots, and the citation facts a reader needs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.export.report import write_report

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLE = DATA / "example-run"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    return write_report(EXAMPLE, tmp_path_factory.mktemp("report"))


def test_report_markdown_matches_golden(report) -> None:
    """Regenerate with UPDATE_GOLDEN=1 (see test_summary_formats.py) and review the diff."""
    golden, text = DATA / "golden" / "report.md", report.markdown.read_text(encoding="utf-8")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_report_writes_png_and_svg_plots_it_links(report) -> None:
    names = sorted(path.name for path in report.plots)
    assert names == ["seed-ratios.png", "seed-ratios.svg", "seed-steps.png", "seed-steps.svg"]
    for path in report.plots:
        head = path.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in head or b"<?xml" in head
    text = report.markdown.read_text(encoding="utf-8")
    assert "(plots/seed-steps.png)" in text and "(plots/seed-ratios.svg)" in text


def test_citation_block_names_everything_needed_to_reproduce(report) -> None:
    text = report.markdown.read_text(encoding="utf-8")
    manifest = json.loads((EXAMPLE / "manifest.json").read_text())
    for fact in (manifest["run_id"], manifest["git_commit"], manifest["harness_version"], manifest["matrix"]["sha256"],
                 "harness run matrix-local.yaml --results results", manifest["host"]["kernel"], "20.10.24+dfsg1",
                 "Native Overlay Diff=false", "Native Overlay Diff=true", "redirect_dir=Y", manifest["started_at"]):
        assert fact in text, fact


def test_report_writes_summary_data_beside_it(report) -> None:
    csv_path, json_path = report.data
    assert json.loads(json_path.read_text())["run_id"] == "20261127T101500Z-example"
    assert csv_path.read_text().startswith("run_id,baseline,workload,step")


def test_report_defaults_to_run_dir_report_and_needs_a_manifest(tmp_path: Path) -> None:
    run = shutil.copytree(EXAMPLE, tmp_path / "run")
    (run / "manifest.json").unlink()
    with pytest.raises(InputError, match="manifest.json is missing"):
        write_report(run)


def test_plot_labels_wrap_instead_of_being_cut() -> None:
    from harness.export.plots import wrapped

    on, off = wrapped("ol75-overlay2-redirect-dir-on"), wrapped("ol75-overlay2-redirect-dir-off")
    assert on != off and on.replace("\n", "") == "ol75-overlay2-redirect-dir-on"
    assert off.replace("\n", "") == "ol75-overlay2-redirect-dir-off"
    assert all(len(line) <= 15 for line in (*on.splitlines(), *off.splitlines()))
    assert wrapped("x" * 40).replace("\n", "") == "x" * 40


def test_ratio_plot_names_its_baseline_and_marks_cells_without_an_interval() -> None:
    import dataclasses

    from harness.analysis.summary import summarize
    from harness.export.plots import ratio_figure
    from harness.results.reader import load_run

    summary = summarize(load_run(EXAMPLE))
    rows = [row for row in summary.rows if not row.is_setup]
    rows[-1] = dataclasses.replace(rows[-1], ratio_ci_low=None, ratio_ci_high=None)
    scenarios = list(dict.fromkeys(row.scenario for row in rows))
    figure = ratio_figure(rows, summary.noise, scenarios, summary.baseline)
    axes = figure.axes[0]
    assert "local-overlay2-native" in axes.get_title(loc="left") and "local-overlay2-native" in axes.get_xlabel()
    assert "A/A noise floor" in axes.get_xlabel()
    crosses = [line for line in axes.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1  # the cell without an interval is drawn differently


def test_strip_plots_keep_measurement_order_colour_by_round_and_name_the_run() -> None:
    from harness.analysis.summary import summarize
    from harness.export.plots import step_figure
    from harness.results.reader import collect_cells, load_run

    run = load_run(EXAMPLE)
    summary = summarize(run)
    rows = [row for row in summary.rows if not row.is_setup]
    rounds = {key: cell.rounds for key, cell in collect_cells(run.samples).items()}
    figure = step_figure(rows, list(dict.fromkeys(r.scenario for r in rows)), "run X, workload seed", rounds)
    dots = figure.axes[0].collections[0]  # the first scenario of the first step
    first = rows[0]
    assert [y for _, y in dots.get_offsets()] == list(first.values)  # as measured, not sorted
    assert list(first.values) != sorted(first.values)
    colours = {tuple(c) for c in dots.get_facecolors()}
    assert len(colours) == len(set(rounds[(first.workload, first.step, first.scenario, first.builder)])) > 1
    assert figure.get_suptitle() == "run X, workload seed"
    assert [t.get_text() for t in figure.legends[0].get_texts()][:2] == ["round 1", "round 2"]


def test_the_report_leads_with_the_ratio_figure_after_the_headlines(report) -> None:
    text = report.markdown.read_text(encoding="utf-8")
    assert text.index("## Headlines") < text.index("(plots/seed-ratios.png)") < text.index("## Results")
