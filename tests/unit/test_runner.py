"""Runner paths with fakes handed in through its seams (a stand-in host and daemon, scripted build timings): planning
logic only (sessions, resume, failures); nothing is patched.

That the real thing restarts real daemons, measures and cleans up is proven by tests/integration/test_aa_control.py
and test_rounds.py.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests.exceptions
from jsonschema import Draft202012Validator

from harness.builders import BACKENDS as builder_backends
from harness.builders import builder_for
from harness.builders.timing import BuildTiming, StepTiming, timings_from_stream
from harness.config import Matrix, load_matrix
from harness.config.limits import HOST_TYPES
from harness.config.names import BUILDERS
from harness.errors import EnvironmentNotAble, HarnessError, ResultsWriteError
from harness.hosts import BACKENDS as host_backends
from harness.hosts import host_for
from harness.measure.runner import Runner, RunOutcome
from harness.measure.samples import samples_of
from harness.measure.seams import Collaborators
from harness.measure.verify import FIELDS
from harness.results.manifest import Manifest
from harness.results.writer import RunDirectory
from tests.conftest import Quiet, write_tree


class FakeHost:
    """Counts sessions; the 'daemon' answers whatever the test scripts."""

    daemon_log = None

    def __init__(self, scenario: Any, log: list[str]) -> None:
        self.scenario, self.log, self.api, self.socket_path = scenario, log, object(), Path("/nonexistent")
        self.engine = None
        self.containerd_debug_socket = None

    def start(self) -> None:
        self.log.append(f"start {self.scenario.name}")

    def facts(self) -> dict[str, Any]:
        return {}

    def stop(self) -> None:
        self.log.append(f"stop {self.scenario.name}")

    def close(self) -> None:
        self.log.append(f"close {self.scenario.name}")


class FakeDaemon:
    """A daemon that is what each scenario expects, imports bases instantly (logging "import") and removes images
    as `remove` says; its methods are replaced per test where the daemon should misbehave."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.remove: Callable[[Any, str, bool], str | None] = lambda host, tag, failed: None

    def facts(self, host: FakeHost) -> dict[str, Any]:
        expect = host.scenario.expect
        status = {key: str(getattr(expect, name)).lower() if isinstance(getattr(expect, name), bool)
                  else str(getattr(expect, name)) for name, key in FIELDS.items() if getattr(expect, name) is not None}
        return {"driver_status": status}

    def import_base(self, host: FakeHost, workload: Any) -> float:
        self.log.append("import")
        return 0.0

    def remove_image(self, host: FakeHost, tag: str, failed: bool) -> str | None:
        return self.remove(host, tag, failed)

    def answers(self, host: FakeHost) -> bool:
        return False  # the fake socket never answers: a failed removal means the daemon is gone

    def commit(self, host: FakeHost, prepared: Any, log: Any) -> BuildTiming:
        raise AssertionError("no commit workload in these tests")


class ScriptedBuilder:
    """A builder whose builds are whatever `script(api, context, tag, log)` returns."""

    def __init__(self, name: str, script: Callable[..., BuildTiming]) -> None:
        self.name, self.script = name, script

    def facts(self) -> dict[str, Any]:
        return {"builder": self.name}

    def build(self, api: Any, socket_path: Path, context_tar: Path, tag: str, log: Any,
              build_args: dict[str, str] | None = None) -> BuildTiming:
        return self.script(api, context_tar, tag, log)


def ok_timing() -> BuildTiming:
    steps = (StepTiming(1, "FROM x", 0.01, True, None), StepTiming(2, "RUN touch /x", 0.5, True, None))
    return BuildTiming(steps=steps, seconds=0.51, ok=True, error=None, image_id="abc")


@dataclass
class Rig:
    """A run directory, the fakes the runner is given, and what they logged. Tests change `script`, `resolve` or
    the daemon before `execute()`."""

    run: RunDirectory
    matrix: Matrix
    log: list[str]
    daemon: FakeDaemon
    script: Callable[..., BuildTiming] = lambda api, context, tag, build_log: ok_timing()
    resolve: Callable[[str, Any], ScriptedBuilder] | None = None

    def parts(self) -> Collaborators:
        resolve = self.resolve or (lambda name, engine: ScriptedBuilder(name, lambda *a: self.script(*a)))
        return Collaborators(hosts=lambda scenario, work, logs: FakeHost(scenario, self.log), builders=resolve,
                             daemon=self.daemon)

    def runner(self) -> Runner:
        return Runner(self.matrix, self.run, Quiet(), self.run.path.parent.parent / "work", parts=self.parts())

    def execute(self) -> RunOutcome:
        return self.runner().execute()


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The runner records its private contexts in this process's ledger: keep it out of the machine's state."""
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def setup(matrix_dir: Path) -> Callable[[str], Rig]:
    """Make a run directory for `matrix_text` and a rig whose hosts, daemons and builds are fakes."""

    def make(matrix_text: str) -> Rig:
        write_tree(matrix_dir, {"matrix.yaml": matrix_text})
        matrix = load_matrix(matrix_dir / "matrix.yaml")
        run = RunDirectory.create(matrix_dir / "results", matrix, ["harness", "run"], {"hostname": "test"})
        log: list[str] = []
        return Rig(run, matrix, log, FakeDaemon(log))
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


def manifest_of(run: RunDirectory) -> Manifest:
    """The manifest as the runner left it, checked against the published JSON Schema first."""
    schema = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "manifest.schema.json").read_text())
    Draft202012Validator(schema).validate(json.loads((run.path / "manifest.json").read_text()))
    return run.read_manifest()


def test_each_scenario_gets_one_session_per_round_and_one_base_import(setup) -> None:
    rig = setup(MATRIX)
    assert rig.execute().exit_code == 0
    log = rig.log
    assert log.count("start native") == log.count("stop native") == 3 and log.count("close native") == 1
    assert log.count("import") == 2, "the base is imported once per scenario, kept on its data-root"
    builds = builds_of(rig.run)
    assert sorted((b["scenario"], b["rep"]) for b in builds) == [(s, r) for s in ("naive", "native")
                                                                 for r in range(1, 8)]
    manifest = manifest_of(rig.run)
    assert manifest.rounds == 3 and manifest.control is None
    assert [s.round for s in manifest.scenarios["native"].sessions] == [1, 2, 3]
    assert all(s.builds and s.ended_at for s in manifest.scenarios["native"].sessions)
    assert manifest.scenarios["native"].timing.builds == 7 and manifest.status == "complete"
    assert {(b["scenario"], b["round"]) for b in builds} == {(s, r) for s in ("native", "naive") for r in (1, 2, 3)}


def test_resume_mid_round_measures_exactly_the_missing_builds(setup) -> None:
    rig = setup(MATRIX)
    plan = rig.runner()._plan()
    cut = next(i for i, p in enumerate(plan) if p.round == 2) + 1
    rig.run.append_samples([s for p in plan[:cut] for s in samples_of(rig.run.run_id, p, ok_timing())])
    assert rig.execute().exit_code == 0
    keys = [(b["scenario"], b["workload"], b["rep"], b["builder"]) for b in builds_of(rig.run)]
    assert sorted(keys) == sorted(p.key for p in plan) and len(keys) == len(set(keys))
    interrupted_round = plan[cut - 1]
    assert rig.log[0] == f"start {interrupted_round.scenario}", "resume continues in the interrupted session"
    assert len([line for line in rig.log if line.startswith("start")]) == 2 * 3 - 2


def test_failed_warmups_are_recorded_but_do_not_fail_the_scenario(setup) -> None:
    rig = setup(MATRIX.replace("warmup: 1", "warmup: 2"))
    failing = BuildTiming(steps=(), seconds=0.1, ok=False, error="no space left on device", image_id=None)
    built: list[str] = []

    def warmups_fail(api: Any, context: Path, tag: str, build_log: Any) -> BuildTiming:
        built.append(build_log.name)  # a scenario's two warmups are its first builds (plan_order)
        return failing if built.count(build_log.name) <= 2 else ok_timing()

    rig.script = warmups_fail
    outcome = rig.execute()
    assert outcome.exit_code == 0 and outcome.failed_builds == 0
    warmups = [b for b in builds_of(rig.run) if b["warmup"]]
    assert len(warmups) == 4 and not any(b["ok"] for b in warmups)
    assert all(b["error"] == "no space left on device" for b in warmups)
    assert all(b["ok"] for b in builds_of(rig.run) if not b["warmup"])


def test_an_empty_build_stream_is_a_failed_build_and_the_run_goes_on(setup) -> None:
    rig = setup(MATRIX)
    rig.script = lambda api, context, tag, log: timings_from_stream([], 0)
    outcome = rig.execute()
    assert outcome.exit_code == 1 and outcome.scenario_status == {"native": "failed", "naive": "failed"}
    measured = [b for b in builds_of(rig.run) if not b["warmup"]]
    assert len(measured) == 12 and {b["error"] for b in measured} == {"the build produced no image id"}
    assert manifest_of(rig.run).scenarios["native"].failed_builds == 6


def test_a_daemon_that_dies_fails_its_scenario_and_the_others_go_on(setup) -> None:
    rig = setup(MATRIX)

    def build(api: Any, context: Path, tag: str, build_log: Any) -> BuildTiming:
        if "naive" in build_log.name:  # what timed_build returns when the daemon dies mid-stream
            return BuildTiming(steps=(), seconds=0.2, ok=False, image_id=None,
                               error="the connection to the daemon failed mid-build: connection reset by peer")
        return ok_timing()

    rig.script = build
    rig.daemon.remove = lambda host, tag, failed: (
        "could not remove harness-build/w: connection refused" if failed else None)
    outcome = rig.execute()
    assert outcome.exit_code == 1 and outcome.scenario_status == {"native": "ok", "naive": "failed"}
    naive = [b for b in builds_of(rig.run) if b["scenario"] == "naive"]
    assert len(naive) == 1 and "connection reset by peer" in naive[0]["error"]
    assert "stopped answering" in manifest_of(rig.run).scenarios["naive"].reason
    assert rig.log.count("start naive") == 1 and rig.log.count("close naive") == 1, "no more sessions once it failed"
    assert rig.log.count("start native") == 3 and len([b for b in builds_of(rig.run) if b["scenario"] == "native"]) == 7


def test_an_image_that_cannot_be_removed_from_a_live_daemon_is_a_cleanup_problem(setup) -> None:
    rig = setup(MATRIX)
    rig.daemon.remove = lambda host, tag, failed: f"could not remove {tag}: conflict"
    rig.daemon.answers = lambda host: True
    assert rig.execute().exit_code == 0
    problems = manifest_of(rig.run).scenarios["native"].cleanup_problems
    assert len(problems) == 7 and all("conflict" in problem for problem in problems)


def test_hosts_that_cannot_stop_or_close_are_cleanup_problems_in_one_list(setup) -> None:
    rig = setup(MATRIX)

    class StubbornHost(FakeHost):
        def stop(self) -> None:
            raise HarnessError(f"dockerd of {self.scenario.name} would not stop")

        def close(self) -> None:
            raise HarnessError(f"{self.scenario.name}: could not unmount")

    parts = rig.parts()
    runner = Runner(rig.matrix, rig.run, Quiet(), rig.run.path / "work", parts=Collaborators(
        hosts=lambda scenario, work, logs: StubbornHost(scenario, rig.log), builders=parts.builders,
        daemon=parts.daemon))
    assert runner.execute().exit_code == 0
    raw = json.loads((rig.run.path / "manifest.json").read_text())["scenarios"]["native"]
    assert "cleanup_problem" not in raw
    assert raw["cleanup_problems"] == ["dockerd of native would not stop"] * 3 + ["native: could not unmount"]


def test_results_that_cannot_be_written_stop_the_run_and_close_every_host(setup, monkeypatch: pytest.MonkeyPatch
                                                                          ) -> None:
    rig = setup(MATRIX)
    written = []

    def append(samples: Any) -> None:
        if len(written) == 3:
            raise ResultsWriteError(rig.run.path / "samples.jsonl", OSError(errno.ENOSPC, "No space left on device"))
        written.append(samples)

    monkeypatch.setattr(rig.run, "append_samples", append)  # the run directory is the runner's own argument
    with pytest.raises(ResultsWriteError, match="No space left"):
        rig.execute()
    started = {line.split()[1] for line in rig.log if line.startswith("start")}
    assert all(rig.log.count(f"close {name}") == 1 for name in started)
    assert json.loads((rig.run.path / "manifest.json").read_text())["status"] == "interrupted"


def test_control_adds_an_independent_copy_of_the_baseline(setup) -> None:
    rig = setup(MATRIX + "    control: true\n")
    assert rig.execute().exit_code == 0
    manifest = manifest_of(rig.run)
    assert (manifest.control.scenario, manifest.control.of) == ("native-aa", "native")
    assert manifest.scenarios["native-aa"].control_of == "native"
    assert rig.log.count("start native-aa") == 3 and rig.log.count("import") == 3
    assert len([b for b in builds_of(rig.run) if b["scenario"] == "native-aa"]) == 7


def test_a_daemon_lost_while_importing_a_base_fails_only_its_scenario(setup) -> None:
    rig = setup(MATRIX)

    def import_base(host: Any, workload: Any) -> float:
        if host.scenario.name == "naive":
            raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(0 bytes read)")
        return 0.0

    rig.daemon.import_base = import_base
    outcome = rig.execute()
    assert outcome.exit_code == 1 and outcome.scenario_status == {"native": "ok", "naive": "failed"}
    assert "IncompleteRead" in manifest_of(rig.run).scenarios["naive"].reason
    assert rig.log.count("close naive") == 1 and rig.log.count("start native") == 3


def test_adaptive_reps_add_rounds_of_the_same_size_until_max(setup) -> None:
    rig = setup(MATRIX.replace("repetitions: 6", "repetitions: {min: 4, max: 8, target_ci: 0.01}")
                .replace("rounds: 3", "rounds: 2"))
    noisy = iter([0.5, 1.5, 0.7, 2.0, 0.9, 1.1] * 20)

    def timing() -> BuildTiming:
        seconds = next(noisy)
        return BuildTiming(steps=(StepTiming(1, "RUN touch /x", seconds, True, None),), seconds=seconds, ok=True,
                           error=None, image_id="abc")

    rig.script = lambda api, context, tag, build_log: timing()
    assert rig.execute().exit_code == 0
    manifest = manifest_of(rig.run)
    for name in ("native", "naive"):
        measured = [b for b in builds_of(rig.run) if b["scenario"] == name and not b["warmup"]]
        assert len(measured) == 8, "never settles, so it stops at max"
        assert sorted(b["round"] for b in measured) == [1, 1, 2, 2, 3, 3, 4, 4]
        assert [s.round for s in manifest.scenarios[name].sessions] == [1, 2, 3, 4]
        assert manifest.scenarios[name].stop_reasons["tiny"].startswith("max reached")
    assert sum(1 for p in manifest.plan if p["round"] > 2) == 8, "adaptive builds are added to the saved plan"


def test_each_build_runs_on_its_planned_builder_and_its_samples_say_which(setup) -> None:
    built: list[str] = []
    rig = setup(MATRIX + "    builders: [classic, buildkit]\n")
    rig.resolve = lambda name, engine: ScriptedBuilder(
        name, lambda api, context, tag, log: built.append(name) or ok_timing())
    assert rig.execute().exit_code == 0
    samples = rig.run.read_samples()
    assert {(s["builder"], s["kind"]) for s in samples} == {(b, k) for b in ("classic", "buildkit")
                                                             for k in ("step", "build")}
    builds = builds_of(rig.run)
    assert len(builds) == 2 * 2 * 7 and built.count("buildkit") == built.count("classic") == 2 * 7
    assert manifest_of(rig.run).scenarios["native"].builders == {"classic": {"builder": "classic"},
                                                                     "buildkit": {"builder": "buildkit"}}


def test_an_engine_that_cannot_build_with_buildkit_skips_the_scenario_before_importing_and_exits_3(setup) -> None:
    def resolve(name: str, engine: Any) -> ScriptedBuilder:
        if name == "buildkit":
            raise EnvironmentNotAble("no docker CLI here can do BuildKit builds: install the docker-buildx plugin")
        return ScriptedBuilder(name, lambda api, context, tag, log: ok_timing())
    rig = setup(MATRIX + "    builders: [classic, buildkit]\n")
    rig.resolve = resolve
    assert rig.execute().exit_code == 3
    scenarios = manifest_of(rig.run).scenarios
    assert {s.status for s in scenarios.values()} == {"skipped"}
    assert "install the docker-buildx plugin" in scenarios["native"].reason
    assert "import" not in rig.log and builds_of(rig.run) == []


def test_a_daemon_that_is_not_what_the_scenario_expects_fails_the_scenario(setup) -> None:
    rig = setup(MATRIX)
    rig.daemon.facts = lambda host: {"driver_status": {"Driver": "vfs"}}
    outcome = rig.execute()
    assert outcome.scenario_status == {"native": "failed", "naive": "failed"} and builds_of(rig.run) == []
    assert "expect.driver is 'overlay2' but docker info reports Driver: 'vfs'" in (
        manifest_of(rig.run).scenarios["native"].reason)


def test_observers_that_cannot_connect_never_fail_a_build_and_say_why_in_the_build_log(setup) -> None:
    rig = setup(MATRIX.replace("repetitions: 6\n    rounds: 3", "repetitions: 1\n    rounds: 1")
                + "    profile: true\n")
    assert rig.execute().exit_code == 0
    assert all(b["ok"] for b in builds_of(rig.run))
    build_log = (rig.run.logs / "naive.build.log").read_text()
    assert "observer: GET /events on /nonexistent failed" in build_log
    assert "observer: goroutine sampling stopped" in build_log
    manifest = manifest_of(rig.run)
    assert (manifest.profile.method, manifest.profile.interval_s) == ("goroutine dumps", 0.05)
    assert manifest.scenarios["naive"].flame_graph is None  # nothing sampled, no graph
    assert [f["id"] for f in manifest.scenarios["naive"].findings] == ["storage"]


def test_every_host_type_and_builder_the_configuration_accepts_has_a_backend_in_its_registry() -> None:
    assert set(host_backends) == set(HOST_TYPES)
    assert set(builder_backends) == set(BUILDERS)
    assert Collaborators().hosts is host_for and Collaborators().builders is builder_for


def test_the_private_contexts_are_in_the_ledger_while_the_run_lasts_and_gone_after(setup, private_state: Path) -> None:
    """A kill leaves them to `harness cleanup` (the ledger names them); a finished run removes them itself."""
    rig = setup(MATRIX)
    seen: list[list[dict]] = []
    original = rig.run.write_manifest

    def watch(manifest) -> None:  # every manifest save happens mid-run, while the contexts exist
        seen.extend(json.loads(p.read_text())["entries"] for p in private_state.glob("run-*.json"))
        original(manifest)

    rig.run.write_manifest = watch
    rig.execute()
    recorded = [e["path"] for entries in seen for e in entries if e["kind"] == "workspace"]
    assert any(Path(path).name.startswith("contexts-") for path in recorded), recorded
    work = rig.run.path.parent.parent / "work"
    assert not list(work.glob("contexts-*")) and not list(private_state.glob("run-*.json"))

