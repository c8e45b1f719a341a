"""The matrix keys of rounds and the A/A control, and what `validate` says about too few repetitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.config import DEFAULT_ROUNDS, load_matrix
from harness.errors import InputError
from harness.results.writer import new_manifest
from tests.conftest import write_tree

BASE = "scenarios: [native, naive]\nworkloads: [tiny]\n"


def matrix(root: Path, extra: str) -> Path:
    write_tree(root, {"matrix.yaml": BASE + extra})
    return root / "matrix.yaml"


def test_rounds_default_to_five_capped_by_the_reps_and_can_be_set(matrix_dir: Path) -> None:
    assert load_matrix(matrix(matrix_dir, "repetitions: 10\n")).rounds == DEFAULT_ROUNDS == 5
    assert load_matrix(matrix(matrix_dir, "repetitions: 3\n")).rounds == 3
    assert load_matrix(matrix(matrix_dir, "repetitions: 10\nrounds: 2\n")).rounds == 2
    with pytest.raises(InputError, match="rounds"):
        load_matrix(matrix(matrix_dir, "rounds: 0\n"))


def test_control_adds_a_copy_of_the_baseline_right_after_it(matrix_dir: Path) -> None:
    loaded = load_matrix(matrix(matrix_dir, "baseline: naive\ncontrol: true\n"))
    assert [s.name for s in loaded.scenarios] == ["native", "naive", "naive-aa"]
    assert loaded.control == "naive"
    copy, original = loaded.scenario("naive-aa"), loaded.scenario("naive")
    assert (copy.storage, copy.overlay, copy.expect, copy.file) == (original.storage, original.overlay,
                                                                    original.expect, original.file)
    assert load_matrix(matrix(matrix_dir, "")).control is None


def test_min_effect_is_a_percentage_recorded_as_a_fraction(matrix_dir: Path) -> None:
    assert load_matrix(matrix(matrix_dir, "")).min_effect == 0.05
    assert load_matrix(matrix(matrix_dir, "min_effect: 10%\n")).min_effect == 0.10
    assert load_matrix(matrix(matrix_dir, "min_effect: 2.5\n")).min_effect == 0.025
    recorded = new_manifest("run", load_matrix(matrix(matrix_dir, "min_effect: 10%\n")), ["harness", "run"], {})
    assert recorded.min_effect == 0.10 and recorded.to_json()["min_effect"] == 0.10
    for wrong, said in (("0.05", "between 1% and 100%"), ("150%", "between 1% and 100%"), ("five", "percentage")):
        with pytest.raises(InputError, match=f"min_effect.*{said}"):
            load_matrix(matrix(matrix_dir, f"min_effect: {wrong}\n"))


def test_validate_warns_below_six_reps_and_says_what_is_lost(matrix_dir: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(matrix(matrix_dir, "repetitions: 5\n"))]) == 0
    warning = capsys.readouterr().err
    assert "warning: repetitions 5 is below 6" in warning and "no ratio intervals" in warning
    assert main(["validate", str(matrix(matrix_dir, "repetitions: 10\n"))]) == 0
    assert capsys.readouterr().err == ""


def test_two_scenarios_provisioning_one_machine_need_one_block_each(tmp_path: Path) -> None:
    """Provisioning runs at a scenario's first session only: in rounds, the other scenario's configuration would
    still be on the machine (the emulated-VM test found this), so the matrix must say rounds: 1."""
    ssh = "host: {type: ssh, address: 127.0.0.1, port: 2222, user: root, provision: true}\nstorage: {driver: %s}\n"
    write_tree(tmp_path, {"scenarios/a.yaml": ssh % "overlay2", "scenarios/b.yaml": ssh % "devicemapper",
                          "workloads/w.yaml": "steps: [RUN true]\n"})
    matrix = tmp_path / "matrix.yaml"
    matrix.write_text("scenarios: [a, b]\nworkloads: [w]\nrepetitions: 6\n")
    with pytest.raises(InputError, match=r"matrix.yaml:1: scenarios\[1\]: b and a both provision 127.0.0.1:2222"):
        load_matrix(matrix)
    matrix.write_text("scenarios: [a, b]\nworkloads: [w]\nrepetitions: 6\nrounds: 1\n")
    assert load_matrix(matrix).rounds == 1
