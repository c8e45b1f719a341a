"""The summary, compare and report verbs as the CLI calls them: arguments in, printed text and exit code out,
user errors as `InputError` (exit 2) with one sentence."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from harness.commands import compare as compare_command
from harness.commands import report as report_command
from harness.commands import summary as summary_command
from harness.errors import InputError

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLE, AFTER = DATA / "example-run", DATA / "example-run-after"


def call(module, argv: list[str]) -> int:
    """Parse `argv` with the verb's own arguments, as harness.cli does, and run it."""
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


def test_verbs_describe_themselves() -> None:
    for module in (summary_command, compare_command, report_command):
        assert module.HELP and "\n" not in module.HELP and len(module.DESCRIPTION) > len(module.HELP)


def test_summary_prints_the_requested_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert call(summary_command, [str(EXAMPLE), "--format", "json", "--baseline", "local-vfs"]) == 0
    assert json.loads(capsys.readouterr().out)["baseline"] == "local-vfs"


def test_summary_noise_option_changes_what_counts_as_different(capsys: pytest.CaptureFixture[str]) -> None:
    call(summary_command, [str(EXAMPLE), "--format", "json", "--noise", "20"])  # ±2000 %: nothing differs
    assert not any(row["significant"] for row in json.loads(capsys.readouterr().out)["rows"])


@pytest.mark.parametrize("argv", [["--alpha", "1.5"], ["--noise", "-0.1"], ["--baseline", "nope"]])
def test_summary_rejects_bad_options(argv: list[str]) -> None:
    with pytest.raises(InputError):
        call(summary_command, [str(EXAMPLE), *argv])


def test_summary_of_a_missing_run_dir_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a directory") as caught:
        call(summary_command, [str(tmp_path / "missing")])
    assert caught.value.exit_code == 2


def test_compare_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert call(compare_command, [str(EXAMPLE), str(AFTER), "--format", "md"]) == 0
    assert "| delta |" in capsys.readouterr().out


def test_report_writes_to_out_and_prints_its_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = shutil.copytree(EXAMPLE, tmp_path / "run")
    assert call(report_command, [str(run)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {run / 'report' / 'report.md'}"
    assert (run / "report" / "plots" / "seed-ratios.svg").is_file()
