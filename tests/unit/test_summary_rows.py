"""From a run directory to summary rows: what enters the statistics, what is only counted, and the user errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.analysis.summary import summarize
from harness.errors import InputError
from harness.export.views import render_run_summary
from harness.results.reader import collect_cells, load_run

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "example-run"


def sample(scenario: str, rep: int, seconds: float, *, step: int | None = 2, warmup: bool = False,
           ok: bool = True) -> dict:
    return {"schema": 1, "run_id": "r1", "scenario": scenario, "workload": "w", "rep": rep, "warmup": warmup,
            "kind": "step" if step else "build", "step": step, "instruction": "RUN" if step else None,
            "text": "RUN touch /x" if step else None, "seconds": seconds, "ok": ok,
            "error": None if ok else "boom", "ended_at": "2026-11-27T10:00:00Z"}


def write_run(root: Path, samples: list[dict], manifest: dict | None = None, tail: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples) + tail)
    if manifest is not None:
        (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def two_scenarios(base_times: list[float], other_times: list[float]) -> list[dict]:
    return ([sample("base", i + 1, t) for i, t in enumerate(base_times)]
            + [sample("other", i + 1, t) for i, t in enumerate(other_times)])


MANIFEST = {"schema": 1, "run_id": "r1", "baseline": "base", "status": "complete",
            "scenarios": {"base": {"status": "ok"}, "other": {"status": "ok"}}, "workloads": {"w": {}}}


def test_warmups_never_enter_and_failures_are_counted_not_timed(tmp_path: Path) -> None:
    samples = [sample("base", 1, 99.0, warmup=True), *[sample("base", i, 1.0 + i / 100) for i in range(2, 8)],
               sample("base", 8, 0.001, ok=False)]
    (row,) = summarize(load_run(write_run(tmp_path, samples, MANIFEST))).rows
    assert (row.n, row.n_failed) == (6, 1)
    assert row.max_s == pytest.approx(1.07) and row.min_s == pytest.approx(1.02)
    assert row.warnings == ("failed",)


def test_baseline_row_is_ratio_one_without_interval_or_test(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path, two_scenarios([1.0, 1.1, 1.2, 1.0, 1.1, 1.2], [2.0, 2.1, 2.2, 2.0, 2.1, 2.4]),
                             MANIFEST))
    base, other = summarize(run).rows
    assert (base.is_baseline, base.ratio, base.ratio_ci_low, base.p_value, base.significant) == (
        True, 1.0, None, None, False)
    assert other.ratio == pytest.approx(2.1 / 1.1) and other.significant
    assert other.ratio_ci_low <= other.ratio <= other.ratio_ci_high


def test_too_few_samples_give_no_interval_no_test_and_say_why(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path, two_scenarios([1.0, 1.1, 1.2], [2.0, 2.1, 2.2]), MANIFEST))
    base, other = summarize(run).rows
    assert base.ci_low_s is None and other.p_value is None and not other.significant
    assert set(other.warnings) == {"few-ci", "few-test"}
    assert "(1.91×)" in render_run_summary(tmp_path)  # untested ratio shown in parentheses


def test_build_samples_make_the_total_row_after_the_steps(tmp_path: Path) -> None:
    samples = [sample("base", 1, 0.5, step=1), sample("base", 1, 1.0), sample("base", 1, 3.0, step=None)]
    rows = summarize(load_run(write_run(tmp_path, samples, MANIFEST))).rows
    assert [row.step for row in rows] == [1, 2, "total"]
    assert rows[-1].instruction is None and rows[-1].median_s == 3.0


def test_a_truncated_last_line_is_ignored_but_a_broken_middle_line_is_an_error(tmp_path: Path) -> None:
    samples = [sample("base", i, 1.0) for i in range(1, 4)]
    run = load_run(write_run(tmp_path / "a", samples, MANIFEST, tail='{"schema": 1, "scen'))
    assert len(run.samples) == 3
    broken = write_run(tmp_path / "b", samples, MANIFEST)
    lines = (broken / "samples.jsonl").read_text().splitlines()
    (broken / "samples.jsonl").write_text("\n".join([lines[0], "{oops", *lines[1:]]) + "\n")
    with pytest.raises(InputError, match="line 2"):
        load_run(broken)


@pytest.mark.parametrize(("setup", "message"), [
    (lambda root: None, "is not a directory"),
    (lambda root: root.mkdir(), "samples.jsonl does not exist"),
    (lambda root: write_run(root, []), "holds no samples"),
    (lambda root: write_run(root, [{"schema": 1, "scenario": "x"}]), "lacks the key"),
    (lambda root: write_run(root, [sample("base", 1, 1.0) | {"schema": 99}]), "newer than this harness"),
])
def test_unusable_run_directories_are_input_errors(tmp_path: Path, setup, message: str) -> None:
    root = tmp_path / "run"
    setup(root)
    with pytest.raises(InputError, match=message):
        load_run(root)


def test_baseline_must_be_a_known_scenario_and_is_needed_without_a_manifest(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path, two_scenarios([1.0] * 6, [2.0] * 6)))
    with pytest.raises(InputError, match="pass --baseline with one of: base, other"):
        summarize(run)
    with pytest.raises(InputError, match="not a scenario"):
        summarize(run, "nope")
    assert summarize(run, "other").baseline == "other"


def test_a_baseline_without_measurements_still_summarises_and_says_so(tmp_path: Path) -> None:
    manifest = MANIFEST | {"status": "interrupted",
                           "scenarios": {"base": {"status": "failed", "reason": "dockerd exited"}, "other": {}}}
    summary = summarize(load_run(write_run(tmp_path, [sample("other", i, 2.0) for i in range(1, 7)], manifest)))
    assert [row.ratio for row in summary.rows] == [None]
    assert summary.rows[0].warnings == ("no-baseline",)
    assert any("interrupted" in note for note in summary.notes)
    assert any("base failed: dockerd exited" in note for note in summary.notes)
    assert any("has no successful measurements" in note for note in summary.notes)


def test_example_run_cells_reflect_its_failed_build() -> None:
    cells = collect_cells(load_run(EXAMPLE).samples)
    vfs_step5, vfs_total = cells[("seed", 5, "local-vfs", "classic")], cells[("seed", "total", "local-vfs", "classic")]
    assert (len(vfs_step5.values), vfs_step5.n_failed) == (9, 1)
    assert (len(vfs_total.values), vfs_total.n_failed) == (9, 1)
    assert sorted(set(vfs_step5.rounds)) == [1, 2, 3, 4, 5] and len(vfs_step5.rounds) == 9
    assert "no space left on device" in vfs_step5.errors[0]
    assert len(cells[("seed", 4, "local-vfs", "classic")].values) == 10  # the failed build's earlier steps still count


def test_summary_rows_follow_manifest_order_with_baseline_first(tmp_path: Path) -> None:
    root = shutil.copytree(EXAMPLE, tmp_path / "run")
    summary = summarize(load_run(root), baseline="local-vfs")
    assert [row.scenario for row in summary.rows[:3]] == ["local-vfs", "local-overlay2-native",
                                                            "local-overlay2-naive"]
    assert summary.rows[1].ratio < 1  # native is faster than vfs
