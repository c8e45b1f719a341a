"""The run directory: raw samples appended as measured, a manifest written atomically, logs beside them.

`samples.jsonl` is the record of truth: one JSON object per line, flushed and synced after every build, so a run
killed at any moment keeps every build it finished. A build's lines are written together, so a build is either
wholly in the file or not at all, and `--resume` measures exactly the builds that are missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from harness import SCHEMA_VERSION, __version__
from harness.config import Matrix
from harness.errors import InputError

SAMPLES = "samples.jsonl"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Sample:
    """One line of samples.jsonl (the DESIGN.md contract)."""

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


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RunDirectory:
    def __init__(self, path: Path):
        self.path = path
        self.logs = path / "logs"

    @property
    def run_id(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, results_root: Path, matrix: Matrix, command: list[str]) -> "RunDirectory":
        """A new, uniquely named run directory with a copy of every input file and a first manifest."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        base = f"{stamp}-{matrix.file.stem}"
        path, suffix = results_root / base, 1
        while path.exists():
            suffix += 1
            path = results_root / f"{base}-{suffix}"
        path.mkdir(parents=True)
        run = cls(path)
        run.logs.mkdir()
        run._copy_inputs(matrix)
        run.write_manifest(new_manifest(run.run_id, matrix, command))
        return run

    @classmethod
    def open(cls, path: Path) -> "RunDirectory":
        if not (path / MANIFEST).is_file():
            raise InputError(f"{path} is not a run directory (no {MANIFEST}); pass the directory `harness run` printed")
        run = cls(path)
        run.logs.mkdir(exist_ok=True)
        return run

    def read_manifest(self) -> dict[str, Any]:
        try:
            manifest = json.loads((self.path / MANIFEST).read_text())
        except json.JSONDecodeError as exc:
            raise InputError(f"{self.path / MANIFEST} is not valid JSON ({exc}); was it edited by hand?") from None
        if manifest.get("schema") not in (1, SCHEMA_VERSION):
            raise InputError(f"{self.path / MANIFEST} has schema {manifest.get('schema')}, this harness reads "
                             f"{SCHEMA_VERSION}: use the harness version that wrote it ({manifest.get('harness_version')})")
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        temporary = self.path / f".{MANIFEST}.tmp"
        temporary.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
        temporary.replace(self.path / MANIFEST)

    def append_samples(self, samples: Iterable[Sample]) -> None:
        text = "".join(json.dumps(asdict(sample), sort_keys=True) + "\n" for sample in samples)
        with (self.path / SAMPLES).open("a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    def read_samples(self) -> list[dict[str, Any]]:
        """Every complete line; a last line cut short by a kill is dropped from the file (it was never a sample)."""
        path = self.path / SAMPLES
        if not path.exists():
            return []
        raw = path.read_bytes()
        complete = raw[: raw.rfind(b"\n") + 1]
        if len(complete) != len(raw):
            with path.open("r+b") as handle:
                handle.truncate(len(complete))
        return [json.loads(line) for line in complete.decode().splitlines() if line.strip()]

    def _copy_inputs(self, matrix: Matrix) -> None:
        inputs = self.path / "inputs"
        for source in matrix.files:
            relative = source.resolve().relative_to(matrix.file.resolve().parent)
            target = inputs / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def new_manifest(run_id: str, matrix: Matrix, command: list[str]) -> dict[str, Any]:
    from harness.facts import machine_facts  # noqa: PLC0415 - keeps `harness --help` light

    return {
        "schema": SCHEMA_VERSION,
        "run_id": run_id,
        "harness_version": __version__,
        "git_commit": git_commit(),
        "command": command,
        "matrix": {"file": str(matrix.file), "sha256": sha256_of(matrix.file),
                   "copy": f"inputs/{matrix.file.name}",
                   "files": {str(f.resolve().relative_to(matrix.file.resolve().parent)): sha256_of(f)
                             for f in matrix.files}},
        "description": matrix.description,
        "baseline": matrix.baseline,
        "repetitions": asdict(matrix.repetitions),
        "warmup": matrix.warmup,
        "seed": matrix.seed,
        "plan": [],
        "host": machine_facts(),
        "scenarios": {s.name: {"status": "pending", "reason": None, "host_type": s.host.type,
                               "storage_driver": s.storage.driver, "description": s.description,
                               "file": str(s.file.name)} for s in matrix.scenarios},
        "workloads": {w.name: {"description": w.description, "fingerprint": w.fingerprint(),
                               "base": asdict(w.base), "payload": asdict(w.payload), "steps": list(w.steps)}
                      for w in matrix.workloads},
        "started_at": utc_now(),
        "ended_at": None,
        "status": "running",
    }


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
