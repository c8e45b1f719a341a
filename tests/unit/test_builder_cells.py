"""The builder axis in the analysis: a cell is (workload, step, scenario, builder), a ratio never crosses builders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.analysis.compare import compare_runs
from harness.analysis.summary import summarize
from harness.export.layout import summary_doc
from harness.results.reader import TOTAL, collect_cells, load_run

#: Medians per (scenario, builder) and step: BuildKit is faster overall but its naive EXPORT is slow, and native's
#: EXPORT takes no time at all (BuildKit's plain progress reports 0.0 s for an export it did not have to do).
TIMES = {("native", "classic"): {2: 1.0, 3: 2.0}, ("naive", "classic"): {2: 3.0, 3: 2.0},
         ("native", "buildkit"): {2: 0.5, 3: 0.0}, ("naive", "buildkit"): {2: 1.5, 3: 1.6}}
INSTRUCTION = {("classic", 2): "RUN", ("classic", 3): "RUN", ("buildkit", 2): "RUN", ("buildkit", 3): "EXPORT"}


def samples(scale: float = 1.0, builders: tuple[str, ...] = ("classic", "buildkit")) -> list[dict]:
    lines = []
    for (scenario, builder), steps in TIMES.items():
        if builder not in builders:
            continue
        for rep in range(1, 10):
            round_number, wobble = (rep - 1) // 3 + 1, 1 + (rep % 3) / 100
            common = {"schema": 2, "run_id": "r", "scenario": scenario, "workload": "seed", "rep": rep,
                      "warmup": False, "ok": True, "error": None, "ended_at": "x", "round": round_number,
                      "builder": builder}
            for step, seconds in steps.items():
                lines.append({**common, "kind": "step", "step": step, "instruction": INSTRUCTION[(builder, step)],
                              "text": INSTRUCTION[(builder, step)], "seconds": seconds * wobble * scale})
            lines.append({**common, "kind": "build", "step": None, "instruction": None, "text": None,
                          "seconds": sum(steps.values()) * wobble * scale})
    return lines


def write_run(root: Path, lines: list[dict]) -> Path:
    root.mkdir(parents=True)
    (root / "samples.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (root / "manifest.json").write_text(json.dumps({
        "schema": 2, "run_id": root.name, "baseline": "native", "status": "complete", "rounds": 3,
        "scenarios": {"native": {"status": "ok"}, "naive": {"status": "ok"}}, "workloads": {"seed": {}}}))
    return root


def test_cells_are_keyed_by_builder_and_old_samples_are_classic(tmp_path: Path) -> None:
    cells = collect_cells(load_run(write_run(tmp_path / "r", samples())).samples)
    assert {key[3] for key in cells} == {"classic", "buildkit"}
    assert cells[("seed", 3, "naive", "buildkit")].instruction == "EXPORT"
    old = [{k: v for k, v in line.items() if k not in ("builder", "round")} for line in samples(builders=("classic",))]
    assert {key[3] for key in collect_cells(load_run(write_run(tmp_path / "old", old)).samples)} == {"classic"}


def test_ratios_and_headlines_compare_with_the_baseline_under_the_same_builder(tmp_path: Path) -> None:
    summary = summarize(load_run(write_run(tmp_path / "r", samples())))
    rows = {(r.workload, r.step, r.scenario, r.builder): r for r in summary.rows}
    assert rows[("seed", 2, "naive", "classic")].ratio == pytest.approx(3.0)
    assert rows[("seed", 2, "naive", "buildkit")].ratio == pytest.approx(3.0), "1.5 ÷ BuildKit's 0.5, not ÷ 1.0"
    assert rows[("seed", TOTAL, "naive", "buildkit")].ratio == pytest.approx((1.5 + 1.6) / 0.5)
    assert rows[("seed", 3, "native", "buildkit")].is_baseline
    assert rows[("seed", 3, "naive", "buildkit")].ratio is None, "a zero baseline median has no ratio"
    assert {(h.scenario, h.builder) for h in summary.headlines} == {("naive", "classic"), ("naive", "buildkit")}
    assert {(g.scenario, g.builder) for g in summary.geomean} == {("naive", "classic"), ("naive", "buildkit")}
    assert [r.builder for r in summary.rows] == ["classic"] * 6 + ["buildkit"] * 6, "one block per builder"


def test_the_table_has_a_section_per_workload_and_builder_and_json_rows_carry_the_builder(tmp_path: Path) -> None:
    doc = summary_doc(summarize(load_run(write_run(tmp_path / "r", samples()))))
    assert [section.title for section in doc.sections[:2]] == ["workload seed, classic builder",
                                                                "workload seed, buildkit builder"]
    assert {row["builder"] for row in doc.payload["rows"]} == {"classic", "buildkit"}
    assert {h["builder"] for h in doc.payload["headlines"]} == {"classic", "buildkit"}
    assert any("buildkit · naive: whole build" in line for line in doc.headlines)
    classic_only = summary_doc(summarize(load_run(write_run(tmp_path / "c", samples(builders=("classic",))))))
    assert classic_only.sections[0].title == "workload seed", "classic-only runs read as before"


def test_compare_matches_cells_on_the_builder(tmp_path: Path) -> None:
    a = load_run(write_run(tmp_path / "a", samples()))
    b = load_run(write_run(tmp_path / "b", samples(scale=2.0, builders=("buildkit",))))
    comparison = compare_runs(a, b)
    assert {row.builder for row in comparison.rows} == {"buildkit"}
    assert {key[3] for key in comparison.only_in_a} == {"classic"}
    assert all(abs(row.ratio - 2.0) < 1e-9 for row in comparison.rows if row.ratio is not None)
    assert {h.builder for h in comparison.headlines} == {"buildkit"}


def test_the_comparison_table_names_cells_of_a_builder_the_other_run_lacks(tmp_path: Path) -> None:
    from harness.export.layout_compare import comparison_doc

    a = load_run(write_run(tmp_path / "a", samples()))
    b = load_run(write_run(tmp_path / "b", samples(scale=2.0, builders=("buildkit",))))
    doc = comparison_doc(compare_runs(a, b))
    assert any("only in run A" in note and "seed step 2 on native," in note for note in doc.notes)
    assert {row["builder"] for row in doc.payload["rows"]} == {"buildkit"}
    assert [section.title for section in doc.sections[:1]] == ["workload seed, buildkit builder"]
