"""Where fetched engines live: `<root>/<version>/` (Debian) or `<root>/<version>-static/`, each with `engine.json`.

The root is /var/cache/harness/engines unless HARNESS_ENGINE_CACHE says otherwise (tests, CI). An engine is filled
in a staging directory beside its final place and renamed into it, so a killed fetch never leaves a half-extracted
engine that a later run would trust.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import EnvironmentNotAble

DEFAULT_ROOT = Path("/var/cache/harness/engines")
RECORD = "engine.json"


@dataclass(frozen=True)
class CachedEngine:
    """One engine in the cache, as `harness engines` lists it."""

    version: str
    source: str
    origin: str  # the Debian suite it came from, or the tarball's URL
    path: Path
    size_bytes: int
    packages: tuple[dict, ...]


def cache_root() -> Path:
    return Path(os.environ.get("HARNESS_ENGINE_CACHE") or DEFAULT_ROOT)


def engine_dir(source: str, version: str) -> Path:
    return cache_root() / (version if source == "debian" else f"{version}-{source}")


def read_record(directory: Path) -> dict[str, Any] | None:
    """The engine's record, or None when it is not (completely) in the cache."""
    try:
        return json.loads((directory / RECORD).read_text())
    except (OSError, ValueError):
        return None


def install(target: Path, fill: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """Run `fill(staging)` (it extracts files and returns the record), then rename staging to `target` at once."""
    staging = target.parent / f".staging-{target.name}-{secrets.token_hex(4)}"
    try:
        staging.mkdir(parents=True)
    except PermissionError:
        raise EnvironmentNotAble(f"cannot write the engine cache {target.parent}: run as root, or point "
                                 f"HARNESS_ENGINE_CACHE at a directory you can write") from None
    try:
        record = fill(staging)
        (staging / RECORD).write_text(json.dumps(record, indent=2) + "\n")
        if target.exists():  # an earlier, incomplete engine (no record): replace it
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record


def cached_engines() -> list[CachedEngine]:
    root = cache_root()
    entries = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
    engines = []
    for path in entries:
        record = read_record(path)
        if record is not None:
            engines.append(CachedEngine(version=record["version"], source=record["source"], path=path,
                                        origin=record.get("suite") or record.get("url") or "",
                                        size_bytes=tree_size(path), packages=tuple(record.get("packages", ()))))
    return engines


def tree_size(path: Path) -> int:
    """Bytes of the files under `path` (symlinks counted as links, not followed)."""
    return sum(entry.lstat().st_size for entry in path.rglob("*") if not entry.is_dir() or entry.is_symlink())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
