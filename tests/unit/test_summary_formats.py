"""Golden outputs of the checked-in example runs (tests/data/example-run, example-run-after) in every format, and the
JSON contract of docs/design.md. Outputs are deterministic (seeded bootstraps, exact tests), so they must match byte for
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

from harness.analysis.compare import load_comparison
from harness.errors import InputError
from harness.export.views import render_comparison, render_run_summary

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLE, AFTER, GOLDEN = DATA / "example-run", DATA / "example-run-after", DATA / "golden"
SUFFIX = {"table": "txt", "md": "md", "latex": "tex", "csv": "csv", "json": "json"}


@pytest.fixture(autouse=True)
def terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Goldens must not depend on the terminal the tests run in: the table fits COLUMNS."""
    monkeypatch.setenv("COLUMNS", "120")


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
    assert_golden(f"compare.{SUFFIX[fmt]}", render_comparison(load_comparison(EXAMPLE, AFTER), fmt) + "\n")


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
    assert row["n"] == len(times) == 10
    assert row["median_s"] == pytest.approx((times[4] + times[5]) / 2)
    assert (row["min_s"], row["max_s"]) == (times[0], times[-1])
    base = next(r for r in rows if r["step"] == 3 and r["scenario"] == "local-overlay2-native")
    assert row["ratio"] == pytest.approx(row["median_s"] / base["median_s"])


def test_csv_is_tidy_one_row_per_cell() -> None:
    records = list(csv.DictReader(io.StringIO(render_run_summary(EXAMPLE, "csv"))))
    assert len(records) == 24  # 6 steps (5 + total, FROM included) × 4 scenarios (the A/A control too)
    assert len({(r["workload"], r["step"], r["scenario"]) for r in records}) == 24
    assert all(r["run_id"] == "20261127T101500Z-example" for r in records)
    failed = next(r for r in records if r["step"] == "5" and r["scenario"] == "local-vfs")
    assert (failed["n"], failed["n_failed"]) == ("9", "1")


def test_table_marks_noise_with_tilde_and_lists_remedies() -> None:
    lines = render_run_summary(EXAMPLE, "table").splitlines()
    table = lines[:lines.index(next(line for line in lines if line.startswith("geometric mean")))]
    aa = [line for line in table if "local-overlay2-native-aa" in line and not line.startswith("* ")]
    assert aa and all(" ~ " in line for line in aa)  # the A/A control: never a difference
    assert "Warnings:" in lines and any(line.strip().startswith("remedy:") for line in lines)


def test_from_rows_leave_the_table_but_stay_in_csv_and_json() -> None:
    assert "FROM harness-base" not in render_run_summary(EXAMPLE, "table")
    assert "FROM harness-base" not in render_run_summary(EXAMPLE, "md")
    assert any(row["instruction"] == "FROM" for row in json.loads(render_run_summary(EXAMPLE, "json"))["rows"])
    assert ",FROM," in render_run_summary(EXAMPLE, "csv")


def test_headlines_come_first_one_per_compared_scenario() -> None:
    lines = render_run_summary(EXAMPLE, "table").splitlines()
    headlines = [line for line in lines[:12] if line.startswith("* ")]
    assert [line.split(":")[0] for line in headlines] == [
        "* local-overlay2-naive", "* local-vfs", "* local-overlay2-native-aa"]
    assert "whole build 4.40× [4.22, 4.51] the time of local-overlay2-native (significant, p_adj" in headlines[0]
    assert "no difference beyond the noise floor" in " ".join(" ".join(lines[lines.index(headlines[2]):][:2]).split())
    document = json.loads(render_run_summary(EXAMPLE, "json"))
    totals = {row["scenario"]: row for row in document["rows"] if row["step"] == "total"}
    for headline in document["headlines"]:
        row = totals[headline["scenario"]]
        assert (headline["ratio"], headline["ratio_ci_low"], headline["ratio_ci_high"], headline["p_value"],
                headline["p_adjusted"], headline["significant"]) == (
            row["ratio"], row["ratio_ci_low"], row["ratio_ci_high"], row["p_value"], row["p_adjusted"],
            row["significant"])


def test_geomeans_exclude_from_name_their_steps_and_carry_an_interval() -> None:
    geomean = json.loads(render_run_summary(EXAMPLE, "json"))["geomean"]
    naive = next(g for g in geomean if g["scenario"] == "local-overlay2-naive")
    assert naive["n_cells"] == 4 and naive["steps"] == "seed steps 2, 3, 4, 5"
    assert naive["ratio_ci_low"] < naive["ratio"] < naive["ratio_ci_high"]


@pytest.mark.parametrize("columns", [80, 100, 140])
def test_the_terminal_table_fits_columns_unless_wide(columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    compact = render_run_summary(EXAMPLE, "table").splitlines()
    wide = render_run_summary(EXAMPLE, "table", wide=True).splitlines()
    table = [line for line in compact if "local-" in line and "×" in line and not line.startswith("* ")]
    assert max(map(len, compact)) <= columns
    assert max(map(len, table)) < max(map(len, wide)) or max(map(len, wide)) <= columns
    assert any(" CV " in line for line in wide) and "95% CI" in "\n".join(wide)
    for instruction in ("RUN touch /marker", "COPY payload /payload", "ADD payload.tar /opt/payload"):
        assert instruction in "\n".join(compact)  # shortened at most, never dropped


def test_the_growth_block_fits_80_columns_and_keeps_its_slopes(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import growth_runs

    growth_runs.write_run(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    text = render_run_summary(tmp_path, "table")
    assert max(map(len, text.splitlines())) <= 80
    assert "Growth (workload rename-sweep, param files_in_base):" in text and "[0.142, 0.155]" in text
    assert "R²" in render_run_summary(tmp_path, "table", wide=True)


def test_latex_is_complete_booktabs_floats_with_the_headlines_as_comments() -> None:
    text = render_run_summary(EXAMPLE, "latex")
    body = [line for line in text.splitlines() if line and not line.startswith("%")]
    assert body[0] == r"\begin{table}[htbp]" and body[-1] == r"\end{table}"
    for needed in (r"\caption{", r"\label{tab:20261127t101500z-example-seed}", r"\toprule",
                   r"\midrule", r"\bottomrule", r"\begin{tabular}", r"\end{tabular}"):
        assert sum(needed in line for line in body) >= 1, needed
    assert "% headline: local-overlay2-naive: whole build 4.40× [4.22, 4.51]" in text


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
