"""`harness run` with the builder axis on real daemons: classic and BuildKit builds interleaved in every session of
overlay2 native and naive, each sample saying its builder, and a summary that compares within a builder."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

SCENARIOS = ["local-overlay2-native", "local-overlay2-naive"]
SMALL = "  - name: w\n    base: {files: 6000, directories: 60}\n    steps: [RUN touch /x, COPY payload/ /p/]\n"


def test_a_run_with_both_builders_measures_each_on_both_daemons_and_compares_within_a_builder(
        harness: Harness) -> None:
    extra = "builders: [classic, buildkit]\nrepetitions: 3\nrounds: 3\nwarmup: 1\n"
    result = harness.run("run", str(matrix_with(harness.root, SCENARIOS, SMALL, extra)))
    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    manifest, samples = manifest_of(run_dir), samples_of(run_dir)
    for name in SCENARIOS:
        record = manifest["scenarios"][name]
        assert record["status"] == "ok", record
        assert set(record["builders"]) == {"classic", "buildkit"}
        assert record["builders"]["buildkit"]["docker_cli_version"].startswith("Docker version")
    builds = [s for s in samples if s["kind"] == "build"]
    assert sorted((b["scenario"], b["builder"], b["round"]) for b in builds if not b["warmup"]) == sorted(
        (s, b, r) for s in SCENARIOS for b in ("classic", "buildkit") for r in (1, 2, 3))
    assert {(b["scenario"], b["builder"]) for b in builds if b["warmup"]} == {
        (s, b) for s in SCENARIOS for b in ("classic", "buildkit")}
    assert all(b["ok"] for b in builds), [b["error"] for b in builds if not b["ok"]]

    def instructions(builder: str) -> set[str]:
        return {s["instruction"] for s in samples if s["kind"] == "step" and s["builder"] == builder}
    assert "EXPORT" in instructions("buildkit") and "EXPORT" not in instructions("classic")

    def export_median(scenario: str) -> float:
        return statistics.median(s["seconds"] for s in samples if s["scenario"] == scenario and not s["warmup"]
                                 and s["instruction"] == "EXPORT")
    naive, native = export_median("local-overlay2-naive"), export_median("local-overlay2-native")
    print(f"BuildKit EXPORT medians: naive {naive:.3f} s, native {native:.3f} s")
    # the system CLI's plain progress rounds to 0.1 s: compare against at least one tick
    assert naive > 2 * max(native, 0.1), (naive, native)

    shown = harness.run("summary", str(run_dir), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    summary = json.loads(shown.stdout)
    totals = {(r["scenario"], r["builder"]): r for r in summary["rows"] if r["step"] == "total"}
    assert set(totals) == {(s, b) for s in SCENARIOS for b in ("classic", "buildkit")}
    for builder in ("classic", "buildkit"):
        base, other = totals[("local-overlay2-native", builder)], totals[("local-overlay2-naive", builder)]
        crossed = totals[("local-overlay2-native", "buildkit" if builder == "classic" else "classic")]
        within, across = other["median_s"] / base["median_s"], other["median_s"] / crossed["median_s"]
        assert other["ratio_ci_low"] <= other["ratio"] <= other["ratio_ci_high"]
        # the ratio is the geometric mean of per-round ratios within the builder, near its medians' ratio
        assert abs(math.log(other["ratio"] / within)) < abs(math.log(other["ratio"] / across)), "within one builder"
    assert {(h["scenario"], h["builder"]) for h in summary["headlines"]} == {
        ("local-overlay2-naive", "classic"), ("local-overlay2-naive", "buildkit")}
