"""Read a campaign directory (campaign.json + one run directory per machine) for the analysis.

A campaign directory is recognised by its campaign.json. Machines that are not `done` have no run directory; they
are kept with their status and reason so every output can say which machines are missing and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.results.reader import NotJson, RunData, check_inside, check_name, load_run, not_json

CAMPAIGN_MANIFEST = "campaign.json"


@dataclass(frozen=True)
class CampaignData:
    directory: Path
    campaign_id: str
    manifest: dict[str, Any]
    runs: dict[str, RunData]  # machine → its run, for machines whose run was fetched
    missing: dict[str, str]  # machine → "status: reason", for the others


def is_campaign_dir(path: Path) -> bool:
    return (Path(path) / CAMPAIGN_MANIFEST).is_file()


def load_campaign_dir(directory: Path) -> CampaignData:
    """Read every fetched run of the campaign; InputError when the manifest is unreadable or no run was fetched."""
    directory = Path(directory)
    path = directory / CAMPAIGN_MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"), parse_constant=not_json)
    except NotJson as error:
        raise InputError(f"{path} holds {error}; pass the directory `harness campaign run` printed") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path} cannot be read ({error}); pass the directory `harness campaign run` printed") from None
    machines = manifest.get("machines") if isinstance(manifest, dict) else None
    if not isinstance(machines, dict) or not all(isinstance(record, dict) for record in machines.values()):
        raise InputError(f"{path} has no object of machine records under `machines`; it was not written by "
                         "`harness campaign run`")
    runs, missing = {}, {}
    for machine, record in machines.items():
        check_name(machine, f"{path}: machines")
        if record.get("status") == "done" and record.get("run_dir"):
            check_inside(record["run_dir"], f"{path}: machines.{machine}.run_dir")
            runs[machine] = load_run(directory / record["run_dir"])
        else:
            missing[machine] = f"{record.get('status')}: {record.get('reason') or 'no reason recorded'}"
    if not runs:
        raise InputError(f"{directory}: no machine finished its run yet ({'; '.join(missing.values()) or 'none'}); "
                         "continue it with `harness campaign run CAMPAIGN --resume DIR`")
    return CampaignData(directory, str(manifest.get("campaign_id") or directory.name), manifest, runs, missing)
