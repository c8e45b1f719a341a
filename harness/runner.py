"""The run loop: matrix → scenario → host → workload → timed build → samples.

Each scenario gets its host (a private daemon, or a VM's daemon over SSH), which is verified against the scenario's
`expect` before anything is measured; a scenario that fails or cannot run here is recorded with its reason and the
run goes on with the next. Every finished build is appended to samples.jsonl at once, so nothing measured is lost
when a run dies; `--resume` measures only the planned builds that have no `build` line yet.
"""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol

from harness.adaptive import next_adaptive_builds
from harness.build import BuildTiming, remove_image, timed_build
from harness.config import Matrix, Scenario
from harness.errors import HarnessError, InputError
from harness.facts import docker_facts
from harness.hosts import DockerHost, host_for
from harness.hosts.local import ScenarioSkipped
from harness.plan import PlannedBuild, completed_builds, plan_from_manifest, plan_order
from harness.results import RunDirectory, Sample, utc_now
from harness.verify import expectation_mismatches
from harness.workloads import PreparedWorkload, base_tag, build_tag, import_base, write_context


class Progress(Protocol):
    """Where the runner reports what it does; the CLI draws it (a bar and notes on stderr)."""

    def start(self, total: int, done: int) -> None: ...

    def note(self, text: str) -> None: ...

    def build_done(self, planned: PlannedBuild, timing: BuildTiming) -> None: ...

    def add_total(self, extra: int) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    failed_builds: int
    scenario_status: dict[str, str]

    @property
    def exit_code(self) -> int:
        statuses = set(self.scenario_status.values())
        if statuses and statuses <= {"skipped"}:
            return 3  # nothing here could run: the environment is not able
        return 1 if self.failed_builds or "failed" in statuses else 0


class Runner:
    def __init__(self, matrix: Matrix, run: RunDirectory, progress: Progress, work_dir: Path,
                 only: tuple[str, ...] = ()):
        self.matrix, self.run, self.progress, self.work_dir = matrix, run, progress, work_dir
        self.scenarios = [s for s in matrix.scenarios if not only or s.name in only]
        self.manifest = run.read_manifest()
        self.samples = run.read_samples()
        self.failed_builds = sum(1 for s in self.samples if s["kind"] == "build" and not s["ok"] and not s["warmup"])

    def execute(self) -> RunOutcome:
        plan = self._plan()
        done = completed_builds(self.samples)
        names = {s.name for s in self.scenarios}
        self.progress.start(total=sum(1 for p in plan if p.scenario in names),
                            done=sum(1 for p in plan if p.scenario in names and p.key in done))
        interrupted = True
        try:
            for scenario in self.scenarios:
                self._run_scenario(scenario, [p for p in plan if p.scenario == scenario.name and p.key not in done])
            interrupted = False
        finally:
            self.progress.close()
            self._finish(interrupted)
        status = {name: self.manifest["scenarios"][name]["status"] for name in names}
        return RunOutcome(self.run.path, self.failed_builds, status)

    def _plan(self) -> list[PlannedBuild]:
        if self.manifest["plan"]:
            return plan_from_manifest(self.manifest["plan"])
        plan = plan_order([s.name for s in self.matrix.scenarios], [w.name for w in self.matrix.workloads],
                          self.matrix.repetitions.min, self.matrix.warmup, self.matrix.seed)
        self.manifest["plan"] = [p.as_dict() for p in plan]
        self.run.write_manifest(self.manifest)
        return plan

    def _run_scenario(self, scenario: Scenario, todo: list[PlannedBuild]) -> None:
        record = self.manifest["scenarios"][scenario.name]
        if not todo and not self._adaptive_builds(scenario):
            self.progress.note(f"{scenario.name}: every planned build is in this run directory already")
            return
        record.update(status="running", reason=None, started_at=utc_now())
        self._save()
        host = host_for(scenario, self.work_dir, self.run.logs)
        try:
            self._start_and_verify(scenario, host, record)
            self._measure(scenario, host, todo, record)
            failed = record.get("failed_builds", 0)
            record.update(status="failed" if failed else "ok",
                          reason=f"{failed} builds failed: their errors are in samples.jsonl and "
                                 f"logs/{scenario.name}.build.log" if failed else None)
        except ScenarioSkipped as reason:
            record.update(status="skipped", reason=str(reason))
            self.progress.note(f"{scenario.name}: skipped — {reason}")
        except HarnessError as error:
            record.update(status="failed", reason=str(error))
            self.progress.note(f"{scenario.name}: FAILED — {error}")
        except BaseException:
            record.update(status="interrupted", reason="the run was interrupted")
            raise
        finally:
            with signals_deferred():
                self._stop(scenario, host, record)
            record["ended_at"] = utc_now()
            self._save()

    def _start_and_verify(self, scenario: Scenario, host: DockerHost, record: dict[str, Any]) -> None:
        self.progress.note(f"{scenario.name}: starting {scenario.host.type} host ({scenario.storage.driver}"
                           f"{', ' + scenario.storage.filesystem if scenario.storage.filesystem != 'host' else ''})")
        host.start()
        record.update(host.facts())
        record.update(docker_facts(host.api))
        status = record["driver_status"]
        shown = ", ".join(f"{k}: {v}" for k, v in status.items() if k in ("Driver", "Backing Filesystem",
                                                                          "Native Overlay Diff"))
        self.progress.note(f"{scenario.name}: ready ({shown})")
        mismatches = expectation_mismatches(scenario.expect, status)
        if mismatches:
            raise HarnessError(f"{scenario.file.name}: the daemon is not what the scenario expects: "
                               + "; ".join(mismatches))

    def _measure(self, scenario: Scenario, host: DockerHost, todo: list[PlannedBuild],
                 record: dict[str, Any]) -> None:
        prepared = self._prepare(scenario, host, record)
        timings = record.setdefault("timing", {"builds_s": 0.0, "between_builds_s": 0.0, "builds": 0})
        for planned in todo:
            self._build_once(scenario, host, prepared[planned.workload], planned, timings, record)
        while extra := self._adaptive_builds(scenario):
            self.progress.add_total(len(extra))
            self.manifest["plan"] += [p.as_dict() for p in extra]
            for planned in extra:
                self._build_once(scenario, host, prepared[planned.workload], planned, timings, record)

    def _prepare(self, scenario: Scenario, host: DockerHost, record: dict[str, Any]) -> dict[str, PreparedWorkload]:
        prepared = {}
        imports = record.setdefault("base_import_s", {})
        for workload in self.matrix.workloads:
            self.progress.note(f"{scenario.name}: importing base of {workload.name} "
                               f"({workload.base.files} files of {workload.base.file_size} B)")
            imports[workload.name] = import_base(host.api, workload)
            context = write_context(workload, self.run.path / "contexts")
            prepared[workload.name] = PreparedWorkload(workload, base_tag(workload), build_tag(workload), context,
                                                       imports[workload.name])
        return prepared

    def _build_once(self, scenario: Scenario, host: DockerHost, prepared: PreparedWorkload, planned: PlannedBuild,
                    timings: dict[str, Any], record: dict[str, Any]) -> None:
        began = time.perf_counter()
        log_path = self.run.logs / f"{scenario.name}.build.log"
        with log_path.open("a") as log:
            log.write(f"\n=== {utc_now()} {planned.workload} rep {planned.rep}{' (warmup)' if planned.warmup else ''}\n")
            timing = timed_build(host.api, prepared.context_tar, prepared.build_tag, log)
        samples = samples_of(self.run.run_id, planned, timing)
        self.run.append_samples(samples)
        self.samples += [s.__dict__ for s in samples]
        remove_image(host.api, prepared.build_tag, failed=not timing.ok)
        if not timing.ok and not planned.warmup:
            self.failed_builds += 1
            record["failed_builds"] = record.get("failed_builds", 0) + 1
        timings["builds"] += 1
        timings["builds_s"] += timing.seconds
        timings["between_builds_s"] += time.perf_counter() - began - timing.seconds
        self.progress.build_done(planned, timing)

    def _adaptive_builds(self, scenario: Scenario) -> list[PlannedBuild]:
        reasons = self.manifest["scenarios"][scenario.name].setdefault("stop_reasons", {})
        return next_adaptive_builds(scenario.name, [w.name for w in self.matrix.workloads], self.matrix.repetitions,
                                    self.matrix.warmup, self.samples, reasons)

    def _stop(self, scenario: Scenario, host: DockerHost, record: dict[str, Any]) -> None:
        began = time.perf_counter()
        try:
            host.stop()
            record["daemon_stop_s"] = time.perf_counter() - began
        except HarnessError as error:
            record["cleanup_problem"] = str(error)
            self.progress.note(f"{scenario.name}: {error}")

    def _finish(self, interrupted: bool) -> None:
        self.manifest["ended_at"] = utc_now()
        self.manifest["status"] = "interrupted" if interrupted else "complete"
        self._save()

    def _save(self) -> None:
        self.run.write_manifest(self.manifest)


def samples_of(run_id: str, planned: PlannedBuild, timing: BuildTiming) -> list[Sample]:
    """The step lines and the build line of one build, in the samples.jsonl contract."""
    ended = utc_now()
    common = dict(run_id=run_id, scenario=planned.scenario, workload=planned.workload, rep=planned.rep,
                  warmup=planned.warmup, ended_at=ended)
    steps = [Sample(**common, kind="step", step=s.index, instruction=s.instruction, text=s.text, seconds=s.seconds,
                    ok=s.ok, error=s.error) for s in timing.steps]
    build = Sample(**common, kind="build", step=None, instruction=None, text=None, seconds=timing.seconds,
                   ok=timing.ok, error=timing.error)
    return [*steps, build]


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while tearing down, so a second Ctrl-C cannot leave a daemon or a mount behind."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def check_selection(matrix: Matrix, only: tuple[str, ...]) -> None:
    unknown = [name for name in only if name not in {s.name for s in matrix.scenarios}]
    if unknown:
        raise InputError(f"--only {unknown[0]}: no such scenario in {matrix.file} "
                         f"(it has: {', '.join(s.name for s in matrix.scenarios)})")

