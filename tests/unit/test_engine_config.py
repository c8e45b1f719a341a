"""Engine and image-store keys of a scenario: what loads, and the exit-2 sentence for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import Engine, Expect, has_containerd_store, load_matrix, load_scenario
from harness.errors import InputError
from harness.measure.verify import expectation_mismatches
from tests.conftest import REPO, write_tree

SHA = "a" * 64


def scenario(tmp_path: Path, body: str) -> Path:
    return write_tree(tmp_path, {"scenarios/s.yaml": body}) / "scenarios" / "s.yaml"


def test_a_debian_engine_and_the_containerd_store_load(tmp_path: Path) -> None:
    loaded = load_scenario(scenario(tmp_path, """
        host: {type: local}
        engine: {version: "28.5.2", source: debian}
        storage: {image_store: containerd, driver: overlayfs}
        expect: {driver: overlayfs, driver_type: io.containerd.snapshotter.v1}
    """))
    assert loaded.engine == Engine(version="28.5.2", source="debian")
    assert (loaded.storage.image_store, loaded.storage.driver) == ("containerd", "overlayfs")
    assert loaded.expect.driver_type == "io.containerd.snapshotter.v1"


def test_the_defaults_are_todays_system_engine_and_graph_drivers(tmp_path: Path) -> None:
    loaded = load_scenario(scenario(tmp_path, "host: {type: local}\nstorage: {driver: overlay2}\n"))
    assert loaded.engine == Engine() and loaded.engine.source == "system"
    assert loaded.storage.image_store == "graphdriver"


@pytest.mark.parametrize(("body", "where", "words"), [
    ('engine: {source: debian}', "s.yaml:2: engine.version", "needs an upstream version"),
    ('engine: {version: "28.5.2+dfsg4", source: debian}', "engine.version", "upstream version"),
    ('engine: {version: "28.5.2", source: apt}', "engine.source", "must be one of system, debian, static"),
    ('engine: {version: "28.5.2", source: debian, dockerd: /usr/sbin/dockerd}', "engine.dockerd",
     "brings its own dockerd"),
    ('engine: {version: "28.5.2", source: static, url: "http://127.0.0.1/d.tgz"}', "engine.sha256",
     "go together"),
    (f'engine: {{version: "28.5.2", source: static, url: "file:///d.tgz", sha256: "{SHA[:10]}"}}',
     "engine.sha256", "64 lower-case hex digits"),
    (f'engine: {{version: "28.5.2", source: debian, sha256: "{SHA}"}}', "engine.sha256", "go together"),
])
def test_engine_mistakes_name_the_key_and_line(tmp_path: Path, body: str, where: str, words: str) -> None:
    path = scenario(tmp_path, f"host: {{type: local}}\n{body}\nstorage: {{driver: overlay2}}\n")
    with pytest.raises(InputError) as error:
        load_scenario(path)
    assert where in str(error.value) and words in str(error.value)


def test_the_containerd_store_needs_a_snapshotter_and_an_engine_that_has_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="storage.driver: with image_store: containerd .* overlayfs"):
        load_scenario(scenario(tmp_path, "host: {type: local}\nstorage: {image_store: containerd, driver: overlay2}\n"))
    with pytest.raises(InputError, match=r"s.yaml:\d+: storage.image_store: engine 20.10 has no containerd image"):
        load_scenario(scenario(tmp_path, 'host: {type: local}\nengine: {version: "20.10"}\n'
                               'storage: {image_store: containerd, driver: overlayfs}\n'))


def test_pinned_engines_and_the_containerd_store_are_for_local_hosts(tmp_path: Path) -> None:
    ssh = "host: {type: ssh, address: 192.0.2.1, user: root}\n"
    with pytest.raises(InputError, match="engine.source: pinned engines"):
        load_scenario(scenario(tmp_path, ssh + 'engine: {version: "28.5.2", source: debian}\n'
                               'storage: {driver: overlay2}\n'))
    with pytest.raises(InputError, match="storage.image_store: the containerd image store is for local hosts"):
        load_scenario(scenario(tmp_path, ssh + "storage: {image_store: containerd, driver: overlayfs}\n"))


def test_expect_driver_type_is_checked_against_docker_info() -> None:
    containerd = {"Driver": "overlayfs", "driver-type": "io.containerd.snapshotter.v1"}
    assert expectation_mismatches(Expect(driver="overlayfs", driver_type="io.containerd.snapshotter.v1"),
                                  containerd) == []
    [mismatch] = expectation_mismatches(Expect(driver_type="io.containerd.snapshotter.v1"), {"Driver": "overlay2"})
    assert "expect.driver_type" in mismatch and "(not reported)" in mismatch


def test_the_shipped_engines_matrix_validates() -> None:
    matrix = load_matrix(REPO / "matrix-engines.yaml")
    engines = {(s.engine.source, s.engine.version) for s in matrix.scenarios}
    assert engines == {("system", None), ("debian", "26.1.5"), ("debian", "28.5.2")}
    assert {s.storage.image_store for s in matrix.scenarios} == {"graphdriver", "containerd"}


@pytest.mark.parametrize(("version", "has"), [("20.10", False), ("23.0.6", False), ("24.0", True), ("28.5.2", True),
                                              ("5:20.10.24~3-0~debian", False), ("29.0.0+dfsg1", True),
                                              (None, True), ("latest", True)])
def test_which_engines_have_the_containerd_store(version: str | None, has: bool) -> None:
    assert has_containerd_store(version) is has
