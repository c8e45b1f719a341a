"""Golden outputs of the checked-in example runs (tests/data/example-run, example-run-after) in every format, and the
JSON contract of DESIGN.md. Outputs are deterministic (seeded bootstraps, exact tests), so they must match byte for
byte. After an intended change, regenerate and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_summary_formats.py
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from harness.compare import render_comparison
from harness.errors import InputError
from harness.summary import render_run_summary

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLE, AFTER, GOLDEN = DATA / "example-run", DATA / "example-run-after", DATA / "golden"
SUFFIX = {"table": "txt", "md": "md", "latex": "tex", "csv": "csv", "json": "json"}


def assert_golden(name: str, text: str) -> None:
    """`text` must equal tests/data/golden/`name`; with UPDATE_GOLDEN=1 the file is (re)written instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing golden {path}; create it with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden; review, then UPDATE_GOLDEN=1"


@pytest.mark.parametrize("fmt", ["table", "md", "latex", "csv", "json"])
def test_summary_matches_golden(fmt: str) -> None:
    assert_golden(f"summary.{SUFFIX[fmt]}", render_run_summary(EXAMPLE, fmt) + "\n")


@pytest.mark.parametrize("fmt", ["table", "md", "latex", "csv"])
def test_compare_matches_golden(fmt: str) -> None:
    assert_golden(f"compare.{SUFFIX[fmt]}", render_comparison(EXAMPLE, AFTER, fmt) + "\n")


def test_summary_is_byte_identical_across_calls() -> None:
    assert render_run_summary(EXAMPLE, "json") == render_run_summary(EXAMPLE, "json")


def test_json_follows_the_design_contract() -> None:
    document = json.loads(render_run_summary(EXAMPLE, "json"))
    assert document["run_id"] == "20261127T101500Z-example"
    assert document["baseline"] == "local-overlay2-native"
    required = {"workload", "step", "instruction", "scenario", "n", "median_s", "ci_low_s", "ci_high_s", "ratio",
                "ratio_ci_low", "ratio_ci_high", "p_value", "significant"}
    rows = document["rows"]
    assert all(required <= row.keys() for row in rows)
    assert {row["step"] for row in rows} == {1, 2, 3, 4, 5, "total"}
    totals = [row for row in rows if row["step"] == "total"]
    assert all(row["instruction"] is None for row in totals)
    base = [row for row in rows if row["scenario"] == document["baseline"]]
    assert all(row["ratio"] == 1.0 and row["ratio_ci_low"] is None and row["p_value"] is None for row in base)


def test_json_numbers_agree_with_the_raw_samples() -> None:
    samples = [json.loads(line) for line in (EXAMPLE / "samples.jsonl").read_text().splitlines()]
    rows = json.loads(render_run_summary(EXAMPLE, "json"))["rows"]
    row = next(r for r in rows if r["step"] == 3 and r["scenario"] == "local-vfs")
    times = sorted(s["seconds"] for s in samples if s["scenario"] == "local-vfs" and s["step"] == 3
                   and s["ok"] and not s["warmup"])
    assert row["n"] == len(times) == 6
    assert row["median_s"] == pytest.approx((times[2] + times[3]) / 2)
    assert (row["min_s"], row["max_s"]) == (times[0], times[-1])
    base = next(r for r in rows if r["step"] == 3 and r["scenario"] == "local-overlay2-native")
    assert row["ratio"] == pytest.approx(row["median_s"] / base["median_s"])


def test_csv_is_tidy_one_row_per_cell() -> None:
    records = list(csv.DictReader(io.StringIO(render_run_summary(EXAMPLE, "csv"))))
    assert len(records) == 18  # 6 steps (5 + total) × 3 scenarios
    assert len({(r["workload"], r["step"], r["scenario"]) for r in records}) == 18
    assert all(r["run_id"] == "20261127T101500Z-example" for r in records)
    failed = next(r for r in records if r["step"] == "5" and r["scenario"] == "local-vfs")
    assert (failed["n"], failed["n_failed"], failed["ci_low_s"]) == ("5", "1", "")


def test_table_marks_noise_with_tilde_and_lists_remedies() -> None:
    lines = render_run_summary(EXAMPLE, "table").splitlines()
    first_step = lines[lines.index(next(line for line in lines if "FROM" in line)):][:3]
    assert "base" in first_step[0] and all(" ~ " in line for line in first_step[1:])  # FROM: no difference
    assert "Warnings:" in lines and any(line.strip().startswith("remedy:") for line in lines)


def test_unknown_format_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown format 'yaml'"):
        render_run_summary(EXAMPLE, "yaml")


def test_dockerfile_text_is_escaped_for_markdown_and_latex(tmp_path: Path) -> None:
    text = "RUN a_b 5% & x | y ~ $H"  # short enough not to be shortened with …
    samples = [{"schema": 1, "run_id": "r", "scenario": "s", "workload": "w", "rep": rep, "warmup": False,
                "kind": "step", "step": 2, "instruction": "RUN", "text": text, "seconds": 1.0 + rep / 10, "ok": True,
                "error": None, "ended_at": "t"} for rep in range(1, 7)]
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    markdown = render_run_summary(tmp_path, "md", baseline="s")
    assert "| `RUN a_b 5% & x \\| y ~ $H` |" in markdown
    latex = render_run_summary(tmp_path, "latex", baseline="s")
    assert r"\texttt{RUN a\_b 5\% \& x | y $\sim$ \$H}" in latex
