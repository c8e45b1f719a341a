"""What the observers leave on sample lines, and how summary and report read it back (pure; no daemon)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from harness.analysis.summary import summarize
from harness.builders.timing import BuildTiming, StepTiming
from harness.config import load_matrix
from harness.errors import InputError
from harness.export.report import write_report
from harness.measure.plan import PlannedBuild
from harness.measure.samples import samples_of
from harness.observe.record import ObservedBuild
from harness.results.reader import load_run
from tests.conftest import write_tree

MANIFEST = {"schema": 2, "run_id": "r1", "baseline": "native", "status": "complete", "rounds": 1,
            "profile": {"method": "goroutine dumps", "interval_s": 0.05},
            "scenarios": {"native": {"status": "ok"}, "naive": {"status": "ok"}}, "workloads": {"w": {}}}
RUN_STEP = StepTiming(index=1, text="RUN touch /x", seconds=1.0, ok=True, error=None)
COPY_STEP = StepTiming(index=2, text="COPY p/ /p/", seconds=0.5, ok=True, error=None)
NO_CONTAINER = "no container events: the daemon copies and commits this step without a container"


def phases(commit: float | None) -> dict:
    return {"setup_s": None if commit is None else 0.05, "command_s": None if commit is None else 0.1,
            "commit_s": commit, "note": NO_CONTAINER if commit is None else None}


def profile(samples: int, naive: int) -> dict:
    return {"samples": samples, "classes": {"naive-diff": naive, "other": samples - naive}}


def observed(commit: float, samples: int, naive: int) -> ObservedBuild:
    return ObservedBuild(step_phases=(phases(commit), phases(None)), build_phases=phases(commit) | {
                             "setup_s": None, "command_s": None},
                         step_profiles=(profile(samples, naive), profile(2, 0)),
                         build_profile=profile(samples + 2, naive), folded=Counter({"a;b": 3}))


def write_observed_run(root: Path, commits: dict[str, list[float]], naive_share: dict[str, float]) -> Path:
    lines = []
    for scenario, values in commits.items():
        for rep, commit in enumerate(values, start=1):
            planned = PlannedBuild(scenario=scenario, workload="w", rep=rep, warmup=False, round=1)
            timing = BuildTiming(steps=(RUN_STEP, COPY_STEP), seconds=1.5 + commit, ok=True, error=None,
                                 image_id="sha256:x")
            seen = observed(commit, 20, round(20 * naive_share[scenario]))
            lines += [json.dumps(s.__dict__) for s in samples_of("r1", planned, timing, seen)]
    write_tree(root, {"samples.jsonl": "\n".join(lines) + "\n", "manifest.json": json.dumps(MANIFEST)})
    return root


def test_step_and_build_lines_carry_what_the_observers_saw() -> None:
    planned = PlannedBuild(scenario="naive", workload="w", rep=1, warmup=False, round=1)
    timing = BuildTiming(steps=(RUN_STEP, COPY_STEP), seconds=1.6, ok=True, error=None, image_id="sha256:x")
    run_line, copy_line, build_line = samples_of("r1", planned, timing, observed(0.7, 20, 15))
    assert run_line.phases["commit_s"] == 0.7 and run_line.profile == profile(20, 15)
    assert copy_line.phases["commit_s"] is None and copy_line.phases["note"] == NO_CONTAINER
    assert build_line.phases["commit_s"] == 0.7 and build_line.profile["samples"] == 22


def test_an_unobserved_build_has_null_phases_and_profile() -> None:
    planned = PlannedBuild(scenario="naive", workload="w", rep=1, warmup=False, round=1)
    timing = BuildTiming(steps=(RUN_STEP,), seconds=1.0, ok=True, error=None, image_id="sha256:x")
    assert all(s.phases is None and s.profile is None for s in samples_of("r1", planned, timing))


def test_summary_rows_give_commit_medians_and_diff_shares(tmp_path: Path) -> None:
    run = write_observed_run(tmp_path / "run", {"native": [0.1, 0.12, 0.11], "naive": [0.7, 0.9, 0.8]},
                             {"native": 0.0, "naive": 0.75})
    rows = {(row.step, row.scenario): row for row in summarize(load_run(run)).rows}
    assert rows[(1, "naive")].commit_median_s == pytest.approx(0.8)
    assert rows[(1, "native")].commit_median_s == pytest.approx(0.11)
    assert rows[(1, "naive")].diff_share == pytest.approx(0.75)
    assert rows[(1, "native")].diff_share == 0.0
    assert rows[(2, "naive")].commit_median_s is None  # COPY: no container, no commit phase
    assert rows[("total", "naive")].diff_share == pytest.approx(15 / 22)


def test_a_run_without_observers_has_null_commit_and_diff_share(tmp_path: Path) -> None:
    line = {"schema": 1, "run_id": "r1", "scenario": "a", "workload": "w", "rep": 1, "warmup": False, "kind": "step",
            "step": 1, "instruction": "RUN", "text": "RUN x", "seconds": 1.0, "ok": True, "error": None,
            "ended_at": "2026-11-27T10:00:00Z"}
    write_tree(tmp_path, {"samples.jsonl": json.dumps(line) + "\n"})
    row = summarize(load_run(tmp_path), "a").rows[0]
    assert row.commit_median_s is None and row.diff_share is None


def test_phases_that_are_not_an_object_name_the_line(tmp_path: Path) -> None:
    line = {"schema": 2, "run_id": "r1", "scenario": "a", "workload": "w", "rep": 1, "round": 1, "warmup": False,
            "kind": "step", "step": 1, "instruction": "RUN", "text": "RUN x", "seconds": 1.0, "ok": True,
            "error": None, "ended_at": "2026-11-27T10:00:00Z", "phases": [1, 2]}
    write_tree(tmp_path, {"samples.jsonl": json.dumps(line) + "\n"})
    with pytest.raises(InputError, match=r"samples.jsonl line 1: phases is \[1, 2\], not an object or null"):
        load_run(tmp_path)


def test_the_report_shows_step_anatomy_flame_graphs_and_how_they_were_measured(tmp_path: Path) -> None:
    run = write_observed_run(tmp_path / "run", {"native": [0.1, 0.12, 0.11], "naive": [0.7, 0.9, 0.8]},
                             {"native": 0.0, "naive": 0.75})
    manifest = json.loads((run / "manifest.json").read_text())
    for name in ("native", "naive"):
        write_tree(run, {f"logs/pprof/{name}.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
        manifest["scenarios"][name]["flame_graph"] = {"svg": f"logs/pprof/{name}.svg"}
    (run / "manifest.json").write_text(json.dumps(manifest))
    text = write_report(run).markdown.read_text()
    assert "RUN 1.00 s, of which commit 0.80 s; 75% of sampled build time diffing" in text
    assert "| `native` | `naive` |" in text  # side by side, baseline first
    assert "(../logs/pprof/naive.svg)" in text
    assert "goroutine dump (`/debug/pprof/goroutine?debug=2`) was taken every 0.05 s" in text


def test_profile_is_a_matrix_switch(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "matrix.yaml": "scenarios: [a]\nworkloads: [w]\nprofile: true\n",
        "scenarios/a.yaml": "host: {type: local}\nstorage: {driver: vfs}\n",
        "workloads/w.yaml": "base: {files: 1}\nsteps: [RUN true]\n"})
    assert load_matrix(tmp_path / "matrix.yaml").profile is True


def test_the_summary_table_gains_commit_and_diffing_columns_only_when_observed(tmp_path: Path) -> None:
    from harness.export import render
    from harness.export.layout import summary_doc

    run = write_observed_run(tmp_path / "run", {"native": [0.1, 0.12, 0.11], "naive": [0.7, 0.9, 0.8]},
                             {"native": 0.0, "naive": 0.75})
    doc = summary_doc(summarize(load_run(run)))
    assert doc.headers[-2:] == ("commit s", "diffing")
    assert "75.0%" in render(doc, "table") and "0.800" in render(doc, "table")
    assert any(line.startswith("commit s: median layer commit") for line in doc.legend)
