"""A user's build context as docker would send it: .dockerignore applied, links never followed, bounded, and only
its digest and file list published (issue 18, item 1)."""

from __future__ import annotations

import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from harness.config import BaseTree, Payload, UserBuild, Workload, contexts
from harness.errors import InputError
from harness.measure.workloads import user_build_record, write_context

DOCKERFILE = "ARG HARNESS_BASE\nFROM ${HARNESS_BASE}\nCOPY . /app\n"
REPO = Path(__file__).resolve().parents[2]


def user_workload(root: Path, publish: bool = False) -> Workload:
    build = UserBuild(dockerfile=root / "Dockerfile.bench", context=root / "src", publish_context=publish)
    return Workload("mine", "", BaseTree(files=10), Payload(), (), user_build=build)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile.bench").write_text(DOCKERFILE)
    src = tmp_path / "src"
    (src / ".git").mkdir(parents=True)
    (src / ".git" / "config").write_text("[remote]\n url = https://user:ghp_TOKEN@github.com/x\n")
    (src / "secret.env").write_text("PASSWORD=ignored-secret-1234\n")
    (src / "app").mkdir()
    (src / "app" / "main.py").write_text("print('hi')\n")
    (src / "logs").mkdir()
    (src / "logs" / "keep.log").write_text("kept by a ! rule\n")
    (src / "logs" / "drop.log").write_text("dropped\n")
    (src / ".dockerignore").write_text("# comment\n.git\nsecret.env\nlogs\n!logs/keep.log\n\n")
    return tmp_path


def names_in(path: Path) -> set[str]:
    with tarfile.open(path) as archive:
        return set(archive.getnames())


def test_dockerignore_is_applied_as_docker_applies_it(project: Path) -> None:
    names = names_in(write_context(user_workload(project), project / "work"))
    assert {"Dockerfile", ".dockerignore", "app", "app/main.py", "logs/keep.log"} <= names
    assert not names & {"secret.env", ".git", ".git/config", "logs/drop.log"}


def test_the_same_names_as_the_docker_sdk_would_send(project: Path) -> None:
    from docker.utils.build import exclude_paths

    sdk = exclude_paths(str(project / "src"), contexts.ignore_patterns(project / "src"))
    ours = {entry.name for entry, _ in contexts.walk_context(project / "src")}
    assert ours == sdk - {"Dockerfile"}


def test_only_digest_and_file_list_are_published_unless_asked(project: Path) -> None:
    workload = user_workload(project)
    tar = write_context(workload, project / "work")
    assert stat.S_IMODE(tar.stat().st_mode) == 0o600
    published = project / "results" / "run" / "contexts"
    record = user_build_record(workload, tar, published)
    assert [p.name for p in published.iterdir()] == [f"{tar.name}.files.jsonl"]
    listed = [json.loads(line)["name"] for line in (published / f"{tar.name}.files.jsonl").read_text().splitlines()]
    assert "app/main.py" in listed and "secret.env" not in listed
    assert "context_tar" not in record
    asked = user_build_record(user_workload(project, publish=True), tar, project / "results" / "two" / "contexts")
    copy = project / "results" / "two" / asked["context_tar"]
    assert copy.read_bytes() == tar.read_bytes() and stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_a_symlinked_directory_is_an_entry_never_followed(project: Path) -> None:
    outside = project / "keys"
    outside.mkdir()
    (outside / "id_rsa").write_text("PRIVATE KEY\n")
    (project / "src" / "app" / "keys").symlink_to(outside)
    names = names_in(write_context(user_workload(project), project / "work"))
    assert "app/keys" in names and "app/keys/id_rsa" not in names


def test_a_context_swapped_for_a_symlink_is_refused(project: Path) -> None:
    """The directory listed is the one opened: O_NOFOLLOW refuses the root replaced by a link."""
    (project / "elsewhere").mkdir()
    (project / "elsewhere" / "id_rsa").write_text("PRIVATE KEY\n")
    os.rename(project / "src", project / "src.old")
    (project / "src").symlink_to(project / "elsewhere")
    with pytest.raises(InputError, match="not a symlink"):
        write_context(user_workload(project), project / "work")


def test_a_directory_swapped_mid_walk_is_refused(project: Path) -> None:
    (project / "elsewhere").mkdir()
    walk = contexts.walk_context(project / "src")
    for entry, _ in walk:
        if entry.name == "app":
            os.rename(project / "src" / "app", project / "src" / "app.old")
            (project / "src" / "app").symlink_to(project / "elsewhere")
            break
    with pytest.raises(InputError, match="app: cannot open|app: was replaced"):
        list(walk)


def test_a_results_directory_inside_the_context_is_left_out(project: Path) -> None:
    (project / "src" / "results" / "old-run").mkdir(parents=True)
    (project / "src" / "results" / "old-run" / "samples.jsonl").write_text("{}\n")
    names = names_in(write_context(user_workload(project), project / "work", skip=(project / "src" / "results",)))
    assert not any(name.startswith("results") for name in names)


def test_a_fifo_is_refused_at_validate(project: Path) -> None:
    os.mkfifo(project / "src" / "app" / "pipe")
    with pytest.raises(InputError, match="app/pipe: .*named pipe"):
        contexts.check_context(project / "src")


def test_an_ignored_fifo_is_no_problem(project: Path) -> None:
    os.mkfifo(project / "src" / "logs" / "pipe")
    assert contexts.check_context(project / "src")[0] > 0


def test_bounds_are_stated(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contexts, "MAX_CONTEXT_ENTRIES", 3)
    with pytest.raises(InputError, match="more than 3 files and directories; .dockerignore"):
        contexts.check_context(project / "src")


def test_a_deep_context_is_refused_without_a_recursion_error(project: Path) -> None:
    fd = os.open(project / "src", os.O_RDONLY)
    for _ in range(contexts.MAX_CONTEXT_DEPTH + 20):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
    os.close(fd)
    with pytest.raises(InputError, match=f"more than {contexts.MAX_CONTEXT_DEPTH} directories deep"):
        contexts.check_context(project / "src")
