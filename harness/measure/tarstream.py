"""Tar archives written entry by entry, remembering nothing of what was written.

`tarfile.TarFile` keeps a `TarInfo` for every member it wrote (`members`), which is a million objects for a
1 000 000-file base; the generated bases and contexts only ever append. So this writes each entry the way
`TarFile.addfile` does (the GNU header from `TarInfo.tobuf`, the data, zero padding to the 512-byte block) and ends
the archive the way `TarFile.close` does (two zero blocks, then zeros up to the 10 240-byte record): the bytes are
the ones `tarfile.open(..., format=GNU_FORMAT)` writes, so archives and their digests match earlier harness versions.
Owners and mtimes are fixed, so the same entries always give the same bytes.
"""

from __future__ import annotations

import hashlib
import tarfile
from typing import BinaryIO, Protocol

MTIME = 1535673600  # 2018-08-31, the seed post's date: any fixed value keeps tars reproducible
COPY_CHUNK = 1024 * 1024


class Writable(Protocol):
    def write(self, data: bytes, /) -> int | None: ...


def entry(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, mode: int = 0o644,
          linkname: str = "") -> tarfile.TarInfo:
    """A member owned by root with the fixed mtime; directories default to 0755."""
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname, info.mtime = kind, size, linkname, MTIME
    info.mode = 0o755 if kind == tarfile.DIRTYPE and mode == 0o644 else mode
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


class TarWriter:
    """Appends entries to a binary file object (a file, a pipe, a chunk sink) and ends the archive."""

    def __init__(self, out: Writable):
        self.out = out
        self.offset = 0

    def add(self, info: tarfile.TarInfo, data: bytes = b"") -> None:
        """One entry whose data (exactly `info.size` bytes) is in memory: a small file, or none at all."""
        if len(data) != info.size:
            raise ValueError(f"{info.name}: {len(data)} bytes of data for a header saying {info.size}")
        self._write(info.tobuf(tarfile.GNU_FORMAT, tarfile.ENCODING, "surrogateescape"))
        self._write(data)
        self._write(tarfile.NUL * (-info.size % tarfile.BLOCKSIZE))

    def add_from(self, info: tarfile.TarInfo, source: BinaryIO) -> None:
        """One entry whose `info.size` bytes are read from `source` a chunk at a time (a big file)."""
        self._write(info.tobuf(tarfile.GNU_FORMAT, tarfile.ENCODING, "surrogateescape"))
        left = info.size
        while left:
            chunk = source.read(min(left, COPY_CHUNK))
            if not chunk:
                raise OSError(f"{info.name} ended {left} bytes early (did it change while it was read?)")
            self._write(chunk)
            left -= len(chunk)
        self._write(tarfile.NUL * (-info.size % tarfile.BLOCKSIZE))

    def finish(self) -> None:
        """The end-of-archive blocks, and zeros up to a whole record, as tar -b20 (and tarfile) write."""
        self._write(tarfile.NUL * (2 * tarfile.BLOCKSIZE))
        self._write(tarfile.NUL * (-self.offset % tarfile.RECORDSIZE))

    def _write(self, data: bytes) -> None:
        if data:
            self.out.write(data)
            self.offset += len(data)


class HashingFile:
    """A binary file being written whose sha256 is known when it is done, without reading it back."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.out.write(data)

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


class ChunkSink:
    """A write-only file that hands out what was written so far, to stream a tar without holding all of it."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(data)
        return len(data)

    def take(self) -> bytes:
        chunk = b"".join(self.parts)
        self.parts.clear()
        return chunk
