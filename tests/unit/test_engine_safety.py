"""Static and Debian engines (issue 18, item 4): URLs checked at validate, a size cap, the cache keyed by sha256 and
private, apt's configuration our own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.config.urls import engine_url_complaint
from harness.engines import cache, static
from harness.engines.debian import apt_environment
from harness.errors import EnvironmentNotAble


@pytest.mark.parametrize(("url", "says"), [
    ("download.docker.com/linux/static/stable/x86_64/docker-28.5.2.tgz", "must start with https://"),
    ("https://download.docker.com/x.tgz\nhttps://evil/", "without spaces or newlines"),
    ("https://download.docker.com:99999/x.tgz", "not a usable URL"),
    ("file:///dev/zero", "not a regular file"),
    ("file:///nonexistent/docker.tgz", "cannot be read"),
    ("ftp://example.com/docker.tgz", "must start with https://"),
    ("http://example.com/docker.tgz", "use https"),
    ("https://exa mple.com/x.tgz", "without spaces"),
    ("https:///x.tgz", "names no valid host"),
    ("https://bad_host!/x.tgz", "names no valid host"),
])
def test_a_bad_engine_url_is_named(url: str, says: str) -> None:
    complaint = engine_url_complaint(url)
    assert complaint is not None and says in complaint, complaint


@pytest.mark.parametrize("url", ["https://download.docker.com/linux/static/stable/x86_64/docker-28.5.2.tgz",
                                 "http://127.0.0.1:8080/docker.tgz", "https://[2001:db8::1]:8443/d.tgz"])
def test_good_engine_urls_pass(url: str) -> None:
    assert engine_url_complaint(url) is None


def test_a_file_url_of_a_regular_file_passes(tmp_path: Path) -> None:
    (tmp_path / "docker.tgz").write_bytes(b"x")
    assert engine_url_complaint(f"file://{tmp_path}/docker.tgz") is None


def test_downloads_are_capped(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentNotAble, match="larger than 1,000 bytes"):
        static.download("file:///dev/zero", tmp_path / "zero.tgz", limit=1000)


def test_two_pins_of_one_version_never_share_a_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_ENGINE_CACHE", str(tmp_path / "engines"))
    one, two = cache.engine_dir("static", "28.5.2", "a" * 64), cache.engine_dir("static", "28.5.2", "b" * 64)
    assert one != two and one.parent == two.parent


def test_an_engine_cache_others_can_write_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "engines"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("HARNESS_ENGINE_CACHE", str(shared))
    with pytest.raises(EnvironmentNotAble, match="can be changed by other users .* chmod go-w"):
        cache.cache_root()
    shared.chmod(0o755)
    assert cache.cache_root() == shared
    if os.geteuid() == 0:
        os.chown(shared, 12345, 12345)
        with pytest.raises(EnvironmentNotAble, match="owner uid 12345"):
            cache.cache_root()


def test_staging_is_root_only_while_it_is_filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    cache.install(tmp_path / "engines" / "1.0-static", lambda staging: seen.append(staging.stat().st_mode) or {})
    assert seen and seen[0] & 0o077 == 0


def test_apt_reads_none_of_the_systems_configuration(tmp_path: Path) -> None:
    if not Path("/usr/bin/apt-config").exists():
        pytest.skip("apt-config is not installed (not a Debian system)")
    ours = subprocess.run(["apt-config", "dump"], capture_output=True, text=True, env=apt_environment(tmp_path),
                          check=True).stdout
    system_parts = sorted(Path("/etc/apt/apt.conf.d").glob("*"))
    assert f'Dir::Etc::parts "{tmp_path}/etc/apt.conf.d' in ours
    if system_parts:
        system = subprocess.run(["apt-config", "dump"], capture_output=True, text=True, check=True).stdout
        assert len(ours.splitlines()) < len(system.splitlines()), "the system's apt.conf.d still applied"
