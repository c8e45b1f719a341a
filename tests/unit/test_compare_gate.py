"""`compare --fail-above` fails closed (issue 17 §2 and §4): the two runs that passed it before are reproduced here —
a run 1.5× slower with 2 rounds against 5, and a run whose compared scenario failed every build — and a summary says
when a scenario failed every build."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from harness.commands import compare as compare_command
from harness.commands import summary as summary_command


def call(module, argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


def write_run(root: Path, rounds: int, builds: int, factor: dict[str, float], seed: int,
              failed: tuple[str, ...] = ()) -> Path:
    """A rounds run of scenarios base and other (one workload, one RUN step and the whole build); lognormal noise
    of 3 % per build and 1 % per session; `factor` scales a scenario; `failed` scenarios fail every build."""
    rng = np.random.default_rng(seed)
    lines = []
    for number in range(1, rounds + 1):
        for scenario in ("base", "other"):
            session = rng.lognormal(0, 0.01)
            for build in range(builds):
                seconds = 2.0 * factor.get(scenario, 1.0) * session * rng.lognormal(0, 0.03)
                ok = scenario not in failed
                common = {"schema": 2, "run_id": root.name, "scenario": scenario, "workload": "w",
                          "rep": (number - 1) * builds + build + 1, "warmup": False, "round": number, "ok": ok,
                          "error": None if ok else "daemon refused the build", "ended_at": "2026-12-03T00:00:00Z"}
                lines.append(common | {"kind": "step", "step": 2, "instruction": "RUN", "text": "RUN work",
                                       "seconds": seconds if ok else 0.0})
                lines.append(common | {"kind": "build", "step": None, "instruction": None, "text": None,
                                       "seconds": seconds + 0.3 if ok else 0.0})
    root.mkdir(parents=True)
    (root / "samples.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    manifest = {"schema": 2, "run_id": root.name, "baseline": "base", "status": "complete", "workloads": {"w": {}},
                "scenarios": {name: {"status": "failed" if name in failed else "ok",
                                     "reason": "every build failed" if name in failed else None}
                              for name in ("base", "other")}}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def test_a_slower_run_with_fewer_rounds_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", rounds=5, builds=10, factor={}, seed=1)
    b = write_run(tmp_path / "b", rounds=2, builds=10, factor={"other": 1.5}, seed=2)
    assert call(compare_command, [str(a), str(b), "--fail-above", "5"]) == 1
    assert "other is +" in capsys.readouterr().err


def test_a_scenario_that_failed_every_build_cannot_pass_the_gate(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", rounds=5, builds=4, factor={}, seed=3)
    b = write_run(tmp_path / "b", rounds=5, builds=4, factor={}, seed=4, failed=("other",))
    assert call(compare_command, [str(a), str(b), "--fail-above", "5"]) == 4
    err = capsys.readouterr().err
    assert "cannot judge w whole build on other: B failed all 20 builds" in err


def test_a_passing_gate_says_so_in_one_line_and_json_carries_it(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", rounds=5, builds=4, factor={}, seed=5)
    b = write_run(tmp_path / "b", rounds=5, builds=4, factor={}, seed=6)
    assert call(compare_command, [str(a), str(b), "--fail-above", "10", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1 and ": pass — " in captured.err
    gate = json.loads(captured.out)["gate"]
    assert (gate["status"], gate["exit_code"], gate["slower"], gate["unjudged"]) == ("pass", 0, [], [])


def test_the_json_carries_a_failing_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", rounds=5, builds=4, factor={}, seed=7)
    b = write_run(tmp_path / "b", rounds=5, builds=4, factor={"other": 1.5}, seed=8)
    assert call(compare_command, [str(a), str(b), "--fail-above", "5", "--format", "json"]) == 1
    gate = json.loads(capsys.readouterr().out)["gate"]
    assert gate["status"] == "slower" and ["w", "total", "other", "classic"] in gate["slower"]


def test_a_cell_missing_in_b_cannot_pass_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", rounds=3, builds=2, factor={}, seed=9)
    b = write_run(tmp_path / "b", rounds=3, builds=2, factor={}, seed=10)
    lines = [line for line in (b / "samples.jsonl").read_text().splitlines() if '"kind": "step"' not in line]
    (b / "samples.jsonl").write_text("\n".join(lines) + "\n")
    assert call(compare_command, [str(a), str(b), "--fail-above", "5"]) == 4
    assert "cannot judge w step 2 on base: missing in B" in capsys.readouterr().err


def test_a_summary_headline_says_a_scenario_failed_every_build(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "r", rounds=3, builds=2, factor={}, seed=11, failed=("other",))
    call(summary_command, [str(run)])
    headlines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("* ")]
    assert headlines == ["* other: whole build — untested: all 6 builds failed"]
