"""The published JSON Schemas (schemas/ at the top of the repository) describe what the harness writes and reads:
the example runs' samples and manifests, and the summary and compare JSON made from them, validate against them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness.export.views import render_run_summary

ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMAS = ROOT / "schemas"
RUNS = [ROOT / "tests" / "data" / "example-run", ROOT / "tests" / "data" / "example-run-after"]


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_every_sample_line_validates(run: Path) -> None:
    check = validator("samples.schema.json")
    lines = (run / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        errors = [error.message for error in check.iter_errors(json.loads(line))]
        assert not errors, f"{run.name}/samples.jsonl line {number}: {errors}"
    assert {json.loads(line)["round"] for line in lines} == {1, 2, 3, 4, 5}


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_the_manifest_validates(run: Path) -> None:
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    validator("manifest.schema.json").validate(manifest)
    assert manifest["control"] == {"scenario": "local-overlay2-native-aa", "of": "local-overlay2-native"}


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_the_summary_json_validates(run: Path) -> None:
    summary = json.loads(render_run_summary(run, "json"))
    validator("summary.schema.json").validate(summary)
    assert summary["noise"]["method"] == "aa" and summary["headlines"]


def test_a_summary_without_control_validates_and_judges_against_the_declared_effect(tmp_path: Path) -> None:
    import shutil

    run = shutil.copytree(RUNS[0], tmp_path / "run")
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps(manifest | {"control": None}))
    summary = json.loads(render_run_summary(run, "json"))
    validator("summary.schema.json").validate(summary)
    assert summary["noise"] == {"method": "none", "low": pytest.approx(1 / 1.05), "high": 1.05, "min_effect": 0.05,
                                "aa_low": None, "aa_high": None, "detectable": None}
    assert summary["min_effect"] == 0.05


def test_the_schemas_reject_what_breaks_the_contract() -> None:
    sample = json.loads((RUNS[0] / "samples.jsonl").read_text().splitlines()[0])
    check = validator("samples.schema.json")
    assert list(check.iter_errors({k: v for k, v in sample.items() if k != "round"}))  # schema 2 needs round
    assert list(check.iter_errors(sample | {"builder": "kaniko"}))
    summary = json.loads(render_run_summary(RUNS[0], "json"))
    assert list(validator("summary.schema.json").iter_errors(summary | {"noise": 0.02}))
