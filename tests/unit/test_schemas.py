"""The published JSON Schemas (schemas/ at the top of the repository) describe what the harness writes and reads:
the example runs' samples and manifests, and the summary and compare JSON made from them, validate against them."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness.export.views import render_run_summary
from harness.results.manifest import (
    OPEN_FIELDS,
    BuildTimes,
    ControlRecord,
    FlameGraph,
    Manifest,
    MatrixRecord,
    ProfileRecord,
    RepetitionsRecord,
    ScenarioRecord,
    Session,
    WorkloadRecord,
    json_type,
)

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


def test_a_summary_without_control_validates_with_a_fixed_floor(tmp_path: Path) -> None:
    import shutil

    run = shutil.copytree(RUNS[0], tmp_path / "run")
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps(manifest | {"control": None}))
    summary = json.loads(render_run_summary(run, "json"))
    validator("summary.schema.json").validate(summary)
    assert summary["noise"] == {"method": "fixed", "low": 0.98, "high": 1.02}


def test_the_schemas_reject_what_breaks_the_contract() -> None:
    sample = json.loads((RUNS[0] / "samples.jsonl").read_text().splitlines()[0])
    check = validator("samples.schema.json")
    assert list(check.iter_errors({k: v for k, v in sample.items() if k != "round"}))  # schema 2 needs round
    assert list(check.iter_errors(sample | {"builder": "kaniko"}))
    summary = json.loads(render_run_summary(RUNS[0], "json"))
    assert list(validator("summary.schema.json").iter_errors(summary | {"noise": 0.02}))


# The manifest's JSON Schema and its model (harness/results/manifest.py) describe the same keys with the same types.

MODELS = {"manifest": Manifest, "matrix": MatrixRecord, "repetitions": RepetitionsRecord, "control": ControlRecord,
          "profile": ProfileRecord, "scenario": ScenarioRecord, "session": Session, "timing": BuildTimes,
          "flame_graph": FlameGraph, "workload": WorkloadRecord}


def schema_parts() -> dict[str, dict]:
    """The schema's object for each model record, found where the manifest nests it."""
    top = json.loads((SCHEMAS / "manifest.schema.json").read_text(encoding="utf-8"))
    props = top["properties"]
    scenario = props["scenarios"]["additionalProperties"]
    return {"manifest": top, "matrix": props["matrix"], "repetitions": props["repetitions"],
            "control": props["control"]["oneOf"][1], "profile": props["profile"]["oneOf"][1], "scenario": scenario,
            "session": scenario["properties"]["sessions"]["items"], "timing": scenario["properties"]["timing"],
            "flame_graph": scenario["properties"]["flame_graph"],
            "workload": props["workloads"]["additionalProperties"]}


def model_types(item: dataclasses.Field, hint: object) -> set[str]:
    """The JSON types a model field is written as (None left out where the field is omitted instead)."""
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    names = {json_type(typing.get_origin(m) or m) for m in members}
    return names - {"null"} if item.metadata.get("optional") else names


def schema_types(part: dict) -> set[str]:
    if "type" in part:
        return set(part["type"]) if isinstance(part["type"], list) else {part["type"]}
    if "oneOf" in part:
        return set().union(*(schema_types(alternative) for alternative in part["oneOf"]))
    values = part.get("enum", [part["const"]] if "const" in part else [])
    assert values, f"schema property without a type: {part}"
    return {json_type(type(value)) for value in values}


@pytest.mark.parametrize("name", MODELS)
def test_every_model_field_is_in_the_schema_with_its_type_and_nothing_else_is(name: str) -> None:
    model, part = MODELS[name], schema_parts()[name]
    hints = typing.get_type_hints(model)
    fields = {item.name: item for item in dataclasses.fields(model) if item.name not in OPEN_FIELDS}
    assert set(part["properties"]) == set(fields), f"{name}: schema and model name different keys"
    for key, item in fields.items():
        assert model_types(item, hints[key]) == schema_types(part["properties"][key]), f"{name}.{key}"
    always_written = {key for key, item in fields.items() if not item.metadata.get("optional")}
    assert set(part.get("required", ())) <= always_written, f"{name}: the schema requires a key the model may omit"


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_the_example_manifests_load_through_the_model_and_write_back_what_they_held(run: Path) -> None:
    raw = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    written = Manifest.from_json(raw).to_json()
    validator("manifest.schema.json").validate(written)
    assert list(written)[:6] == ["schema", "run_id", "harness_version", "git_commit", "command", "matrix"]
    for key, value in raw.items():  # every key kept as it was; the model only adds its defaults
        if key not in ("scenarios", "workloads"):
            assert written[key] == value, key
    for section in ("scenarios", "workloads"):
        for name, record in raw[section].items():
            assert written[section][name] | record == written[section][name], f"{section}.{name}"
    assert Manifest.from_json(written).to_json() == written
