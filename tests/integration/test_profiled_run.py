"""`harness run --profile` end to end on real private daemons (naive vs native overlay2 diff): phases on every
sample, commit medians and diff shares in the summary, flame graphs in the run directory and the report, and doctor
findings in the manifest. Without --profile the phases are still there and the diff share is null."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from tests.conftest import REPO
from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

SCENARIOS = ["local-overlay2-native", "local-overlay2-naive"]
SEEDLIKE = ("  - name: seedlike\n    base: {files: 8000, directories: 40, content_seed: 7}\n"
            "    steps: [RUN touch /built-marker, COPY payload/ /payload/, RUN mv /base/d0000 /moved]\n")
SVG = "{http://www.w3.org/2000/svg}"


def summary_rows(harness: Harness, run_dir) -> dict:
    result = harness.run("summary", str(run_dir), "--format", "json")
    assert result.returncode == 0, result.stderr
    return {(row["step"], row["scenario"]): row for row in json.loads(result.stdout)["rows"]}


def test_a_profiled_run_explains_where_naive_build_time_goes(harness: Harness) -> None:
    matrix = matrix_with(harness.root, SCENARIOS, SEEDLIKE, "repetitions: 3\nrounds: 3\nwarmup: 1\n")
    result = harness.run("run", str(matrix), "--profile")
    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    manifest, samples = manifest_of(run_dir), samples_of(run_dir)

    assert manifest["profile"] == {"method": "goroutine dumps", "interval_s": 0.05}
    schema = {name: json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())
              for name in ("samples", "manifest")}
    jsonschema.validate(manifest, schema["manifest"])
    for sample in samples:
        jsonschema.validate(sample, schema["samples"])
    runs = [s for s in samples if s["kind"] == "step" and s["instruction"] == "RUN"]
    assert runs and all(s["phases"]["commit_s"] is not None and s["profile"]["samples"] >= 0 for s in runs)
    copies = [s for s in samples if s["kind"] == "step" and s["instruction"] == "COPY"]
    assert all(s["phases"]["commit_s"] is None and s["phases"]["note"] for s in copies)

    rows = summary_rows(harness, run_dir)
    naive, native = "local-overlay2-naive", "local-overlay2-native"
    for step in (2, 4):  # the RUN steps
        assert rows[(step, naive)]["commit_median_s"] > 2 * rows[(step, native)]["commit_median_s"], rows
    assert rows[("total", naive)]["diff_share"] > 0.5, rows[("total", naive)]
    assert rows[("total", native)]["diff_share"] < 0.15, rows[("total", native)]
    assert rows[(3, naive)]["commit_median_s"] is None  # COPY: committed without a container

    for name in SCENARIOS:
        graph = manifest["scenarios"][name]["flame_graph"]
        svg = ET.parse(run_dir / graph["svg"]).getroot()
        assert svg.tag == f"{SVG}svg" and svg.findall(f".//{SVG}rect")
        assert (run_dir / graph["folded"]).read_text().strip()
    assert "NaiveDiffDriver" in (run_dir / manifest["scenarios"][naive]["flame_graph"]["folded"]).read_text()
    assert "overlay-naive-diff" in {f["id"] for f in manifest["scenarios"][naive]["findings"]}
    assert "overlay-naive-diff" not in {f["id"] for f in manifest["scenarios"][native]["findings"]}

    report = harness.run("report", str(run_dir))
    assert report.returncode == 0, report.stderr
    text = (run_dir / "report" / "report.md").read_text()
    assert f"(../logs/pprof/{naive}.svg)" in text and f"(../logs/pprof/{native}.svg)" in text
    assert "of which commit" in text


def test_without_profile_phases_are_recorded_and_diff_share_is_null(harness: Harness) -> None:
    matrix = matrix_with(harness.root, SCENARIOS[1:], SEEDLIKE, "repetitions: 2\nrounds: 1\nwarmup: 0\n")
    result = harness.run("run", str(matrix))
    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    manifest = manifest_of(run_dir)
    assert manifest["profile"] is None and "flame_graph" not in manifest["scenarios"][SCENARIOS[1]]
    assert not (run_dir / "logs" / "pprof").exists()
    rows = summary_rows(harness, run_dir)
    assert rows[(2, SCENARIOS[1])]["commit_median_s"] > 0
    assert all(row["diff_share"] is None for row in rows.values())
