"""What of a user's build context is sent, walked the way docker sends it and safe against a tree that changes.

`.dockerignore` is applied with the docker SDK's own matcher (`docker.utils.build.PatternMatcher`, moby's rules):
an ignored `secret.env` must never reach a daemon or a published run directory. The walk is iterative (a deep
tree cannot exhaust Python's stack), opens every directory relative to its parent's descriptor with O_NOFOLLOW
and checks it is the directory that was listed (a directory swapped for a symlink mid-walk is refused, never
followed), and is bounded in depth, entries and bytes. Validate walks it once to refuse named pipes, devices and
oversized trees before anything starts; the run walks it again through the same code to write the tar.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from docker.utils.build import PatternMatcher

from harness.errors import InputError

#: Far above a real build context, below what makes every build of a run send gigabytes.
MAX_CONTEXT_ENTRIES = 200_000
MAX_CONTEXT_BYTES = 4 * 1024**3
#: Directory levels below the context; each level holds one open descriptor while it is walked.
MAX_CONTEXT_DEPTH = 100
DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True)
class ContextEntry:
    """One member of the context as listed: `name` is its path in the tar, `kind` "dir" | "file" | "symlink"."""

    name: str
    kind: str
    mode: int
    size: int
    linkname: str = ""
    #: (st_dev, st_ino) as listed: what is opened later must be this very file.
    identity: tuple[int, int] = (0, 0)


def ignore_patterns(context: Path) -> list[str]:
    """The `.dockerignore` lines as docker reads them: trimmed, without blanks and `#` comments."""
    try:
        fd = os.open(context / ".dockerignore", FILE_FLAGS)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise InputError(f"{context / '.dockerignore'}: cannot read it ({exc.strerror}); it must be a regular "
                         "file") from None
    with os.fdopen(fd, "rb") as source:
        if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
            raise InputError(f"{context / '.dockerignore'}: must be a regular file")
        text = source.read(1024 * 1024).decode("utf-8", errors="replace")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def walk_context(context: Path, skip: tuple[tuple[int, int], ...] = ()) -> Iterator[tuple[ContextEntry, int]]:
    """(entry, descriptor of its directory) for every member docker would send, depth first in name order.

    The descriptor is valid only until the next item. The top-level `Dockerfile` is left out (the harness sends
    the given one in its place); directories whose (st_dev, st_ino) is in `skip` (the results and work
    directories) are left out with all they hold.
    """
    matcher = PatternMatcher(ignore_patterns(context))  # it keeps .dockerignore itself, as docker does
    negations = [p.cleaned_pattern for p in matcher.patterns if p.exclusion]
    counts = _Counts(context)
    root = _open_directory(context, None, str(context), None)
    stack: list[tuple[int, str, Iterator[str]]] = [(root, "", iter(sorted(os.listdir(root))))]
    try:
        while stack:
            fd, prefix, names = stack[-1]
            name = next(names, None)
            if name is None:
                os.close(fd)
                stack.pop()
                continue
            child = _listed(context, fd, prefix + name)
            if child is None or (child.kind == "dir" and child.identity in skip) or child.name == "Dockerfile":
                continue
            ignored = matcher.matches(child.name)
            if not ignored and child.kind not in ("dir", "file", "symlink"):
                raise InputError(f"{context / child.name}: the build context may hold files, directories and "
                                 f"symlinks only, not a {child.kind}: move it out of the context directory or "
                                 ".dockerignore it")
            if not ignored:
                counts.add(child)
                yield child, fd
            if child.kind == "dir" and (not ignored or any(p.startswith(child.name) for p in negations)):
                if len(stack) > MAX_CONTEXT_DEPTH:
                    raise InputError(f"{context / child.name}: the build context is more than {MAX_CONTEXT_DEPTH} "
                                     "directories deep; flatten it or .dockerignore the deep part")
                sub = _open_directory(context / child.name, fd, name, child.identity)
                stack.append((sub, child.name + "/", iter(sorted(os.listdir(sub)))))
    finally:
        for fd, _, _ in stack:
            os.close(fd)


def open_member(context: Path, entry: ContextEntry, directory_fd: int) -> int:
    """A descriptor of the regular file `entry`, refused if it was swapped for anything else since it was listed."""
    try:
        fd = os.open(entry.name.rsplit("/", 1)[-1], FILE_FLAGS, dir_fd=directory_fd)
    except OSError as exc:
        raise InputError(f"{context / entry.name}: cannot open it ({exc.strerror}); did the context change while "
                         "it was read?") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != entry.identity or info.st_size != entry.size:
        os.close(fd)
        raise InputError(f"{context / entry.name}: changed while the build context was read; run again when the "
                         "context is not being written to")
    return fd


def check_context(context: Path, skip: tuple[tuple[int, int], ...] = ()) -> tuple[int, int]:
    """Walk the whole context at validate; return (entries, bytes) or raise InputError naming what is wrong."""
    entries = size = 0
    for entry, _ in walk_context(context, skip):
        entries, size = entries + 1, size + entry.size
    return entries, size


def identity_of(path: Path) -> tuple[int, int] | None:
    """(st_dev, st_ino) of an existing directory, to leave it out of a context that contains it."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None


class _Counts:
    """The running totals a context is bounded by; the message says which bound and how to get under it."""

    def __init__(self, context: Path):
        self.context, self.entries, self.bytes = context, 0, 0

    def add(self, entry: ContextEntry) -> None:
        self.entries, self.bytes = self.entries + 1, self.bytes + entry.size
        if self.entries > MAX_CONTEXT_ENTRIES:
            raise InputError(f"{self.context}: the build context holds more than {MAX_CONTEXT_ENTRIES:,} files and "
                             "directories; .dockerignore what the build does not need")
        if self.bytes > MAX_CONTEXT_BYTES:
            raise InputError(f"{self.context}: the build context holds more than {MAX_CONTEXT_BYTES:,} bytes "
                             f"(4 GiB, sent with every build); .dockerignore what the build does not need")


def _listed(context: Path, directory_fd: int, name: str) -> ContextEntry | None:
    """The entry for `name` (lstat, never followed), None if it vanished; a pipe, socket or device has its kind's
    name ("named pipe", …) for the caller to refuse unless it is ignored."""
    try:
        info = os.stat(name.rsplit("/", 1)[-1], dir_fd=directory_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    identity, mode = (info.st_dev, info.st_ino), stat.S_IMODE(info.st_mode)
    if stat.S_ISDIR(info.st_mode):
        return ContextEntry(name, "dir", mode, 0, identity=identity)
    if stat.S_ISREG(info.st_mode):
        return ContextEntry(name, "file", mode, info.st_size, identity=identity)
    if stat.S_ISLNK(info.st_mode):
        link = os.readlink(name.rsplit("/", 1)[-1], dir_fd=directory_fd)
        return ContextEntry(name, "symlink", mode, 0, linkname=link, identity=identity)
    return ContextEntry(name, _kind_of(info.st_mode), info.st_mode, 0, identity=identity)


def _open_directory(path: Path, parent_fd: int | None, name: str, identity: tuple[int, int] | None) -> int:
    try:
        fd = os.open(name, DIRECTORY_FLAGS, dir_fd=parent_fd)
    except OSError as exc:
        raise InputError(f"{path}: cannot open this directory of the build context ({exc.strerror}); it must be a "
                         "readable directory, not a symlink") from None
    info = os.fstat(fd)
    if identity is not None and (info.st_dev, info.st_ino) != identity:
        os.close(fd)
        raise InputError(f"{path}: was replaced while the build context was read; run again when the context is "
                         "not being changed")
    return fd


def _kind_of(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"), (stat.S_ISBLK, "block device"),
             (stat.S_ISCHR, "character device"))
    return next((name for test, name in kinds if test(mode)), "special file")
