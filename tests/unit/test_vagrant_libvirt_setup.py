"""`make test-vagrant`'s pieces that need no VM: its matrix and scenarios are the seed's three machines on the box
built here, the repository's Vagrantfile reads them through tests/vagrant/Vagrantfile, and the run's check refuses
a run that does not show what the issue asks (box, provider, thin pool, the differ, a ratio with its interval)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import config
from tests.vagrant.check_run import NAIVE, NATIVE, THIN_POOL, problems, proof

HERE = Path(__file__).resolve().parents[1] / "vagrant"
BOX = "harness/debian12"


def test_the_matrix_is_the_seeds_three_machines_on_the_box_built_here() -> None:
    matrix = config.load_matrix(HERE / "matrix.yaml")
    by_name = {s.name: s for s in matrix.scenarios}
    assert set(by_name) == {NATIVE, NAIVE, THIN_POOL} and matrix.baseline == NATIVE
    assert all(isinstance(s.host, config.VagrantHost) and s.host.box == BOX for s in by_name.values())
    assert by_name[THIN_POOL].storage.direct_lvm and by_name[THIN_POOL].host.extra_disk_gb > 0
    assert by_name[NAIVE].overlay.redirect_dir is True and by_name[NAIVE].expect.native_overlay_diff is False
    assert by_name[NATIVE].overlay.redirect_dir is False and by_name[NATIVE].expect.native_overlay_diff is True


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby not installed (it comes with vagrant)")
def test_the_repositorys_vagrantfile_defines_them_through_the_wrapper() -> None:
    script = ('load ARGV.shift; require "json"; '
              'puts JSON.generate(HarnessScenarios.load_all.map { |s| [s.name, s.host["box"]] })')
    result = subprocess.run(["ruby", "-e", script, str(HERE / "Vagrantfile")], capture_output=True, text=True,
                            timeout=60, check=False, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(result.stdout)) == sorted([[NATIVE, BOX], [NAIVE, BOX], [THIN_POOL, BOX]])


def good_run() -> tuple[dict, dict]:
    vm = {"provider": "libvirt", "box": BOX}
    manifest = {"scenarios": {
        NATIVE: {"status": "ok", "vagrant": vm, "driver_status": {"Driver": "overlay2", "Native Overlay Diff": "true"}},
        NAIVE: {"status": "ok", "vagrant": vm, "driver_status": {"Driver": "overlay2", "Native Overlay Diff": "false"}},
        THIN_POOL: {"status": "ok", "vagrant": vm,
                    "driver_status": {"Driver": "devicemapper", "Pool Name": "docker-thinpool"}},
    }}
    summary = {"headlines": [{"scenario": NAIVE, "baseline": NATIVE, "ratio": 1.4, "ratio_ci_low": 1.1,
                              "ratio_ci_high": 1.8, "verdict": "slower"}]}
    return manifest, summary


def test_a_run_that_shows_everything_passes_and_its_proof_names_it() -> None:
    manifest, summary = good_run()
    assert problems(manifest, summary, BOX) == []
    lines = proof(manifest, summary)
    assert any("Pool Name docker-thinpool" in line for line in lines)
    assert any(line.startswith(f"{NAIVE} / {NATIVE}: 1.40x [1.10, 1.80], slower") for line in lines)


@pytest.mark.parametrize(("breakage", "named"), [
    (lambda m, s: m["scenarios"][THIN_POOL]["driver_status"].pop("Pool Name"), "no thin pool"),
    (lambda m, s: m["scenarios"][NATIVE]["driver_status"].update({"Native Overlay Diff": "false"}),
     "Native Overlay Diff 'false', expected 'true'"),
    (lambda m, s: m["scenarios"][NAIVE].update({"vagrant": {"provider": "virtualbox", "box": BOX}}),
     "provider 'virtualbox'"),
    (lambda m, s: m["scenarios"][NATIVE].update({"status": "failed", "reason": "inaccessible"}), "status failed"),
    (lambda m, s: s["headlines"][0].update({"ratio_ci_low": None}), "no whole-build ratio with an interval"),
])
def test_a_run_short_of_the_proof_is_refused_naming_what_is_missing(breakage, named: str) -> None:
    manifest, summary = copy.deepcopy(good_run())
    breakage(manifest, summary)
    assert any(named in problem for problem in problems(manifest, summary, BOX))
