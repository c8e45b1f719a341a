"""Engines without a daemon: suite lookup from real (trimmed) Packages indexes, the cache, static tarball checks."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from harness.cli import main
from harness.config import Engine
from harness.engines import version_matches
from harness.engines.cache import cached_engines, engine_dir, install, read_record
from harness.engines.packages import choose_suite, depended_names, parse_packages, upstream_version
from harness.engines.runc import runc_choice, runs
from harness.engines.static import resolve_static
from harness.errors import EnvironmentNotAble
from tests.conftest import write_tree

#: Stanzas of docker.io, containerd, runc, tini(-static), docker-cli, docker-buildx and docker-compose, copied from
#: deb.debian.org's amd64 Packages indexes of 2026-11-28 (long fields such as Description left out).
DATA = Path(__file__).resolve().parent.parent / "data" / "debian"


def catalog() -> dict:
    return {suite: parse_packages((DATA / f"{suite}-Packages").read_text()) for suite in ("bookworm", "trixie", "sid")}


def test_each_suite_carries_the_versions_the_archive_listed() -> None:
    found = catalog()
    assert found["bookworm"]["docker.io"][0] == "20.10.24+dfsg1-1+deb12u1+b6"
    assert found["trixie"]["docker.io"][0] == "26.1.5+dfsg1-9+deb13u1+b1"
    assert found["sid"]["containerd"][0] == "2.1.9+ds1-5"
    assert "docker-compose" not in found["sid"]  # not an engine package
    assert "docker-buildx" not in found["bookworm"]


def test_a_version_is_found_in_the_suite_that_carries_it_with_that_suites_companions() -> None:
    suite, pins = choose_suite(catalog(), "26.1.5")
    assert suite == "trixie"
    assert pins == {"docker.io": "26.1.5+dfsg1-9+deb13u1+b1", "containerd": "1.7.24~ds1-6+deb13u1",
                    "runc": "1.1.15+ds1-2+b4", "tini": "0.19.0-3+b8", "docker-cli": "26.1.5+dfsg1-9+deb13u1+b1",
                    "docker-buildx": "0.13.1+ds1-3"}
    suite, pins = choose_suite(catalog(), "28.5.2")
    assert suite == "sid" and pins["tini-static"] == "0.19.0-6+b2" and "tini" not in pins


def test_bookworms_engine_has_no_separate_cli_or_buildx_and_still_resolves() -> None:
    suite, pins = choose_suite(catalog(), "20.10.24")
    assert suite == "bookworm" and set(pins) == {"docker.io", "containerd", "runc", "tini"}


def test_a_version_no_suite_carries_names_the_versions_that_exist() -> None:
    with pytest.raises(EnvironmentNotAble) as error:
        choose_suite(catalog(), "27.0.3")
    message = str(error.value)
    assert "27.0.3" in message and "26.1.5 (trixie)" in message and "28.5.2 (sid)" in message
    assert error.value.exit_code == 3


def test_a_suite_missing_a_runtime_dependency_is_refused() -> None:
    broken = catalog()
    del broken["trixie"]["containerd"]
    with pytest.raises(EnvironmentNotAble, match="not containerd"):
        choose_suite(broken, "26.1.5")


@pytest.mark.parametrize(("debian", "upstream"), [
    ("28.5.2+dfsg4-5", "28.5.2"), ("1:28.5.2+dfsg4-5", "28.5.2"), ("1.7.24~ds1-6+deb13u1", "1.7.24"),
    ("0.19.0-6+b2", "0.19.0"), ("20.10.24+dfsg1-1+deb12u1+b6", "20.10.24"), ("28.5.2", "28.5.2")])
def test_upstream_versions(debian: str, upstream: str) -> None:
    assert upstream_version(debian) == upstream


def test_depends_names_take_the_first_alternative_without_constraints() -> None:
    assert depended_names("debconf (>= 0.5) | debconf-2.0, containerd (>= 1.4~), libc6:any, tini-static") == (
        "debconf", "containerd", "libc6", "tini-static")


def test_a_pinned_version_matches_what_the_daemon_reports() -> None:
    assert version_matches("28.5.2", "28.5.2+dfsg4") and version_matches("28.5", "28.5.2")
    assert not version_matches("28.5.2", "28.5.20") and not version_matches("26.1.5", "20.10.24+dfsg1")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARNESS_ENGINE_CACHE", str(tmp_path / "engines"))
    return tmp_path / "engines"


def test_the_cache_is_laid_out_by_version_and_source(cache: Path) -> None:
    assert engine_dir("debian", "28.5.2") == cache / "28.5.2"
    assert engine_dir("static", "28.5.2") == cache / "28.5.2-static"


def test_an_engine_appears_in_the_cache_whole_or_not_at_all(cache: Path) -> None:
    def failing(staging: Path) -> dict:
        (staging / "usr").mkdir()
        raise EnvironmentNotAble("download broke")

    with pytest.raises(EnvironmentNotAble):
        install(cache / "28.5.2", failing)
    assert not (cache / "28.5.2").exists() and list(cache.iterdir()) == []

    def filling(staging: Path) -> dict:
        (staging / "usr").mkdir()
        (staging / "usr" / "dockerd").write_bytes(b"x" * 1000)
        return {"version": "28.5.2", "source": "debian", "packages": [{"name": "docker.io", "version": "v",
                                                                        "sha256": "0" * 64}]}

    install(cache / "28.5.2", filling)
    assert read_record(cache / "28.5.2")["version"] == "28.5.2"
    [listed] = cached_engines()
    assert (listed.version, listed.source, listed.packages[0]["name"]) == ("28.5.2", "debian", "docker.io")
    assert listed.size_bytes >= 1000
    assert [p.name for p in cache.iterdir()] == ["28.5.2"]  # no staging directory left


def static_tarball(path: Path, members: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            archive.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_static_tarball_whose_checksum_differs_is_never_extracted(cache: Path, tmp_path: Path) -> None:
    tarball = tmp_path / "docker-28.5.2.tgz"
    real = static_tarball(tarball, {"docker/dockerd": b"#!/bin/sh\n"})
    wrong = hashlib.sha256(b"something else").hexdigest()
    engine = Engine(version="28.5.2", source="static", url=tarball.as_uri(), sha256=wrong)
    with pytest.raises(EnvironmentNotAble) as error:
        resolve_static(engine)
    assert real in str(error.value) and wrong in str(error.value)
    assert not (cache / "28.5.2-static").exists()
    assert [p for p in cache.iterdir()] == []


def test_a_static_tarball_with_paths_out_of_the_tree_is_refused(cache: Path, tmp_path: Path) -> None:
    tarball = tmp_path / "evil.tgz"
    digest = static_tarball(tarball, {"docker/dockerd": b"#!/bin/sh\n", "../../escaped": b"x"})
    engine = Engine(version="28.5.2", source="static", url=tarball.as_uri(), sha256=digest)
    with pytest.raises(EnvironmentNotAble, match="cannot be unpacked safely"):
        resolve_static(engine)
    assert not (tmp_path / "escaped").exists() and not (cache / "28.5.2-static").exists()


def test_a_runc_that_cannot_run_is_replaced_by_the_hosts_and_said_so(tmp_path: Path) -> None:
    broken = tmp_path / "runc"
    broken.write_text("#!/bin/sh\necho 'runc: version `GLIBC_2.38` not found' >&2\nexit 1\n")
    broken.chmod(0o755)
    assert runs(broken) == "runc: version `GLIBC_2.38` not found"
    prefix, notes = runc_choice(broken, tmp_path / "host-runc")
    assert prefix == (tmp_path / "host-runc",)
    assert (tmp_path / "host-runc" / "runc").resolve() == Path("/usr/sbin/runc").resolve()
    assert notes[0].startswith("runc: /usr/sbin/runc") and "GLIBC_2.38" in notes[0]
    assert runc_choice(Path("/usr/sbin/runc"), tmp_path / "unused") == ((), ())


def test_harness_engines_lists_the_cache_and_what_a_matrix_still_needs(
        cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    install(cache / "26.1.5", lambda staging: {"version": "26.1.5", "source": "debian", "suite": "trixie",
                                               "packages": [{"name": "docker.io", "version": "26.1.5+dfsg1-9",
                                                             "sha256": "0" * 64}]})
    matrix = write_tree(tmp_path / "m", {
        "scenarios/d26.yaml": 'host: {type: local}\nengine: {version: "26.1.5", source: debian}\n'
                              'storage: {driver: overlay2}\n',
        "scenarios/d28.yaml": 'host: {type: local}\nengine: {version: "28.5.2", source: debian}\n'
                              'storage: {driver: overlay2}\n',
        "m.yaml": "scenarios: [d26, d28]\nworkloads: [{name: w, steps: ['RUN true']}]\n"}) / "m.yaml"
    assert main(["engines", "list", str(matrix)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"engine cache {cache}: 1 engine(s)"
    assert "26.1.5" in out[1] and "trixie" in out[1] and "docker.io 26.1.5+dfsg1-9" in out[1]
    [d26] = [line for line in out if "for d26" in line]
    [d28] = [line for line in out if "for d28" in line]
    assert "cached" in d26 and "NOT cached" not in d26 and "NOT cached" in d28
