"""The run directory: raw samples appended as measured, a manifest written atomically, logs beside them.

`samples.jsonl` is the record of truth: one JSON object per line, flushed and synced after every build, so a run
killed at any moment keeps every build it finished. A build's lines are written together, its build line last; a
kill or a full disk can still tear that write, leaving step lines without their build line. Those are not samples:
every reader keeps only whole builds (`whole_builds`), and `--resume` cuts a torn tail off the file before it
measures that build again, so nothing is counted twice.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from harness import SCHEMA_VERSION, __version__
from harness.config import Matrix, Workload
from harness.errors import InputError, ResultsWriteError
from harness.results.manifest import Manifest, MatrixRecord, RepetitionsRecord, ScenarioRecord, WorkloadRecord
from harness.results.masking import mask_credentials, mask_text

SAMPLES = "samples.jsonl"
MANIFEST = "manifest.json"
Record = TypeVar("Record")
#: The goroutine classes of a sample's `profile` in which the daemon was diffing (harness/observe/pprof.py).
DIFF_CLASSES = ("naive-diff", "native-diff")


@dataclass(frozen=True)
class Sample:
    """One line of samples.jsonl (the contract of docs/design.md)."""

    run_id: str
    scenario: str
    workload: str
    rep: int
    warmup: bool
    kind: str  # "step" | "build"
    step: int | None
    instruction: str | None
    text: str | None
    seconds: float
    ok: bool
    error: str | None
    ended_at: str
    round: int = 1  # the scenario's daemon session (plan.py); schema-1 lines have none and ran as round 1
    schema: int = SCHEMA_VERSION
    builder: str = "classic"  # "classic" | "buildkit"
    #: From daemon events (harness/observe): {"setup_s", "command_s", "commit_s", "note"}; None when not observed.
    phases: dict | None = None
    #: From goroutine sampling (`--profile`): {"samples", "classes": {class: count}}; None when not profiled.
    profile: dict | None = None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RunDirectory:
    def __init__(self, path: Path):
        self.path = path
        self.logs = path / "logs"

    @property
    def run_id(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, results_root: Path, matrix: Matrix, command: list[str], host: dict[str, Any]) -> RunDirectory:
        """A new, uniquely named run directory with a copy of every input file and a first manifest."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        base = f"{stamp}-{matrix.file.stem}"
        path, suffix = results_root / base, 1
        while path.exists():
            suffix += 1
            path = results_root / f"{base}-{suffix}"
        try:
            path.mkdir(parents=True)
            run = cls(path)
            run.logs.mkdir()
            run._copy_inputs(matrix)
        except OSError as error:
            raise InputError(f"--results {results_root}: cannot create the run directory {path} "
                             f"({error.strerror or error}); choose a writable directory") from None
        run.write_manifest(new_manifest(run.run_id, matrix, command, host))
        return run

    @classmethod
    def open(cls, path: Path) -> RunDirectory:
        if not (path / MANIFEST).is_file():
            raise InputError(f"{path} is not a run directory (no {MANIFEST}); pass the directory `harness run` printed")
        run = cls(path)
        run.logs.mkdir(exist_ok=True)
        return run

    def read_manifest(self) -> Manifest:
        """The manifest through its model, migrated from an older schema; InputError naming what is wrong."""
        path = self.path / MANIFEST
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} is not valid JSON ({exc}); was it edited by hand?") from None
        return Manifest.from_json(raw, str(path))

    def write_manifest(self, manifest: Manifest) -> None:
        """Replace the manifest so that a crash leaves the old one or the new one, never a mix or nothing: the
        temporary file is synced before the rename, and the directory after it."""
        temporary = self.path / f".{MANIFEST}.tmp"
        try:
            with temporary.open("w", encoding="utf-8") as handle:
                handle.write(json.dumps(mask_credentials(manifest.to_json()), indent=2, sort_keys=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(self.path / MANIFEST)
            _sync_directory(self.path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise ResultsWriteError(self.path / MANIFEST, error) from None

    def append_samples(self, samples: Iterable[Sample]) -> None:
        """Append one build's lines in one write; if the disk refuses, cut the file back to what it held, so no
        torn build is left behind, and raise ResultsWriteError."""
        text = "".join(json.dumps(mask_credentials(asdict(sample)), sort_keys=True) + "\n" for sample in samples)
        path = self.path / SAMPLES
        with path.open("ab", buffering=0) as handle:  # unbuffered: one write(2), nothing left to flush
            size = handle.tell()
            try:
                data = text.encode("utf-8")
                if handle.write(data) != len(data):  # a short write: the disk filled up part-way
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                os.fsync(handle.fileno())
            except OSError as error:
                _cut_back(handle, size)
                raise ResultsWriteError(path, error) from None

    def read_samples(self) -> list[dict[str, Any]]:
        """The samples of every whole build. What a kill left after the last build line — a line cut short, step
        lines without their build line — was never a sample: it is cut from the file, so a resume that measures
        that build again does not leave two copies of its steps."""
        path = self.path / SAMPLES
        if not path.exists():
            return []
        raw = path.read_bytes()
        complete = raw[: raw.rfind(b"\n") + 1]
        lines = complete.decode().splitlines(keepends=True)
        while lines and (not lines[-1].strip() or json.loads(lines[-1]).get("kind") != "build"):
            lines.pop()
        kept = sum(len(line.encode()) for line in lines)
        if kept != len(raw):
            with path.open("r+b") as handle:
                handle.truncate(kept)
        return whole_builds([json.loads(line) for line in lines if line.strip()])

    def _copy_inputs(self, matrix: Matrix) -> None:
        inputs = self.path / "inputs"
        for source in matrix.files:
            relative = source.resolve().relative_to(matrix.file.resolve().parent)
            target = inputs / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(mask_text(source.read_text(encoding="utf-8", errors="surrogateescape")),
                              encoding="utf-8", errors="surrogateescape")
            shutil.copystat(source, target)


def whole_builds(records: Iterable[Record]) -> list[Record]:
    """Only the samples of builds whose build line was written: step lines count only when their build line follows
    them. A build's steps come in rising order, so a step that does not rise starts another build's lines."""
    kept: list[Record] = []
    pending: list[Record] = []
    for record in records:
        if _field(record, "kind") == "build":
            kept += [step for step in pending if _build_key(step) == _build_key(record)]
            kept.append(record)
            pending = []
            continue
        if pending and (_build_key(pending[-1]) != _build_key(record)
                        or (_field(record, "step") or 0) <= (_field(pending[-1], "step") or 0)):
            pending = []  # the lines before were torn from a build that never finished
        pending.append(record)
    return kept


def _build_key(record: Any) -> tuple:
    return tuple(_field(record, name) for name in ("scenario", "workload", "rep", "warmup", "round", "builder"))


def _field(record: Any, name: str) -> Any:
    defaults = {"round": 1, "builder": "classic"}  # schema-1 lines have neither
    if isinstance(record, dict):
        return record.get(name, defaults.get(name))
    return getattr(record, name, defaults.get(name))


def _cut_back(handle: Any, size: int) -> None:
    try:
        handle.truncate(size)
        os.fsync(handle.fileno())
    except OSError:
        pass  # the reader drops a torn tail anyway


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def new_manifest(run_id: str, matrix: Matrix, command: list[str], host: dict[str, Any]) -> Manifest:
    """The manifest of a run about to start: its inputs and their digests, every scenario pending."""
    home = matrix.file.resolve().parent
    return Manifest(
        run_id=run_id, harness_version=__version__, git_commit=git_commit(), command=command,
        matrix=MatrixRecord(file=str(matrix.file), sha256=sha256_of(matrix.file), copy=f"inputs/{matrix.file.name}",
                            files={str(f.resolve().relative_to(home)): sha256_of(f) for f in matrix.files}),
        description=matrix.description, baseline=matrix.baseline, min_effect=matrix.min_effect,
        repetitions=RepetitionsRecord(**asdict(matrix.repetitions)), warmup=matrix.warmup, seed=matrix.seed,
        host=host, started_at=utc_now(),
        scenarios={s.name: ScenarioRecord(host_type=s.host.type, storage_driver=s.storage.driver,
                                          description=s.description, file=str(s.file.name))
                   for s in matrix.scenarios},
        workloads={w.name: WorkloadRecord(description=w.description, fingerprint=w.fingerprint(), base=asdict(w.base),
                                          payload=asdict(w.payload), steps=list(w.steps),
                                          **workload_identity(w, matrix.file))
                   for w in matrix.workloads})


def workload_identity(workload: Workload, matrix_file: Path) -> dict[str, Any]:
    """What the workload is beyond its inputs: its sweep family and parameters (the columns of a growth curve), its
    kind, and for a user build the Dockerfile and context, relative to the matrix like the other input files."""
    identity: dict[str, Any] = {"family": workload.family, "params": dict(workload.params), "kind": workload.kind,
                                "command": workload.command}
    if workload.user_build:
        home = matrix_file.resolve().parent
        identity["dockerfile"] = str(workload.user_build.dockerfile.relative_to(home))
        identity["context"] = str(workload.user_build.context.relative_to(home))
    return identity


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_commit() -> str | None:
    """The harness's own commit (with `-dirty` when the tree has changes), so a figure can be traced to code."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return commit.stdout.strip() + ("-dirty" if dirty else "")
