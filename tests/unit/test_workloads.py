"""Generated inputs: the base tar and the build context are deterministic and hold what the workload says."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

from harness.config import BaseTree, Payload, Workload
from harness.workloads import base_tag, base_tar_chunks, write_context


def base_members(base: BaseTree) -> list[tarfile.TarInfo]:
    data = b"".join(base_tar_chunks(base))
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return archive.getmembers()


def test_the_base_holds_busybox_its_applets_and_the_seeded_tree() -> None:
    members = {m.name: m for m in base_members(BaseTree(files=10, file_size=100, directories=3))}
    assert members["bin/busybox"].isfile() and members["bin/sh"].issym() and members["bin/mv"].issym()
    files = [m for m in members.values() if m.name.startswith("base/") and m.isfile()]
    assert len(files) == 10 and {m.size for m in files} == {100}
    assert {m.name.split("/")[1] for m in files} == {"d0000", "d0001", "d0002"}
    assert members["tmp"].mode == 0o1777


def test_the_same_base_gives_identical_bytes_and_another_seed_other_bytes() -> None:
    def digest(base: BaseTree) -> str:
        return hashlib.sha256(b"".join(base_tar_chunks(base))).hexdigest()

    assert digest(BaseTree(files=50, content_seed=1)) == digest(BaseTree(files=50, content_seed=1))
    assert digest(BaseTree(files=50, content_seed=1)) != digest(BaseTree(files=50, content_seed=2))


def test_no_chunk_is_empty_because_an_empty_chunk_ends_a_chunked_upload() -> None:
    assert all(base_tar_chunks(BaseTree(files=2000, directories=7)))


def test_more_directories_than_files_still_makes_every_directory() -> None:
    names = {m.name for m in base_members(BaseTree(files=2, directories=4))}
    assert {"base/d0000", "base/d0001", "base/d0002", "base/d0003"} <= names


def test_the_context_has_the_dockerfile_the_payload_and_its_tar(tmp_path: Path) -> None:
    workload = Workload("w", "", BaseTree(files=1), Payload(files=3, file_size=8), ("RUN true", "ADD payload.tar /"))
    path = write_context(workload, tmp_path)
    with tarfile.open(path) as context:
        dockerfile = context.extractfile("Dockerfile").read().decode()
        assert dockerfile == f"FROM {base_tag(workload)}\nRUN true\nADD payload.tar /\n"
        assert sorted(n for n in context.getnames() if n.startswith("payload/")) == [
            "payload/p0000", "payload/p0001", "payload/p0002"]
        inner = tarfile.open(fileobj=io.BytesIO(context.extractfile("payload.tar").read()))
        assert len(inner.getmembers()) == 3
    assert write_context(workload, tmp_path / "again").read_bytes() == path.read_bytes()


def test_a_context_already_written_is_reused_not_rewritten(tmp_path: Path) -> None:
    workload = Workload("w", "", BaseTree(files=1), Payload(files=2, file_size=8), ("RUN true",))
    path = write_context(workload, tmp_path)
    written = path.stat().st_mtime_ns
    assert write_context(workload, tmp_path) == path and path.stat().st_mtime_ns == written
    assert not list(tmp_path.glob("*.partial"))
