"""What `make test-vagrant` must show of its run: every machine came from the box through Vagrant's libvirt
provider, the devicemapper machine has its direct-lvm thin pool, the overlay2 pair has the native differ off and
on, and the naive machine's ratio to the native one has an interval. Prints the proof; exits 1 naming what is
missing. Usage: .venv/bin/python tests/vagrant/check_run.py RUN_DIR BOX_NAME."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NATIVE, NAIVE, THIN_POOL = ("deb12-overlay2-redirect-dir-off", "deb12-overlay2-redirect-dir-on",
                            "deb12-devicemapper-direct-lvm")
EXPECTED_DIFF = {NATIVE: "true", NAIVE: "false"}


def problems(manifest: dict, summary: dict, box: str) -> list[str]:
    """Every way the run falls short of the proof; empty when it holds."""
    found = []
    for name in (NATIVE, NAIVE, THIN_POOL):
        record = manifest["scenarios"].get(name, {})
        vm = record.get("vagrant") or {}
        if record.get("status") != "ok":
            found.append(f"{name}: status {record.get('status')} ({record.get('reason')})")
        if vm.get("provider") != "libvirt" or vm.get("box") != box:
            found.append(f"{name}: provider {vm.get('provider')!r}, box {vm.get('box')!r}; expected libvirt, {box}")
    for name, wanted in EXPECTED_DIFF.items():
        said = manifest["scenarios"].get(name, {}).get("driver_status", {}).get("Native Overlay Diff")
        if said != wanted:
            found.append(f"{name}: Native Overlay Diff {said!r}, expected {wanted!r}")
    pool = manifest["scenarios"].get(THIN_POOL, {}).get("driver_status", {}).get("Pool Name")
    if not pool:
        found.append(f"{THIN_POOL}: docker info names no thin pool (Pool Name)")
    naive = next((h for h in summary["headlines"] if h["scenario"] == NAIVE), None)
    if naive is None or naive.get("ratio_ci_low") is None or naive.get("ratio_ci_high") is None:
        found.append(f"{NAIVE}: no whole-build ratio with an interval against {NATIVE}: {naive}")
    return found


def proof(manifest: dict, summary: dict) -> list[str]:
    """The lines the closing note and docs/vagrant.md quote."""
    lines = []
    for name in (NATIVE, NAIVE, THIN_POOL):
        record = manifest["scenarios"].get(name, {})
        vm, status = record.get("vagrant") or {}, record.get("driver_status", {})
        shown = {key: status[key] for key in ("Pool Name", "Native Overlay Diff", "Backing Filesystem") if key in status}
        lines.append(f"{name}: box {vm.get('box')}, provider {vm.get('provider')}, driver {status.get('Driver')}, "
                     + ", ".join(f"{key} {value}" for key, value in shown.items()))
    for h in summary["headlines"]:
        low, high = h.get("ratio_ci_low"), h.get("ratio_ci_high")
        interval = f"[{low:.2f}, {high:.2f}]" if low is not None and high is not None else "(no interval)"
        lines.append(f"{h['scenario']} / {h['baseline']}: {h['ratio']:.2f}x {interval}, {h['verdict']}")
    return lines


def main(run_dir: str, box: str) -> int:
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text())
    harness = Path(sys.executable).with_name("harness")
    text = subprocess.run([str(harness), "summary", run_dir, "--format", "json"], check=True,
                          capture_output=True, text=True).stdout
    summary = json.loads(text)
    for line in proof(manifest, summary):
        print(f"[test-vagrant] {line}", file=sys.stderr)
    found = problems(manifest, summary, box)
    for problem in found:
        print(f"[test-vagrant] error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
