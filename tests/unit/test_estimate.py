"""Time estimates: per-scenario costs, measured ones replacing guesses, and the progress lines that show them."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from harness.builders.timing import BuildTiming
from harness.config import load_matrix
from harness.measure.estimate import FirstGuess, RemainingTime, build_costs, duration_text, first_guess
from harness.measure.plan import PlannedBuild
from harness.measure.progress import TerminalProgress, clock_text

REPO = Path(__file__).resolve().parents[2]


def test_measured_costs_replace_the_guess_per_scenario():
    remaining = RemainingTime(["fast", "slow"], FirstGuess({"fast": 1.0, "slow": 1.0}, "test"))
    assert remaining.seconds_left(total=20, done=0) == pytest.approx(20.0)
    remaining.record("fast", 2.0)
    remaining.record("slow", 30.0)
    # 9 builds left of each: 9 × 2 s + 9 × 30 s
    assert remaining.seconds_left(total=20, done=2) == pytest.approx(9 * 2.0 + 9 * 30.0)


def test_a_finished_scenario_adds_nothing_while_the_slow_one_is_still_ahead():
    """Scenarios run one after the other: after the fast block, only the slow builds are left."""
    remaining = RemainingTime(["fast", "slow"], FirstGuess({"slow": 10.0}, "test"))
    for _ in range(5):
        remaining.record("fast", 1.0)
    assert remaining.seconds_left(total=10, done=5) == pytest.approx(5 * 10.0)


def test_a_one_off_import_before_the_first_build_is_not_the_price_of_every_build():
    remaining = RemainingTime(["a"], FirstGuess({}, "test"))
    for wall in (9.0, 1.0, 1.2):  # the first one waited for the base import
        remaining.record("a", wall)
    assert remaining.seconds_left(total=13, done=3) == pytest.approx(10 * 1.2)


def test_a_scenario_without_any_figure_costs_the_mean_of_the_others():
    remaining = RemainingTime(["a", "b"], FirstGuess({"a": 4.0}, "test"))
    assert remaining.seconds_left(total=4, done=0) == pytest.approx(4 * 4.0)


def test_no_figure_at_all_means_no_estimate_and_nothing_left_means_zero():
    remaining = RemainingTime(["a"], FirstGuess({}, "test"))
    assert remaining.seconds_left(total=4, done=0) is None
    assert remaining.seconds_left(total=4, done=4) == 0.0


def test_a_scenario_the_matrix_does_not_list_joins_the_estimate():
    """The A/A control copy of the baseline appears only in the plan."""
    remaining = RemainingTime(["base"], FirstGuess({"base": 1.0}, "test"))
    remaining.record("base-aa", 3.0)
    assert remaining.cost("base-aa") == 3.0
    assert "base-aa" in remaining.scenarios


def _run_with_costs(results: Path, name: str, scenarios: dict[str, dict]) -> Path:
    run_dir = results / name
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text(json.dumps({"scenarios": scenarios}))
    return run_dir


def test_costs_of_an_earlier_run_include_start_import_and_stop(tmp_path):
    run_dir = _run_with_costs(tmp_path, "20261128T000000Z-matrix-local", {
        "a": {"timing": {"builds": 10, "builds_s": 20.0, "between_builds_s": 1.0}, "daemon_start_s": 1.0,
              "base_import_s": {"seed": 5.0}, "daemon_stop_s": 3.0},
        "skipped": {"status": "skipped"}})
    assert build_costs(run_dir) == {"a": pytest.approx(3.0)}


def test_costs_of_a_run_in_rounds_count_every_daemon_session(tmp_path):
    run_dir = _run_with_costs(tmp_path, "20261128T000000Z-matrix-local", {
        "a": {"timing": {"builds": 10, "builds_s": 20.0, "between_builds_s": 1.0}, "base_import_s": {"seed": 5.0},
              "sessions": [{"round": 1, "daemon_start_s": 1.0, "daemon_stop_s": 1.0},
                           {"round": 2, "daemon_start_s": 1.0, "daemon_stop_s": 1.0}]}})
    assert build_costs(run_dir) == {"a": pytest.approx(3.0)}


def test_the_first_guess_comes_from_the_newest_earlier_run_of_the_same_matrix(tmp_path):
    matrix = _sweep_matrix(tmp_path / "repo")
    stem = matrix.file.stem
    record = {"timing": {"builds": 2, "builds_s": 7.0, "between_builds_s": 1.0}}
    _run_with_costs(tmp_path / "results", f"20261127T000000Z-{stem}", {"local-vfs": record})
    _run_with_costs(tmp_path / "results", f"20261128T000000Z-{stem}", {"local-btrfs": record})
    _run_with_costs(tmp_path / "results", "20261129T000000Z-other", {"local-btrfs": {**record, "timing": {
        "builds": 1, "builds_s": 99.0}}})
    guess = first_guess(matrix, matrix.scenarios, tmp_path / "results")
    assert guess.build_s["local-btrfs"] == pytest.approx(4.0)
    assert guess.source == f"the earlier run 20261128T000000Z-{stem}"
    assert guess.build_s["local-vfs"] > guess.build_s["local-overlay2-native"]  # the rough table fills the rest
    assert "local-devicemapper" not in guess.build_s


def test_without_earlier_runs_the_rough_table_says_so(tmp_path):
    matrix = _sweep_matrix(tmp_path / "repo")
    guess = first_guess(matrix, matrix.scenarios, tmp_path / "results")
    assert "rough figures" in guess.source
    assert guess.build_s["local-fuse-overlayfs"] > 5 * guess.build_s["local-overlay2-native"]


@pytest.mark.parametrize(("seconds", "text"), [(3, "5 s"), (61, "65 s"), (125, "3 min"), (3700, "1 h 02 min")])
def test_durations_are_rounded_up_to_what_is_worth_saying(seconds, text):
    assert duration_text(seconds) == text


def test_clock_text():
    assert (clock_text(7.9), clock_text(754), clock_text(3723)) == ("0:07", "12:34", "1:02:03")


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _timing(seconds: float) -> BuildTiming:
    return BuildTiming(steps=(), seconds=seconds, ok=True, error=None, image_id="abc")


def test_a_long_run_says_so_before_its_first_build_and_each_log_line_tells_time():
    clock, stream = _Clock(), io.StringIO()
    progress = TerminalProgress(RemainingTime(["slow"], FirstGuess({"slow": 60.0}, "a test table")), stream, clock)
    progress.start(total=20, done=0)
    clock.now += 30.0
    progress.build_done(PlannedBuild("slow", "seed", 1, False), _timing(29.0))
    lines = stream.getvalue().splitlines()
    assert lines[0] == ("this run is estimated to take more than 10 minutes (about 20 min, from a test table); "
                        "the time left is shown as builds finish")
    assert lines[1] == "[1/20] slow seed rep 1: 29.00 s — 0:30 elapsed, about 10 min left (estimate)"


def test_a_short_run_states_its_estimate_and_where_it_comes_from():
    stream = io.StringIO()
    progress = TerminalProgress(RemainingTime(["a"], FirstGuess({"a": 3.0}, "the earlier run X")), stream, _Clock())
    progress.start(total=33, done=0)
    assert stream.getvalue() == "estimated run time: about 2 min (from the earlier run X)\n"


def _sweep_matrix(directory: Path):
    """A small driver-sweep matrix beside copies of the repository's scenario and workload files."""
    shutil.copytree(REPO / "scenarios", directory / "scenarios")
    shutil.copytree(REPO / "workloads", directory / "workloads")
    path = directory / "sweep.yaml"
    path.write_text("scenarios: [local-overlay2-native, local-btrfs, local-vfs, local-fuse-overlayfs, "
                    "local-devicemapper]\nworkloads: [seed]\nrepetitions: 10\n")
    return load_matrix(path)
