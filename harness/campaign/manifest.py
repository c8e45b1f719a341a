"""The campaign manifest (`campaign.json`, described by schemas/campaign.schema.json): what was run where, with the
digests that identify it, each machine's facts (from Ansible's gathered facts and its run's manifest), and each
machine's status, reason and timing. Written atomically after every change, so a killed campaign can resume."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness import __version__
from harness.results.writer import git_commit, sha256_of, utc_now

CAMPAIGN_SCHEMA = 1
MANIFEST = "campaign.json"
#: A machine's status: pending (not reached yet), done (its run fetched), failed (the run or a set-up step failed),
#: unreachable (Ansible could not connect), interrupted (the campaign stopped while it worked).
STATUSES = ("pending", "done", "failed", "unreachable", "interrupted")


def new_manifest(campaign_id: str, campaign: Any, hosts: list[str], command: list[str]) -> dict[str, Any]:
    return {
        "schema": CAMPAIGN_SCHEMA,
        "kind": "campaign",
        "campaign_id": campaign_id,
        "harness_version": __version__,
        "git_commit": git_commit(),
        "command": command,
        "campaign": {"file": str(campaign.file), "sha256": sha256_of(campaign.file)},
        "matrix": {"file": str(campaign.matrix), "sha256": sha256_of(campaign.matrix)},
        "inventory": {"file": str(campaign.inventory), "sha256": sha256_of(campaign.inventory)},
        "concurrency": campaign.concurrency,
        "work_dir": campaign.work_dir,
        "started_at": utc_now(),
        "ended_at": None,
        "status": "running",
        "machines": {host: machine_record() for host in hosts},
    }


def machine_record() -> dict[str, Any]:
    """A machine not reached yet."""
    return {"status": "pending", "reason": None, "run_dir": None, "started_at": None, "ended_at": None,
            "seconds": None, "facts": {}, "engines": {}}


def read_manifest(campaign_dir: Path) -> dict[str, Any]:
    return json.loads((campaign_dir / MANIFEST).read_text(encoding="utf-8"))


def write_manifest(campaign_dir: Path, manifest: dict[str, Any]) -> None:
    """Replace campaign.json: the old or the new one survives a crash, never a mix."""
    temporary = campaign_dir / f".{MANIFEST}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(manifest, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(campaign_dir / MANIFEST)


def machine_facts(ansible_facts: dict[str, Any]) -> dict[str, Any]:
    """The machine record from Ansible's gathered facts (keys with or without the `ansible_` prefix): CPU model,
    cores, memory, kernel, distribution."""
    ansible_facts = {key.removeprefix("ansible_"): value for key, value in ansible_facts.items()}
    processor = ansible_facts.get("processor") or []
    models = processor[2::3] if len(processor) >= 3 else processor  # [index, vendor, model, index, …]
    return {
        "hostname": ansible_facts.get("hostname"),
        "cpu_model": models[0] if models else None,
        "cores": ansible_facts.get("processor_vcpus") or ansible_facts.get("processor_count"),
        "memory_mb": ansible_facts.get("memtotal_mb"),
        "kernel": ansible_facts.get("kernel"),
        "distribution": " ".join(str(part) for part in (ansible_facts.get("distribution"),
                                                        ansible_facts.get("distribution_version")) if part),
        "architecture": ansible_facts.get("architecture"),
        "virtualization": ansible_facts.get("virtualization_type"),
    }


def engine_versions(run_manifest: dict[str, Any]) -> dict[str, str | None]:
    """Per scenario of a fetched run, the engine version its daemon reported."""
    return {name: ((record or {}).get("docker_version") or {}).get("Version")
            for name, record in (run_manifest.get("scenarios") or {}).items()}


def campaign_status(machines: dict[str, dict[str, Any]], interrupted: bool) -> str:
    """complete: every machine done; partial: some are not; interrupted: the campaign was stopped."""
    if interrupted:
        return "interrupted"
    return "complete" if all(record["status"] == "done" for record in machines.values()) else "partial"
