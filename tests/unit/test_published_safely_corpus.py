"""Issue 18's hostile inputs (user builds, Dockerfiles, names), fed to the real `harness validate` and `harness run`.

Same rules as the first corpus (tests/unit/test_bad_input_corpus.py, whose helpers this reuses): each exits 2 with
one line naming the file (and key or line), no traceback, nothing started; each valid look-alike exits 0.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.test_bad_input_corpus import assert_refused, harness
from tests.unit.test_bad_input_corpus import tree as corpus_tree

BASE = "ARG HARNESS_BASE\nFROM ${HARNESS_BASE}\n"
USER = "scenarios: [native]\nrepetitions: 1\nwarmup: 0\nworkloads:\n  - name: mine\n    dockerfile: {dockerfile}\n" \
       "    context: {context}\n"


def user_build(dockerfile_text: str, context: str = "src", dockerfile: str = "Dockerfile.bench") -> dict[str, str]:
    return {"matrix.yaml": USER.format(dockerfile=dockerfile, context=context), "Dockerfile.bench": dockerfile_text,
            "src/app.txt": "hello\n"}


def tree(root: Path, files: dict[str, str]) -> Path:
    (root / "src").mkdir(parents=True)
    return corpus_tree(root, files)


def steps(*lines: str) -> dict[str, str]:
    quoted = ", ".join("'" + line.replace("'", "''") + "'" for line in lines)
    return {"workloads/tiny.yaml": f"base: {{files: 10, directories: 2}}\nsteps: [{quoted}]\n"}


# name: (files over the valid tree, the file named, what the message says)
BAD = {
    "ADD https": (user_build(BASE + "ADD https://example.com/x /x\n"), "Dockerfile.bench:3", "not from a URL"),
    "ADD git@": (user_build(BASE + "ADD git@github.com:a/b.git /b\n"), "Dockerfile.bench:3", "git repository"),
    "ADD github.com without scheme": (user_build(BASE + "ADD github.com/moby/moby /m\n"), "Dockerfile.bench:3",
                                      "git repository"),
    "ADD url in exec form": (user_build(BASE + 'ADD ["http://x/y", "/y"]\n'), "Dockerfile.bench:3", "not from a URL"),
    "RUN --mount from an image": (user_build(BASE + "RUN --mount=type=bind,from=alpine,target=/a true\n"),
                                  "Dockerfile.bench:3", "from=alpine: the harness's private daemons never pull"),
    "syntax directive": (user_build("# syntax=docker/dockerfile:1.7\n" + BASE), "Dockerfile.bench:1",
                         "`# syntax=` makes BuildKit pull"),
    "escape directive hiding FROM": (user_build("# escape=`\n" + BASE + "RUN echo \\\nFROM alpine\n"),
                                     "Dockerfile.bench:5", "FROM alpine: the harness's private daemons never pull"),
    "ONBUILD ADD url": (user_build(BASE + "ONBUILD ADD https://x/y /y\n"), "Dockerfile.bench:3", "ONBUILD: ADD"),
    "COPY --from an image": (user_build(BASE + "COPY --from=alpine /a /a\n"), "Dockerfile.bench:3",
                             "COPY --from would pull alpine"),
    "FROM an image after BOM": (user_build("\ufeffFROM alpine\n"), "Dockerfile.bench:1", "never pull"),
    "NUL in dockerfile path": (user_build(BASE, dockerfile='"Dockerfile\\0x"'), "matrix.yaml:6", "no NUL"),
    "NUL in context path": (user_build(BASE, context='"src\\0x"'), "matrix.yaml:7", "no NUL"),
    "escape sequence in context path": (user_build(BASE, context='"src\\e[2J"'), "matrix.yaml:7", "printable"),
    "step RUN --mount from an image": (steps("RUN --mount=type=cache,from=alpine,target=/c true"), "tiny.yaml",
                                       "from=alpine"),
    "step ADD scheme-less git": (steps("ADD github.com/moby/moby /m"), "tiny.yaml", "git repository"),
    "step ADD scp-like git": (steps("ADD git@example.com:a/b.git /b"), "tiny.yaml", "git repository"),
    "step RUN --network=host": (steps("RUN --network=host true"), "tiny.yaml", "without a network"),
    # point 5: sweeps and names
    "a sweep of 125 000 values with a repeat": (
        {"matrix.yaml": "scenarios: [native]\nworkloads:\n  - use: tiny\n    params: {files_in_base: ["
         + ", ".join(str(i % 124_999 + 1) for i in range(125_000)) + "]}\n"},
        "matrix.yaml:4", "files_in_base[124999]: 1 is listed twice"),
    "workload name with two dots": (
        {"matrix.yaml": "scenarios: [native]\nworkloads:\n  - {name: w..x, steps: [RUN true]}\n"},
        "matrix.yaml:3", "joined by one `.`"),
    "workload name ending in a dash": ({"matrix.yaml": "scenarios: [native]\nworkloads: [small-]\n"},
                                       "matrix.yaml:2", "neither first nor last"),
    "warmup in base 60": ({"matrix.yaml": "scenarios: [native]\nworkloads: [tiny]\nwarmup: 1:30\n"},
                          "matrix.yaml:3", "1:30 is read by YAML as 90"),
    "repetitions in octal": ({"matrix.yaml": "scenarios: [native]\nworkloads: [tiny]\nrepetitions: 017\n"},
                             "matrix.yaml:3", "017 is read by YAML as 15"),
    "a sweep value with digit groups": (
        {"matrix.yaml": "scenarios: [native]\nworkloads:\n  - use: tiny\n    params: {files_in_base: [1_000, 20]}\n"},
        "matrix.yaml:4", "1_000 is read by YAML as 1000"),
    "a 600 KB unknown key": ({"matrix.yaml": "scenarios: [native]\nworkloads: [tiny]\n? " + "k" * 600_000 + "\n: 1\n"},
                            "matrix.yaml:3", "(600,000 characters): unknown key"),
    "an escape sequence in a scenario name": ({"matrix.yaml": 'scenarios: ["n\\e[2J\\a"]\nworkloads: [tiny]\n'},
                                              "matrix.yaml:1", "\\x1b[2J\\x07"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_validate_and_run_refuse_it(case: str, tmp_path: Path) -> None:
    files, named, says = BAD[case]
    path = tree(tmp_path / "m", files)
    assert_refused(harness(tmp_path, "validate", str(path)), named, says)
    run = harness(tmp_path, "run", str(path), "--results", str(tmp_path / "results"),
                  "--work-dir", str(tmp_path / "w"))
    assert_refused(run, named, says)
    assert not (tmp_path / "results").exists() and not (tmp_path / "w").exists()


def _fifo(root: Path) -> None:
    os.mkfifo(root / "src" / "pipe")


def _ignored_fifo(root: Path) -> None:
    (root / "src" / ".dockerignore").write_text("pipe\n")
    os.mkfifo(root / "src" / "pipe")


def _deep(root: Path) -> None:
    fd = os.open(root / "src", os.O_RDONLY)
    for _ in range(150):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
    os.close(fd)


def _context_is_a_link_out(root: Path) -> None:
    (root.parent / "keys").mkdir()
    (root / "src" / "app.txt").unlink()
    (root / "src").rmdir()
    (root / "src").symlink_to(root.parent / "keys")


CONTEXTS = {
    "a fifo in the context": (_fifo, "matrix.yaml:7", "named pipe"),
    "a context 150 directories deep": (_deep, "matrix.yaml:7", "more than 100 directories deep"),
    "a context linking out of the matrix directory": (_context_is_a_link_out, "matrix.yaml:7",
                                                      "outside the matrix's directory"),
}


@pytest.mark.parametrize("case", sorted(CONTEXTS))
def test_a_bad_context_is_refused_at_validate(case: str, tmp_path: Path) -> None:
    make, named, says = CONTEXTS[case]
    path = tree(tmp_path / "m", user_build(BASE + "COPY . /app\n"))
    make(path.parent)
    assert_refused(harness(tmp_path, "validate", str(path)), named, says)


VALID = {
    "a UTF-8 BOM": user_build("\ufeff" + BASE + "RUN true\n"),
    "a heredoc holding FROM lines": user_build(BASE + "RUN <<EOF\nFROM alpine\necho hi\nEOF\n"
                                               "COPY <<-END /etc/x\n\tFROM busybox\n\tEND\n"),
    "escape directive with a continued RUN": user_build("# escape=`\n" + BASE + "RUN echo `\n  FROM alpine\n"),
    "stages and mounts from them": user_build(BASE.replace("}\n", "} AS one\n") + "FROM one\n"
                                              "RUN --mount=type=bind,from=one,target=/o true\nCOPY --from=0 /a /a\n"),
    "a comment that mentions syntax later": user_build(BASE + "# syntax=docker/dockerfile:1.7 is not read here\n"),
    "ADD a local archive": user_build(BASE + "ADD app.txt /app.txt\n"),
    "workload names Docker accepts": {"matrix.yaml": "scenarios: [native]\nworkloads:\n"
                                      "  - {name: a__b.c-d--e, steps: [RUN true]}\n  - tiny\n"},
    "numbers in plain decimal": {"matrix.yaml": "scenarios: [native]\nworkloads: [tiny]\nwarmup: 2\n"
                                 "repetitions: 10\nmin_effect: 2.5\n"},
}


@pytest.mark.parametrize("case", sorted(VALID))
def test_valid_look_alikes_still_validate(case: str, tmp_path: Path) -> None:
    path = tree(tmp_path / "m", VALID[case])
    done = harness(tmp_path, "validate", str(path))
    assert done.returncode == 0, done.stderr


def test_an_ignored_fifo_is_no_problem(tmp_path: Path) -> None:
    path = tree(tmp_path / "m", user_build(BASE + "COPY . /app\n"))
    _ignored_fifo(path.parent)
    done = harness(tmp_path, "validate", str(path))
    assert done.returncode == 0, done.stderr


def test_every_refusal_is_short_and_shows_no_control_character(tmp_path: Path) -> None:
    """The 600 KB key is named in a line of a few hundred characters; the escape sequence is spelled out, never sent."""
    for case in ("a 600 KB unknown key", "an escape sequence in a scenario name"):
        files, _, _ = BAD[case]
        done = harness(tmp_path, "validate", str(tree(tmp_path / case.replace(" ", "-"), files)))
        assert len(done.stderr) < 1000 and "\x1b" not in done.stderr and "\x07" not in done.stderr, done.stderr


RUN_MATRIX = Path(__file__).resolve().parents[2] / "scripts" / "run-matrix"


@pytest.mark.parametrize(("last_lines", "handed_over"), [
    ("results: {run}\n", True),
    ("results: {other}\n", False),  # a directory that is not a run
    ("results: {run}\nsomething after it\n", False),  # only the last line names the run
])
def test_run_matrix_hands_over_only_a_real_run_directory(last_lines: str, handed_over: bool, tmp_path: Path) -> None:
    """Under sudo, scripts/run-matrix gives the run directory to the calling user: only the directory named by the
    harness's last line, and only when it holds a manifest (a forged `results: ..` line changes no owner)."""
    import subprocess

    run, other = tmp_path / "results" / "20260101T000000Z-m", tmp_path / "elsewhere"
    run.mkdir(parents=True)
    other.mkdir()
    (run / "manifest.json").write_text("{}")
    fake = tmp_path / "harness"  # stands in for the harness: prints what a run (or a crafted matrix) would print
    fake.write_text("#!/bin/sh\nprintf 'results: ..\\n" + last_lines.format(run=run, other=other).replace(
        "\n", "\\n") + "'\n")
    fake.chmod(0o755)
    env = {**os.environ, "SUDO_UID": "4242", "SUDO_GID": "4242"}
    subprocess.run([str(RUN_MATRIX), str(fake), "m.yaml"], env=env, capture_output=True, text=True, check=True)
    assert (run.stat().st_uid == 4242) is handed_over
    assert other.stat().st_uid == 0 and (tmp_path / "results").stat().st_uid == 0
