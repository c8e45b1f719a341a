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


def _without_control(tmp_path: Path) -> Path:
    run = shutil.copytree(EXAMPLE, tmp_path / "run")
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps(manifest | {"control": None}))
    return run


def aa_verdicts(out: dict) -> set[str]:
    return {row["verdict"] for row in out["rows"] if row["scenario"] == "local-overlay2-native-aa"
            and row["instruction"] != "FROM"}


def test_min_effect_in_percent_decides_what_counts_as_equivalent(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    run = str(_without_control(tmp_path))
    call(summary_command, [run, "--format", "json", "--min-effect", "20"])
    wide = json.loads(capsys.readouterr().out)
    assert wide["noise"] == {"method": "none", "low": pytest.approx(1 / 1.2), "high": 1.2, "min_effect": 0.2,
                             "aa_low": None, "aa_high": None, "detectable": None}
    assert aa_verdicts(wide) == {"equivalent"}  # the A/A twin, within ±20 % everywhere
    call(summary_command, [run, "--format", "json", "--min-effect", "1"])
    assert "inconclusive" in aa_verdicts(json.loads(capsys.readouterr().out))  # ±1 % is finer than this run sees
    call(summary_command, [run, "--format", "json", "--noise", "20"])  # the old name, in percent now
    assert json.loads(capsys.readouterr().out)["min_effect"] == 0.2


def test_a_control_scenario_is_a_diagnostic_not_a_margin(capsys: pytest.CaptureFixture[str]) -> None:
    call(summary_command, [str(EXAMPLE), "--format", "json", "--min-effect", "20"])
    out = json.loads(capsys.readouterr().out)
    aa = next(row for row in out["rows"] if row["scenario"] == "local-overlay2-native-aa" and row["step"] == "total")
    assert out["noise"]["method"] == "aa" and out["control"] == "local-overlay2-native-aa"
    assert out["noise"]["aa_low"] <= 1 <= out["noise"]["aa_high"]
    assert (aa["ratio_ci_low"], aa["ratio_ci_high"]) == (out["noise"]["aa_low"], out["noise"]["aa_high"])
    assert 0 < out["noise"]["detectable"] < 0.05
    assert out["noise"]["high"] == 1.2  # δ decides the band, not the control
    assert {row["verdict"] for row in out["rows"] if row["scenario"] == "local-vfs"
            and row["instruction"] != "FROM"} == {"slower"}


@pytest.mark.parametrize("argv", [["--alpha", "1.5"], ["--noise", "-0.1"], ["--baseline", "nope"],
                                  ["--min-effect", "0.02"], ["--min-effect", "101"]])
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


def test_compare_fail_above_gates_on_significant_slowdowns(capsys: pytest.CaptureFixture[str]) -> None:
    # B (example-run) is A (example-run-after) with the naive differ ≈ 18 % slower (1 / 0.85) and nothing else changed
    assert call(compare_command, [str(AFTER), str(EXAMPLE), "--fail-above", "10"]) == 1
    assert "local-overlay2-naive is +" in capsys.readouterr().err
    assert call(compare_command, [str(AFTER), str(EXAMPLE), "--fail-above", "30"]) == 0
    assert call(compare_command, [str(EXAMPLE), str(AFTER), "--fail-above", "0"]) == 0  # B only got faster
    assert call(compare_command, [str(EXAMPLE), str(AFTER)]) == 0


def test_compare_fail_above_rejects_a_negative_percentage() -> None:
    with pytest.raises(InputError, match="--fail-above"):
        call(compare_command, [str(EXAMPLE), str(AFTER), "--fail-above", "-5"])


def test_every_help_names_only_files_that_exist_in_the_repo() -> None:
    import re

    repo = EXAMPLE.parent.parent.parent
    from harness.commands import doctor, run, validate

    for module in (summary_command, compare_command, report_command, doctor, run, validate):
        for path in re.findall(r"\b(?:schemas|docs)/[\w./-]+\.\w+", module.DESCRIPTION):
            assert (repo / path).is_file(), f"{module.__name__} --help names {path}, which does not exist"
        assert "DESIGN.md" not in module.DESCRIPTION  # not in the repository
