"""Podman engines without podman: the scenario and matrix rules, the private configuration files, Buildah's step
lines, the doctor's naive-diff finding on containers/storage, and the mount points a ledger may name."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from harness.builders import builder_for
from harness.builders.timing import BUILDAH_STEP, timings_from_stream
from harness.config import load_matrix
from harness.config.scenario import load_scenario
from harness.engines.binaries import EngineBinaries
from harness.errors import EnvironmentNotAble, InputError
from harness.hosts.podman import containers_conf, storage_conf
from harness.machine.ledger import untrusted_entries
from harness.machine.namespace import PRIVATE_PATHS, in_private_mounts
from harness.observe.diagnose import diagnose
from tests.conftest import REPO, write_tree

MS = 1_000_000
PODMAN = "host: {type: local}\nengine: {family: podman}\nstorage: {driver: overlay}\n"
WORKLOADS = "workloads: [{name: w, steps: [RUN true]}]\n"


def matrix(tmp_path: Path, scenarios: dict[str, str], extra: str = "") -> Path:
    write_tree(tmp_path, {"matrix.yaml": f"scenarios: [{', '.join(scenarios)}]\n{WORKLOADS}{extra}",
                          **{f"scenarios/{name}.yaml": text for name, text in scenarios.items()}})
    return tmp_path / "matrix.yaml"


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_matrix(path)
    return str(caught.value)


def test_a_podman_matrix_builds_with_buildah_unless_told_otherwise(tmp_path: Path) -> None:
    loaded = load_matrix(matrix(tmp_path, {"p": PODMAN}))
    assert loaded.builders == ("buildah",)
    assert loaded.scenario("p").storage.image_store == "containers-storage"
    assert loaded.scenario("p").engine.family == "podman"


@pytest.mark.parametrize(("scenario", "key", "says"), [
    ("host: {type: local}\nengine: {family: podman, dockerd: /x/dockerd}\nstorage: {driver: overlay}\n",
     "engine.dockerd", "apt-get install podman"),
    ("host: {type: local}\nengine: {family: podman, source: debian, version: \"4.3\"}\nstorage: {driver: overlay}\n",
     "engine.source", "drop engine.source"),
    ("host: {type: local}\nengine: {family: podman}\nstorage: {driver: overlay2}\n", "storage.driver",
     "overlay, vfs, btrfs"),
    ("host: {type: local}\nengine: {family: podman}\nstorage: {driver: overlay, image_store: graphdriver}\n",
     "storage.image_store", "image store of podman engines"),
    ("host: {type: local}\nstorage: {driver: overlay, image_store: containers-storage}\n", "storage.image_store",
     "image store of podman engines"),
    ("host: {type: ssh, address: h, user: u}\nengine: {family: podman}\nstorage: {driver: overlay}\n",
     "engine.family", "local hosts"),
    ("host: {type: local}\nengine: {family: rkt}\nstorage: {driver: overlay}\n", "engine.family", "docker, podman"),
])
def test_a_wrong_podman_scenario_names_the_file_and_key(tmp_path: Path, scenario: str, key: str, says: str) -> None:
    message = refusal(matrix(tmp_path, {"p": scenario}))
    assert "p.yaml" in message and key in message and says in message, message


def test_dockerd_and_podman_scenarios_cannot_share_a_matrix_s_builders(tmp_path: Path) -> None:
    docker = "host: {type: local}\nstorage: {driver: overlay2}\n"
    message = refusal(matrix(tmp_path, {"d": docker, "p": PODMAN}, "builders: [classic]\n"))
    assert "builders[0]" in message and "scenario p runs podman" in message and "separate matrices" in message
    assert "scenario d runs docker" in refusal(matrix(tmp_path, {"d": docker, "p": PODMAN}, "builders: [buildah]\n"))


def test_builders_belong_to_their_engine_s_stack() -> None:
    podman = EngineBinaries(version="4.3.1", source="system", dockerd=Path("/usr/bin/podman"), docker_cli=None,
                            buildx=None, path_prefix=(), family="podman")
    assert builder_for("buildah", podman).facts()["podman_version"] == "4.3.1"
    with pytest.raises(EnvironmentNotAble, match=r"builders: \[buildah\]"):
        builder_for("classic", podman)
    with pytest.raises(EnvironmentNotAble, match="family: podman"):
        builder_for("buildah", None)


def test_the_private_configuration_is_valid_toml_and_names_only_the_work_directory(tmp_path: Path) -> None:
    fuse = load_scenario(REPO / "scenarios" / "local-podman-fuse-overlayfs.yaml")
    storage = tomllib.loads(storage_conf(fuse, tmp_path / "root", tmp_path / "run"))
    assert storage["storage"] == {"driver": "overlay", "graphroot": str(tmp_path / "root"),
                                  "runroot": str(tmp_path / "run"),
                                  "options": {"overlay": {"mount_program": "/usr/bin/fuse-overlayfs"}}}
    containers = tomllib.loads(containers_conf(tmp_path))
    paths = [value for table in containers.values() for key, value in table.items() if "/" in value]
    assert paths and all(Path(p).is_relative_to(tmp_path) for p in paths), containers
    assert containers["engine"]["cgroup_manager"] == "cgroupfs"


def test_a_storage_option_value_cannot_break_out_of_its_toml_string(tmp_path: Path) -> None:
    write_tree(tmp_path, {"scenarios/s.yaml": PODMAN.replace("{driver: overlay}", "{driver: overlay, options: "
                                                             "{overlay.mountopt: 'nodev\"\\n[storage]\\nx = \"1'}}")})
    scenario = load_scenario(tmp_path / "scenarios" / "s.yaml")
    parsed = tomllib.loads(storage_conf(scenario, tmp_path / "root", tmp_path / "run"))
    assert parsed["storage"]["options"]["overlay"]["mountopt"] == 'nodev"\\n[storage]\\nx = "1'
    assert set(parsed["storage"]) == {"driver", "graphroot", "runroot", "options"}


def test_buildah_steps_are_timed_from_their_step_lines_to_the_image_id() -> None:
    """The messages podman 4.3's /build streamed for a three-step build (recorded here), in ms."""
    recorded = [(6, {"stream": "STEP 1/3: FROM harness-base:abc\n"}), (14, {"stream": "STEP 2/3: RUN touch /a\n"}),
                (346, {"stream": "--> f234a30bb3e\n"}), (351, {"stream": "STEP 3/3: COPY x /x\n"}),
                (574, {"stream": "COMMIT docker.io/harness-build/t:2\n"}), (590, {"stream": "--> 7665e506721\n"}),
                (593, {"stream": "Successfully tagged docker.io/harness-build/t:2\n"}),
                (600, {"aux": {"ID": "sha256:7665e506721f"}}), (601, {"stream": "Successfully built 7665e506721f\n"})]
    timing = timings_from_stream([(ms * MS, m) for ms, m in recorded], 0, BUILDAH_STEP)
    assert timing.ok and timing.image_id == "sha256:7665e506721f"
    assert [(s.index, s.instruction, round(s.seconds, 3)) for s in timing.steps] == [
        (1, "FROM", 0.008), (2, "RUN", 0.337), (3, "COPY", 0.249)]
    assert not timings_from_stream([(ms * MS, m) for ms, m in recorded], 0).steps, "dockerd's pattern is not Buildah's"


def test_a_failing_buildah_step_carries_buildah_s_error() -> None:
    error = 'building at STEP "RUN false": while running runtime: exit status 1\n'
    timing = timings_from_stream([(0, {"stream": "STEP 1/2: FROM b\n"}), (5 * MS, {"stream": "STEP 2/2: RUN false\n"}),
                                  (300 * MS, {"errorDetail": {"message": error}, "error": error})], 0, BUILDAH_STEP)
    assert not timing.ok and [s.ok for s in timing.steps] == [True, False]
    assert timing.steps[1].error == error.strip()


def test_the_doctor_explains_naive_diff_on_containers_storage_with_a_podman_restart() -> None:
    info = {"Driver": "overlay", "ServerVersion": "4.3.1", "KernelVersion": "6.1",
            "DriverStatus": [["Backing Filesystem", "extfs"], ["Native Overlay Diff", "false"]]}
    log = ('level=info msg="Not using native diff for overlay, this may cause degraded performance for building '
           'images: kernel has CONFIG_OVERLAY_FS_REDIRECT_DIR enabled"')
    finding = next(f for f in diagnose(info, {"redirect_dir": "Y", "metacopy": "N"}, log)
                   if f.id == "overlay-naive-diff")
    assert "redirect_dir=Y" in finding.message and "CONFIG_OVERLAY_FS_REDIRECT_DIR" in finding.message
    assert "podman system service" in finding.fix and "dockerd" not in finding.fix
    native = {**info, "DriverStatus": [["Native Overlay Diff", "true"]]}
    assert not any(f.is_problem for f in diagnose(native, {"redirect_dir": "N", "metacopy": "N"}))


def test_the_service_runs_in_its_own_mount_namespace_over_private_directories(tmp_path: Path) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.entries: list[dict] = []

        def record(self, **entry: object) -> None:
            self.entries.append(entry)

    ledger, work = Recorder(), tmp_path / "work"
    present, absent = tmp_path / "var/lib/containers", tmp_path / "run/runc"
    present.mkdir(parents=True)
    absent.parent.mkdir()
    command = in_private_mounts(["podman", "system", "service"], work, ledger,  # type: ignore[arg-type]
                                targets=(present, absent))
    assert command[:4] == ["unshare", "--mount", "--propagation", "private"]
    for target in (present, absent):
        assert f"mount --bind {work}/private{target} {target}" in command[-1]
        assert (work / "private" / target.relative_to("/")).is_dir() and target.is_dir()
    assert command[-1].endswith("&& exec podman system service")
    assert ledger.entries == [{"kind": "mountpoint", "path": str(absent)}], "only what it made is to be removed"
    assert {"/var/lib/containers", "/var/cache/containers", "/run/runc"} == {str(p) for p in PRIVATE_PATHS}


def test_a_ledger_may_name_only_podman_s_mount_points(tmp_path: Path) -> None:
    ledger_path = tmp_path / "run-1.json"
    entries = [{"kind": "mountpoint", "path": "/var/lib/containers"}, {"kind": "mountpoint", "path": "/etc"}]
    ledger_path.write_text(json.dumps({"schema": 2, "pid": 1, "started": None, "entries": entries}))
    from harness.machine.ledger import Ledger  # noqa: PLC0415 - read as cleanup reads it
    problems = untrusted_entries(Ledger.read(ledger_path), Path("/sys/module/overlay/parameters"))
    assert len(problems) == 1 and "'/etc'" in problems[0], problems


def test_a_commit_workload_is_dockerd_s_and_refused_with_buildah(tmp_path: Path) -> None:
    path = matrix(tmp_path, {"p": PODMAN})
    path.write_text(path.read_text().replace("workloads: [{name: w, steps: [RUN true]}]", "workloads: [{name: c, "
                                             "kind: commit, command: touch /x}]"))
    message = refusal(path)
    assert "commit workload" in message and "no buildah counterpart" in message, message
