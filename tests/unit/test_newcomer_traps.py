"""What a newcomer trips over first: the install order of `make run`, messages, aliases, usage and file modes."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "data" / "example-run"


def test_make_run_installs_packages_with_python3_venv_before_it_makes_the_venv(tmp_path: Path) -> None:
    """On a fresh Debian/Ubuntu python3 -m venv fails without python3-venv: the packages must come first."""
    plan = subprocess.run(["make", "-n", "run", f"VENV={tmp_path}/venv"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.splitlines()
    ensure = next(i for i, line in enumerate(plan) if line.startswith("scripts/ensure-packages"))
    assert "python3-venv" in plan[ensure].split()
    venv = next(i for i, line in enumerate(plan) if "-m venv" in line or line.startswith("make") and "venv" in line)
    assert ensure < venv


def test_the_readme_says_which_python_it_needs() -> None:
    first_screen = (ROOT / "README.md").read_text().split("## ", 2)[1]
    assert "Python ≥ 3.11" in first_screen


def test_validate_counts_in_the_singular_and_plural(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["validate", str(ROOT / "matrix-local.yaml")]) == 0
    out = capsys.readouterr().out
    assert "× 1 workload," in out and "1 workloads" not in out and "4 steps" in out


def test_markdown_is_an_alias_of_md(capsys: pytest.CaptureFixture) -> None:
    assert main(["summary", str(EXAMPLE), "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert main(["summary", str(EXAMPLE), "--format", "markdown"]) == 0
    assert capsys.readouterr().out == md


def test_a_report_that_cannot_be_written_is_bad_input_not_a_traceback(capsys: pytest.CaptureFixture) -> None:
    assert main(["report", str(EXAMPLE), "--out", "/dev/null/x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("harness report: cannot write the report to /dev/null/x") and "Traceback" not in err


def test_a_mistyped_option_shows_the_verbs_usage(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["summary", str(EXAMPLE), "--fromat", "md"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: harness summary") and "--format" in err and "--fromat" in err


def test_report_files_have_the_same_mode_as_the_plots(tmp_path: Path) -> None:
    from harness.export.report import write_report

    files = write_report(EXAMPLE, tmp_path / "report")
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (files.markdown, *files.data, *files.plots)}
    assert len(set(modes.values())) == 1, modes
    assert modes["report.md"] == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
