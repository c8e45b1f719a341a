"""The run directory keeps every complete line and drops a line a kill cut short."""

from __future__ import annotations

from pathlib import Path

from harness.results.writer import RunDirectory, Sample


def sample(rep: int) -> Sample:
    return Sample(run_id="r", scenario="s", workload="w", rep=rep, warmup=False, kind="build", step=None,
                  instruction=None, text=None, seconds=1.5, ok=True, error=None, ended_at="t")


def test_appended_samples_read_back_and_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    run.append_samples([sample(1), sample(2)])
    with (tmp_path / "samples.jsonl").open("a") as handle:
        handle.write('{"run_id": "r", "scen')
    assert [s["rep"] for s in run.read_samples()] == [1, 2]
    run.append_samples([sample(3)])
    assert [s["rep"] for s in run.read_samples()] == [1, 2, 3]
