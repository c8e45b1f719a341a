"""Issue 18 on real private daemons: a build cannot pull, and nothing secret reaches the run directory.

- A Dockerfile changed to `FROM alpine` after validate fails at the run's own check, naming the rule, and the
  daemon never sees the build (its log shows no pull).
- Even a build sent straight to a private daemon cannot pull: the daemon's only proxy is 127.0.0.1:0, so the
  attempt fails at once, offline.
- A real run (both builders) of a user build whose context holds a `.dockerignore`d secret, with a proxy password
  in the environment: neither string appears in any file under the run directory.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tarfile
import time
from pathlib import Path

import docker.errors
import pytest

from harness.builders.timing import timed_build
from harness.config import BaseTree, Payload, UserBuild, Workload, load_matrix, load_scenario
from harness.hosts.local import UNREACHABLE_PROXY, LocalDaemon
from harness.measure.facts import machine_facts
from harness.measure.runner import Runner
from harness.results.writer import RunDirectory
from tests.conftest import REPO, Quiet, write_tree
from tests.integration.conftest import Harness, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

SCENARIO = "local-overlay2-native"
IGNORED_SECRET = "IGNORED-SECRET-8c1f2e9d"
PROXY_PASSWORD = "pr0xy/P@ss-77a3b1"
DOCKERFILE = "ARG HARNESS_BASE\nFROM ${HARNESS_BASE}\nCOPY app /app\nRUN cat /app/main.txt && ls -a /\n"


def project(root: Path) -> Path:
    write_tree(root / "project", {"Dockerfile.bench": DOCKERFILE, "src/app/main.txt": "the app\n",
                                  "src/secret.env": f"TOKEN={IGNORED_SECRET}\n", "src/.dockerignore": "secret.env\n"})
    return root / "project"


def test_a_dockerfile_changed_to_pull_after_validate_fails_naming_the_rule(harness: Harness) -> None:
    where = project(harness.root)
    matrix_file = matrix_with(harness.root, [SCENARIO], "  - name: mine\n    steps: [RUN true]",
                              "repetitions: 1\nwarmup: 0\n")
    build = UserBuild(dockerfile=where / "Dockerfile.bench", context=where / "src")
    workload = Workload("mine", "", BaseTree(files=100), Payload(), (), user_build=build)
    matrix = dataclasses.replace(load_matrix(matrix_file), workloads=(workload,))
    (where / "Dockerfile.bench").write_text("ARG HARNESS_BASE\nFROM alpine\nRUN true\n")  # after validate
    run = RunDirectory.create(harness.results, matrix, ["harness", "run", str(matrix_file)], machine_facts())
    began = time.monotonic()
    outcome = Runner(matrix, run, Quiet(), harness.work).execute()
    seconds = time.monotonic() - began
    record = run.read_manifest().scenarios[SCENARIO]
    assert outcome.exit_code == 1 and record.status == "failed", record
    assert "FROM alpine: the harness's private daemons never pull images" in record.reason, record.reason
    daemon_log = (run.logs / f"{SCENARIO}.dockerd.log").read_text()
    assert "alpine" not in daemon_log and "pull" not in daemon_log.lower(), daemon_log[-2000:]
    print(f"refused in {seconds:.1f} s (daemon start and base import included)")


def _context(dockerfile: str) -> Path:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile.encode())
        archive.addfile(info, io.BytesIO(dockerfile.encode()))
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"pull-context-{os.getpid()}.tar"
    path.write_bytes(data.getvalue())
    return path


def test_a_private_daemon_cannot_pull_even_when_asked(harness: Harness) -> None:
    daemon = LocalDaemon(load_scenario(REPO / "scenarios" / f"{SCENARIO}.yaml"), harness.work, harness.root / "logs")
    daemon.start()
    context = _context("FROM alpine\nRUN true\n")
    try:
        began = time.monotonic()
        with pytest.raises(docker.errors.APIError) as pulled:
            daemon.api.pull("alpine", tag="latest")
        pull_seconds = time.monotonic() - began
        began = time.monotonic()
        with (harness.root / "build.log").open("w") as log:
            timing = timed_build(daemon.api, context, "harness-build/pull:1", log)
        build_seconds = time.monotonic() - began
    finally:
        daemon.close()
        context.unlink()
    proxy = UNREACHABLE_PROXY.removeprefix("http://")
    assert proxy in str(pulled.value), pulled.value
    assert not timing.ok and proxy in (timing.error or ""), timing.error
    print(f"pull refused in {pull_seconds:.2f} s, build FROM alpine failed in {build_seconds:.2f} s: {timing.error}")


def test_neither_an_ignored_secret_nor_a_proxy_password_reaches_the_run_directory(harness: Harness) -> None:
    where = project(harness.root)
    workloads = "  - name: mine\n    dockerfile: project/Dockerfile.bench\n    context: project/src\n"
    matrix = matrix_with(harness.root, [SCENARIO], workloads,
                         "builders: [classic, buildkit]\nrepetitions: 1\nwarmup: 0\nrounds: 1\n")
    assert where.is_dir()
    proxy = f"http://builder:{PROXY_PASSWORD}@proxy.invalid:3128"
    env = {**harness.env(), "HTTPS_PROXY": proxy, "HTTP_PROXY": f"builder:{PROXY_PASSWORD}@proxy.invalid:3128"}
    done = __import__("subprocess").run(harness.command("run", str(matrix)), capture_output=True, text=True,
                                        env=env, timeout=900, cwd=harness.root)
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = run_dir_of(done.stdout)
    assert {s["builder"] for s in samples_of(run_dir)} == {"classic", "buildkit"}
    assert all(s["ok"] for s in samples_of(run_dir)), [s["error"] for s in samples_of(run_dir) if not s["ok"]]
    leaks = [(path, secret) for path in sorted(run_dir.rglob("*")) if path.is_file()
             for secret in (IGNORED_SECRET, PROXY_PASSWORD, "pr0xy") if secret.encode() in path.read_bytes()]
    assert not leaks, leaks
    assert not list(run_dir.rglob("*.context.tar")), "the context tar is not published unless asked"
    assert PROXY_PASSWORD not in done.stdout + done.stderr
