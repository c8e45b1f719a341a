"""The YAML model: valid files load into dataclasses; every mistake is an exit-2 error naming file, key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.config import LocalHost, OverlayKnobs, SshHost, load_matrix
from harness.errors import InputError
from tests.conftest import REPO, write_tree

GOOD_MATRIX = """
scenarios: [native, naive]
workloads: [tiny]
baseline: native
repetitions: 3
warmup: 1
order_seed: 7
"""


def test_a_valid_matrix_loads_with_its_scenarios_and_workloads(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {"matrix.yaml": GOOD_MATRIX})
    matrix = load_matrix(matrix_dir / "matrix.yaml")
    assert [s.name for s in matrix.scenarios] == ["native", "naive"]
    assert matrix.scenario("naive").overlay == OverlayKnobs(redirect_dir=True)
    assert isinstance(matrix.scenario("native").host, LocalHost)
    assert matrix.workloads[0].base.files == 10 and matrix.workloads[0].steps == ("RUN touch /x",)
    assert (matrix.repetitions.min, matrix.repetitions.max, matrix.warmup, matrix.seed) == (3, 3, 1, 7)
    assert {p.name for p in matrix.files} == {"matrix.yaml", "native.yaml", "naive.yaml", "tiny.yaml"}


def test_adaptive_repetitions_and_inline_workloads_load(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {"matrix.yaml": """
        scenarios: [native]
        workloads:
          - name: inline
            base: {files: 5}
            steps: [RUN true]
        repetitions: {min: 3, max: 20, target_ci: 0.05}
    """})
    matrix = load_matrix(matrix_dir / "matrix.yaml")
    assert (matrix.repetitions.min, matrix.repetitions.max, matrix.repetitions.target_ci) == (3, 20, 0.05)
    assert matrix.workloads[0].name == "inline" and matrix.baseline == "native"


@pytest.mark.parametrize("matrix", ["matrix-local.yaml", "matrix-drivers.yaml", "matrix.yaml"])
def test_the_shipped_matrices_are_valid(matrix: str) -> None:
    if not (REPO / matrix).exists():
        pytest.fail(f"{matrix} is missing from the repository")
    loaded = load_matrix(REPO / matrix)
    assert loaded.baseline in {s.name for s in loaded.scenarios}


def test_an_ssh_scenario_carries_its_coordinates(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {
        "scenarios/server.yaml": """
            host: {type: ssh, address: 127.0.0.1, port: 2222, user: ci, identity_file: ~/.ssh/id}
            storage: {driver: overlay2}
        """,
        "matrix.yaml": "scenarios: [server]\nworkloads: [tiny]\n"})
    host = load_matrix(matrix_dir / "matrix.yaml").scenarios[0].host
    assert host == SshHost(address="127.0.0.1", user="ci", port=2222, identity_file="~/.ssh/id")


# Each mistake: the files to write over the valid tree, the file the error must name, what it must say, its line.
MISTAKES = {
    "unknown matrix key": ({"matrix.yaml": GOOD_MATRIX + "repetiton: 5\n"}, "matrix.yaml", "repetiton: unknown key", 7),
    "scenarios not a list": ({"matrix.yaml": "scenarios: native\nworkloads: [tiny]\n"}, "matrix.yaml",
                             "scenarios: must be a list", 1),
    "missing scenario file": ({"matrix.yaml": "scenarios: [native, nope]\nworkloads: [tiny]\n"}, "matrix.yaml",
                              "scenarios[1]: no scenario file", 1),
    "missing workload file": ({"matrix.yaml": "scenarios: [native]\nworkloads:\n  - tiny\n  - huge\n"}, "matrix.yaml",
                              "workloads[1]: no workload file", 4),
    "unknown baseline": ({"matrix.yaml": "scenarios: [native]\nworkloads: [tiny]\nbaseline: naive\n"}, "matrix.yaml",
                         "baseline: names 'naive'", 3),
    "zero repetitions": ({"matrix.yaml": "scenarios: [native]\nworkloads: [tiny]\nrepetitions: 0\n"}, "matrix.yaml",
                         "repetitions: must be between 1 and 1,000", 3),
    "max below min": ({"matrix.yaml": "scenarios: [native]\nworkloads: [tiny]\nrepetitions: {min: 5, max: 3, "
                                      "target_ci: 0.05}\n"}, "matrix.yaml", "max (3) is below min (5)", 3),
    "target_ci as a percentage": ({"matrix.yaml": "scenarios: [native]\nworkloads: [tiny]\nrepetitions:\n  max: 9\n"
                                                  "  target_ci: 5\n"}, "matrix.yaml", "target_ci: is a fraction", 5),
    "negative warmup": ({"matrix.yaml": "scenarios: [native]\nworkloads: [tiny]\nwarmup: -1\n"}, "matrix.yaml",
                        "warmup: must be between 0 and 100", 3),
    "YAML syntax error": ({"matrix.yaml": "scenarios: [native\nworkloads: [tiny]\n"}, "matrix.yaml",
                          "not valid YAML", 2),
    "duplicate scenario": ({"matrix.yaml": "scenarios: [native, native]\nworkloads: [tiny]\n"}, "matrix.yaml",
                           "'native' is listed twice", 1),
    "misspelt scenario key": ({"scenarios/native.yaml": "host: {type: local}\nstorage:\n  drvier: overlay2\n"},
                              "native.yaml", "storage.drvier: unknown key", 3),
    "unknown host type": ({"scenarios/native.yaml": "host:\n  type: kvm\nstorage: {driver: overlay2}\n"},
                          "native.yaml", "host.type: must be one of local, ssh, vagrant", 2),
    "knob not a boolean": ({"scenarios/native.yaml": "host: {type: local}\nstorage: {driver: overlay2}\nkernel:\n"
                                                     "  overlay:\n    redirect_dir: maybe\n"},
                           "native.yaml", "kernel.overlay.redirect_dir: must be true or false", 5),
    "unknown filesystem": ({"scenarios/native.yaml": "host: {type: local}\nstorage:\n  driver: overlay2\n"
                                                     "  filesystem: zfs\n"}, "native.yaml",
                           "storage.filesystem: must be one of host, xfs, ext4, btrfs", 4),
    "metacopy without redirect_dir": ({"scenarios/native.yaml": "host: {type: local}\nstorage: {driver: overlay2}\n"
                                                                "kernel: {overlay: {redirect_dir: off, metacopy: on}}\n"},
                                      "native.yaml", "metacopy=on forces redirect_dir on", 3),
    "btrfs driver on the host filesystem": ({"scenarios/native.yaml": "host: {type: local}\nstorage: {driver: btrfs}\n"},
                                            "native.yaml", "needs its own filesystem", 2),
    "direct-lvm for overlay2": ({"scenarios/native.yaml": "host: {type: ssh, address: a, user: b}\nstorage:\n"
                                                          "  driver: overlay2\n  direct_lvm: true\n"},
                                "native.yaml", "direct-lvm is for the devicemapper driver", 4),
    "ssh host without address": ({"scenarios/native.yaml": "host: {type: ssh, user: ci}\nstorage: {driver: vfs}\n"},
                                 "native.yaml", "host.address: is required", 1),
    "port out of range": ({"scenarios/native.yaml": "host: {type: ssh, address: a, user: b, port: 70000}\n"
                                                    "storage: {driver: vfs}\n"}, "native.yaml",
                          "host.port: must be a TCP port", 1),
    "expect as a string": ({"scenarios/native.yaml": "host: {type: local}\nstorage: {driver: overlay2}\nexpect:\n"
                                                     "  native_overlay_diff: 'yes please'\n"},
                           "native.yaml", "expect.native_overlay_diff: must be true or false", 4),
    "FROM in steps": ({"workloads/tiny.yaml": "steps:\n  - FROM busybox\n"}, "tiny.yaml",
                      "steps[0]: FROM is added by the harness", 2),
    "not an instruction": ({"workloads/tiny.yaml": "steps:\n  - RUN true\n  - RUNN true\n"}, "tiny.yaml",
                           "steps[1]: 'RUNN' is not a Dockerfile instruction", 3),
    "file count not a number": ({"workloads/tiny.yaml": "base:\n  files: many\nsteps: [RUN true]\n"}, "tiny.yaml",
                                "base.files: must be an integer, not a string", 2),
    "empty matrix": ({"matrix.yaml": ""}, "matrix.yaml", "scenarios: is required", None),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_refused_with_file_key_and_line(mistake: str, matrix_dir: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    files, named_file, says, line = MISTAKES[mistake]
    write_tree(matrix_dir, {"matrix.yaml": GOOD_MATRIX, **files})
    code = main(["validate", str(matrix_dir / "matrix.yaml")])
    error = capsys.readouterr().err
    assert code == 2, error
    assert named_file in error and says in error, error
    if line is not None:
        assert f"{named_file}:{line}:" in error, error
    assert "Traceback" not in error


def test_a_bad_matrix_starts_nothing_and_creates_no_run(matrix_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path / "state"))
    write_tree(matrix_dir, {"matrix.yaml": GOOD_MATRIX + "oops: 1\n"})
    code = main(["run", str(matrix_dir / "matrix.yaml"), "--results", str(tmp_path / "results")])
    assert code == 2
    assert not (tmp_path / "results").exists()
    assert not (tmp_path / "state").exists()


def test_errors_are_input_errors_with_exit_code_2(matrix_dir: Path) -> None:
    with pytest.raises(InputError) as raised:
        load_matrix(matrix_dir / "absent.yaml")
    assert raised.value.exit_code == 2 and "no such file" in str(raised.value)
