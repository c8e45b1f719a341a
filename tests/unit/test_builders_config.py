"""The matrix's `builders:` axis: its default, its bad entries (exit 2 naming file, key and line), validate's line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.config import load_matrix
from harness.config import matrix as matrix_loader
from harness.errors import InputError
from tests.conftest import write_tree

BASE = "scenarios: [native, naive]\nworkloads: [tiny]\n"


def matrix(root: Path, extra: str) -> Path:
    write_tree(root, {"matrix.yaml": BASE + extra})
    return root / "matrix.yaml"


def test_builders_default_to_classic_and_keep_the_matrix_order(matrix_dir: Path) -> None:
    assert load_matrix(matrix(matrix_dir, "")).builders == ("classic",)
    assert load_matrix(matrix(matrix_dir, "builders: [buildkit, classic]\n")).builders == ("buildkit", "classic")


@pytest.mark.parametrize("entry, line, message", [
    ("builders: [classic, kaniko]\n", 3, r"matrix.yaml:3: builders\[1\]: 'kaniko' is not a builder "
                                         r"\(known: classic, buildkit, buildah\)"),
    ("builders:\n  - classic\n  - classic\n", 5, r"matrix.yaml:5: builders\[1\]: 'classic' is listed twice"),
    ("builders: []\n", 3, r"matrix.yaml:3: builders: "),
    ("builders: buildkit\n", 3, r"matrix.yaml:3: builders: must be a list"),
])
def test_a_bad_builders_entry_names_file_key_and_line(matrix_dir: Path, entry: str, line: int, message: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = matrix(matrix_dir, entry)
    with pytest.raises(InputError, match=message):
        load_matrix(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"matrix.yaml:{line}" in err and "Traceback" not in err


def test_the_builders_multiply_the_planned_builds_the_matrix_may_ask_for(matrix_dir: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matrix_loader, "MAX_PLANNED_BUILDS", 3000)
    load_matrix(matrix(matrix_dir, "repetitions: 1000\nwarmup: 0\n"))  # 2 scenarios × 1000: allowed
    with pytest.raises(InputError, match=r"plans up to 4,000 builds .*× 2 builders"):
        load_matrix(matrix(matrix_dir, "repetitions: 1000\nwarmup: 0\nbuilders: [classic, buildkit]\n"))


def test_validate_shows_the_builders(matrix_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(matrix(matrix_dir, "builders: [classic, buildkit]\n"))]) == 0
    out = capsys.readouterr().out
    assert "3 scenarios" not in out and "2 scenarios × 1 workload × 2 builders" in out
    assert "  builders: classic, buildkit" in out
