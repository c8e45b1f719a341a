"""Workload inputs: a seeded, deterministic base image and the build context whose steps are timed.

The base is what makes the naive differ slow — it walks every file of the parent layer on each commit — so its
size is the workload's main knob. It is streamed as a tar straight into `docker import` (no registry, no temporary
tree on disk), with fixed owners and mtimes so the same workload always yields the same image.
"""

from __future__ import annotations

import io
import random
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import docker

from harness.config import BaseTree, Payload, Workload
from harness.errors import EnvironmentNotAble

BUSYBOX = Path("/bin/busybox")
MTIME = 1535673600  # 2018-08-31, the seed post's date: any fixed value keeps tars reproducible
SKELETON = ("bin", "dev", "etc", "proc", "root", "sys", "tmp", "var")


@dataclass(frozen=True)
class PreparedWorkload:
    """What a timed build needs: the imported base's tag and the context tar sent with every build."""

    workload: Workload
    base_tag: str
    build_tag: str
    context_tar: Path
    import_seconds: float


def base_tag(workload: Workload) -> str:
    return f"harness-base/{workload.tag_name}:{workload.fingerprint()}"


def build_tag(workload: Workload) -> str:
    """The image each timed build produces; removed after every rep."""
    return f"harness-build/{workload.tag_name}:{workload.fingerprint()}"


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
    sink = _ChunkSink()
    rng = random.Random(base.content_seed)
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.GNU_FORMAT) as archive:
        for name in SKELETON:
            archive.addfile(_entry(name, tarfile.DIRTYPE, mode=0o1777 if name == "tmp" else 0o755))
        with busybox.open("rb") as binary:
            archive.addfile(_entry("bin/busybox", size=busybox.stat().st_size, mode=0o755), binary)
        for applet in _applets(busybox):
            archive.addfile(_entry(f"bin/{applet}", tarfile.SYMTYPE, linkname="busybox"))
        yield sink.take()
        yield from _tree_chunks(archive, sink, base, rng)
    yield sink.take()


def _tree_chunks(archive: tarfile.TarFile, sink: "_ChunkSink", base: BaseTree, rng: random.Random) -> Iterator[bytes]:
    archive.addfile(_entry("base", tarfile.DIRTYPE))
    current = None
    for index in range(base.files):
        directory = base_directory(base, index)
        if directory != current:
            archive.addfile(_entry(directory, tarfile.DIRTYPE))
            current = directory
        archive.addfile(_entry(f"{directory}/f{index:06d}", size=base.file_size),
                        io.BytesIO(rng.randbytes(base.file_size)))
        if index % 512 == 511:
            yield sink.take()
    for index in range(base.files, base.directories):  # directories beyond the files still exist, empty
        archive.addfile(_entry(f"base/d{index:04d}", tarfile.DIRTYPE))


def import_base(api: docker.APIClient, workload: Workload) -> float:
    """Import the workload's base into the daemon unless it is there already; return the seconds it took."""
    tag = base_tag(workload)
    if api.images(name=tag, quiet=True):
        return 0.0
    began = time.perf_counter()
    repository, version = tag.rsplit(":", 1)
    api.import_image(src=base_tar_chunks(workload.base), repository=repository, tag=version, stream_src=True)
    return time.perf_counter() - began


def write_context(workload: Workload, directory: Path) -> Path:
    """Write the build context as one tar (Dockerfile, payload/, payload.tar) and return its path.

    Building from a ready tar keeps the harness's own work between builds to a file read. The name carries the
    workload's fingerprint and the file appears whole (written aside, then renamed), so every scenario of a run,
    and a resumed run, reuses it instead of writing it again.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{workload.name}-{workload.fingerprint()}.context.tar"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    dockerfile = "\n".join([f"FROM {base_tag(workload)}", *workload.steps]) + "\n"
    payload_files = list(_payload_files(workload.payload))
    with tarfile.open(partial, "w", format=tarfile.GNU_FORMAT) as context:
        _add_bytes(context, "Dockerfile", dockerfile.encode())
        context.addfile(_entry("payload", tarfile.DIRTYPE))
        for name, data in payload_files:
            _add_bytes(context, f"payload/{name}", data)
        _add_bytes(context, "payload.tar", _payload_tar(payload_files))
    partial.replace(path)
    return path


def _payload_files(payload: Payload) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(f"payload:{payload.files}:{payload.file_size}")
    for index in range(payload.files):
        yield f"p{index:04d}", rng.randbytes(payload.file_size)


def _payload_tar(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, data in files:
            _add_bytes(archive, f"added/{name}", data)
    return buffer.getvalue()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    archive.addfile(_entry(name, size=len(data)), io.BytesIO(data))


def _entry(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, mode: int = 0o644,
           linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname, info.mtime = kind, size, linkname, MTIME
    info.mode = 0o755 if kind == tarfile.DIRTYPE and mode == 0o644 else mode
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _applets(busybox: Path) -> list[str]:
    listing = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout
    return sorted(name for name in listing.split() if name and name != "busybox" and "/" not in name)


class _ChunkSink(io.RawIOBase):
    """A write-only file that hands out what was written so far, to stream a tar without holding all of it."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        chunk = b"".join(self.parts)
        self.parts.clear()
        return chunk


