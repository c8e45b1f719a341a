"""A user build's context: their directory tarred once, their Dockerfile as `Dockerfile`, a digest that is stable."""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

import pytest

from harness.config import BaseTree, Payload, UserBuild, Workload
from harness.errors import InputError
from harness.measure.workloads import base_tag, build_args, context_sha256, user_build_record, write_context

DOCKERFILE = "ARG HARNESS_BASE\nFROM ${HARNESS_BASE}\nCOPY app /app\nRUN /app/run.sh\n"


def user_workload(root: Path, name: str = "mine") -> Workload:
    build = UserBuild(dockerfile=root / "build" / "Dockerfile.bench", context=root / "src")
    return Workload(name, "", BaseTree(files=10), Payload(), (), user_build=build)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "Dockerfile.bench").write_text(DOCKERFILE)
    src = tmp_path / "src"
    (src / "app" / "lib").mkdir(parents=True)
    (src / "Dockerfile").write_text("FROM elsewhere\n")
    (src / "app" / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (src / "app" / "run.sh").chmod(0o755)
    (src / "app" / "lib" / "data.bin").write_bytes(os.urandom(3000))
    (src / "app" / "current").symlink_to("lib")
    (src / "docs" / "Dockerfile").parent.mkdir()
    (src / "docs" / "Dockerfile").write_text("not the top-level one\n")
    return tmp_path


def test_the_context_holds_the_directory_and_the_given_dockerfile_replaces_its_own(project: Path) -> None:
    path = write_context(user_workload(project), project / "contexts")
    with tarfile.open(path) as context:
        members = {m.name: m for m in context.getmembers()}
        assert context.extractfile("Dockerfile").read().decode() == DOCKERFILE
        assert [m.name for m in context.getmembers()].count("Dockerfile") == 1
        assert context.extractfile("docs/Dockerfile").read() == b"not the top-level one\n"
        assert context.extractfile("app/lib/data.bin").read() == (project / "src/app/lib/data.bin").read_bytes()
    assert members["app/run.sh"].mode == 0o755 and members["app/lib"].isdir()
    assert members["app/current"].issym() and members["app/current"].linkname == "lib"
    assert "app/current/data.bin" not in members, "a symlink to a directory is an entry, not followed"


def test_the_digest_is_stable_and_follows_the_content(project: Path) -> None:
    workload = user_workload(project)
    first = write_context(workload, project / "one")
    again = write_context(workload, project / "two")
    assert context_sha256(first) == context_sha256(again) == hashlib.sha256(first.read_bytes()).hexdigest()
    (project / "src" / "app" / "run.sh").write_text("#!/bin/sh\necho changed\n")
    assert context_sha256(write_context(workload, project / "three")) != context_sha256(first)


def test_a_context_is_written_once_and_reused(project: Path) -> None:
    workload = user_workload(project)
    path = write_context(workload, project / "contexts")
    (project / "src" / "late.txt").write_text("added after the context was tarred\n")
    assert write_context(workload, project / "contexts") == path
    assert "late.txt" not in tarfile.open(path).getnames()


def test_the_build_gets_its_base_as_a_build_arg_and_the_manifest_its_inputs(project: Path) -> None:
    workload = user_workload(project)
    assert build_args(workload) == {"HARNESS_BASE": base_tag(workload)}
    assert build_args(Workload("gen", "", BaseTree(), Payload(), ("RUN true",))) is None
    path = write_context(workload, project / "contexts")
    assert user_build_record(workload, path, project / "published" / "contexts") == {
        "dockerfile": str(project / "build" / "Dockerfile.bench"), "context": str(project / "src"),
        "context_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "context_files": f"contexts/{path.name}.files.jsonl"}


def test_a_special_file_in_the_context_is_refused_with_its_path(project: Path) -> None:
    os.mkfifo(project / "src" / "app" / "pipe")
    with pytest.raises(InputError, match=r"src/app/pipe: .*not a named pipe: move it out"):
        write_context(user_workload(project), project / "contexts")
    assert not list((project / "contexts").iterdir()), "nothing half-written is left behind"


def test_build_args_reach_the_buildkit_command_line(tmp_path: Path) -> None:
    from harness.builders.buildkit import BuildKitCli

    command = BuildKitCli(Path("/usr/bin/docker"), None).command("t:1", tmp_path / "iid", {"HARNESS_BASE": "b:1"})
    assert "--build-arg=HARNESS_BASE=b:1" in command and command[-1] == "-"
