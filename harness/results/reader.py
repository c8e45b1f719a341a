"""Read a run directory (samples.jsonl + manifest.json) into cells of measurements, for the statistics.

Read-only and forgiving where the runner may legitimately leave things unfinished: a truncated last line of
samples.jsonl (the run was killed mid-write) is ignored, and a run still marked "running" is summarised as far as it
got. Anything else malformed is an `InputError` naming the file and line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from harness import SCHEMA_VERSION
from harness.config.names import BUILDERS
from harness.errors import CONTROL, InputError
from harness.results.manifest import check_present, migrate
from harness.results.writer import Sample, whole_builds

TOTAL = "total"  # the step of a whole-build cell (kind = "build")


@dataclass(frozen=True)
class RunData:
    """A run directory as read from disk; `manifest` is the parsed manifest.json migrated to the current schema
    (manifest.migrate), {} when it is missing: summaries also read hand-made partial manifests."""

    run_dir: Path
    run_id: str
    manifest: dict[str, Any]
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class Cell:
    """The measured (non-warmup) samples of one workload × step × scenario × builder, in the order measured."""

    workload: str
    step: int | str
    scenario: str
    instruction: str | None
    text: str | None
    values: tuple[float, ...]
    n_failed: int
    errors: tuple[str, ...]
    rounds: tuple[int, ...] = ()  # the daemon session (round) of each value; schema-1 samples are all round 1
    builder: str = "classic"
    phases: tuple[dict | None, ...] = ()  # per value, from daemon events (None where not observed)
    profiles: tuple[dict | None, ...] = ()  # per value, goroutine-sample counts (None when not profiled)


CellKey = tuple[str, int | str, str, str]  # (workload, step, scenario, builder)


def load_run(run_dir: Path) -> RunData:
    """Read `run_dir`; InputError when it is not a run directory or has no samples."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(f"{run_dir} is not a directory; pass a run directory such as results/<run-id>")
    samples_path = run_dir / "samples.jsonl"
    if not samples_path.is_file():
        raise InputError(f"{samples_path} does not exist; pass a run directory written by `harness run`")
    manifest = _read_manifest(run_dir / "manifest.json")
    samples = _whole_builds_only(tuple(_read_samples(samples_path)))
    if not samples:
        raise InputError(f"{samples_path} holds no samples yet; wait for the run to measure something")
    run_id = manifest.get("run_id") or samples_path.parent.name
    return RunData(run_dir=run_dir, run_id=str(run_id), manifest=manifest, samples=samples)


def _whole_builds_only(samples: tuple[Sample, ...]) -> tuple[Sample, ...]:
    """Step lines whose build line was never written (a kill or a full disk tore the build) are not measurements.
    A file with no build line at all (hand-made step samples) is read as it is."""
    if not any(sample.kind == "build" for sample in samples):
        return samples
    return tuple(whole_builds(samples))


def _read_manifest(path: Path) -> dict[str, Any]:
    """The migrated manifest as a dict (summaries also read hand-made partial manifests), every key it holds checked
    against the typed model, and every path it names kept inside the run directory."""
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"), parse_constant=not_json)
    except (OSError, ValueError) as error:
        raise InputError(f"{path} is not valid JSON ({error}); restore it from a backup or rerun") from None
    if not isinstance(manifest, dict):
        raise InputError(f"{path} is not a JSON object; it was not written by `harness run`")
    manifest = migrate(manifest, str(path))
    check_present(manifest, str(path))
    _check_manifest_values(manifest, str(path))
    return manifest


class NotJson(ValueError):
    """NaN or ±Infinity: not JSON, though Python's parser accepts them; a crafted file would carry them into the
    statistics."""


def not_json(constant: str) -> float:
    raise NotJson(f"{constant}, which is not a JSON number")


def _check_manifest_values(manifest: dict[str, Any], where: str) -> None:
    """What the typed model cannot say: counts that must be positive, δ a fraction, names printable, and the files
    a report links to inside the run directory."""
    for key, low in (("rounds", 1), ("warmup", 0)):
        if isinstance(manifest.get(key), int) and manifest[key] < low:
            raise InputError(f"{where}: {key} is {manifest[key]}, below {low}; was the manifest edited by hand?")
    effect = manifest.get("min_effect")
    if effect is not None and not 0 < effect < 1:
        raise InputError(f"{where}: min_effect is {effect}, not a fraction between 0 and 1; was the manifest edited "
                         "by hand?")
    for group in ("scenarios", "workloads"):
        for name in manifest.get(group) or {}:
            check_name(name, f"{where}: {group}")
    for name, record in (manifest.get("scenarios") or {}).items():
        for key, path in (record.get("flame_graph") or {}).items():
            check_inside(path, f"{where}: scenarios.{name}.flame_graph.{key}")
    for name, record in (manifest.get("workloads") or {}).items():
        for key in ("context_files", "context_tar"):
            check_inside(record.get(key), f"{where}: workloads.{name}.{key}")
    check_inside((manifest.get("matrix") or {}).get("copy"), f"{where}: matrix.copy")


def check_inside(path: object, where: str) -> None:
    """A path the run records for a reader to open or link must stay inside the run directory."""
    if path is None:
        return
    parts = PurePosixPath(str(path)).parts
    if not parts or PurePosixPath(str(path)).is_absolute() or ".." in parts or "\\" in str(path):
        raise InputError(f"{where} is {_shown(path)}, which is not a path inside the run directory; a run written by "
                         "`harness run` never points outside itself")


def check_name(name: object, where: str) -> None:
    if not isinstance(name, str) or not name or len(name) > MAX_NAME or CONTROL.search(name):
        raise InputError(f"{where} has the name {_shown(name)}: a name must be 1 to {MAX_NAME} printable characters; "
                         "`harness run` never writes such a name")


def _shown(value: object) -> str:
    """A stranger's value in a message: escaped and cut short, so it can neither flood nor drive the terminal."""
    text = ascii(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_schema(schema: object, where: str) -> None:
    if isinstance(schema, int) and schema > SCHEMA_VERSION:
        raise InputError(f"{where} has schema {schema}, newer than this harness reads ({SCHEMA_VERSION}); "
                         "upgrade harness")


def _read_samples(path: Path) -> Iterable[Sample]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path} ({error}); check its permissions and that it is a samples file") from None
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_constant=not_json)
        except NotJson as error:
            raise InputError(f"{path} line {number} holds {error}; was it written by `harness run`?") from None
        except ValueError:
            if number - 1 == last:  # a run killed mid-write leaves a truncated final line: not a measurement
                return
            raise InputError(f"{path} line {number} is not valid JSON; only the last line may be truncated") from None
        yield _parse_sample(record, f"{path} line {number}")


def _parse_sample(record: object, where: str) -> Sample:
    """One line, each value checked as schemas/samples.schema.json types it (tests/unit/test_strangers_runs.py holds
    the two to each other); keys the schema requires but a hand-made sample may lack take their old defaults."""
    if not isinstance(record, dict):
        raise InputError(f"{where} is not a JSON object; samples.jsonl holds one sample object per line")
    _check_schema(record.get("schema"), where)
    for key in REQUIRED:
        if key not in record:
            raise InputError(f"{where} lacks the key {key!r}; was it written by `harness run`?")
    kind = record["kind"]
    _expect(kind in KINDS, where, "kind", kind, f"one of {', '.join(KINDS)}")
    schema = _integer(record, "schema", where, low=1) if "schema" in record else SCHEMA_VERSION
    for key in ("scenario", "workload"):
        check_name(record[key], f"{where}: {key}")
    for key in ("run_id", "ended_at"):
        _expect(isinstance(record.get(key, ""), str), where, key, record.get(key), "a string")
    for key in ("instruction", "text", "error"):
        _expect(isinstance(record.get(key), str | None), where, key, record.get(key), "a string or null")
    for key in ("warmup", "ok"):
        _expect(isinstance(record[key], bool), where, key, record[key], "true or false")
    builder = record.get("builder", "classic")
    _expect(builder in BUILDERS, where, "builder", builder, f"one of {', '.join(BUILDERS)}")
    if kind == "step" and "step" not in record:
        raise InputError(f"{where} lacks the key 'step' (kind step); was it written by `harness run`?")
    step = _integer(record, "step", where, low=1) if kind == "step" or record.get("step") is not None else None
    return Sample(
        run_id=record.get("run_id", ""), ended_at=record.get("ended_at", ""), schema=schema, scenario=record["scenario"],
        workload=record["workload"], rep=_integer(record, "rep", where, low=1), warmup=record["warmup"], kind=kind,
        step=step if kind == "step" else None, instruction=record.get("instruction"), text=record.get("text"),
        seconds=_seconds(record.get("seconds"), where, "seconds"), ok=record["ok"], error=record.get("error"),
        round=_integer(record, "round", where, low=1) if "round" in record else 1, builder=builder,
        phases=_phases(record.get("phases"), where), profile=_profile(record.get("profile"), where))


#: What no sample can do without; the schema's other required keys (schema, run_id, ended_at, round) have the
#: defaults hand-made and schema-1 samples always had.
REQUIRED = ("scenario", "workload", "rep", "warmup", "kind", "seconds", "ok")
KINDS = ("step", "build")
MAX_NAME = 200
PHASES = ("setup_s", "command_s", "commit_s")


def _expect(condition: bool, where: str, key: str, value: object, wanted: str) -> None:
    if not condition:
        raise InputError(f"{where}: {key} is {_shown(value)}, not {wanted}; was it written by `harness run`?")


def _integer(record: dict, key: str, where: str, low: int) -> int:
    value = record[key]
    _expect(isinstance(value, int) and not isinstance(value, bool) and value >= low, where, key, value,
            f"an integer of at least {low}")
    return value


def _seconds(value: object, where: str, key: str) -> float:
    """Finite and not negative: an infinite or negative time would print as a ratio no build can have."""
    _expect(isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0,
            where, key, value, "a number of seconds (finite, at least 0)")
    return float(value)


def _phases(value: object, where: str) -> dict | None:
    if value is None:
        return None
    _expect(isinstance(value, dict), where, "phases", value, "an object or null")
    for key in PHASES:
        if value.get(key) is not None:
            _seconds(value[key], where, f"phases.{key}")
    _expect(isinstance(value.get("note"), str | None), where, "phases.note", value.get("note"), "a string or null")
    return value


def _profile(value: object, where: str) -> dict | None:
    if value is None:
        return None
    _expect(isinstance(value, dict) and "samples" in value and "classes" in value, where, "profile", value,
            "an object with samples and classes")
    _integer(value, "samples", where, low=0)
    classes = value["classes"]
    _expect(isinstance(classes, dict), where, "profile.classes", classes, "an object of counts")
    for name in classes:
        _integer(classes, name, f"{where}: profile.classes", low=0)
    return value


def cell_key(sample: Sample) -> CellKey | None:
    """The cell a sample belongs to; None for samples that are neither steps nor builds."""
    if sample.kind == "build":
        return sample.workload, TOTAL, sample.scenario, sample.builder
    if sample.kind == "step" and sample.step is not None:
        return sample.workload, sample.step, sample.scenario, sample.builder
    return None


def collect_cells(samples: Iterable[Sample]) -> dict[CellKey, Cell]:
    """Group non-warmup samples by cell; successful ones give values, failed ones are only counted."""
    grouped: dict[CellKey, list[Sample]] = {}
    for sample in samples:
        key = cell_key(sample)
        if key is not None and not sample.warmup:
            grouped.setdefault(key, []).append(sample)
    return {key: _make_cell(key, members) for key, members in grouped.items()}


def _make_cell(key: CellKey, members: list[Sample]) -> Cell:
    described = next((s for s in members if s.instruction), members[0])
    failed = [s for s in members if not s.ok]
    return Cell(workload=key[0], step=key[1], scenario=key[2], instruction=described.instruction,
                text=described.text, values=tuple(s.seconds for s in members if s.ok), n_failed=len(failed),
                errors=tuple(s.error or "unknown error" for s in failed),
                rounds=tuple(s.round for s in members if s.ok), builder=key[3],
                phases=tuple(s.phases for s in members if s.ok), profiles=tuple(s.profile for s in members if s.ok))


def ordered_keys(cells: Iterable[CellKey], manifest: dict[str, Any], first: str | None) -> list[CellKey]:
    """Cells in reading order: workloads and scenarios as the manifest lists them (`first` scenario leading),
    builders in the harness's order (one block per workload × builder), steps ascending with the whole build last."""
    keys = list(cells)
    workloads = _ranked(list(manifest.get("workloads") or {}) + [k[0] for k in keys])
    scenarios = _ranked(([first] if first else []) + list(manifest.get("scenarios") or {}) + [k[2] for k in keys])
    builders = _ranked(list(BUILDERS) + [k[3] for k in keys])
    return sorted(keys, key=lambda k: (workloads[k[0]], builders[k[3]], _step_rank(k[1]), scenarios[k[2]]))


def _ranked(names: list[str]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for name in names:
        ranks.setdefault(name, len(ranks))
    return ranks


def _step_rank(step: int | str) -> tuple[int, int]:
    return (1, 0) if step == TOTAL else (0, int(step))


def scenario_names(run: RunData) -> list[str]:
    """Scenarios named by the manifest or seen in the samples, manifest order first."""
    return list(_ranked(list(run.manifest.get("scenarios") or {}) + [s.scenario for s in run.samples]))
