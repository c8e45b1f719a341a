"""The verdicts issue's proof on real daemons: an A/A matrix (overlay2 native under two names, plus the naive one)
measured in rounds. Identical configurations are never called different, the naive differ is `slower` beyond the
declared smallest effect δ, the A/A control holds 1, and the report says what the verdicts were judged against.

The same run also carries the 2018 post's mechanism (redirect_dir on makes dockerd diff naively, and every step
that commits a layer walks the base) and the rounds design (one daemon session per scenario per round, one base
import), so that one run proves what used to take three.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import REPO
from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

NATIVE, NAIVE = "local-overlay2-native", "local-overlay2-naive"
CONTROL = f"{NATIVE}-aa"
ROUNDS = 5
SEED_LIKE = """\
  - name: seed-small
    base: {files: 6000, directories: 40}
    steps:
      - RUN touch /built-marker
      - COPY payload/ /payload/
      - ADD payload.tar /
      - RUN mv /base/d0000 /base/d0000-renamed
"""


def test_an_aa_matrix_in_rounds_calls_only_the_naive_differ_slower_beyond_delta(
        harness: Harness) -> None:
    matrix = matrix_with(harness.root, [NATIVE, NAIVE], SEED_LIKE,
                         f"repetitions: 10\nrounds: {ROUNDS}\nwarmup: 1\ncontrol: true\norder_seed: 1\n")
    result = harness.run("run", str(matrix))
    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    check_rounds_and_the_control(run_dir)
    check_the_naive_differ(run_dir)
    check_outputs_validate(harness, run_dir)

    summary = json.loads(harness.run("summary", str(run_dir), "--format", "json").stdout)
    noise = summary["noise"]
    assert noise["method"] == "aa" and noise["aa_low"] < noise["aa_high"], noise
    if not noise["aa_low"] <= 1 <= noise["aa_high"]:  # a 95 % interval misses 1 in 1 honest run of 20: say so
        assert any(note.startswith("WARNING: A/A control") for note in summary["notes"]), summary["notes"]
    assert noise["detectable"] > 0 and summary["min_effect"] == 0.05
    control_rows = [r for r in summary["rows"] if r["scenario"] == CONTROL]
    assert control_rows and not [r for r in control_rows if r["verdict"] in ("slower", "faster")], \
        f"an identical configuration was called different: {control_rows}"
    naive_rows = {r["step"]: r for r in summary["rows"] if r["scenario"] == NAIVE}
    for step in ("total", 2):  # the whole build, and the first RUN (it commits a layer: the naive differ walks)
        row = naive_rows[step]
        assert row["verdict"] == "slower" and row["ratio_ci_low"] > noise["high"], row
        assert row["ratio_ci_low"] <= row["ratio"] <= row["ratio_ci_high"], row
    [headline] = [h for h in summary["headlines"] if h["scenario"] == NAIVE]
    assert headline["baseline"] == NATIVE and headline["verdict"] == "slower"
    assert headline["ratio_ci_low"] == naive_rows["total"]["ratio_ci_low"] > noise["high"]

    report = harness.run("report", str(run_dir), "--out", str(harness.root / "report"))
    assert report.returncode == 0, report.stderr
    markdown = (harness.root / "report" / "report.md").read_text()
    assert "declared smallest effect δ = ±5%" in markdown and "A/A control: whole-build interval" in markdown
    assert markdown.index("δ = ±5%") < markdown.index("| "), "what verdicts mean is stated before any table"
    linked = re.findall(r"\]\((plots/[^)]+)\)", markdown)
    assert {Path(p).suffix for p in linked} == {".png", ".svg"}, markdown
    assert all((harness.root / "report" / p).stat().st_size > 0 for p in linked)
    assert run_dir.name in markdown and "sha256" in markdown


def check_rounds_and_the_control(run_dir: Path) -> None:
    """Each scenario had one daemon session per round, on a data-root that kept its one base import, and the
    rounds ran one after another."""
    manifest, samples = manifest_of(run_dir), samples_of(run_dir)
    assert manifest["status"] == "complete" and manifest["rounds"] == ROUNDS and manifest["schema"] == 2
    assert manifest["control"] == {"scenario": CONTROL, "of": NATIVE}
    assert manifest["scenarios"][CONTROL]["control_of"] == NATIVE
    for name in (NATIVE, CONTROL, NAIVE):
        record = manifest["scenarios"][name]
        assert record["status"] == "ok", record
        assert [s["round"] for s in record["sessions"]] == list(range(1, ROUNDS + 1))
        assert [i["workload"] for i in record["base_imports"]] == ["seed-small"], "one base import per scenario"
        log = (run_dir / "logs" / f"{name}.dockerd.log").read_text()
        assert log.count("API listen on") == ROUNDS and log.count("Processing signal 'terminated'") == ROUNDS
        builds = [s for s in samples if s["kind"] == "build" and s["scenario"] == name]
        assert all(b["ok"] for b in builds) and sum(b["warmup"] for b in builds) == 1
        assert sorted(b["round"] for b in builds if not b["warmup"]) == [r for r in range(1, ROUNDS + 1) for _ in "ab"]
    starts = sorted((s["started_at"], s["round"]) for r in manifest["scenarios"].values() for s in r["sessions"])
    assert [round_ for _, round_ in starts] == [r for r in range(1, ROUNDS + 1) for _ in range(3)], \
        "rounds run one after another, each with one session of every scenario"


def check_the_naive_differ(run_dir: Path) -> None:
    """redirect_dir on makes dockerd diff naively; every step that commits a layer then walks the whole base."""
    manifest, samples = manifest_of(run_dir), samples_of(run_dir)
    naive, native = manifest["scenarios"][NAIVE], manifest["scenarios"][NATIVE]
    assert naive["driver_status"]["Native Overlay Diff"] == "false"
    assert native["driver_status"]["Native Overlay Diff"] == "true"
    assert naive["overlay_parameters"]["redirect_dir"] == "Y" and native["overlay_parameters"]["redirect_dir"] == "N"
    assert "Not using native diff for overlay2" in (run_dir / "logs" / f"{NAIVE}.dockerd.log").read_text()

    def median(scenario: str, step: int) -> float:
        return statistics.median(s["seconds"] for s in samples if s["kind"] == "step" and s["scenario"] == scenario
                                 and s["step"] == step and s["ok"] and not s["warmup"])

    for step in (2, 3):  # RUN and COPY
        assert median(NAIVE, step) >= 1.5 * median(NATIVE, step), (step, median(NAIVE, step), median(NATIVE, step))


def check_outputs_validate(harness: Harness, run_dir: Path) -> None:
    """A real run's samples, manifest and summary JSON match the schemas published in schemas/."""
    def validator(name: str) -> Draft202012Validator:
        return Draft202012Validator(json.loads((REPO / "schemas" / name).read_text()))

    samples = validator("samples.schema.json")
    for number, line in enumerate((run_dir / "samples.jsonl").read_text().splitlines(), start=1):
        assert not list(samples.iter_errors(json.loads(line))), f"samples.jsonl line {number}"
    validator("manifest.schema.json").validate(manifest_of(run_dir))
    summary = harness.run("summary", str(run_dir), "--format", "json")
    assert summary.returncode == 0, summary.stderr
    validator("summary.schema.json").validate(json.loads(summary.stdout))
