"""Ledgers are trusted only as far as they are checked: PID reuse, odd files, a shared state directory, and entries
that point outside their own work directories or at anything but an overlay parameter."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.errors import EnvironmentNotAble
from harness.machine.cleanup import clean_abandoned
from harness.machine.ledger import Ledger, abandoned_ledgers, process_start, untrusted_entries

PARAMETERS = Path("/sys/module/overlay/parameters")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "state"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("HARNESS_STATE_DIR", str(directory))
    return directory


def write_ledger(state: Path, pid: int, started: int | None, entries: list) -> Path:
    path = state / f"run-{pid}.json"
    path.write_text(json.dumps({"schema": 2, "pid": pid, "started": started, "entries": entries}))
    return path


def test_a_ledger_of_this_process_records_its_start_time_and_is_live(state: Path) -> None:
    ledger = Ledger.for_this_process()
    ledger.record(kind="workspace", path=str(state / "w" / "abcd"))
    content = json.loads(ledger.path.read_text())
    assert content["pid"] == os.getpid() and content["started"] == process_start(os.getpid())
    assert ledger.path.name == f"run-{os.getpid()}-{process_start(os.getpid())}.json"  # never a dead run's file
    assert abandoned_ledgers() == []
    ledger.forget(kind="workspace")


def test_a_reused_pid_does_not_make_a_dead_runs_ledger_live(state: Path) -> None:
    """The pid runs (it is ours), but it started at another time than the run that wrote the ledger."""
    write_ledger(state, os.getpid(), process_start(os.getpid()) - 1, [{"kind": "workspace", "path": "/tmp/x/y"}])
    assert [ledger.pid for ledger in abandoned_ledgers()] == [os.getpid()]


def test_oddly_named_files_are_skipped_and_a_broken_ledger_is_reported_not_acted_on(state: Path) -> None:
    (state / "run-abc.json").write_text("{}")
    (state / "run-.json").write_text("{}")
    (state / "run-1x.json.tmp").write_text("{}")
    (state / "run-999999999.json").write_text("not json")
    (ledger,) = abandoned_ledgers()
    assert ledger.problem and "not a ledger" in ledger.problem
    assert any("not a ledger" in line for line in clean_abandoned())
    assert (state / "run-999999999.json").exists()


def test_a_state_directory_others_can_write_is_refused(state: Path) -> None:
    state.chmod(0o755)
    with pytest.raises(EnvironmentNotAble, match="mode 0700"):
        abandoned_ledgers()
    with pytest.raises(EnvironmentNotAble, match="chmod 700"):
        Ledger.for_this_process()


@pytest.mark.parametrize("entry, says", [
    ({"kind": "loop", "image": "/etc/passwd", "mountpoint": "/w/abcd/fs"}, "not under the ledger's work"),
    ({"kind": "daemon", "pid": 1, "workspace": "/w/abcd"}, "not a process id"),
    ({"kind": "daemon", "pid": 4242, "workspace": "/w/abcd/../../etc"}, "not under"),
    ({"kind": "workspace", "path": "/"}, "not under"),
    ({"kind": "knob", "path": "/proc/sys/kernel/core_pattern", "original": "Y"}, "not an overlay parameter"),
    ({"kind": "knob", "path": f"{PARAMETERS}/redirect_dir", "original": "|/bin/sh"}, "is not Y/N"),
    ({"kind": "mystery"}, "unknown entry"),
])
def test_entries_outside_the_ledgers_own_places_are_refused(state: Path, entry: dict, says: str) -> None:
    path = write_ledger(state, 999999998, None, [{"kind": "workspace", "path": "/w/abcd"}, entry])
    (ledger,) = abandoned_ledgers()
    problems = untrusted_entries(ledger, PARAMETERS)
    assert len(problems) == 1 and says in problems[0], problems
    assert clean_abandoned() == problems and path.exists()  # nothing acted on, the ledger kept


def test_entries_inside_their_work_directory_are_trusted(state: Path) -> None:
    write_ledger(state, 999999997, None, [
        {"kind": "workspace", "path": "/w/abcd"}, {"kind": "daemon", "pid": 4242, "workspace": "/w/abcd"},
        {"kind": "loop", "image": "/w/abcd/fs.img", "mountpoint": "/w/abcd/fs"},
        {"kind": "knob", "path": f"{PARAMETERS}/metacopy", "original": "N"}])
    (ledger,) = abandoned_ledgers()
    assert untrusted_entries(ledger, PARAMETERS) == []
