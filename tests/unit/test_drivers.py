"""The driver registry: every entry is complete, and everything that knows about drivers agrees with it.

Config validation accepts and refuses by the registry; the Vagrantfile (Ruby) and provision/30-storage.sh (shell)
keep their own copies of the provisioning facts, so they are asked here and compared with the registry.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import drivers
from harness.config import OverlayKnobs, load_matrix
from harness.config.model import Scenario, Storage
from harness.drivers import CONTAINERD, GRAPHDRIVER, SNAPSHOTTER_TYPE, info_mismatches, lookup
from harness.errors import InputError
from harness.machine.prerequisites import KERNEL_TABLES, is_met
from tests.conftest import REPO, write_tree

KNOBS = {f.name for f in dataclasses.fields(OverlayKnobs)}
PREREQUISITE_KINDS = {"tool", "path", *KERNEL_TABLES}


@pytest.mark.parametrize("driver", drivers.all_drivers(), ids=lambda d: f"{d.store}:{d.name}")
def test_each_driver_declares_everything_the_harness_reads(driver: drivers.Driver) -> None:
    assert driver is lookup(driver.name, driver.store)
    assert driver.store in drivers.IMAGE_STORES and driver.summary
    assert driver.info.driver == driver.name, "docker info names the driver (or snapshotter) as the scenario does"
    assert driver.info.driver_type == (SNAPSHOTTER_TYPE if driver.store == CONTAINERD else None)
    assert not (driver.info.native_overlay_diff_reported and driver.store == CONTAINERD)
    assert driver.differ in ("native", "naive")
    assert set(driver.knobs) <= KNOBS
    assert (driver.rough_naive_build_s is not None) <= bool(driver.knobs), "a naive figure needs a knob to switch"
    assert driver.own_filesystem is None or driver.own_filesystem == driver.name
    assert not (driver.thin_pool and driver.store == CONTAINERD)
    for prerequisite in driver.prerequisites:
        assert prerequisite.kind in PREREQUISITE_KINDS and prerequisite.target and prerequisite.remedy
        assert prerequisite.kind == "tool" or prerequisite.needed_by
    assert bool(driver.missing) == bool(driver.prerequisites), "a skipped scenario says what to install"
    if driver.retired:
        deprecated, removed = driver.retired
        assert deprecated < removed


def test_each_loop_filesystem_says_how_to_make_it() -> None:
    assert list(drivers.FILESYSTEMS)[0] == "host" and not drivers.FILESYSTEMS["host"].mkfs
    for fs in list(drivers.FILESYSTEMS.values())[1:]:
        assert fs.mkfs[0] == f"mkfs.{fs.name}" and fs.package
    assert "ftype=1" in drivers.FILESYSTEMS["xfs"].mkfs, "overlay2 refuses xfs without d_type"


def test_prerequisites_are_listed_once_each() -> None:
    names = [p.name for p in drivers.prerequisites()]
    assert len(names) == len(set(names))
    assert {"device-mapper", "fuse-overlayfs", "/dev/fuse"} <= set(names)


def test_prerequisites_are_probed_on_this_machine() -> None:
    def prerequisite(kind: str, target: str) -> drivers.Prerequisite:
        return drivers.Prerequisite(target, kind, target, "a test", "nothing")

    assert is_met(prerequisite("tool", "sh")) and not is_met(prerequisite("tool", "no-such-tool-here"))
    assert is_met(prerequisite("path", "/proc/self")) and not is_met(prerequisite("path", "/no/such/path"))
    assert is_met(prerequisite("kernel-filesystem", "proc"))
    assert not is_met(prerequisite("kernel-filesystem", "nodev"))  # a column, not a filesystem
    assert not is_met(prerequisite("kernel-device", "no-such-device"))


def scenario_text(driver: drivers.Driver) -> str:
    store = f"image_store: {driver.store}, " if driver.store == CONTAINERD else ""
    engine = {CONTAINERD: "engine: {version: \"28.5.2\", source: debian}\n",
              drivers.CONTAINERS_STORAGE: "engine: {family: podman}\n"}.get(driver.store, "")
    filesystem = f", filesystem: {driver.own_filesystem}" if driver.own_filesystem in drivers.FILESYSTEMS else ""
    return f"host: {{type: local}}\n{engine}storage: {{{store}driver: {driver.name}{filesystem}}}\n"


@pytest.mark.parametrize("driver", [d for d in drivers.all_drivers() if d.own_filesystem in (None, *drivers.FILESYSTEMS)],
                         ids=lambda d: f"{d.store}:{d.name}")
def test_config_accepts_every_registered_driver_on_a_local_host(tmp_path: Path, driver: drivers.Driver) -> None:
    write_tree(tmp_path, {"matrix.yaml": "scenarios: [s]\nworkloads: [{name: w, steps: [RUN true]}]\n",
                          "scenarios/s.yaml": scenario_text(driver)})
    storage = load_matrix(tmp_path / "matrix.yaml").scenario("s").storage
    assert (storage.driver, storage.image_store) == (driver.name, driver.store)


def refusal(tmp_path: Path, scenario: str) -> str:
    write_tree(tmp_path, {"matrix.yaml": "scenarios: [s]\nworkloads: [{name: w, steps: [RUN true]}]\n",
                          "scenarios/s.yaml": scenario})
    with pytest.raises(InputError) as caught:
        load_matrix(tmp_path / "matrix.yaml")
    return str(caught.value)


def test_config_refuses_a_snapshotter_the_registry_does_not_know(tmp_path: Path) -> None:
    message = refusal(tmp_path, "host: {type: local}\nengine: {version: \"28.5.2\", source: debian}\n"
                                "storage: {image_store: containerd, driver: overlay2}\n")
    assert f"one of {', '.join(drivers.SNAPSHOTTERS)}; got 'overlay2'" in message


@pytest.mark.parametrize("driver", [d for d in drivers.all_drivers() if d.own_filesystem], ids=lambda d: d.name)
def test_config_refuses_a_driver_without_its_own_filesystem(tmp_path: Path, driver: drivers.Driver) -> None:
    store = f"image_store: {driver.store}, " if driver.store == CONTAINERD else ""
    engine = {CONTAINERD: "engine: {version: \"28.5.2\", source: debian}\n",
              drivers.CONTAINERS_STORAGE: "engine: {family: podman}\n"}.get(driver.store, "")
    message = refusal(tmp_path, f"host: {{type: local}}\n{engine}storage: {{{store}driver: {driver.name}}}\n")
    assert "storage.filesystem" in message and driver.own_filesystem in message


@pytest.mark.parametrize("driver", drivers.GRAPH_DRIVERS.values(), ids=lambda d: d.name)
def test_direct_lvm_is_accepted_exactly_for_thin_pool_drivers(tmp_path: Path, driver: drivers.Driver) -> None:
    scenario = (f"host: {{type: ssh, address: a, user: b, lvm_device: /dev/vdb}}\n"
                f"storage: {{driver: {driver.name}, direct_lvm: true}}\n")
    if driver.thin_pool:
        write_tree(tmp_path, {"matrix.yaml": "scenarios: [s]\nworkloads: [{name: w, steps: [RUN true]}]\n",
                              "scenarios/s.yaml": scenario})
        assert load_matrix(tmp_path / "matrix.yaml").scenario("s").storage.direct_lvm
    else:
        assert "direct-lvm is for the devicemapper driver" in refusal(tmp_path, scenario)


def test_docker_info_is_compared_with_the_registry_expectations() -> None:
    overlay2, overlayfs = lookup("overlay2"), lookup("overlayfs", CONTAINERD)
    assert overlay2 is not None and overlayfs is not None
    graph = {"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"], ["Native Overlay Diff", "true"]]}
    store = {"Driver": "overlayfs", "DriverStatus": [["driver-type", SNAPSHOTTER_TYPE]]}
    assert info_mismatches(overlay2, graph) == [] and info_mismatches(overlayfs, store) == []
    assert len(info_mismatches(overlay2, store)) == 3
    assert info_mismatches(overlayfs, {**store, "Driver": "native"}) == ["Driver is 'native', expected 'overlayfs'"]


def test_estimate_and_diagnosis_read_the_registry(tmp_path: Path) -> None:
    from harness.measure.estimate import rough_build_s
    from harness.observe.diagnose import diagnose

    write_tree(tmp_path, {"matrix.yaml": "scenarios: [s]\nworkloads: [{name: w, base: {files: 20000}, "
                                         "steps: [RUN true]}]\n", "scenarios/s.yaml": scenario_text(lookup("vfs"))})
    matrix = load_matrix(tmp_path / "matrix.yaml")
    naive = dataclasses.replace(matrix.scenarios[0], storage=Storage(driver="overlay2"),
                                overlay=OverlayKnobs(redirect_dir=True))
    assert isinstance(naive, Scenario)
    assert rough_build_s(matrix.scenarios[0], matrix) == lookup("vfs").rough_build_s
    assert rough_build_s(naive, matrix) == lookup("overlay2").rough_naive_build_s
    for driver in drivers.GRAPH_DRIVERS.values():
        ids = {f.id for f in diagnose({"Driver": driver.name, "ServerVersion": "24.0.0"})}
        assert ("naive-differ" in ids or "vfs-build-host" in ids) == (driver.differ == "naive")
        assert ("deprecated-driver" in ids) == bool(driver.retired and driver.retired[0] <= (24, 0))


def test_doctor_may_skip_exactly_the_driver_prerequisites() -> None:
    from harness.doctor import SKIPPABLE

    assert set(SKIPPABLE) == {p.name for p in drivers.prerequisites()}


# The Ruby and shell copies of the provisioning facts.

RUBY_FACTS = """
load ARGV.shift
require "json"
verdicts = {}
ARGV.each do |path|
  begin
    HarnessScenarios.load(path)
    verdicts[File.basename(path, ".yaml")] = "ok"
  rescue HarnessScenarios::Mistake => e
    verdicts[File.basename(path, ".yaml")] = e.message
  end
end
puts JSON.generate({"filesystems" => HarnessScenarios::FILESYSTEMS, "verdicts" => verdicts})
"""


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby not installed (it comes with vagrant)")
def test_the_vagrantfile_agrees_with_the_registry(tmp_path: Path) -> None:
    paths = []
    for driver in drivers.GRAPH_DRIVERS.values():
        paths.append(tmp_path / "scenarios" / f"{driver.name}.yaml")
        write_tree(tmp_path, {f"scenarios/{driver.name}.yaml": f"host: {{type: vagrant, box: b, extra_disk_gb: 8}}\n"
                                                               f"storage: {{driver: {driver.name}, direct_lvm: true}}\n"})
    result = subprocess.run(["ruby", "-e", RUBY_FACTS, str(REPO / "Vagrantfile"), *map(str, paths)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["filesystems"] == list(drivers.FILESYSTEMS)
    accepted = {name for name, verdict in facts["verdicts"].items() if verdict == "ok"}
    assert accepted == {d.name for d in drivers.GRAPH_DRIVERS.values() if d.thin_pool}
    assert all("direct-lvm is for the devicemapper driver" in verdict
               for name, verdict in facts["verdicts"].items() if name not in accepted)


@pytest.mark.parametrize("driver", drivers.GRAPH_DRIVERS.values(), ids=lambda d: d.name)
def test_provisioning_checks_d_type_exactly_for_the_drivers_that_need_it(tmp_path: Path,
                                                                          driver: drivers.Driver) -> None:
    env = {**os.environ, "STORAGE_DRIVER": driver.name, "DAEMON_JSON": str(tmp_path / "daemon.json"),
           "DATA_ROOT": str(tmp_path / "data-root"), "DAEMON_CONFIG": json.dumps({"storage-driver": driver.name})}
    result = subprocess.run(["bash", str(REPO / "provision" / "30-storage.sh")], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "daemon.json").read_text()) == {"storage-driver": driver.name}
    assert (f"{tmp_path / 'data-root'} is on" in result.stdout) == driver.needs_d_type, result.stdout


def test_the_graph_driver_store_is_the_default() -> None:
    assert Storage(driver="overlay2").image_store == GRAPHDRIVER
