"""`harness compare A B C …`: one column per run, each later run judged against the first as the pairwise
compare judges it, missing cells said, and the CI gate applied to every later run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.analysis.compare import load_comparison
from harness.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLE, AFTER = DATA / "example-run", DATA / "example-run-after"


def test_one_column_per_run_with_the_pairwise_verdicts(capsys: pytest.CaptureFixture, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "140")
    assert main(["compare", str(EXAMPLE), str(AFTER), str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "A: median s" in line)
    assert "B: s, vs A" in header and "C: s, vs A" in header
    naive = next(line for line in out.splitlines() if "local-overlay2-naive " in line and "1.627" in line)
    pairwise = load_comparison(EXAMPLE, AFTER)
    row = next(r for r in pairwise.rows if (r.scenario, r.step) == ("local-overlay2-naive", 2))
    assert f"{row.b.median:.3f} {(row.ratio - 1) * 100:+.1f}%".replace("+", "") in naive.replace("+", "")
    assert naive.rstrip().endswith("1.627 ~")  # C is A itself: within the noise floor


def test_json_holds_every_pairwise_comparison(capsys: pytest.CaptureFixture) -> None:
    assert main(["compare", str(EXAMPLE), str(AFTER), str(EXAMPLE), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["runs"] == ["20261127T101500Z-example", "20261204T091000Z-example", "20261127T101500Z-example"]
    assert [c["run_b"] for c in document["comparisons"]] == document["runs"][1:]


def test_a_cell_a_later_run_lacks_is_shown_and_noted(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    lacking = shutil.copytree(AFTER, tmp_path / "lacking")
    samples = [line for line in (lacking / "samples.jsonl").read_text().splitlines()
               if json.loads(line)["scenario"] != "local-vfs"]
    (lacking / "samples.jsonl").write_text("\n".join(samples) + "\n")
    assert main(["compare", str(EXAMPLE), str(AFTER), str(lacking), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "| local-vfs | 3.661 | 3.657 \\~ | — |" in out
    assert "run C (20261204T091000Z-example) lacks" in out and "on local-vfs" in out


def test_the_gate_applies_to_every_later_run(capsys: pytest.CaptureFixture) -> None:
    """AFTER's naive differ is faster; EXAMPLE against it is significantly slower: the third run fails the gate."""
    assert main(["compare", str(AFTER), str(AFTER), "--fail-above", "5"]) == 0
    assert main(["compare", str(AFTER), str(AFTER), str(EXAMPLE), "--fail-above", "5"]) == 1
    err = capsys.readouterr().err
    assert "slower in 20261127T101500Z-example" in err and "local-overlay2-naive" in err
