"""The run loop: plan → rounds → daemon sessions → timed builds → samples.

The plan (plan.py) cuts the run into rounds; in each round every scenario gets one daemon session, in a seeded
order. A scenario's host is prepared at its first session (work directory, loop filesystem, base images) and kept
until the run ends; each session restarts its daemon on that data-root and is verified against the scenario's
`expect` before anything is measured. The matrix's builders are resolved for each scenario's engine at its first
session, before its base import: a scenario whose engine cannot build with one of them is skipped with the reason.
A scenario that fails (a daemon that dies, a build that cannot be cleaned up) or cannot run here is recorded with its
reason, torn down, and the run goes on with the others. Every finished build is appended to samples.jsonl at once,
so nothing measured is lost when a run dies; `--resume` measures only the planned builds that have no `build` line
yet, in their planned rounds. Results that cannot be written stop the run (everything torn down, nothing already
written lost). The runner reaches hosts, builders and the daemon API only through the protocols and the
`Collaborators` it is given (seams.py), and keeps the manifest as its typed model (results/manifest.py).
"""

from __future__ import annotations

import dataclasses
import math
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from harness.analysis.stopping import RULE, Looks, undecided
from harness.analysis.summary import summarize
from harness.builders import Builder
from harness.builders.timing import CONNECTION_ERRORS, BuildTiming
from harness.config import Matrix, Scenario, with_control
from harness.errors import EnvironmentNotAble, HarnessError, InputError, ResultsWriteError, ScenarioSkipped
from harness.hosts import DockerHost
from harness.machine.ledger import Ledger
from harness.machine.workspace import teardown_workspace
from harness.measure.adaptive import next_adaptive_builds
from harness.measure.plan import (
    PlannedBuild,
    completed_builds,
    plan_from_manifest,
    plan_order,
    scenario_order,
    sessions_of,
)
from harness.measure.samples import samples_of
from harness.measure.seams import Collaborators
from harness.measure.verify import expectation_mismatches
from harness.measure.workloads import (
    PreparedWorkload,
    base_tag,
    build_args,
    build_tag,
    user_build_record,
    write_context,
)
from harness.observe import DEFAULT_INTERVAL_S, Observation, observing
from harness.observe.diagnose import diagnose
from harness.observe.flamegraph import read_folded, write_flame_graph
from harness.observe.record import ObservedBuild, observed_build
from harness.results.manifest import (
    BuildTimes,
    ControlRecord,
    FlameGraph,
    ProfileRecord,
    ScenarioRecord,
    Session,
    StoppingRecord,
)
from harness.results.reader import load_run
from harness.results.writer import RunDirectory, utc_now


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


class DaemonLost(HarnessError):
    """The scenario's daemon died or stopped answering: the scenario fails, the run goes on."""


class Runner:
    """Runs a matrix into a run directory. `parts` are its seams (hosts, builders, daemon calls), real by default."""

    def __init__(self, matrix: Matrix, run: RunDirectory, progress: Progress, work_dir: Path,
                 only: tuple[str, ...] = (), parts: Collaborators | None = None):
        self.parts = parts or Collaborators()
        self.manifest = run.read_manifest()
        if self.manifest.control and matrix.control is None:
            matrix = with_control(matrix)  # resuming a run started with --control
        self.matrix, self.run, self.progress, self.work_dir = matrix, run, progress, work_dir
        self.scenarios = [s for s in matrix.scenarios if not only or s.name in only]
        unknown = [s.name for s in self.scenarios if s.name not in self.manifest.scenarios]
        if unknown:
            raise InputError(f"{run.path} was started without scenario {unknown[0]} (--control?): resume it with "
                             f"the options it was started with")
        self.samples = run.read_samples()
        self.failed_builds = sum(1 for s in self.samples if s["kind"] == "build" and not s["ok"] and not s["warmup"])
        self.hosts: dict[str, DockerHost] = {}  # prepared at a scenario's first session, closed at the end
        self.prepared: dict[str, dict[str, PreparedWorkload]] = {}
        self.builders: dict[str, dict[str, Builder]] = {}  # per scenario, resolved for its engine
        self.given_up: set[str] = set()  # failed or skipped in this run: no more sessions
        self.measured: set[str] = set()  # had a session in this run
        self.profile = matrix.profile or self.manifest.profile is not None  # a resumed profiled run stays so
        self.folded: dict[str, Counter[str]] = {}  # per scenario, stacks of its measured builds (flame graphs)

    def execute(self) -> RunOutcome:
        plan = self._plan()
        done = completed_builds(self.samples)
        names = {s.name for s in self.scenarios}
        self.progress.start(total=sum(1 for p in plan if p.scenario in names),
                            done=sum(1 for p in plan if p.scenario in names and p.key in done))
        interrupted = True
        try:
            looked_after = None
            for round_number, name, builds in sessions_of(plan):
                if looked_after not in (None, round_number) and self._decided_after(looked_after):
                    break
                looked_after = round_number
                todo = [p for p in builds if p.key not in done]
                if name in names and todo:
                    self._session(self.matrix.scenario(name), round_number, todo)
            self._adaptive_rounds(max((p.round for p in plan), default=0) + 1)
            interrupted = False
        finally:
            self.progress.close()
            with signals_deferred():
                self._close_hosts()
            self._finish(interrupted)
        return RunOutcome(self.run.path, self.failed_builds, self._statuses(names))

    def _plan(self) -> list[PlannedBuild]:
        if self.manifest.plan:
            if self.profile:  # `--resume --profile` of a run started without: its later builds are profiled
                self.manifest.profile = self._profile_record()
            return plan_from_manifest(self.manifest.plan)
        plan = plan_order([s.name for s in self.matrix.scenarios], [w.name for w in self.matrix.workloads],
                          self.matrix.repetitions.min, self.matrix.warmup, self.matrix.seed, self.matrix.rounds,
                          self.matrix.builders)
        self.manifest.plan = [p.as_dict() for p in plan]
        self.manifest.rounds = max(p.round for p in plan)
        self.manifest.profile = self._profile_record() if self.profile else None
        control = self.matrix.control
        self.manifest.control = ControlRecord(scenario=f"{control}-aa", of=control) if control else None
        if self.matrix.stop_when_decided:
            looks = Looks(self.manifest.rounds)
            self.manifest.stopping = StoppingRecord(rule=RULE, looks=list(looks.after), alpha=looks.alpha_per_look)
        if control:
            self.manifest.scenarios[f"{control}-aa"].control_of = control
        self._save()
        return plan

    @staticmethod
    def _profile_record() -> ProfileRecord:
        return ProfileRecord(method="goroutine dumps", interval_s=DEFAULT_INTERVAL_S)

    def _statuses(self, names: set[str]) -> dict[str, str]:
        """Scenarios measured in this run end `ok` or `failed` (unless given up earlier with their reason)."""
        for name in self.measured - self.given_up:
            record = self.manifest.scenarios[name]
            failed = record.failed_builds
            record.status = "failed" if failed else "ok"
            record.reason = (f"{failed} builds failed: their errors are in samples.jsonl and logs/{name}.build.log"
                             if failed else None)
        for name in names - self.measured - self.given_up:
            self.progress.note(f"{name}: every planned build is in this run directory already")
        self._save()
        return {name: self.manifest.scenarios[name].status for name in names}

    def _decided_after(self, round_number: int) -> bool:
        """Whether the run stops after this round: it may look then (harness.analysis.stopping) and every compared
        headline is decided at the per-look α. Stopping drops the later rounds from the plan, so the run directory
        reads as a run of this many rounds (and `--resume` has nothing left to do)."""
        stopping = self.manifest.stopping
        if stopping is None or round_number not in stopping.looks[:-1]:
            return False
        try:
            waiting = undecided(summarize(load_run(self.run.path)))
        except HarnessError as error:
            self.progress.note(f"round {round_number}: could not judge the verdicts ({error}); going on")
            return False
        if waiting:
            self.progress.note(f"round {round_number}: going on, undecided at α = {stopping.alpha:.3g} per look: "
                               + "; ".join(waiting[:3]) + (f"; and {len(waiting) - 3} more" if len(waiting) > 3 else ""))
            return False
        planned = self.manifest.rounds
        self.manifest.plan = [p for p in self.manifest.plan if p.get("round", 1) <= round_number]
        self.manifest.rounds = stopping.stopped_after_round = round_number
        self._save()
        self.progress.note(f"round {round_number}: every headline is decided at α = {stopping.alpha:.3g} per look: "
                           f"stopping ({planned - round_number} of {planned} planned rounds not needed)")
        return True

    def _adaptive_rounds(self, round_number: int) -> None:
        """Adaptive reps: after the planned rounds, more rounds of the same size for the cells not yet settled."""
        if self.matrix.repetitions.target_ci is None:
            return
        share = math.ceil(self.matrix.repetitions.min / max(1, self.manifest.rounds or 1))
        while True:
            order = [self.matrix.scenario(n) for n in scenario_order([s.name for s in self.scenarios],
                                                                      self.matrix.seed, round_number)]
            wanting = [s for s in order if s.name not in self.given_up and self._adaptive_builds(s)]
            if not wanting:
                return
            for scenario in wanting:
                self._session(scenario, round_number, [], adaptive_share=share)
            round_number += 1

    def _session(self, scenario: Scenario, round_number: int, todo: list[PlannedBuild],
                 adaptive_share: int = 0) -> None:
        """One daemon session: start (and verify), measure `todo` (and adaptive extras), stop."""
        if scenario.name in self.given_up:
            return
        record = self.manifest.scenarios[scenario.name]
        if scenario.name not in self.measured:
            self.measured.add(scenario.name)
            record.status, record.reason, record.started_at = "running", None, utc_now()
        session = Session(round=round_number, started_at=utc_now())
        record.sessions.append(session)
        self._save()
        host = self.hosts.get(scenario.name) or self.hosts.setdefault(
            scenario.name, self.parts.hosts(scenario, self.work_dir, self.run.logs))
        try:
            self._start_and_verify(scenario, host, record, session)
            self._resolve_builders(scenario, host, record, todo)
            prepared = self._prepare(scenario, host, record, round_number)
            for planned in todo:
                self._build_once(scenario, host, prepared[planned.workload], planned, record, session)
            for _ in range(adaptive_share):
                extra = [dataclasses.replace(p, round=round_number) for p in self._adaptive_builds(scenario)]
                self.progress.add_total(len(extra))
                self.manifest.plan += [p.as_dict() for p in extra]
                for planned in extra:
                    self._build_once(scenario, host, prepared[planned.workload], planned, record, session)
        except ResultsWriteError:
            raise
        except ScenarioSkipped as reason:
            self._give_up(scenario, record, "skipped", str(reason))
        except HarnessError as error:
            self._give_up(scenario, record, "failed", str(error))
        except CONNECTION_ERRORS as error:  # e.g. the daemon died while a base image was imported
            self._give_up(scenario, record, "failed", f"the daemon stopped answering ({type(error).__name__}: "
                          f"{error}); see logs/{scenario.name}.dockerd.log")
        except BaseException:
            record.status, record.reason = "interrupted", "the run was interrupted"
            raise
        finally:
            with signals_deferred():
                self._stop(scenario, host, record, session)
                if scenario.name in self.given_up:
                    self._close_host(scenario.name)
            record.ended_at = session.ended_at = utc_now()
            self._save()

    def _give_up(self, scenario: Scenario, record: ScenarioRecord, status: str, reason: str) -> None:
        self.given_up.add(scenario.name)
        record.status, record.reason = status, reason
        self.progress.note(f"{scenario.name}: {'skipped' if status == 'skipped' else 'FAILED'} — {reason}")

    def _start_and_verify(self, scenario: Scenario, host: DockerHost, record: ScenarioRecord,
                          session: Session) -> None:
        first = len(record.sessions) == 1 or record.driver_status is None
        filesystem = scenario.storage.filesystem
        self.progress.note(f"{scenario.name}: round {session.round}: starting {scenario.host.type} host "
                           f"({scenario.storage.driver}{', ' + filesystem if filesystem != 'host' else ''})")
        began = time.perf_counter()
        host.start()
        session.daemon_start_s = round(time.perf_counter() - began, 3)
        facts = self.parts.daemon.facts(host)
        if first:
            record.add_facts(host.facts())
            record.add_facts(facts)
        status = facts["driver_status"]
        mismatches = expectation_mismatches(scenario.expect, status)
        if mismatches:
            raise HarnessError(f"{scenario.file.name}: the daemon is not what the scenario expects: "
                               + "; ".join(mismatches))
        if first:
            self._diagnose(scenario, host, record)
            shown = ", ".join(f"{k}: {v}" for k, v in status.items() if k in ("Driver", "Backing Filesystem",
                                                                              "Native Overlay Diff"))
            self.progress.note(f"{scenario.name}: ready ({shown})")

    def _resolve_builders(self, scenario: Scenario, host: DockerHost, record: ScenarioRecord,
                          todo: list[PlannedBuild]) -> None:
        """The scenario's builders for its engine (known once its daemon started), before anything is imported.

        Resumed plans may name builders the matrix no longer lists; they are resolved too. An engine that cannot
        build with one of them skips the scenario with the reason (EnvironmentNotAble says what to install).
        """
        if scenario.name in self.builders:
            return
        names = list(dict.fromkeys([*self.matrix.builders, *(p.builder for p in todo)]))
        try:
            builders = {name: self.parts.builders(name, host.engine) for name in names}
        except EnvironmentNotAble as reason:
            raise ScenarioSkipped(str(reason)) from None
        record.builders = {name: builder.facts() for name, builder in builders.items()}
        self.builders[scenario.name] = builders

    def _diagnose(self, scenario: Scenario, host: DockerHost, record: ScenarioRecord) -> None:
        """Record what `harness doctor` would say about this daemon; a finding never fails the scenario."""
        log_path = host.daemon_log
        log = log_path.read_text(errors="replace") if log_path is not None and log_path.is_file() else None
        findings = diagnose(record.docker_info or {}, record.host_facts.get("overlay_parameters"), log)
        record.findings = [finding.as_record() for finding in findings]
        for finding in findings:
            if finding.is_problem:
                self.progress.note(f"{scenario.name}: {finding.severity}: {finding.id}: {finding.message}")

    def _prepare(self, scenario: Scenario, host: DockerHost, record: ScenarioRecord,
                 round_number: int) -> dict[str, PreparedWorkload]:
        """Import each workload's base once per scenario (the data-root keeps it from session to session)."""
        if scenario.name in self.prepared:
            return self.prepared[scenario.name]
        prepared = {}
        imports = record.base_import_s
        for workload in self.matrix.workloads:
            self.progress.note(f"{scenario.name}: importing base of {workload.name} "
                               f"({workload.base.files} files of {workload.base.file_size} B)")
            imports[workload.name] = self.parts.daemon.import_base(host, workload)
            record.base_imports.append({"workload": workload.name, "round": round_number,
                                        "seconds": round(imports[workload.name], 3)})
            context = write_context(workload, self._contexts(),
                                    skip=(self.run.path.parent, self.work_dir))  # private: never published
            if workload.user_build:
                published = user_build_record(workload, context, self.run.path / "contexts")
                self.manifest.workloads[workload.name] = dataclasses.replace(
                    self.manifest.workloads[workload.name], **published)
            prepared[workload.name] = PreparedWorkload(workload, base_tag(workload), build_tag(workload), context,
                                                       imports[workload.name], build_args(workload))
        self.prepared[scenario.name] = prepared
        return prepared

    def _build_once(self, scenario: Scenario, host: DockerHost, prepared: PreparedWorkload, planned: PlannedBuild,
                    record: ScenarioRecord, session: Session) -> None:
        began = time.perf_counter()
        profile_to = self._profile_path(planned)
        with observing(host.socket_path, profile_to, containerd=_containerd_profile(host, profile_to)) as seen:
            timing = self._timed(scenario, host, prepared, planned)
        observed = self._observed(scenario, planned, seen, timing)
        if prepared.workload.kind == "commit":  # one container spans all three steps: events cannot split them
            observed = dataclasses.replace(observed, step_phases=(), build_phases=None)
        samples = samples_of(self.run.run_id, planned, timing, observed)
        self.run.append_samples(samples)
        self.samples += [dataclasses.asdict(s) for s in samples]
        if not timing.ok and not planned.warmup:
            self.failed_builds += 1
            record.failed_builds += 1
        self.progress.build_done(planned, timing)
        problem = self.parts.daemon.remove_image(host, prepared.build_tag, failed=not timing.ok)
        if problem and not self.parts.daemon.answers(host):
            raise DaemonLost(f"the daemon stopped answering after {planned.workload} ({planned.builder}) "
                             f"rep {planned.rep} ({problem}); see logs/{scenario.name}.dockerd.log")
        if problem:
            record.cleanup_problems.append(problem)
        record.timing = record.timing or BuildTimes()
        record.timing.builds += 1
        record.timing.builds_s += timing.seconds
        record.timing.between_builds_s += time.perf_counter() - began - timing.seconds
        session.builds += 1

    def _timed(self, scenario: Scenario, host: DockerHost, prepared: PreparedWorkload,
               planned: PlannedBuild) -> BuildTiming:
        """One timed build; a connection that breaks (a dying daemon) is a failed build with the reason."""
        log_path = self.run.logs / f"{scenario.name}.build.log"
        with log_path.open("a") as log:
            log.write(f"\n=== {utc_now()} round {planned.round} {planned.workload} {planned.builder} rep {planned.rep}"
                      f"{' (warmup)' if planned.warmup else ''}\n")
            if prepared.workload.kind == "commit":  # no builder: the harness creates and commits a container itself
                return self.parts.daemon.commit(host, prepared, log)
            builder = self.builders[scenario.name][planned.builder]
            began = time.perf_counter()
            try:
                return builder.build(host.api, host.socket_path, prepared.context_tar, prepared.build_tag, log,
                                     prepared.build_args)
            except CONNECTION_ERRORS as error:  # e.g. BuildKit's cache prune after the daemon died
                return BuildTiming(steps=(), seconds=time.perf_counter() - began, ok=False, image_id=None,
                                   error=f"the connection to the daemon broke during the build: {error}")

    def _observed(self, scenario: Scenario, planned: PlannedBuild, seen: Observation,
                  timing: BuildTiming) -> ObservedBuild:
        """What the observers saw of a finished build; their errors go to the build log, never fail the build."""
        observed = observed_build(seen, timing)
        if observed.errors:
            with (self.run.logs / f"{scenario.name}.build.log").open("a") as log:
                log.writelines(f"observer: {error}\n" for error in observed.errors)
        if not planned.warmup and timing.ok:
            self.folded.setdefault(scenario.name, Counter()).update(observed.folded)
            self.folded.setdefault(f"{scenario.name}.containerd", Counter()).update(observed.containerd_folded)
        return observed

    def _profile_path(self, planned: PlannedBuild) -> Path | None:
        """Where one build's raw goroutine dumps go when profiling (kept in the run directory)."""
        if not self.profile:
            return None
        return (self.run.logs / "pprof" / planned.scenario
                / f"{planned.workload}-r{planned.round}-{planned.rep}{'-w' if planned.warmup else ''}.goroutines.gz")

    def _write_flame_graphs(self, name: str) -> None:
        """The scenario's folded stacks and SVG over its measured builds (a resumed run adds to the earlier ones),
        dockerd's, and its containerd's when that was sampled too."""
        dockerd = self._flame_graph(name, f"{name}: dockerd goroutines during builds")
        if dockerd is None:
            return
        containerd = self._flame_graph(f"{name}.containerd", f"{name}: containerd goroutines during builds")
        self.manifest.scenarios[name].flame_graph = FlameGraph(
            folded=dockerd[0], svg=dockerd[1], containerd_folded=containerd[0] if containerd else None,
            containerd_svg=containerd[1] if containerd else None)

    def _flame_graph(self, name: str, title: str) -> tuple[str, str] | None:
        """NAME.folded and NAME.svg in logs/pprof (paths relative to the run), or None when nothing was sampled."""
        folded = self.folded.pop(name, None)
        if not folded:
            return None
        earlier = self.run.logs / "pprof" / f"{name}.folded"
        if earlier.is_file():
            folded.update(read_folded(earlier))
        paths = write_flame_graph(folded, self.run.logs / "pprof", name, title)
        return str(paths[0].relative_to(self.run.path)), str(paths[1].relative_to(self.run.path))

    def _adaptive_builds(self, scenario: Scenario) -> list[PlannedBuild]:
        reasons = self.manifest.scenarios[scenario.name].stop_reasons
        return next_adaptive_builds(scenario.name, [w.name for w in self.matrix.workloads], self.matrix.repetitions,
                                    self.matrix.warmup, self.samples, reasons, self.matrix.builders)

    def _stop(self, scenario: Scenario, host: DockerHost, record: ScenarioRecord, session: Session) -> None:
        began = time.perf_counter()
        try:
            host.stop()
            session.daemon_stop_s = round(time.perf_counter() - began, 3)
        except HarnessError as error:
            record.cleanup_problems.append(str(error))
            self.progress.note(f"{scenario.name}: {error}")

    def _close_host(self, name: str) -> None:
        self._write_flame_graphs(name)
        host = self.hosts.pop(name, None)
        if host is None:
            return
        try:
            host.close()
        except HarnessError as error:
            self.manifest.scenarios[name].cleanup_problems.append(str(error))
            self.progress.note(f"{name}: {error}")

    def _close_hosts(self) -> None:
        for name in list(self.hosts):
            self._close_host(name)

    def _contexts(self) -> Path:
        """The run's private build contexts (they may hold what their owner never meant to publish): in the work
        directory, recorded in the ledger so that `harness cleanup` removes them after a kill."""
        directory = self.work_dir / f"contexts-{self.run.run_id}"
        if not directory.exists():
            Ledger.for_this_process().record(kind="workspace", path=str(directory.resolve()))
        return directory

    def _finish(self, interrupted: bool) -> None:
        directory = self.work_dir / f"contexts-{self.run.run_id}"
        if directory.exists():
            teardown_workspace(directory.resolve(), None, Ledger.for_this_process())
        self.manifest.ended_at = utc_now()
        self.manifest.status = "interrupted" if interrupted else "complete"
        self._save()

    def _save(self) -> None:
        self.run.write_manifest(self.manifest)


def _containerd_profile(host: DockerHost, profile_to: Path | None) -> tuple[Path, Path] | None:
    """Where containerd's goroutines are sampled from and kept beside dockerd's, when both are profiled."""
    if profile_to is None or host.containerd_debug_socket is None:
        return None
    return host.containerd_debug_socket, profile_to.with_name(profile_to.name.replace(".goroutines.",
                                                                                      ".containerd.goroutines."))


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

