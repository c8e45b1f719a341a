"""Generated inputs: the base tar and the build context are deterministic and hold what the workload says."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
from pathlib import Path

from harness.config import BaseTree, Payload, Workload
from harness.measure.tarstream import TarWriter, entry
from harness.measure.workloads import (
    base_fingerprint,
    base_tag,
    base_tar_chunks,
    build_tag,
    context_sha256,
    write_context,
)


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


def test_the_writer_writes_the_bytes_tarfile_writes(tmp_path: Path) -> None:
    """Streaming without `TarFile.members` must not change a byte: digests of earlier bases and contexts still hold."""
    entries = [(entry("d", tarfile.DIRTYPE), b""), (entry("d/" + "long-name-" * 12, size=3), b"abc"),
               (entry("d/link", tarfile.SYMTYPE, linkname="x" * 120), b""), (entry("d/big", size=5000), b"z" * 5000)]
    sink = io.BytesIO()
    writer = TarWriter(sink)
    for info, data in entries:
        writer.add(info, data)
    writer.finish()
    expected = io.BytesIO()
    with tarfile.open(fileobj=expected, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for info, data in entries:
            archive.addfile(info, io.BytesIO(data))
    assert sink.getvalue() == expected.getvalue()


def test_the_seed_base_has_the_digest_it_had_before_generation_streamed() -> None:
    digest = hashlib.sha256(b"".join(base_tar_chunks(BaseTree(files=1000, file_size=700, directories=7,
                                                               content_seed=3)))).hexdigest()
    assert digest == "0711c0029ed9d3865e1dada8b2c4b6715d7fa19b14719549097b48f72c0e825a"


def test_a_context_s_sha256_is_kept_beside_it_and_is_the_file_s(tmp_path: Path) -> None:
    workload = Workload("w", "", BaseTree(files=1), Payload(files=40, file_size=700), ("COPY payload /p",))
    path = write_context(workload, tmp_path)
    assert context_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not list(tmp_path.glob("*partial*")), "the payload.tar written aside is gone"


def test_workloads_with_the_same_base_share_its_image_and_keep_their_own_build_tags() -> None:
    seed = Workload("seed", "", BaseTree(files=500), Payload(), ("RUN touch /x",))
    rename = Workload("rename", "", BaseTree(files=500), Payload(files=3), ("RUN mv /base/d0000 /moved",))
    other = Workload("other", "", BaseTree(files=501), Payload(), ("RUN touch /x",))
    assert base_tag(seed) == base_tag(rename) != base_tag(other)
    assert build_tag(seed) != build_tag(rename)
    assert base_tag(seed) == f"harness-base:{base_fingerprint(BaseTree(files=500))}"


HIGH_WATER = """
import sys, tempfile
from pathlib import Path
from harness.config import BaseTree, Payload, Workload
from harness.measure.workloads import base_tar_chunks, write_context

def high_water_kib():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))

files = int(sys.argv[1])
before = high_water_kib()
for _ in base_tar_chunks(BaseTree(files=files)):
    pass
after_base = high_water_kib()
write_context(Workload("w", "", BaseTree(files=1), Payload(files=files, file_size=16), ("RUN true",)), Path(sys.argv[2]))
print(after_base - before, high_water_kib() - after_base)
"""


def test_generating_200000_files_keeps_memory_flat(tmp_path: Path) -> None:
    """A 1 M-file base must not need 1 M objects in memory: the peak RSS grows by a few MiB, not with the files
    (holding TarInfo members grew it by ~70 MiB for the base and ~300 MiB for the context at this size)."""
    output = subprocess.run([sys.executable, "-c", HIGH_WATER, "200000", str(tmp_path)], capture_output=True,
                            text=True, check=True).stdout
    base_growth_kib, context_growth_kib = map(int, output.split())
    assert base_growth_kib < 32 * 1024 and context_growth_kib < 32 * 1024, output
