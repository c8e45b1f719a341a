"""The run directory keeps every complete line and drops a line a kill cut short; its manifest goes through the
typed model."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness.config import load_matrix
from harness.errors import InputError
from harness.results.manifest import Manifest
from harness.results.writer import RunDirectory, Sample
from tests.conftest import write_tree


def sample(rep: int) -> Sample:
    return Sample(run_id="r", scenario="s", workload="w", rep=rep, warmup=False, kind="build", step=None,
                  instruction=None, text=None, seconds=1.5, ok=True, error=None, ended_at="t")


def test_appended_samples_read_back_and_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    run.append_samples([sample(1), sample(2)])
    with (tmp_path / "samples.jsonl").open("a") as handle:
        handle.write('{"run_id": "r", "scen')
    assert [s["rep"] for s in run.read_samples()] == [1, 2]
    run.append_samples([sample(3)])
    assert [s["rep"] for s in run.read_samples()] == [1, 2, 3]


# The manifest model (harness/results/manifest.py): loads, migrates and names what is wrong.

def manifest_json(**changes: Any) -> dict[str, Any]:
    raw = {"schema": 2, "run_id": "r", "harness_version": "0.1.0", "git_commit": None, "command": ["harness", "run"],
           "matrix": {"file": "m.yaml", "sha256": "ab"}, "baseline": "a", "repetitions": {"min": 2, "max": 2},
           "warmup": 1, "seed": 7, "plan": [], "host": {"hostname": "h"},
           "scenarios": {"a": {"status": "ok", "reason": None, "description": None, "kernel": "6.1", "sessions": [
               {"round": 1, "started_at": "t0", "builds": 2, "ended_at": "t1"}]}},
           "workloads": {"w": {"description": None, "family": None, "params": {}, "kind": "build", "command": None}},
           "started_at": "t", "ended_at": None, "status": "complete"}
    return raw | changes


def test_a_manifest_written_by_the_harness_reads_back_as_it_was_written(matrix_dir: Path) -> None:
    write_tree(matrix_dir, {"matrix.yaml": "scenarios: [native, naive]\nworkloads: [tiny]\n"})
    run = RunDirectory.create(matrix_dir / "results", load_matrix(matrix_dir / "matrix.yaml"), ["harness"], {})
    written = json.loads((run.path / "manifest.json").read_text())
    manifest = run.read_manifest()
    assert manifest.to_json() == written and list(manifest.to_json()) == list(written)
    assert manifest.scenarios["naive"].status == "pending" and manifest.scenarios["naive"].host_type == "local"
    assert "sessions" not in written["scenarios"]["naive"], "an optional field at its default is not written"


def test_keys_the_model_does_not_know_survive_a_round_trip() -> None:
    raw = manifest_json(campaign={"machine": "m1"})
    raw["scenarios"]["a"]["lvs"] = [["vg", "lv"]]
    manifest = Manifest.from_json(raw)
    assert manifest.extra == {"campaign": {"machine": "m1"}}
    assert manifest.scenarios["a"].host_facts == {"kernel": "6.1", "lvs": [["vg", "lv"]]}
    assert manifest.to_json()["campaign"] == {"machine": "m1"} and manifest.to_json()["scenarios"]["a"] == raw[
        "scenarios"]["a"]


def test_a_schema_1_manifest_is_migrated_to_one_round_without_control_or_profile() -> None:
    raw = manifest_json(schema=1)
    manifest = Manifest.from_json(raw)
    assert (manifest.schema, manifest.rounds, manifest.control, manifest.profile) == (2, 1, None, None)
    assert raw["schema"] == 1 and "rounds" not in raw, "the parsed JSON is not changed in place"


def test_the_old_single_cleanup_problem_joins_the_list_of_cleanup_problems() -> None:
    raw = manifest_json()
    raw["scenarios"]["a"] |= {"cleanup_problems": ["could not remove x"], "cleanup_problem": "dockerd would not stop"}
    record = Manifest.from_json(raw).scenarios["a"]
    assert record.cleanup_problems == ["could not remove x", "dockerd would not stop"]
    assert "cleanup_problem" not in record.host_facts


@pytest.mark.parametrize(("change", "message"), [
    (lambda raw: raw["scenarios"]["a"].update(status=3), "manifest.json: scenarios.a.status is integer, not string"),
    (lambda raw: raw["scenarios"]["a"]["sessions"][0].update(builds="2"),
     "manifest.json: scenarios.a.sessions[0].builds is string, not integer"),
    (lambda raw: raw.update(warmup=True), "manifest.json: warmup is boolean, not integer"),
    (lambda raw: raw.pop("matrix"), "manifest.json lacks the key 'matrix'"),
    (lambda raw: raw.update(schema=3), "has schema 3, newer than this harness reads (2); upgrade harness"),
    (lambda raw: raw.update(schema="2"), "has schema '2', which no harness writes"),
])
def test_a_malformed_manifest_is_an_input_error_naming_the_key(change: Any, message: str) -> None:
    raw = manifest_json()
    change(raw)
    with pytest.raises(InputError, match=re.escape(message)):
        Manifest.from_json(raw)


def test_numbers_may_be_integers_where_the_model_says_float() -> None:
    raw = manifest_json(repetitions={"min": 2, "max": 2, "target_ci": 1})
    assert Manifest.from_json(raw).repetitions.target_ci == 1
