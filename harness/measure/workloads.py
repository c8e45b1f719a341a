"""Workload inputs: a seeded, deterministic base image and the build context whose steps are timed.

The base is what makes the naive differ slow — it walks every file of the parent layer on each commit — so its
size is the workload's main knob. It is streamed as a tar straight into `docker import` (no registry, no temporary
tree on disk), with fixed owners and mtimes so the same workload always yields the same image. Generation streams
too (harness.measure.tarstream): a million-file base or context never sits in memory. A base image is tagged by the base's
own fingerprint, so workloads (and sweep cells) that share a base import it once per daemon.
A user build's context is what docker would send of the user's directory (and their Dockerfile), tarred once per
run into private working space; its sha256 and file list are recorded, the tar published only on request.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import docker

from harness.config import BaseTree, Payload, UserBuild, Workload
from harness.config.contexts import ContextEntry, identity_of, open_member, walk_context
from harness.config.dockerfiles import MAX_DOCKERFILE_BYTES, check_dockerfile_text
from harness.errors import EnvironmentNotAble
from harness.measure.tarstream import ChunkSink, HashingFile, TarWriter, entry

BUSYBOX = Path("/bin/busybox")
SKELETON = ("bin", "dev", "etc", "proc", "root", "sys", "tmp", "var")
#: Base files per chunk handed to `docker import`: small enough to stay light, big enough to keep syscalls few.
FILES_PER_CHUNK = 512
#: The build-arg naming the base image, for a user's Dockerfile (`ARG HARNESS_BASE` + `FROM ${HARNESS_BASE}`).
BASE_BUILD_ARG = "HARNESS_BASE"


@dataclass(frozen=True)
class PreparedWorkload:
    """What a timed build needs: the imported base's tag and the context tar sent with every build."""

    workload: Workload
    base_tag: str
    build_tag: str
    context_tar: Path
    import_seconds: float
    #: Build-args for every build of this workload (a user build gets its base's tag), None when it needs none.
    build_args: dict[str, str] | None = None


def base_fingerprint(base: BaseTree) -> str:
    """Identifies the generated base alone: workloads with equal bases share one image."""
    return hashlib.sha256(repr(base).encode()).hexdigest()[:12]


def base_tag(workload: Workload) -> str:
    return f"harness-base:{base_fingerprint(workload.base)}"


def build_tag(workload: Workload) -> str:
    """The image each timed build produces; removed after every rep."""
    return f"harness-build/{workload.tag_name}:{workload.fingerprint()}"


def build_args(workload: Workload) -> dict[str, str] | None:
    """A user's Dockerfile finds the generated base through a build-arg; the generated ones name it in FROM."""
    return {BASE_BUILD_ARG: base_tag(workload)} if workload.user_build else None


def base_directory(base: BaseTree, index: int) -> str:
    """Files are spread evenly over the directories, in order: base/d0000/f000000 …"""
    per_directory = -(-base.files // base.directories) if base.files else 1
    return f"base/d{index // per_directory:04d}"


def base_tar_chunks(base: BaseTree, busybox: Path = BUSYBOX) -> Iterator[bytes]:
    """The base image as a stream of non-empty tar chunks (an empty one would end a chunked upload)."""
    return (chunk for chunk in _base_tar(base, busybox) if chunk)


def _base_tar(base: BaseTree, busybox: Path) -> Iterator[bytes]:
    """Busybox with its applet links, then the seeded file tree."""
    if not busybox.is_file():
        raise EnvironmentNotAble(f"{busybox} is missing: install a static busybox (`apt-get install busybox-static`)")
    sink = ChunkSink()
    archive = TarWriter(sink)
    for name in SKELETON:
        archive.add(entry(name, tarfile.DIRTYPE, mode=0o1777 if name == "tmp" else 0o755))
    with busybox.open("rb") as binary:
        archive.add_from(entry("bin/busybox", size=busybox.stat().st_size, mode=0o755), binary)
    for applet in _applets(busybox):
        archive.add(entry(f"bin/{applet}", tarfile.SYMTYPE, linkname="busybox"))
    yield sink.take()
    yield from _tree_chunks(archive, sink, base)
    archive.finish()
    yield sink.take()


def _tree_chunks(archive: TarWriter, sink: ChunkSink, base: BaseTree) -> Iterator[bytes]:
    rng = random.Random(base.content_seed)
    archive.add(entry("base", tarfile.DIRTYPE))
    current = None
    for index in range(base.files):
        directory = base_directory(base, index)
        if directory != current:
            archive.add(entry(directory, tarfile.DIRTYPE))
            current = directory
        archive.add(entry(f"{directory}/f{index:06d}", size=base.file_size), rng.randbytes(base.file_size))
        if index % FILES_PER_CHUNK == FILES_PER_CHUNK - 1:
            yield sink.take()
    for index in range(base.files, base.directories):  # directories beyond the files still exist, empty
        archive.add(entry(f"base/d{index:04d}", tarfile.DIRTYPE))


def import_base(api: docker.APIClient, workload: Workload) -> float:
    """Import the workload's base into the daemon unless it is there already; return the seconds it took."""
    tag = base_tag(workload)
    if api.images(name=tag, quiet=True):
        return 0.0
    began = time.perf_counter()
    # The tag inside `repo`: dockerd reads both forms, podman's service only this one (it drops a separate `tag`).
    api.import_image(src=base_tar_chunks(workload.base), repository=tag, stream_src=True)
    return time.perf_counter() - began


def write_context(workload: Workload, directory: Path, skip: tuple[Path, ...] = ()) -> Path:
    """Write the build context as one tar (mode 0600) and return its path; its sha256 is kept beside it
    (`context_sha256`), and for a user build the list of what it holds (`user_build_record` publishes that list).

    A generated context holds the Dockerfile, payload/ and payload.tar; a user build's holds what docker would send
    of their context directory (`skip`: directories left out, e.g. the results and work directories) with their
    Dockerfile as `Dockerfile`. `directory` is private working space, not the published run directory: a context
    may hold what its owner never meant to publish. Building from a ready tar keeps the harness's own work between
    builds to a file read. The name carries the workload's fingerprint and the file appears whole (written aside,
    then renamed), so every scenario of a run, and a resumed run, reuses it instead of writing it again.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{workload.name}-{workload.fingerprint()}.context.tar"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    listing = _listing_path(partial)
    try:
        digest = _write_context_tar(workload, partial, skip, listing)
    except BaseException:
        partial.unlink(missing_ok=True)
        listing.unlink(missing_ok=True)
        raise
    _digest_path(path).write_text(digest + "\n")
    if workload.user_build:
        listing.replace(_listing_path(path))
    partial.replace(path)
    return path


def _write_context_tar(workload: Workload, path: Path, skip: tuple[Path, ...], listing: Path) -> str:
    """Write the context tar to `path`, readable by its owner only; return its sha256."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600), "wb") as out:
        hashing = HashingFile(out)
        archive = TarWriter(hashing)
        if workload.user_build:
            with listing.open("w") as names:
                _user_context(archive, workload.user_build, skip, names)
        else:
            _generated_context(archive, workload, path.with_suffix(".payload.partial"))
        archive.finish()
    return hashing.hexdigest()


def context_sha256(context_tar: Path) -> str:
    """The sha256 of a context tar written by `write_context` (kept beside it, not read back from a big file)."""
    return _digest_path(context_tar).read_text().strip()


def user_build_record(workload: Workload, context_tar: Path, published: Path) -> dict[str, Any]:
    """What the manifest keeps about a user build: where its inputs were, the digest of what was built and the
    list of what the context held, copied to `published` (the run's contexts/). The tar itself is published only
    when the workload asks (`publish_context: true`), readable by its owner alone."""
    build = workload.user_build
    assert build is not None
    published.mkdir(parents=True, exist_ok=True)
    listing = published / _listing_path(context_tar).name
    shutil.copyfile(_listing_path(context_tar), listing)
    record = {"dockerfile": str(build.dockerfile), "context": str(build.context),
              "context_sha256": context_sha256(context_tar), "context_files": f"{published.name}/{listing.name}"}
    if build.publish_context:
        copy = published / context_tar.name
        with os.fdopen(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600), "wb") as out, \
                context_tar.open("rb") as source:
            shutil.copyfileobj(source, out)
        os.chmod(copy, 0o600)
        record["context_tar"] = f"{published.name}/{copy.name}"
    return record


def _digest_path(context_tar: Path) -> Path:
    return context_tar.with_name(context_tar.name + ".sha256")


def _listing_path(context_tar: Path) -> Path:
    return context_tar.with_name(context_tar.name + ".files.jsonl")


def _generated_context(archive: TarWriter, workload: Workload, payload_tar: Path) -> None:
    """Dockerfile, payload/ and payload.tar; payload.tar is written aside first, as its size heads its entry."""
    dockerfile = "\n".join([f"FROM {base_tag(workload)}", *workload.steps]) + "\n"
    archive.add(entry("Dockerfile", size=len(dockerfile.encode())), dockerfile.encode())
    add_payload(archive, workload.payload, "payload")
    try:
        with payload_tar.open("w+b") as inner:
            _write_payload_tar(inner, workload.payload)
            size = inner.tell()
            inner.seek(0)
            archive.add_from(entry("payload.tar", size=size), inner)
    finally:
        payload_tar.unlink(missing_ok=True)


def _payload_files(payload: Payload) -> Iterator[tuple[str, bytes]]:
    """The payload's files, generated afresh on each call (the same bytes every time: payload/ and payload.tar)."""
    rng = random.Random(f"payload:{payload.files}:{payload.file_size}")
    for index in range(payload.files):
        yield f"p{index:04d}", rng.randbytes(payload.file_size)


def add_payload(archive: TarWriter, payload: Payload, directory: str, directory_entry: bool = True) -> None:
    """The payload's files under `directory/`: the context's payload/ (what COPY copies), payload.tar's added/ (what
    ADD extracts; no directory entry, as it never had one) and the archive the commit benchmark puts into its
    container (payload/ again, so it changes the files a COPY step copies)."""
    if directory_entry:
        archive.add(entry(directory, tarfile.DIRTYPE))
    for name, data in _payload_files(payload):
        archive.add(entry(f"{directory}/{name}", size=len(data)), data)


def _write_payload_tar(out: Any, payload: Payload) -> None:
    archive = TarWriter(out)
    add_payload(archive, payload, "added", directory_entry=False)
    archive.finish()


def _user_context(archive: TarWriter, build: UserBuild, skip: tuple[Path, ...], listing: TextIO) -> None:
    """The user's Dockerfile as `Dockerfile`, then what docker would send of their context directory (walked by
    harness.config.contexts: `.dockerignore` applied, links never followed, bounded). The Dockerfile is checked
    again as it is sent: it may have changed since validate. Modes are kept; owners and mtimes fixed, for a stable
    digest. Every member is listed in `listing` (JSON lines), the record published in place of the tar."""
    dockerfile = build.dockerfile.read_bytes()[:MAX_DOCKERFILE_BYTES + 1]
    check_dockerfile_text(build.dockerfile, dockerfile)
    archive.add(entry("Dockerfile", size=len(dockerfile)), dockerfile)
    _list(listing, "Dockerfile", "file", 0o644, len(dockerfile))
    identities = tuple(i for i in map(identity_of, skip) if i is not None)
    for member, directory_fd in walk_context(build.context, identities):
        _add_member(archive, build.context, member, directory_fd)
        _list(listing, member.name, member.kind, member.mode, member.size)


def _add_member(archive: TarWriter, context: Path, member: ContextEntry, directory_fd: int) -> None:
    if member.kind == "dir":
        archive.add(entry(member.name, tarfile.DIRTYPE, mode=member.mode))
    elif member.kind == "symlink":
        archive.add(entry(member.name, tarfile.SYMTYPE, mode=member.mode, linkname=member.linkname))
    else:
        with os.fdopen(open_member(context, member, directory_fd), "rb") as source:
            archive.add_from(entry(member.name, size=member.size, mode=member.mode), source)


def _list(listing: TextIO, name: str, kind: str, mode: int, size: int) -> None:
    listing.write(json.dumps({"name": name, "kind": kind, "mode": f"{mode:04o}", "size": size}) + "\n")


def _applets(busybox: Path) -> list[str]:
    listing = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout
    return sorted(name for name in listing.split() if name and name != "busybox" and "/" not in name)
