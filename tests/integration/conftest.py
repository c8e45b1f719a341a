"""Integration fixtures: real private dockerd instances started by the harness itself, in throwaway directories.

Every test gets its own state directory (the cleanup ledger), work directory and results directory, and is checked
afterwards: no process of ours still running, nothing mounted under its work directory, overlay knobs as before.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.machine.loopfs import mounts_under
from harness.machine.processes import processes_referencing
from tests.conftest import REPO, write_tree

KNOBS = ("redirect_dir", "metacopy")


def _knobs() -> dict[str, str]:
    base = Path("/sys/module/overlay/parameters")
    return {k: (base / k).read_text().strip() for k in KNOBS if (base / k).exists()}


@dataclass
class Harness:
    """Runs the real `harness` command with this test's private directories."""

    root: Path

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def results(self) -> Path:
        return self.root / "results"

    def env(self) -> dict[str, str]:
        return {**os.environ, "HARNESS_STATE_DIR": str(self.state), "PYTHONUNBUFFERED": "1"}

    def command(self, *args: str) -> list[str]:
        extra = ["--results", str(self.results), "--work-dir", str(self.work)] if args[0] == "run" else []
        return [sys.executable, "-m", "harness.cli", *args, *extra]

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), capture_output=True, text=True, env=self.env(), timeout=timeout,
                              cwd=self.root)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env(), cwd=self.root)


def run_dir_of(output: str) -> Path:
    last = output.strip().splitlines()[-1]
    assert last.startswith("results: "), output
    return Path(last.removeprefix("results: "))


def samples_of(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]


def manifest_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch) -> Harness:
    if os.geteuid() != 0 or shutil.which("dockerd") is None:
        pytest.fail("integration tests need root and dockerd (apt-get install docker.io); `make test` installs it")
    root = Path(tempfile.mkdtemp(prefix="hi", dir="/tmp"))  # short: unix socket paths are limited
    # Daemons a test starts in-process keep their ledger here too, never in the machine's /run/harness.
    monkeypatch.setenv("HARNESS_STATE_DIR", str(Harness(root).state))
    knobs_before = _knobs()
    yield Harness(root)
    leftover_processes = processes_referencing(root)
    leftover_mounts = mounts_under(root)
    knobs_after = _knobs()
    leftover_ledgers = sorted(path.name for path in Harness(root).state.glob("run-*.json"))
    shutil.rmtree(root, ignore_errors=True)
    assert not leftover_processes, f"processes of ours still running: {leftover_processes}"
    assert not leftover_ledgers, f"ledgers of things not undone (a host not closed?): {leftover_ledgers}"
    assert not leftover_mounts, f"mounts left behind: {leftover_mounts}"
    assert knobs_after == knobs_before, "overlay knobs were not restored"


def matrix_with(root: Path, scenarios: list[str], workloads: str, extra: str = "", own: dict[str, str] | None = None
                ) -> Path:
    """A matrix in `root` using the repository's scenario files (or `own` ones) and inline workloads (YAML text)."""
    (root / "scenarios").mkdir(parents=True, exist_ok=True)
    for name in scenarios:
        if not own or f"scenarios/{name}.yaml" not in own:
            shutil.copy(REPO / "scenarios" / f"{name}.yaml", root / "scenarios")
    write_tree(root, own or {})
    body = f"scenarios: [{', '.join(scenarios)}]\nbaseline: {scenarios[0]}\nworkloads:\n{workloads}\n{extra}"
    (root / "matrix.yaml").write_text(body)
    return root / "matrix.yaml"
