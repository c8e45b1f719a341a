"""The workload library and sweeps: every library file loads, `params:` expands into the right cells, `{{name}}`
is substituted, the manifest and summary carry the parameters, and every mistake is an exit-2 error naming file, key
and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness.config import PARAMETER_BOUNDS, BaseTree, Payload, load_matrix, load_workload
from harness.config.sweeps import PARAMETERS, cell_count, cell_name, expand, substitute, unknown_placeholders
from harness.export.views import render_run_summary
from harness.results.writer import new_manifest
from tests.conftest import REPO, write_tree

LIBRARY = sorted((REPO / "workloads").glob("*.yaml"))
#: What issue 12 asks the library to hold, by the names docs/workloads.md documents.
EXPECTED = {"seed", "small-change", "copy-many", "copy-big", "add-tar", "rename-dir", "delete-tree", "append-many",
            "metadata", "realistic", "commit"}


def schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((REPO / "schemas" / name).read_text()))


def test_the_library_holds_every_workload_of_the_issue() -> None:
    assert {path.stem for path in LIBRARY} == EXPECTED


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_library_file_loads_with_a_description_and_no_placeholder_left(path: Path) -> None:
    workload = load_workload(path)
    assert len(workload.description) > 80, "say what it isolates and why"
    assert not any("{{" in text for text in (*workload.steps, workload.command or ""))
    if workload.kind == "commit":
        assert workload.steps == () and workload.command
    else:
        assert workload.steps and workload.command is None


def test_the_realistic_workload_has_ten_steps_of_mixed_kinds() -> None:
    steps = load_workload(REPO / "workloads" / "realistic.yaml").steps
    assert len(steps) == 10
    assert {step.split()[0] for step in steps} >= {"RUN", "COPY", "ADD", "ENV", "LABEL", "WORKDIR", "CMD"}


def test_library_defaults_and_placeholders_follow_the_parameters() -> None:
    """append-many's step names as many files as changed_files says, whether from the file or from a matrix."""
    workload = load_workload(REPO / "workloads" / "append-many.yaml")
    assert workload.base.files == 20000 and workload.payload.files == 500
    assert "head -n 500 " in workload.steps[0]


def test_expansion_is_the_product_of_the_lists_in_written_order() -> None:
    cells = expand({"files_in_base": [1000, 5000], "changed_files": 10, "changed_file_size": [1, 2, 3]})
    assert cell_count({"files_in_base": [1000, 5000], "changed_files": 10, "changed_file_size": [1, 2, 3]}) == 6
    assert [cell.swept for cell in cells][:4] == [
        (("files_in_base", 1000), ("changed_file_size", 1)), (("files_in_base", 1000), ("changed_file_size", 2)),
        (("files_in_base", 1000), ("changed_file_size", 3)), (("files_in_base", 5000), ("changed_file_size", 1))]
    assert cells[-1].settings == (("files_in_base", 5000), ("changed_files", 10), ("changed_file_size", 3))
    assert cell_name("copy", cells[0].swept) == "copy@files_in_base=1000,changed_file_size=1"
    assert [cell.swept for cell in expand({"changed_files": 3})] == [()]


def test_every_parameter_has_bounds_and_a_field() -> None:
    assert set(PARAMETER_BOUNDS) == set(PARAMETERS)
    assert all(hasattr(BaseTree() if part == "base" else Payload(), name) for part, name in PARAMETERS.values())


def test_substitution_replaces_known_names_and_reports_unknown_ones() -> None:
    assert substitute("RUN seq {{changed_files}} {{ files_in_base }}", {"changed_files": 7,
                                                                          "files_in_base": 10}) == "RUN seq 7 10"
    assert unknown_placeholders("RUN echo {{changed_files}} {{files}}") == ["files"]


SWEEP_MATRIX = """
scenarios: [native, naive]
workloads:
  - tiny
  - use: rename
    name: rename-sweep
    params:
      files_in_base: [1000, 10000, 100000]
      changed_files: 3
repetitions: 3
"""

RENAME = """
description: rename a directory of the base
params: {base_directories: 10}
base: {files: 50}
steps:
  - RUN mv /base/d0000 /base/renamed && echo {{files_in_base}} {{changed_files}} {{base_directories}}
"""


def test_a_sweep_expands_into_named_cells_with_their_params(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {"matrix.yaml": SWEEP_MATRIX, "workloads/rename.yaml": RENAME})
    matrix = load_matrix(matrix_dir / "matrix.yaml")
    assert [w.name for w in matrix.workloads] == ["tiny", "rename-sweep@files_in_base=1000",
                                                  "rename-sweep@files_in_base=10000",
                                                  "rename-sweep@files_in_base=100000"]
    cell = matrix.workloads[2]
    assert (cell.family, cell.params, cell.tag_name) == ("rename-sweep", (("files_in_base", 10000),), "rename-sweep")
    assert (cell.base.files, cell.base.directories, cell.payload.files) == (10000, 10, 3)
    assert cell.steps == ("RUN mv /base/d0000 /base/renamed && echo 10000 3 10",)
    assert len({w.fingerprint() for w in matrix.workloads}) == 4
    assert matrix.workloads[0].family is None and matrix.workloads[0].params == ()
    assert matrix_dir / "workloads" / "rename.yaml" in matrix.files


def test_use_without_lists_is_one_plain_workload_with_the_settings_applied(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {"workloads/rename.yaml": RENAME, "matrix.yaml": """
        scenarios: [native]
        workloads:
          - use: rename
            params: {files_in_base: 400}
    """})
    workload = load_matrix(matrix_dir / "matrix.yaml").workloads[0]
    assert (workload.name, workload.family, workload.params, workload.base.files) == ("rename", None, (), 400)
    assert workload.steps[0].endswith("echo 400 16 10")


def test_an_inline_workload_may_sweep_its_own_params(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {"matrix.yaml": """
        scenarios: [native]
        workloads:
          - name: touch
            params: {changed_files: [1, 2]}
            steps: ["RUN touch {{changed_files}}"]
    """})
    assert [w.steps[0] for w in load_matrix(matrix_dir / "matrix.yaml").workloads] == ["RUN touch 1", "RUN touch 2"]


def test_the_manifest_and_the_summary_carry_family_params_and_kind(matrix_dir: Path, tmp_path: Path) -> None:
    """A swept matrix's manifest validates; summary rows take params from it ({} for an unswept workload)."""
    write_tree(matrix_dir, {"matrix.yaml": SWEEP_MATRIX, "workloads/rename.yaml": RENAME})
    manifest = new_manifest("run", load_matrix(matrix_dir / "matrix.yaml"), ["harness", "run"], {}).to_json()
    schema("manifest.schema.json").validate(manifest)
    cell = manifest["workloads"]["rename-sweep@files_in_base=1000"]
    assert (cell["family"], cell["params"], cell["kind"], cell["command"]) == (
        "rename-sweep", {"files_in_base": 1000}, "build", None)
    assert manifest["workloads"]["tiny"]["params"] == {}

    run = shutil.copytree(REPO / "tests" / "data" / "example-run", tmp_path / "run")
    saved = json.loads((run / "manifest.json").read_text())
    saved["workloads"]["seed"].update(family="seed-sweep", params={"files_in_base": 20000})
    (run / "manifest.json").write_text(json.dumps(saved))
    summary = json.loads(render_run_summary(run, "json"))
    schema("summary.schema.json").validate(summary)
    assert {json.dumps(row["params"]) for row in summary["rows"]} == {'{"files_in_base": 20000}'}
    assert "files_in_base=20000" in render_run_summary(run, "csv")


def test_the_growth_matrix_sweeps_base_size_on_four_scenarios() -> None:
    matrix = load_matrix(REPO / "matrix-growth.yaml")
    sizes = [dict(w.params)["files_in_base"] for w in matrix.workloads]
    assert len(sizes) >= 4 and min(sizes) == 1000 and max(sizes) == 100_000
    assert {w.family for w in matrix.workloads} == {"small-change"}
    assert {s.storage.driver for s in matrix.scenarios} == {"overlay2", "btrfs", "vfs"}
    assert {s.overlay.redirect_dir for s in matrix.scenarios if s.storage.driver == "overlay2"} == {True, False}


USER_DOCKERFILE = """\
# syntax is not needed
ARG HARNESS_BASE
FROM ${HARNESS_BASE} AS build
RUN echo built > /out
FROM scratch AS empty
FROM build
COPY app/ /app/
"""


def test_a_user_build_loads_with_its_dockerfile_and_context(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {"app/Dockerfile.bench": USER_DOCKERFILE, "app/src/app/main.sh": "echo hi\n",
                            "matrix.yaml": """
        scenarios: [native]
        workloads:
          - name: mine
            base: {files: 100}
            dockerfile: app/Dockerfile.bench
            context: app/src
    """})
    matrix = load_matrix(matrix_dir / "matrix.yaml")
    build = matrix.workloads[0].user_build
    assert build and build.dockerfile == (matrix_dir / "app/Dockerfile.bench").resolve()
    assert build.context == (matrix_dir / "app/src").resolve() and matrix.workloads[0].steps == ()
    assert build.dockerfile in {path.resolve() for path in matrix.files}
    manifest = new_manifest("run", matrix, ["harness", "run"], {}).to_json()
    schema("manifest.schema.json").validate(manifest)
    assert (manifest["workloads"]["mine"]["dockerfile"], manifest["workloads"]["mine"]["context"]) == (
        "app/Dockerfile.bench", "app/src")


def test_a_commit_workload_loads_without_steps(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {"matrix.yaml": """
        scenarios: [native]
        workloads:
          - name: snap
            kind: commit
            params: {changed_files: 4}
            command: ls /payload | wc -l > /count-{{changed_files}}
    """})
    workload = load_matrix(matrix_dir / "matrix.yaml").workloads[0]
    assert (workload.kind, workload.steps, workload.command) == ("commit", (), "ls /payload | wc -l > /count-4")


def entry(text: str) -> dict[str, str]:
    """A matrix (native scenario) whose workloads list is `text`, with the rename library file beside it."""
    return {"workloads/rename.yaml": RENAME, "matrix.yaml": "scenarios: [native]\nworkloads:\n" + text}


# Each mistake: files over the valid tree, the file the message names, what it says, its line (None: not checked).
MISTAKES = {
    "unknown parameter": (entry("  - use: rename\n    params: {files: [1, 2]}\n"), "matrix.yaml",
                          "workloads[0].params.files: unknown parameter (known: files_in_base", 4),
    "sweep in a library file": ({**entry("  - rename\n"), "workloads/rename.yaml": RENAME.replace(
        "{base_directories: 10}", "{base_directories: [10, 20]}")}, "rename.yaml",
        "params.base_directories: must be an integer (a default; sweeps are written in the matrix)", 2),
    "unknown placeholder": ({**entry("  - rename\n"), "workloads/rename.yaml": RENAME.replace(
        "{{changed_files}}", "{{changed}}")}, "rename.yaml", "steps[0]: {{changed}} is not a parameter", 5),
    "value out of bounds": (entry("  - use: rename\n    params:\n      files_in_base: [10, 2000000]\n"),
                            "matrix.yaml", "files_in_base[1]: must be between 0 and 1,000,000", 5),
    "value listed twice": (entry("  - use: rename\n    params:\n      files_in_base: [10, 20, 10]\n"),
                           "matrix.yaml", "files_in_base[2]: 10 is listed twice", 5),
    "boolean value": (entry("  - use: rename\n    params: {changed_files: yes}\n"), "matrix.yaml",
                      "changed_files: must be an integer or a list of integers to sweep", 4),
    "empty list": (entry("  - use: rename\n    params: {changed_files: []}\n"), "matrix.yaml",
                   "changed_files: lists no values", 4),
    "too many cells": (entry("  - use: rename\n    params:\n      files_in_base: [" + ", ".join(map(str, range(1, 12)))
                             + "]\n      changed_files: [" + ", ".join(map(str, range(1, 11))) + "]\n"),
                       "matrix.yaml", "workloads[0]: expands into 110 cells (0 before it): a matrix measures at most "
                       "100", 3),
    "too large a cell": (entry("  - use: rename\n    params:\n      files_in_base: [10, 1000000]\n"
                               "      base_file_size: 65536\n"), "matrix.yaml",
                         "workloads[0].params: rename@files_in_base=1000000: 1,000,000 files of 65,536 bytes", 4),
    "duplicate cells": (entry("  - use: rename\n    params: {changed_files: [1, 2]}\n"
                              "  - use: rename\n    params: {changed_files: [2, 3]}\n"), "matrix.yaml",
                        "workloads[1]: 'rename@changed_files=2' is listed twice (also by workloads[0])", 5),
    "unknown use": (entry("  - use: nope\n"), "matrix.yaml", "workloads[0].use: no workload file", 3),
    "unknown key beside use": (entry("  - use: rename\n    steps: [RUN true]\n"), "matrix.yaml",
                               "workloads[0].steps: unknown key", 4),
    "too many builds after expansion": (
        {**entry("  - use: rename\n    params:\n      files_in_base: [" + ", ".join(map(str, range(1, 101))) + "]\n"),
         "matrix.yaml": "scenarios: [native]\nrepetitions: 1000\nworkloads:\n  - use: rename\n    params:\n"
                        "      files_in_base: [" + ", ".join(map(str, range(1, 101))) + "]\n"},
        "matrix.yaml", "repetitions: plans up to 100,100 builds", 2),
    "commit with steps": (entry("  - name: c\n    kind: commit\n    steps: [RUN true]\n"), "matrix.yaml",
                          "workloads[0].steps: a commit workload has no steps", 5),
    "command on a build": (entry("  - name: b\n    command: touch /x\n    steps: [RUN true]\n"), "matrix.yaml",
                           "workloads[0].command: is for kind: commit", 4),
    "unknown kind": (entry("  - name: b\n    kind: export\n    steps: [RUN true]\n"), "matrix.yaml",
                     "workloads[0].kind: must be one of build, commit", 4),
    "commit with buildkit": ({**entry(""), "matrix.yaml": "scenarios: [native]\nbuilders: [classic, buildkit]\n"
                              "workloads:\n  - name: c\n    kind: commit\n"}, "matrix.yaml",
                             "workloads[0]: c is a commit workload", 4),
    "dockerfile without context": ({**entry("  - name: u\n    dockerfile: Dockerfile\n"),
                                    "Dockerfile": "FROM scratch\n"},
                                   "matrix.yaml", "workloads[0].context: dockerfile: and context: go together", 3),
    "steps with a dockerfile": (
        {**entry("  - name: u\n    dockerfile: Dockerfile\n    context: .\n    steps: [RUN true]\n"),
         "Dockerfile": "FROM scratch\n"}, "matrix.yaml", "workloads[0].steps: a workload with dockerfile:", 6),
    "a FROM that would pull": (
        {**entry("  - name: u\n    dockerfile: app/Dockerfile\n    context: app\n"),
         "app/Dockerfile": "ARG HARNESS_BASE\nFROM $HARNESS_BASE AS one\nRUN true\nFROM alpine:3.20\n"},
        "Dockerfile", "FROM alpine:3.20: the harness's private daemons never pull images", 4),
    "a COPY --from that would pull": (
        {**entry("  - name: u\n    dockerfile: app/Dockerfile\n    context: app\n"),
         "app/Dockerfile": "ARG HARNESS_BASE\nFROM $HARNESS_BASE AS one\nFROM scratch\nCOPY --from=one /a /a\n"
                           "COPY --from=0 /b /b\nCOPY --from=busybox:1.36 /bin/sh /sh\n"},
        "Dockerfile", "COPY --from would pull busybox:1.36 from a registry", 6),
    "the base without its ARG": ({**entry("  - name: u\n    dockerfile: app/Dockerfile\n    context: app\n"),
                                  "app/Dockerfile": "FROM ${HARNESS_BASE}\n"}, "Dockerfile",
                                 "needs `ARG HARNESS_BASE` before the first FROM", 1),
    "a context outside the matrix": (entry("  - name: u\n    dockerfile: Dockerfile\n    context: ..\n"),
                                     "matrix.yaml", "outside the matrix's directory", 5),
    "a missing Dockerfile": (entry("  - name: u\n    dockerfile: Dockerfile\n    context: .\n"), "matrix.yaml",
                             "workloads[0].dockerfile: no such file", 4),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_library_mistake_names_file_key_and_line(mistake: str, matrix_dir: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main

    files, named, says, line = MISTAKES[mistake]
    write_tree(matrix_dir, files)
    assert main(["validate", str(matrix_dir / "matrix.yaml")]) == 2
    message = capsys.readouterr().err.strip()
    assert named in message and says in message, message
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    if line is not None:
        assert f"{named}:{line}:" in message, message
