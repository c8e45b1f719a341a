"""manifest.json as one typed, versioned model: what was run, where, with what, and how it ended.

The runner writes the manifest and every reader loads it through these dataclasses, so a key is spelled once (a
typo is an AttributeError, not a new key on disk). Like pyperf's `_bench.py`, loading validates each value's type
and says which key is wrong; like asv's `api_version`, a manifest of an older `schema` is migrated on load
(`MIGRATIONS`), so runs written by earlier harness versions keep loading. Keys this model does not know are kept
in `extra` and written back, so a newer writer's additions survive a resume by an older reader.

On disk, a field marked `optional()` is left out while it holds its default (a scenario that never started has no
`sessions`); the others are always written, `null` included. A scenario record also carries what its host backend
said of itself (`DockerHost.facts()`, an open set of keys): those live in `host_facts` and are written flat into the
record, as they always were. schemas/manifest.schema.json publishes the same model; a unit test checks the two
agree field by field.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from harness import SCHEMA_VERSION
from harness.errors import InputError

#: The dict field of a record that holds the keys the model does not name (written back as they were).
OPEN_FIELDS = ("extra", "host_facts")


def optional(default: Any = None, *, factory: Any = None) -> Any:
    """A field left out of the JSON while it holds its default."""
    if factory is not None:
        return field(default_factory=factory, metadata={"optional": True})
    return field(default=default, metadata={"optional": True})


@dataclass
class Session:
    """One daemon session of a scenario (a round): when it ran, how long its daemon took to start and stop."""

    round: int
    started_at: str
    builds: int = 0
    daemon_start_s: float | None = optional()
    daemon_stop_s: float | None = optional()
    ended_at: str | None = optional()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildTimes:
    """Wall time a scenario spent in its builds and between them (the estimate of the next run reads it)."""

    builds_s: float = 0.0
    between_builds_s: float = 0.0
    builds: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FlameGraph:
    """A profiled scenario's folded stacks and SVG flame graph, relative to the run directory."""

    folded: str
    svg: str
    #: containerd's, sampled beside dockerd's with the containerd image store (its diff service commits layers).
    containerd_folded: str | None = None
    containerd_svg: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScenarioRecord:
    """One scenario: its status and reason, the daemon it ran on (as `docker version`/`docker info` saw it), its
    sessions, and what happened along the way."""

    status: str = "pending"  # pending | running | ok | failed | skipped | interrupted
    reason: str | None = None
    host_type: str | None = optional()
    storage_driver: str | None = optional()
    description: str | None = None
    file: str | None = optional()
    control_of: str | None = optional()  # set on the A/A control scenario: the scenario it copies
    started_at: str | None = optional()
    ended_at: str | None = optional()
    sessions: list[Session] = optional(factory=list)
    docker_version: dict[str, Any] | None = optional()
    docker_info: dict[str, Any] | None = optional()
    driver_status: dict[str, str] | None = optional()
    findings: list[dict[str, Any]] | None = optional()  # observe.diagnose findings, as records
    builders: dict[str, dict[str, Any]] | None = optional()  # per builder, its facts()
    base_import_s: dict[str, float] = optional(factory=dict)
    base_imports: list[dict[str, Any]] = optional(factory=list)
    failed_builds: int = optional(0)
    cleanup_problems: list[str] = optional(factory=list)
    timing: BuildTimes | None = optional()
    stop_reasons: dict[str, str] = optional(factory=dict)  # adaptive reps: why each workload stopped
    flame_graph: FlameGraph | None = optional()
    #: What the host backend said of itself at the first session (DockerHost.facts(): kernel, overlay_parameters,
    #: daemon_start_s, engine, …; an open set that differs per backend), flat in the record on disk.
    host_facts: dict[str, Any] = field(default_factory=dict)

    def add_facts(self, facts: dict[str, Any]) -> None:
        """Record what a host (`DockerHost.facts()`) or its daemon said: keys this model names (the daemon's
        `docker_version`, `docker_info`, `driver_status`) go to their fields, the others to `host_facts`."""
        named = {item.name for item in dataclasses.fields(self)}
        for key, value in facts.items():
            if key in named and key not in OPEN_FIELDS:
                setattr(self, key, value)
            else:
                self.host_facts[key] = value


@dataclass
class WorkloadRecord:
    """One workload as it was measured: its inputs' fingerprint, its sweep family and parameters, and for a user
    build where its Dockerfile and context were."""

    description: str | None = None
    fingerprint: str | None = optional()
    base: dict[str, Any] | None = optional()
    payload: dict[str, Any] | None = optional()
    steps: list[str] | None = optional()
    family: str | None = None
    params: dict[str, int] = field(default_factory=dict)
    kind: str = "build"  # build | commit
    command: str | None = None
    dockerfile: str | None = optional()
    context: str | None = optional()
    context_sha256: str | None = optional()
    context_files: str | None = optional()  # the published list of what the context held (contexts/…files.jsonl)
    context_tar: str | None = optional()  # the context tar itself, only with `publish_context: true`
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class MatrixRecord:
    """The matrix file run, its digest, where its copy is, and the digest of every input file it named."""

    file: str
    sha256: str
    copy: str | None = optional()
    files: dict[str, str] = optional(factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RepetitionsRecord:
    min: int
    max: int
    target_ci: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ControlRecord:
    """The A/A control: `scenario` is an independent copy of `of` (the baseline)."""

    scenario: str
    of: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoppingRecord:
    """A run that may stop once its headlines are decided (harness.analysis.stopping): its looks and the α each
    judges at (its summary's α too), and the round it stopped after (None: it ran every planned round)."""

    rule: str
    looks: list[int]
    alpha: float
    stopped_after_round: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProfileRecord:
    """Goroutine sampling during builds (`harness run --profile`)."""

    method: str
    interval_s: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Manifest:
    """RUN_DIR/manifest.json."""

    run_id: str
    harness_version: str
    command: list[str]
    matrix: MatrixRecord
    repetitions: RepetitionsRecord
    warmup: int
    seed: int
    baseline: str
    started_at: str
    schema: int = SCHEMA_VERSION
    git_commit: str | None = None
    description: str | None = None
    synthetic: str | None = optional()  # only generated example runs (tests/data): what made the numbers up
    min_effect: float | None = optional()  # δ, the smallest effect of interest as a fraction (matrix `min_effect`)
    rounds: int | None = optional()  # daemon sessions per scenario, set when the plan is made
    control: ControlRecord | None = None
    stopping: StoppingRecord | None = optional()
    profile: ProfileRecord | None = None
    plan: list[dict[str, Any]] = field(default_factory=list)  # measure/plan.py's PlannedBuild.as_dict() entries
    host: dict[str, Any] = field(default_factory=dict)  # machine facts (measure/facts.py), an open set
    scenarios: dict[str, ScenarioRecord] = field(default_factory=dict)
    workloads: dict[str, WorkloadRecord] = field(default_factory=dict)
    ended_at: str | None = None
    status: str = "running"  # running | complete | interrupted | failed
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The manifest as manifest.json holds it, keys in the order a reader expects (identity first)."""
        record = _dump(self)
        return {key: record[key] for key in _ORDER if key in record} | {
            key: value for key, value in record.items() if key not in _ORDER}

    @classmethod
    def from_json(cls, raw: object, where: str = "manifest.json") -> Manifest:
        """The model of a parsed manifest.json of any schema this harness knows; InputError naming the key that is
        missing or of the wrong type."""
        if not isinstance(raw, dict):
            raise InputError(f"{where} is not a JSON object; it was not written by `harness run`")
        return _load(cls, migrate(raw, where), where)


#: The top-level keys in the order they are written (the dataclass order groups required fields first).
_ORDER = ("schema", "run_id", "harness_version", "git_commit", "command", "matrix", "description", "baseline",
          "min_effect", "repetitions", "warmup", "seed", "rounds", "control", "stopping", "profile", "plan", "host",
          "scenarios",
          "workloads", "started_at", "ended_at", "status", "synthetic")


def _from_schema_1(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 ran every scenario in one daemon session, with neither control nor profiling."""
    return {"rounds": 1, "control": None, "profile": None} | raw | {"schema": 2}


def _cleanup_problems(raw: dict[str, Any]) -> dict[str, Any]:
    """Runners of schema 2 wrote a scenario's stop/close problem as `cleanup_problem` (one string) beside
    `cleanup_problems` (a list of image-removal problems); both are `cleanup_problems` now."""
    scenarios = raw.get("scenarios")
    if not isinstance(scenarios, dict):
        return raw
    merged = {}
    for name, record in scenarios.items():
        if isinstance(record, dict) and "cleanup_problem" in record:
            record = {k: v for k, v in record.items() if k != "cleanup_problem"}
            record["cleanup_problems"] = [*(record.get("cleanup_problems") or []), scenarios[name]["cleanup_problem"]]
        merged[name] = record
    return raw | {"scenarios": merged}


#: schema number → the step that brings a manifest of that schema to the next (asv's api_version migrations).
MIGRATIONS = {1: _from_schema_1}
#: Applied after the steps: repairs of drift within the current schema, which older readers ignore harmlessly.
REPAIRS = (_cleanup_problems,)


def migrate(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Bring a parsed manifest of any known schema to SCHEMA_VERSION."""
    schema = raw.get("schema", SCHEMA_VERSION)
    if isinstance(schema, int) and schema > SCHEMA_VERSION:
        raise InputError(f"{where} has schema {schema}, newer than this harness reads ({SCHEMA_VERSION}); upgrade "
                         f"harness (harness {raw.get('harness_version', '?')} wrote it)")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema not in range(1, SCHEMA_VERSION + 1):
        raise InputError(f"{where} has schema {schema!r}, which no harness writes (1 to {SCHEMA_VERSION}); was it "
                         "edited by hand?")
    while schema < SCHEMA_VERSION:
        raw = MIGRATIONS[schema](raw)
        schema = raw["schema"]
    for repair in REPAIRS:
        raw = repair(raw)
    return raw


def _dump(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if item.name in OPEN_FIELDS:
            out.update(value)
        elif not (item.metadata.get("optional") and value == _default(item)):
            out[item.name] = _dump_value(value)
    return out


def _dump_value(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return _dump(value)
    if isinstance(value, list):
        return [_dump_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump_value(v) for k, v in value.items()}
    return value


def _default(item: dataclasses.Field) -> Any:
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return item.default


def check_present(raw: dict[str, Any], where: str) -> None:
    """Check the type of every key a migrated manifest holds, without requiring the others: readers of a run also
    take the partial manifests of hand-made runs, but never a value of the wrong type."""
    _load(Manifest, raw, where, partial=True)


def _load(cls: type, raw: object, where: str, partial: bool = False) -> Any:
    if not isinstance(raw, dict):
        raise InputError(f"{where} must be a JSON object; was the manifest edited by hand?")
    hints = typing.get_type_hints(cls)
    named = {item.name for item in dataclasses.fields(cls) if item.name not in OPEN_FIELDS}
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        if item.name in OPEN_FIELDS:
            values[item.name] = {k: v for k, v in raw.items() if k not in named}
        elif item.name in raw:
            values[item.name] = _load_value(hints[item.name], raw[item.name], _at(where, item.name), partial)
        elif item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING and not partial:
            raise InputError(f"{where} lacks the key {item.name!r}; was it written by `harness run`?")
    return values if partial else cls(**values)


def _load_value(hint: Any, value: Any, where: str, partial: bool = False) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _load_value(inner, value, where, partial)
    if dataclasses.is_dataclass(hint):
        return _load(hint, value, where, partial)
    if origin is list:
        _check(value, list, where)
        return [_load_value(args[0], v, f"{where}[{i}]", partial) for i, v in enumerate(value)]
    if origin is dict:
        _check(value, dict, where)
        return {k: _load_value(args[1], v, _at(where, k), partial) for k, v in value.items()}
    _check(value, hint, where)
    return value


def _at(where: str, key: str) -> str:
    """`manifest.json: scenarios.native.status`: the file, then the path of keys."""
    return f"{where}.{key}" if ": " in where else f"{where}: {key}"


def _check(value: Any, expected: Any, where: str) -> None:
    """JSON types, as Python reads them: an integer is a number, a bool is not an integer."""
    if expected is Any:
        return
    accepted = (int, float) if expected is float else expected
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{where} is {value}, not a finite number; was the manifest edited by hand?")
    if isinstance(value, accepted) and not (isinstance(value, bool) and expected in (int, float)):
        return
    raise InputError(f"{where} is {json_type(type(value))}, not {json_type(expected)}; was the manifest edited "
                     f"by hand?")


def json_type(python: Any) -> str:
    """The JSON Schema type name of a Python type (for messages and for the schema check)."""
    names = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array", dict: "object",
             type(None): "null"}
    return names.get(python, "object" if dataclasses.is_dataclass(python) else str(python))
