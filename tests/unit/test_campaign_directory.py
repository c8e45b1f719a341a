"""Campaign directories read by summary/report/compare: per-machine headlines beside the pooled ones, the JSON and
the manifest valid against their schemas, the forest plot written, and machines without a run named with their
reason. The machines' runs are the recorded example runs (tests/data), copied as if fetched from three machines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness.campaign import manifest as records
from harness.campaign.config import load_campaign
from harness.cli import main
from harness.errors import InputError
from tests.conftest import REPO

DATA = REPO / "tests" / "data"
SCHEMAS = REPO / "schemas"


def schema(name: str) -> Draft202012Validator:
    loaded = json.loads((SCHEMAS / name).read_text())
    Draft202012Validator.check_schema(loaded)
    return Draft202012Validator(loaded)


def make_campaign(root: Path, runs: dict[str, str], absent: dict[str, str]) -> Path:
    """A campaign directory as `harness campaign run` leaves it: campaign.json and machines/<name>/<run-id>/."""
    (root / "inputs").mkdir(parents=True)
    shutil.copy2(DATA / "example-run" / "matrix.yaml", root / "inputs" / "matrix.yaml")
    (root / "inventory.ini").write_text("\n".join([*runs, *absent]) + "\n")
    (root / "campaign.yaml").write_text("matrix: inputs/matrix.yaml\ninventory: inventory.ini\n")
    campaign = load_campaign(root / "campaign.yaml")
    directory = root / "campaign"
    manifest = records.new_manifest("campaign", campaign, [*runs, *absent], ["harness", "campaign", "run"])
    for machine, example in runs.items():
        target = directory / "machines" / machine / example
        shutil.copytree(DATA / example, target)
        facts = records.machine_facts({"processor": ["0", "GenuineIntel", "Xeon"], "processor_vcpus": 2,
                                       "memtotal_mb": 4096, "kernel": "6.18", "distribution": "Debian",
                                       "distribution_version": "12", "hostname": machine})
        manifest["machines"][machine].update(status="done", run_dir=f"machines/{machine}/{example}", facts=facts,
                                             engines=records.engine_versions(json.loads(
                                                 (target / "manifest.json").read_text())))
    for machine, reason in absent.items():
        manifest["machines"][machine].update(status="unreachable", reason=reason)
    manifest["status"] = records.campaign_status(manifest["machines"], interrupted=False)
    directory.mkdir(exist_ok=True)
    records.write_manifest(directory, manifest)
    return directory


@pytest.fixture
def campaign_dir(tmp_path: Path) -> Path:
    return make_campaign(tmp_path, {"m1": "example-run", "m2": "example-run-after", "m3": "example-run"},
                         {"ghost": "Failed to connect to the host via ssh: Connection refused"})


def test_the_manifest_validates_and_records_each_machine(campaign_dir: Path) -> None:
    manifest = json.loads((campaign_dir / "campaign.json").read_text())
    schema("campaign.schema.json").validate(manifest)
    assert manifest["status"] == "partial"
    assert manifest["machines"]["m1"]["facts"]["cpu_model"] == "Xeon"
    assert manifest["machines"]["m1"]["engines"]["local-overlay2-naive"] == "20.10.24+dfsg1"
    assert manifest["machines"]["ghost"]["reason"].startswith("Failed to connect")


def test_summary_json_has_machines_and_per_machine_headlines(campaign_dir: Path, capsys) -> None:
    assert main(["summary", str(campaign_dir), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    schema("campaign-summary.schema.json").validate(summary)
    assert summary["machines"] == ["m1", "m2", "m3"]
    assert "Connection refused" in summary["missing_machines"]["ghost"]
    naive = next(h for h in summary["headlines"] if h["scenario"] == "local-overlay2-naive")
    assert [m["machine"] for m in naive["per_machine"]] == ["m1", "m2", "m3"]
    assert naive["n_machines"] == 3 and naive["verdict"] == "slower"
    low, high = min(m["ratio"] for m in naive["per_machine"]), max(m["ratio"] for m in naive["per_machine"])
    assert low <= naive["ratio"] <= high and naive["ratio_ci_low"] < naive["ratio"] < naive["ratio_ci_high"]
    control = next(h for h in summary["headlines"] if h["scenario"] == "local-overlay2-native-aa")
    assert control["verdict"] in ("equivalent", "inconclusive")


def test_summary_table_leads_with_the_pooled_sentence(campaign_dir: Path, capsys) -> None:
    assert main(["summary", str(campaign_dir)]) == 0
    printed = capsys.readouterr().out
    assert "local-overlay2-naive: whole build" in printed and "over 3 machines" in printed
    assert "between-machine spread" in printed and "pooled (3)" in printed
    assert "machine ghost has no run: unreachable" in printed


def test_report_leads_with_a_forest_plot(campaign_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "report"
    assert main(["report", str(campaign_dir), "--out", str(out)]) == 0
    text = (out / "report.md").read_text()
    assert text.splitlines()[2].startswith("![forest plot")
    assert (out / "plots" / "forest-1.png").stat().st_size > 0 and (out / "plots" / "forest-1.svg").is_file()
    assert "| `m1` | done |" in text and "| `ghost` | unreachable: Failed to connect" in text
    schema("campaign-summary.schema.json").validate(json.loads((out / "summary.json").read_text()))


def test_compare_two_campaigns_pools_each_machines_change(campaign_dir: Path, tmp_path: Path, capsys) -> None:
    after = make_campaign(tmp_path / "after", {"m1": "example-run-after", "m2": "example-run", "m3":
                                               "example-run-after"}, {})
    assert main(["compare", str(campaign_dir), str(after), "--format", "json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    schema("campaign-summary.schema.json").validate(compared)
    assert compared["machines"] == ["m1", "m2", "m3"]
    assert all(len(h["per_machine"]) == 3 for h in compared["headlines"])


def test_a_campaign_without_any_finished_machine_is_refused(tmp_path: Path) -> None:
    directory = make_campaign(tmp_path, {}, {"ghost": "Connection refused"})
    with pytest.raises(InputError, match="no machine finished"):
        from harness.results.campaign_dir import load_campaign_dir

        load_campaign_dir(directory)


def test_the_campaign_gate_fails_closed_on_a_machine_it_could_not_compare(campaign_dir: Path, tmp_path: Path,
                                                                          capsys) -> None:
    """`compare --fail-above` over campaigns: a machine measured in only one of them leaves the pooled estimate
    short of it — the gate exits 4 naming it, as a missing cell does for runs; with every machine, it passes in one
    line."""
    after = make_campaign(tmp_path / "after", {"m1": "example-run-after", "m2": "example-run", "m3":
                                               "example-run-after"}, {})
    assert main(["compare", str(campaign_dir), str(after), "--fail-above", "1000"]) == 4
    err = capsys.readouterr().err
    assert "cannot judge machine ghost" in err and "pass" not in err, err
    again = make_campaign(tmp_path / "again", {"m1": "example-run", "m2": "example-run-after", "m3": "example-run"},
                          {})
    assert main(["compare", str(again), str(after), "--fail-above", "1000"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pass — " in err[0] and "3 machines" in err[0], err


def test_pooled_verdicts_use_the_declared_smallest_effect(campaign_dir: Path, capsys) -> None:
    """The matrix's min_effect (recorded in every machine's run), or --min-effect, judges the pooled headlines and
    each machine's alike; they used a fixed 5 % before."""
    for manifest in campaign_dir.glob("machines/*/*/manifest.json"):
        manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"min_effect": 0.25}))
    assert main(["summary", str(campaign_dir), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["min_effect"] == 0.25
    assert main(["summary", str(campaign_dir), "--format", "json", "--min-effect", "10"]) == 0
    assert json.loads(capsys.readouterr().out)["min_effect"] == 0.10
