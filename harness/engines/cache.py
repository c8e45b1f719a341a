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
import stat
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
    """The cache, refused when another user could write into it: root runs the dockerd it holds."""
    root = Path(os.environ.get("HARNESS_ENGINE_CACHE") or DEFAULT_ROOT)
    check_private(root)
    return root


def check_private(path: Path) -> None:
    """Refuse a directory (or its parent, before it exists) that a user other than us can change."""
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is None:
        return
    info = existing.stat()
    shared = info.st_mode & 0o022 and not (existing != path and info.st_mode & stat.S_ISVTX)  # /tmp: sticky
    if info.st_uid not in (0, os.geteuid()) or shared:
        raise EnvironmentNotAble(f"the engine cache {existing} can be changed by other users (owner uid "
                                 f"{info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o}): the binaries in it run as "
                                 f"root; `chown root {existing} && chmod go-w {existing}`, or point "
                                 f"HARNESS_ENGINE_CACHE at a directory only you can write")


def engine_dir(source: str, version: str, sha256: str | None = None) -> Path:
    """A static engine's directory carries its tarball's sha256: two pins of one version never share one."""
    if source == "debian":
        return cache_root() / version
    return cache_root() / (f"{version}-{source}-{sha256[:16]}" if sha256 else f"{version}-{source}")


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
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        staging.mkdir(mode=0o700)  # what is verified here cannot be swapped by anyone else before it is used
    except PermissionError:
        raise EnvironmentNotAble(f"cannot write the engine cache {target.parent}: run as root, or point "
                                 f"HARNESS_ENGINE_CACHE at a directory you can write") from None
    try:
        record = fill(staging)
        (staging / RECORD).write_text(json.dumps(record, indent=2) + "\n")
        if target.exists():  # an earlier, incomplete engine (no record): replace it
            shutil.rmtree(target)
        staging.chmod(0o755)
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
