"""A build torn by a kill or a full disk (step lines without their build line) is never counted, nor duplicated by
a resume; a disk that refuses a write stops the run with ResultsWriteError and keeps what was written before."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from harness.errors import ResultsWriteError
from harness.results.manifest import Manifest, MatrixRecord, RepetitionsRecord
from harness.results.reader import collect_cells, load_run
from harness.results.writer import RunDirectory, Sample, whole_builds

BUILD = Sample(run_id="r", scenario="s", workload="w", rep=1, warmup=False, kind="build", step=None,
               instruction=None, text=None, seconds=3.0, ok=True, error=None, ended_at="t")


def build(rep: int, steps: int = 2, with_build_line: bool = True) -> list[Sample]:
    lines = [replace(BUILD, rep=rep, kind="step", step=k, instruction="RUN", text="RUN true", seconds=1.0)
             for k in range(1, steps + 1)]
    return lines + ([replace(BUILD, rep=rep)] if with_build_line else [])


def test_step_lines_without_their_build_line_are_not_samples() -> None:
    records = [*build(1), *build(2, with_build_line=False), *build(3)]
    assert [(s.rep, s.kind) for s in whole_builds(records)] == [
        (1, "step"), (1, "step"), (1, "build"), (3, "step"), (3, "step"), (3, "build")]


def test_a_torn_build_followed_by_the_same_build_measured_again_counts_once() -> None:
    """What an older harness's resume left: rep 2's first step torn, then rep 2 whole."""
    records = [*build(1), *build(2, with_build_line=False)[:1], *build(2)]
    kept = whole_builds(records)
    assert [(s.rep, s.step) for s in kept if s.kind == "step"] == [(1, 1), (1, 2), (2, 1), (2, 2)]


def test_resume_cuts_a_torn_tail_so_the_rebuilt_rep_is_not_doubled(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    run.append_samples([*build(1), *build(2)])
    with (tmp_path / "samples.jsonl").open("a") as handle:  # a kill mid-write: rep 3's steps, no build line
        handle.write("".join(json.dumps(s.__dict__) + "\n" for s in build(3, with_build_line=False)))
        handle.write('{"run_id": "r", "sce')
    assert sorted({s["rep"] for s in run.read_samples()}) == [1, 2]
    run.append_samples(build(3))  # resume measures rep 3 again
    (tmp_path / "manifest.json").write_text(json.dumps({"schema": 1, "baseline": "s"}))
    cells = collect_cells(load_run(tmp_path).samples)
    assert {key[1]: len(cell.values) for key, cell in cells.items()} == {1: 3, 2: 3, "total": 3}


def test_the_statistics_reader_ignores_a_torn_build(tmp_path: Path) -> None:
    lines = [*build(1), *build(2), *build(3, with_build_line=False)]
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(s.__dict__) + "\n" for s in lines))
    (tmp_path / "manifest.json").write_text(json.dumps({"schema": 1, "baseline": "s"}))
    cells = collect_cells(load_run(tmp_path).samples)
    assert {key[1]: len(cell.values) for key, cell in cells.items()} == {1: 2, 2: 2, "total": 2}


def test_a_full_disk_raises_results_write_error_naming_the_file(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    (tmp_path / "samples.jsonl").symlink_to("/dev/full")
    with pytest.raises(ResultsWriteError) as raised:
        run.append_samples(build(1))
    assert raised.value.exit_code == 1
    assert "samples.jsonl" in str(raised.value) and os.strerror(28) in str(raised.value)


def test_a_manifest_that_cannot_be_written_keeps_the_old_one(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    manifest = Manifest(run_id="r", harness_version="0", command=[], matrix=MatrixRecord(file="m", sha256="s"),
                        repetitions=RepetitionsRecord(min=1, max=1), warmup=0, seed=0, baseline="a", started_at="t")
    run.write_manifest(manifest)
    (tmp_path / ".manifest.json.tmp").symlink_to("/dev/full")
    manifest.status = "complete"
    with pytest.raises(ResultsWriteError) as raised:
        run.write_manifest(manifest)
    assert "manifest.json" in str(raised.value) and os.strerror(28) in str(raised.value)
    assert json.loads((tmp_path / "manifest.json").read_text())["status"] == "running"
    assert not (tmp_path / ".manifest.json.tmp").exists()
