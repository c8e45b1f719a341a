"""A campaign from start to end: the campaign directory, the inputs every machine gets, one play over the
machines still to do, and each machine's run directory unpacked beside the others.

Loss guarantees: the manifest is rewritten after every machine's facts arrive and at the end; a machine is `done`
only once its run directory is unpacked on the controller, so `--resume` never reruns it; a machine whose run
finished before the campaign was stopped is fetched, not measured again (the playbook checks its marker).
"""

from __future__ import annotations

import json
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.campaign import manifest as records
from harness.campaign.config import Campaign
from harness.campaign.driver import HostOutcome, run_playbook, stop_machines
from harness.campaign.inputs import RUN_PACKAGES, build_wheel, stage_inputs
from harness.campaign.inventory import inventory_hosts
from harness.errors import InputError
from harness.results.writer import sha256_of, utc_now

MACHINES = "machines"


@dataclass(frozen=True)
class CampaignResult:
    directory: Path
    manifest: dict[str, Any]


def run_campaign(campaign: Campaign, results_root: Path, resume: Path | None, command: list[str],
                 cancelled: Callable[[], bool]) -> CampaignResult:
    hosts = inventory_hosts(campaign.inventory)
    directory, manifest = _resumed(campaign, resume, hosts) if resume else _created(campaign, results_root, hosts,
                                                                                    command)
    todo = [host for host in hosts if manifest["machines"][host]["status"] != "done"]
    if todo:
        staging = directory / "staging"
        shutil.rmtree(staging, ignore_errors=True)
        matrix = stage_inputs(campaign.matrix, staging / "inputs")
        wheel = build_wheel(staging / "wheel")
        extravars = {"harness_inputs": str(staging / "inputs"), "harness_matrix": matrix, "harness_wheel": str(wheel),
                     "harness_work_root": campaign.work_dir, "harness_run_args": list(campaign.run_args),
                     "harness_pip_args": list(campaign.pip_args), "harness_packages": list(RUN_PACKAGES),
                     "harness_fetch_dir": str(directory / MACHINES)}

        def seen(host: str, outcome: HostOutcome) -> None:
            record = manifest["machines"][host]
            if outcome.facts and not record["facts"]:
                record["facts"] = records.machine_facts(outcome.facts)
                record["started_at"] = outcome.first_event
                records.write_manifest(directory, manifest)

        result = run_playbook(directory / "ansible", campaign.inventory, todo, campaign.concurrency, extravars,
                              cancelled, seen)
        if result.status == "canceled":
            stop_machines(directory / "ansible", campaign.inventory, todo, campaign.concurrency, extravars)
        for host in todo:
            _settle(directory, manifest["machines"][host], host, result.outcomes[host], result.status == "canceled")
        shutil.rmtree(staging, ignore_errors=True)
    manifest["status"] = records.campaign_status(manifest["machines"], cancelled())
    manifest["ended_at"] = utc_now()
    records.write_manifest(directory, manifest)
    return CampaignResult(directory, manifest)


def _created(campaign: Campaign, results_root: Path, hosts: list[str], command: list[str]) -> tuple[Path, dict]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = directory = results_root / f"{stamp}-campaign-{campaign.file.stem}"
    suffix = 1
    while directory.exists():
        suffix += 1
        directory = Path(f"{base}-{suffix}")
    try:
        (directory / MACHINES).mkdir(parents=True)
    except OSError as error:
        raise InputError(f"--results {results_root}: cannot create {directory} ({error.strerror or error}); "
                         "choose a writable directory") from None
    shutil.copy2(campaign.file, directory / "campaign.yaml")
    shutil.copy2(campaign.inventory, directory / f"inventory{campaign.inventory.suffix}")
    manifest = records.new_manifest(directory.name, campaign, hosts, command)
    records.write_manifest(directory, manifest)
    return directory, manifest


def _resumed(campaign: Campaign, directory: Path, hosts: list[str]) -> tuple[Path, dict]:
    """The campaign directory to continue; InputError when it is not one, or ran another matrix."""
    if not (directory / records.MANIFEST).is_file():
        raise InputError(f"--resume {directory}: no {records.MANIFEST} there; pass the directory `harness campaign "
                         "run` printed")
    manifest = records.read_manifest(directory)
    if manifest["matrix"]["sha256"] != sha256_of(campaign.matrix):
        raise InputError(f"--resume {directory}: {campaign.matrix} changed since that campaign started; a campaign "
                         "pools one matrix — start a new campaign instead")
    for host in hosts:
        manifest["machines"].setdefault(host, records.machine_record())  # added to the inventory since
    manifest["status"] = "running"
    manifest.setdefault("resumed_at", []).append(utc_now())
    records.write_manifest(directory, manifest)
    return directory, manifest


def _settle(directory: Path, record: dict[str, Any], host: str, outcome: HostOutcome, cancelled: bool) -> None:
    """The machine's status from what arrived: its run unpacked → done; else unreachable, failed or interrupted."""
    record["ended_at"] = outcome.last_event
    tarball = directory / MACHINES / host / "run.tar.gz"
    if tarball.is_file():
        run_dir = _unpack(tarball)
        record.update(status="done", reason=None, run_dir=str(run_dir.relative_to(directory)))
        record["engines"] = records.engine_versions(_json(run_dir / "manifest.json"))
    elif outcome.unreachable:
        record.update(status="unreachable", reason=outcome.unreachable)
    elif cancelled:
        record.update(status="interrupted", reason="the campaign was stopped before this machine finished"
                      + (f" ({outcome.failure})" if outcome.failure else ""))
    else:
        record.update(status="failed", reason=outcome.failure
                      or "the play ended before this machine's run was fetched (see ansible/artifacts)")
    record["seconds"] = _seconds(record.get("started_at") or outcome.first_event, record["ended_at"])


def _unpack(tarball: Path) -> Path:
    """Extract a fetched run directory beside its tarball (replacing an earlier copy); its path."""
    with tarfile.open(tarball) as archive:
        names = {member.name.split("/")[0] for member in archive.getmembers()} - {"."}
        [run_id] = names
        target = tarball.parent / run_id
        shutil.rmtree(target, ignore_errors=True)
        archive.extractall(tarball.parent, filter="data")
    tarball.unlink()
    return target


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    parse = datetime.fromisoformat
    return round((parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds(), 1)
