"""The erofs snapshotter (containerd 2.1, in the pinned Docker 28.5 from Debian sid) on a real private daemon: the
harness starts it from its registry entry alone, builds a tiny workload with both builders, and `docker info` shows
what the registry expects of it (harness/drivers.py)."""

from __future__ import annotations

import pytest

from harness.drivers import CONTAINERD, info_mismatches, lookup
from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

TINY = """\
  - name: tiny
    base: {files: 200, directories: 4}
    steps:
      - RUN touch /built-marker
      - COPY payload/ /payload/
"""
SCENARIO = "local-docker28-containerd-erofs"


def test_a_docker_28_daemon_on_the_erofs_snapshotter_builds_and_reports_what_the_registry_expects(
        harness: Harness) -> None:
    erofs = lookup("erofs", CONTAINERD)
    assert erofs is not None, "erofs is not in the driver registry"
    matrix = matrix_with(harness.root, [SCENARIO], TINY, "repetitions: 1\nwarmup: 0\nbuilders: [classic, buildkit]\n")

    result = harness.run("run", str(matrix))

    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    record = manifest_of(run_dir)["scenarios"][SCENARIO]
    assert record["status"] == "ok", record.get("reason")
    assert info_mismatches(erofs, record["docker_info"]) == []
    assert record["driver_status"] == {"Driver": "erofs", "driver-type": "io.containerd.snapshotter.v1"}
    builds = [s for s in samples_of(run_dir) if s["kind"] == "build"]
    assert {s["builder"] for s in builds} == {"classic", "buildkit"}
    assert all(s["ok"] for s in builds), [s["error"] for s in builds if not s["ok"]]
