"""Read a run directory (samples.jsonl + manifest.json) into cells of measurements, for the statistics.

Read-only and forgiving where the runner may legitimately leave things unfinished: a truncated last line of
samples.jsonl (the run was killed mid-write) is ignored, and a run still marked "running" is summarised as far as it
got. Anything else malformed is an `InputError` naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import SCHEMA_VERSION
from harness.config.names import BUILDERS
from harness.errors import InputError
from harness.results.manifest import migrate
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
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"{path} is not valid JSON ({error}); restore it from a backup or rerun") from None
    if not isinstance(manifest, dict):
        raise InputError(f"{path} is not a JSON object; it was not written by `harness run`")
    return migrate(manifest, str(path))


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
            record = json.loads(line)
        except ValueError:
            if number - 1 == last:  # a run killed mid-write leaves a truncated final line: not a measurement
                return
            raise InputError(f"{path} line {number} is not valid JSON; only the last line may be truncated") from None
        yield _parse_sample(record, f"{path} line {number}")


def _parse_sample(record: object, where: str) -> Sample:
    if not isinstance(record, dict):
        raise InputError(f"{where} is not a JSON object; samples.jsonl holds one sample object per line")
    _check_schema(record.get("schema"), where)
    try:
        kind = str(record["kind"])
        step = record.get("step") if kind == "step" else None
        return Sample(
            run_id=str(record.get("run_id", "")), ended_at=str(record.get("ended_at", "")),
            schema=int(record.get("schema", SCHEMA_VERSION)), scenario=str(record["scenario"]),
            workload=str(record["workload"]), rep=int(record["rep"]),
            warmup=bool(record["warmup"]), kind=kind, step=None if step is None else int(step),
            instruction=record.get("instruction"), text=record.get("text"), seconds=float(record["seconds"]),
            ok=bool(record["ok"]), error=record.get("error"), round=int(record.get("round", 1)),
            builder=str(record.get("builder", "classic")), phases=_object_or_none(record, "phases"),
            profile=_object_or_none(record, "profile"))
    except KeyError as missing:
        raise InputError(f"{where} lacks the key {missing}; was it written by `harness run`?") from None
    except (TypeError, ValueError) as error:
        raise InputError(f"{where} has a malformed value ({error}); was it written by `harness run`?") from None


def _object_or_none(record: dict, key: str) -> dict | None:
    value = record.get(key)
    if value is not None and not isinstance(value, dict):
        raise TypeError(f"{key} must be an object or null")
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
