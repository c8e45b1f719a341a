"""`make test-campaign`: a whole campaign on this machine, set up from nothing but root and the packages of
`make test` — an sshd on 127.0.0.1 with its own key, an inventory of two names for this machine (concurrency 1:
they run one after the other; they are the same computer) plus one host nobody listens for — then the seed's
question (native vs naive overlay2, a 3 000-file seed) on each machine, `harness summary` and `harness report` of
the campaign directory, and the checks of issue 20. The last line on stdout is `results: <campaign dir>`.

Run as `python -m tests.campaign.e2e [RESULTS_DIR]` from the repository root (the Makefile does).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from jsonschema import Draft202012Validator

from harness.machine.processes import processes_referencing
from tests.campaign.loopback import GHOST, MACHINES, loopback_campaign
from tests.conftest import REPO


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, cwd=REPO)


def check(condition: bool, message: str) -> None:
    if not condition:
        print(f"test-campaign: FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def validate(name: str, document: dict) -> None:
    Draft202012Validator(json.loads((REPO / "schemas" / name).read_text())).validate(document)


def main(results: Path) -> int:
    packages_before = subprocess.run(["dpkg", "-l"], capture_output=True, text=True, check=True).stdout
    root = Path(tempfile.mkdtemp(prefix="hc", dir="/tmp"))
    with loopback_campaign(root, files=3000, repetitions=6, rounds=3) as campaign:
        print(f"campaign: {campaign.campaign_file} (machines {', '.join(MACHINES)} are this machine over sshd on "
              f"127.0.0.1, concurrency 1; {GHOST} is unreachable on purpose)", file=sys.stderr)
        ran = subprocess.run([sys.executable, "-m", "harness.cli", "campaign", "run", str(campaign.campaign_file),
                              "--results", str(results)], text=True, cwd=REPO, stdout=subprocess.PIPE)
        print(ran.stdout, end="", file=sys.stderr)
        directory = Path(ran.stdout.strip().splitlines()[-1].removeprefix("results: "))
        check(ran.returncode == 1, f"exit {ran.returncode}; expected 1 (the unreachable host is recorded)")
        manifest = json.loads((directory / "campaign.json").read_text())
        validate("campaign.schema.json", manifest)
        check(all(manifest["machines"][name]["status"] == "done" for name in MACHINES), "a machine did not finish")
        check(manifest["machines"][GHOST]["status"] == "unreachable", "the unreachable host was not recorded")
    summary = harness("summary", str(directory))
    check(summary.returncode == 0, summary.stderr)
    print(summary.stdout, file=sys.stderr)
    as_json = json.loads(harness("summary", str(directory), "--format", "json").stdout)
    validate("campaign-summary.schema.json", as_json)
    check(all(len(h["per_machine"]) == len(MACHINES) for h in as_json["headlines"]), "per-machine headlines missing")
    report = harness("report", str(directory))
    check(report.returncode == 0 and (directory / "report" / "plots" / "forest-1.png").is_file(), report.stderr)
    print(report.stdout, end="", file=sys.stderr)
    check(not processes_referencing(root), "processes of the campaign still running")
    check(subprocess.run(["dpkg", "-l"], capture_output=True, text=True).stdout == packages_before,
          "the campaign changed the machine's packages")
    subprocess.run(["rm", "-rf", str(root)], check=False)
    print(f"results: {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "results").resolve()))
