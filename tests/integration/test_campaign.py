"""A real campaign over a real sshd on 127.0.0.1: Ansible (through ansible-runner) installs the harness on two
inventory names of this machine (concurrency 1: one after the other), runs the seed's question on each, and
fetches the runs back; a third inventory host has nobody listening and is recorded as unreachable.

The campaign is stopped (SIGTERM, as a CI cancel or Ctrl-C does) while the second machine measures: it cancels
Ansible and runs the stop play, so nothing may be left running on the machine, and `--resume` must finish it
without rerunning the first machine (its samples are byte for byte those measured before the stop). The
machine's installed packages are the same before and after (`dpkg -l`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness.machine.processes import processes_referencing
from tests.campaign.loopback import GHOST, loopback_campaign
from tests.conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.campaign]


def dpkg_list() -> str:
    return subprocess.run(["dpkg", "-l"], capture_output=True, text=True, check=True).stdout


def wait_for(condition, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}")


def campaign_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli", "campaign", "run", *args]


def test_killed_campaign_resumes_without_rerunning_finished_machines() -> None:
    packages_before = dpkg_list()
    root = Path(tempfile.mkdtemp(prefix="hc", dir="/tmp"))
    with loopback_campaign(root, files=1000, repetitions=3, rounds=1) as campaign:
        alpha, beta = campaign.work_root / "alpha", campaign.work_root / "beta"
        controller = subprocess.Popen(campaign_command(str(campaign.campaign_file), "--results", str(campaign.results)),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        try:
            wait_for(lambda: (alpha / "run-finished").is_file(), "alpha's run to finish", 900)
            wait_for(lambda: (beta / "harness.pid").is_file(), "beta's run to start", 600)
        finally:
            controller.send_signal(signal.SIGTERM)
            stopped_out, stopped_err = controller.communicate(timeout=600)
        assert controller.returncode == 130, stopped_out + stopped_err
        [directory] = campaign.results.iterdir()
        assert stopped_out.strip().splitlines()[-1] == f"results: {directory}"
        stopped = json.loads((directory / "campaign.json").read_text())
        assert stopped["status"] == "interrupted" and stopped["machines"]["beta"]["status"] == "interrupted", stopped
        alpha_samples = _machine_run(alpha).joinpath("samples.jsonl").read_bytes()

        assert not processes_referencing(campaign.work_root), "the stop play left processes running"
        assert not (beta / "run-finished").exists(), "beta's run was to be interrupted"

        resumed = subprocess.run(campaign_command(str(campaign.campaign_file), "--resume", str(directory)),
                                 capture_output=True, text=True, cwd=REPO, timeout=1800)
        assert resumed.returncode == 1, resumed.stdout + resumed.stderr  # the unreachable host: recorded, exit 1
        assert resumed.stdout.strip().splitlines()[-1] == f"results: {directory}"

        manifest = json.loads((directory / "campaign.json").read_text())
        _validator("campaign.schema.json").validate(manifest)
        machines = manifest["machines"]
        assert machines["alpha"]["status"] == machines["beta"]["status"] == "done", machines
        assert machines[GHOST]["status"] == "unreachable" and "127.0.0.1" in machines[GHOST]["reason"], machines
        assert machines["alpha"]["facts"]["kernel"] == os.uname().release
        assert machines["alpha"]["engines"]["local-overlay2-naive"]

        # alpha was fetched, not measured again; beta continued its own interrupted run
        assert len(list((alpha / "results").iterdir())) == 1 and len(list((beta / "results").iterdir())) == 1
        assert (directory / machines["alpha"]["run_dir"] / "samples.jsonl").read_bytes() == alpha_samples
        beta_builds = [json.loads(line) for line in (directory / machines["beta"]["run_dir"] / "samples.jsonl")
                       .read_text().splitlines()]
        assert sum(1 for s in beta_builds if s["kind"] == "build" and not s["warmup"] and s["ok"]) == 2 * 3

        summary = subprocess.run([sys.executable, "-m", "harness.cli", "summary", str(directory), "--format", "json"],
                                 capture_output=True, text=True, cwd=REPO, timeout=300)
        assert summary.returncode == 0, summary.stderr
        pooled = json.loads(summary.stdout)
        _validator("campaign-summary.schema.json").validate(pooled)
        assert pooled["machines"] == ["alpha", "beta"] and GHOST in pooled["missing_machines"]
        [headline] = pooled["headlines"]
        assert [m["machine"] for m in headline["per_machine"]] == ["alpha", "beta"]
        assert all(m["ratio"] > 1 for m in headline["per_machine"]), headline  # naive slower on each machine

    assert not processes_referencing(root), "processes of ours still running"
    assert dpkg_list() == packages_before, "the campaign changed the machine's packages"
    subprocess.run(["rm", "-rf", str(root)], check=False)


def _machine_run(work: Path) -> Path:
    [run] = [path for path in (work / "results").iterdir() if path.is_dir()]
    return run


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((REPO / "schemas" / name).read_text()))
