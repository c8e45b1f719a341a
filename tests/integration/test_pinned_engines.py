"""Pinned engines on real private daemons: Docker 26.1 and 28.5 fetched by the harness from Debian, a static
tarball served on loopback, the containerd image store, and the refusals (pinned version mismatch, old engine).

The Debian engines come from the machine's engine cache (/var/cache/harness/engines; `.ci/run` prefetches them with
`harness engines fetch matrix-engines.yaml`): the first test fetches whatever is missing, then proves the run
itself started each engine from the cache without fetching again.
"""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.engines.cache import engine_dir
from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

SMALL = """\
  - name: small
    base: {files: 2000, directories: 20}
    steps:
      - RUN touch /built-marker
      - COPY payload/ /payload/
"""
ONE_BUILD = "repetitions: 1\nwarmup: 0\n"
PINNED = {"local-docker26-overlay2-native": "26.1.5", "local-docker28-overlay2-naive": "28.5.2",
          "local-docker28-containerd-redirect-dir-off": "28.5.2"}


def dpkg_state() -> str:
    """Every package's name, version and state, as dpkg knows them (the system's docker packages among them)."""
    return subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version} ${Status}\n"], capture_output=True,
                          text=True, check=True).stdout


def test_debian_engines_start_from_the_cache_report_their_pinned_version_and_touch_no_system_package(
        harness: Harness) -> None:
    matrix = matrix_with(harness.root, list(PINNED), SMALL, ONE_BUILD + "builders: [classic, buildkit]\n")
    fetched = harness.run("engines", "fetch", str(matrix))
    assert fetched.returncode == 0, fetched.stderr
    records = {version: engine_dir("debian", version) / "engine.json" for version in set(PINNED.values())}
    stamps = {version: record.stat().st_mtime_ns for version, record in records.items()}
    packages_before = dpkg_state()

    result = harness.run("run", str(matrix))

    assert result.returncode == 0, result.stderr
    assert dpkg_state() == packages_before
    assert {v: r.stat().st_mtime_ns for v, r in records.items()} == stamps, "the run fetched an engine again"
    run_dir = run_dir_of(result.stdout)
    scenarios = manifest_of(run_dir)["scenarios"]
    for name, pinned in PINNED.items():
        record, engine = scenarios[name], scenarios[name]["engine"]
        assert record["status"] == "ok", (name, record["reason"])
        assert record["docker_version"]["Version"].split("+")[0] == pinned == engine["version"].split("+")[0]
        assert engine["source"] == "debian" and engine["dockerd"] == str(engine_dir("debian", pinned) /
                                                                           "usr/sbin/dockerd")
        by_name = {p["name"]: p for p in engine["packages"]}
        assert {"docker.io", "containerd", "runc", "docker-cli", "docker-buildx"} <= set(by_name)
        assert all(len(p["sha256"]) == 64 for p in engine["packages"])
        containerd = next(c for c in record["docker_version"]["Components"] if c["Name"] == "containerd")
        assert by_name["containerd"]["version"].startswith(containerd["Version"].lstrip("v").split("+")[0]), \
            "dockerd did not start the engine's own containerd"
        for note in engine["host_binaries"]:  # decided by trying: only a runc that does not run here is replaced
            assert note.startswith("runc: ")
    store = scenarios["local-docker28-containerd-redirect-dir-off"]
    assert store["image_store"] == "containerd"
    assert store["driver_status"] == {"Driver": "overlayfs", "driver-type": "io.containerd.snapshotter.v1"}
    assert scenarios["local-docker28-overlay2-naive"]["driver_status"]["Native Overlay Diff"] == "false"
    samples = samples_of(run_dir)
    builds = [s for s in samples if s["kind"] == "build"]
    assert sorted((s["scenario"], s["builder"]) for s in builds) == sorted(
        (name, builder) for name in PINNED for builder in ("classic", "buildkit"))
    assert all(s["ok"] for s in builds), [s["error"] for s in builds if not s["ok"]]
    exported = {s["scenario"] for s in samples if s["builder"] == "buildkit" and s["instruction"] == "EXPORT"}
    assert exported == set(PINNED), "each engine's own CLI and buildx built with BuildKit, the containerd store too"


@pytest.fixture
def loopback_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 (an ephemeral port) serving one directory; (base URL, directory)."""
    served = tmp_path / "served"
    served.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()


def static_tarball_from(debian: Path, target: Path) -> str:
    """A tarball laid out like download.docker.com's static releases (docker/…), from an unpacked Debian engine."""
    binaries = {"dockerd": "usr/sbin/dockerd", "docker-proxy": "usr/sbin/docker-proxy",
                "containerd": "usr/bin/containerd",
                "containerd-shim-runc-v2": "usr/bin/containerd-shim-runc-v2", "ctr": "usr/bin/ctr",
                "docker": "usr/bin/docker", "runc": "usr/sbin/runc", "docker-init": "usr/bin/tini-static"}
    with tarfile.open(target, "w:gz", compresslevel=1) as archive:
        for name, relative in binaries.items():
            archive.add(debian / relative, arcname=f"docker/{name}")
    return hashlib.sha256(target.read_bytes()).hexdigest()


def test_a_static_tarball_is_checked_then_unpacked_and_its_dockerd_builds(
        harness: Harness, loopback_server: tuple[str, Path]) -> None:
    base_url, served = loopback_server
    debian = engine_dir("debian", "28.5.2")
    assert (debian / "engine.json").exists(), "fetch it first: `harness engines fetch matrix-engines.yaml`"
    digest = static_tarball_from(debian, served / "docker-28.5.2.tgz")
    cache = harness.root / "engines"
    env = {**harness.env(), "HARNESS_ENGINE_CACHE": str(cache)}

    def scenario(sha256: str) -> dict[str, str]:
        return {"scenarios/local-static28.yaml": f"""
            host: {{type: local}}
            engine: {{version: "28.5.2", source: static, url: "{base_url}/docker-28.5.2.tgz", sha256: "{sha256}"}}
            storage: {{driver: overlay2}}
            kernel: {{overlay: {{redirect_dir: off}}}}
            expect: {{driver: overlay2, native_overlay_diff: true}}
        """}

    wrong = hashlib.sha256(b"not the tarball").hexdigest()
    matrix = matrix_with(harness.root, ["local-static28"], SMALL, ONE_BUILD, own=scenario(wrong))
    refused = subprocess.run(harness.command("engines", "fetch", str(matrix)), capture_output=True, text=True,
                             env=env, cwd=harness.root, timeout=300)
    assert refused.returncode == 3, refused.stderr
    assert f"has sha256 {digest}, not the {wrong}" in refused.stderr and "Traceback" not in refused.stderr
    assert not list(cache.glob("28.5.2-static*")), "a tarball that failed its check is not kept"

    matrix = matrix_with(harness.root, ["local-static28"], SMALL, ONE_BUILD, own=scenario(digest))
    result = subprocess.run(harness.command("run", str(matrix)), capture_output=True, text=True, env=env,
                            cwd=harness.root, timeout=600)
    assert result.returncode == 0, result.stderr
    record = manifest_of(run_dir_of(result.stdout))["scenarios"]["local-static28"]
    assert record["status"] == "ok", record["reason"]
    engine = record["engine"]
    assert engine["source"] == "static" and engine["version"].startswith("28.5.2")
    assert engine["packages"] == [{"name": "docker-28.5.2.tgz", "version": "28.5.2", "sha256": digest}]
    assert engine["dockerd"] == str(cache / f"28.5.2-static-{digest[:16]}" / "docker" / "dockerd"), "keyed by sha256"


def test_a_pinned_version_the_daemon_does_not_report_fails_and_an_old_engine_skips_the_containerd_store(
        harness: Harness) -> None:
    own = {"scenarios/claims-28.yaml": """
               host: {type: local}
               engine: {dockerd: dockerd, version: "28.5.2"}
               storage: {driver: overlay2}
           """,
           "scenarios/old-containerd.yaml": """
               host: {type: local}
               storage: {image_store: containerd, driver: overlayfs}
           """}
    matrix = matrix_with(harness.root, ["claims-28", "old-containerd"], SMALL, ONE_BUILD, own=own)
    result = harness.run("run", str(matrix))
    assert result.returncode == 1, result.stderr
    run_dir = run_dir_of(result.stdout)
    scenarios = manifest_of(run_dir)["scenarios"]
    claims, old = scenarios["claims-28"], scenarios["old-containerd"]
    assert claims["status"] == "failed"
    assert "engine.version pins 28.5.2" in claims["reason"] and "reports 20.10" in claims["reason"]
    assert old["status"] == "skipped" and "has no containerd image store" in old["reason"]
    assert not (run_dir / "samples.jsonl").exists() or samples_of(run_dir) == []  # nothing was built


def test_fetching_without_a_network_is_one_exit_3_sentence_and_leaves_no_engine(harness: Harness) -> None:
    """`unshare -n` runs the real command in a network namespace of its own, with no route to the archive."""
    matrix = matrix_with(harness.root, ["local-docker28-overlay2-naive"], SMALL, ONE_BUILD)
    cache = harness.root / "engines"
    offline = subprocess.run(["unshare", "--net", *harness.command("engines", "fetch", str(matrix))],
                             capture_output=True, text=True, cwd=harness.root, timeout=300,
                             env={**harness.env(), "HARNESS_ENGINE_CACHE": str(cache)})
    assert offline.returncode == 3, offline.stderr
    assert "offline" in offline.stderr and "deb.debian.org" in offline.stderr and "Traceback" not in offline.stderr
    assert not (cache / "28.5.2").exists()
