"""Runner paths with a stand-in host and scripted build timings — planning logic only (sessions, resume, failures).

That the real thing restarts real daemons, measures and cleans up is proven by tests/integration/test_aa_control.py
and test_rounds.py.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests.exceptions

import harness.measure.runner as runner
from harness.builders.timing import BuildTiming, StepTiming, timings_from_stream
from harness.config import load_matrix
from harness.errors import EnvironmentNotAble, ResultsWriteError
from harness.results.writer import RunDirectory
from tests.conftest import Quiet, write_tree


class FakeHost:
    """Counts sessions; the 'daemon' answers whatever the test scripts."""

    def __init__(self, scenario: Any, log: list[str]) -> None:
        self.scenario, self.log, self.api, self.socket_path = scenario, log, object(), Path("/nonexistent")
        self.engine = None

    def start(self) -> None:
        self.log.append(f"start {self.scenario.name}")

    def facts(self) -> dict[str, Any]:
        return {}

    def stop(self) -> None:
        self.log.append(f"stop {self.scenario.name}")

    def close(self) -> None:
        self.log.append(f"close {self.scenario.name}")


class ScriptedBuilder:
    """A builder whose builds are whatever `script(api, context, tag, log)` returns."""

    def __init__(self, name: str, script: Callable[..., BuildTiming]) -> None:
        self.name, self.script = name, script

    def facts(self) -> dict[str, Any]:
        return {"builder": self.name}

    def build(self, api: Any, socket_path: Path, context_tar: Path, tag: str, log: Any,
              build_args: dict[str, str] | None = None) -> BuildTiming:
        return self.script(api, context_tar, tag, log)


def script_builds(monkeypatch: pytest.MonkeyPatch, script: Callable[..., BuildTiming]) -> None:
    monkeypatch.setattr(runner, "builder_for", lambda name, engine: ScriptedBuilder(name, script))



def ok_timing() -> BuildTiming:
    steps = (StepTiming(1, "FROM x", 0.01, True, None), StepTiming(2, "RUN touch /x", 0.5, True, None))
    return BuildTiming(steps=steps, seconds=0.51, ok=True, error=None, image_id="abc")


@pytest.fixture
def setup(matrix_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """Make a run directory for `matrix_text` and a runner whose host and builds are scripted."""
    log: list[str] = []
    monkeypatch.setattr(runner, "host_for", lambda scenario, work, logs: FakeHost(scenario, log))
    monkeypatch.setattr(runner, "docker_facts", lambda api: {"driver_status": {"Driver": "overlay2"}})
    monkeypatch.setattr(runner, "expectation_mismatches", lambda expect, status: [])
    monkeypatch.setattr(runner, "import_base", lambda api, workload: log.append("import") or 0.0)
    monkeypatch.setattr(runner, "remove_image", lambda api, tag, failed: None)
    script_builds(monkeypatch, lambda api, context, tag, build_log: ok_timing())

    def make(matrix_text: str) -> tuple[RunDirectory, Callable[[], runner.RunOutcome], list[str]]:
        write_tree(matrix_dir, {"matrix.yaml": matrix_text})
        matrix = load_matrix(matrix_dir / "matrix.yaml")
        run = RunDirectory.create(matrix_dir / "results", matrix, ["harness", "run"], {"hostname": "test"})
        return run, lambda: runner.Runner(matrix, run, Quiet(), matrix_dir / "work").execute(), log
    return make


MATRIX = """
    scenarios: [native, naive]
    workloads: [tiny]
    repetitions: 6
    rounds: 3
    warmup: 1
    order_seed: 9
"""


def builds_of(run: RunDirectory) -> list[dict[str, Any]]:
    return [s for s in run.read_samples() if s["kind"] == "build"]


def test_each_scenario_gets_one_session_per_round_and_one_base_import(setup) -> None:
    run, execute, log = setup(MATRIX)
    assert execute().exit_code == 0
    assert log.count("start native") == log.count("stop native") == 3 and log.count("close native") == 1
    assert log.count("import") == 2, "the base is imported once per scenario, kept on its data-root"
    builds = builds_of(run)
    assert sorted((b["scenario"], b["rep"]) for b in builds) == [(s, r) for s in ("naive", "native")
                                                                 for r in range(1, 8)]
    manifest = run.read_manifest()
    assert manifest["rounds"] == 3 and manifest["control"] is None
    assert [s["round"] for s in manifest["scenarios"]["native"]["sessions"]] == [1, 2, 3]
    assert {(b["scenario"], b["round"]) for b in builds} == {(s, r) for s in ("native", "naive") for r in (1, 2, 3)}


def test_resume_mid_round_measures_exactly_the_missing_builds(setup) -> None:
    run, execute, log = setup(MATRIX)
    plan = runner.Runner(load_matrix(run.path.parent.parent / "matrix.yaml"), run, Quiet(), Path("/w"))._plan()
    cut = next(i for i, p in enumerate(plan) if p.round == 2) + 1
    run.append_samples([s for p in plan[:cut] for s in runner.samples_of(run.run_id, p, ok_timing())])
    assert execute().exit_code == 0
    keys = [(b["scenario"], b["workload"], b["rep"], b["builder"]) for b in builds_of(run)]
    assert sorted(keys) == sorted(p.key for p in plan) and len(keys) == len(set(keys))
    interrupted_round = plan[cut - 1]
    assert log[0] == f"start {interrupted_round.scenario}", "resume continues in the interrupted session"
    assert len([line for line in log if line.startswith("start")]) == 2 * 3 - 2


def test_failed_warmups_are_recorded_but_do_not_fail_the_scenario(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    run, execute, _ = setup(MATRIX.replace("warmup: 1", "warmup: 2"))
    failing = BuildTiming(steps=(), seconds=0.1, ok=False, error="no space left on device", image_id=None)
    monkeypatch.setattr(runner.Runner, "_timed", lambda self, scenario, host, prepared, planned:
                        failing if planned.warmup else ok_timing())
    outcome = execute()
    assert outcome.exit_code == 0 and outcome.failed_builds == 0
    warmups = [b for b in builds_of(run) if b["warmup"]]
    assert len(warmups) == 4 and not any(b["ok"] for b in warmups)
    assert all(b["error"] == "no space left on device" for b in warmups)


def test_an_empty_build_stream_is_a_failed_build_and_the_run_goes_on(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    run, execute, _ = setup(MATRIX)
    script_builds(monkeypatch, lambda api, context, tag, log: timings_from_stream([], 0))
    outcome = execute()
    assert outcome.exit_code == 1 and outcome.scenario_status == {"native": "failed", "naive": "failed"}
    measured = [b for b in builds_of(run) if not b["warmup"]]
    assert len(measured) == 12 and {b["error"] for b in measured} == {"the build produced no image id"}


def test_a_daemon_that_dies_fails_its_scenario_and_the_others_go_on(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    run, execute, log = setup(MATRIX)

    def build(api: Any, context: Path, tag: str, build_log: Any) -> BuildTiming:
        if "naive" in build_log.name:  # what timed_build returns when the daemon dies mid-stream
            return BuildTiming(steps=(), seconds=0.2, ok=False, image_id=None,
                               error="the connection to the daemon failed mid-build: connection reset by peer")
        return ok_timing()

    def remove(api: Any, tag: str, failed: bool) -> str | None:
        return "could not remove harness-build/w: connection refused" if failed else None

    script_builds(monkeypatch, build)
    monkeypatch.setattr(runner, "remove_image", remove)
    outcome = execute()
    assert outcome.exit_code == 1 and outcome.scenario_status == {"native": "ok", "naive": "failed"}
    naive = [b for b in builds_of(run) if b["scenario"] == "naive"]
    assert len(naive) == 1 and "connection reset by peer" in naive[0]["error"]
    assert "stopped answering" in run.read_manifest()["scenarios"]["naive"]["reason"]
    assert log.count("start naive") == 1 and log.count("close naive") == 1, "no more sessions once it failed"
    assert log.count("start native") == 3 and len([b for b in builds_of(run) if b["scenario"] == "native"]) == 7


def test_results_that_cannot_be_written_stop_the_run_and_close_every_host(setup, monkeypatch: pytest.MonkeyPatch
                                                                          ) -> None:
    run, execute, log = setup(MATRIX)
    written = []

    def append(samples: Any) -> None:
        if len(written) == 3:
            raise ResultsWriteError(run.path / "samples.jsonl", OSError(errno.ENOSPC, "No space left on device"))
        written.append(samples)

    monkeypatch.setattr(run, "append_samples", append)
    with pytest.raises(ResultsWriteError, match="No space left"):
        execute()
    started = {line.split()[1] for line in log if line.startswith("start")}
    assert all(log.count(f"close {name}") == 1 for name in started)
    assert json.loads((run.path / "manifest.json").read_text())["status"] == "interrupted"


def test_control_adds_an_independent_copy_of_the_baseline(setup) -> None:
    run, execute, log = setup(MATRIX + "    control: true\n")
    assert execute().exit_code == 0
    manifest = run.read_manifest()
    assert manifest["control"] == {"scenario": "native-aa", "of": "native"}
    assert manifest["scenarios"]["native-aa"]["control_of"] == "native"
    assert log.count("start native-aa") == 3 and log.count("import") == 3
    assert len([b for b in builds_of(run) if b["scenario"] == "native-aa"]) == 7


def test_a_daemon_lost_while_importing_a_base_fails_only_its_scenario(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    run, execute, log = setup(MATRIX)

    def import_base(api: Any, workload: Any) -> float:
        if log[-1] == "start naive":
            raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(0 bytes read)")
        return 0.0

    monkeypatch.setattr(runner, "import_base", import_base)
    outcome = execute()
    assert outcome.exit_code == 1 and outcome.scenario_status == {"native": "ok", "naive": "failed"}
    assert "IncompleteRead" in run.read_manifest()["scenarios"]["naive"]["reason"]
    assert log.count("close naive") == 1 and log.count("start native") == 3


def test_adaptive_reps_add_rounds_of_the_same_size_until_max(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    run, execute, log = setup(MATRIX.replace("repetitions: 6", "repetitions: {min: 4, max: 8, target_ci: 0.01}")
                              .replace("rounds: 3", "rounds: 2"))
    noisy = iter([0.5, 1.5, 0.7, 2.0, 0.9, 1.1] * 20)

    def timing() -> BuildTiming:
        seconds = next(noisy)
        return BuildTiming(steps=(StepTiming(1, "RUN touch /x", seconds, True, None),), seconds=seconds, ok=True,
                           error=None, image_id="abc")

    script_builds(monkeypatch, lambda api, context, tag, build_log: timing())
    assert execute().exit_code == 0
    manifest = run.read_manifest()
    for name in ("native", "naive"):
        measured = [b for b in builds_of(run) if b["scenario"] == name and not b["warmup"]]
        assert len(measured) == 8, "never settles, so it stops at max"
        assert sorted(b["round"] for b in measured) == [1, 1, 2, 2, 3, 3, 4, 4]
        assert [s["round"] for s in manifest["scenarios"][name]["sessions"]] == [1, 2, 3, 4]
        assert manifest["scenarios"][name]["stop_reasons"]["tiny"].startswith("max reached")
    assert sum(1 for p in manifest["plan"] if p["round"] > 2) == 8, "adaptive builds are added to the saved plan"


def test_each_build_runs_on_its_planned_builder_and_its_samples_say_which(setup, monkeypatch) -> None:
    built: list[str] = []

    def resolve(name: str, engine: Any) -> ScriptedBuilder:
        return ScriptedBuilder(name, lambda api, context, tag, log: built.append(name) or ok_timing())
    monkeypatch.setattr(runner, "builder_for", resolve)
    run, execute, _ = setup(MATRIX + "    builders: [classic, buildkit]\n")
    assert execute().exit_code == 0
    samples = run.read_samples()
    assert {(s["builder"], s["kind"]) for s in samples} == {(b, k) for b in ("classic", "buildkit")
                                                             for k in ("step", "build")}
    builds = builds_of(run)
    assert len(builds) == 2 * 2 * 7 and built.count("buildkit") == built.count("classic") == 2 * 7
    assert run.read_manifest()["scenarios"]["native"]["builders"] == {"classic": {"builder": "classic"},
                                                                        "buildkit": {"builder": "buildkit"}}


def test_an_engine_that_cannot_build_with_buildkit_skips_the_scenario_before_importing_and_exits_3(
        setup, monkeypatch) -> None:
    def resolve(name: str, engine: Any) -> ScriptedBuilder:
        if name == "buildkit":
            raise EnvironmentNotAble("no docker CLI here can do BuildKit builds: install the docker-buildx plugin")
        return ScriptedBuilder(name, lambda api, context, tag, log: ok_timing())
    monkeypatch.setattr(runner, "builder_for", resolve)
    run, execute, log = setup(MATRIX + "    builders: [classic, buildkit]\n")
    assert execute().exit_code == 3
    scenarios = run.read_manifest()["scenarios"]
    assert {s["status"] for s in scenarios.values()} == {"skipped"}
    assert "install the docker-buildx plugin" in scenarios["native"]["reason"]
    assert "import" not in log and builds_of(run) == []


def test_observers_that_cannot_connect_never_fail_a_build_and_say_why_in_the_build_log(setup) -> None:
    run, execute, log = setup(MATRIX.replace("repetitions: 6\n    rounds: 3", "repetitions: 1\n    rounds: 1")
                              + "    profile: true\n")
    assert execute().exit_code == 0
    assert all(b["ok"] for b in builds_of(run))
    build_log = (run.logs / "naive.build.log").read_text()
    assert "observer: GET /events on /nonexistent failed" in build_log
    assert "observer: goroutine sampling stopped" in build_log
    manifest = run.read_manifest()
    assert manifest["profile"] == {"method": "goroutine dumps", "interval_s": 0.05}
    assert "flame_graph" not in manifest["scenarios"]["naive"]  # nothing sampled, no graph
    assert [f["id"] for f in manifest["scenarios"]["naive"]["findings"]] == ["storage"]
