"""What this machine can run (for a given matrix), and what a given daemon really does — each with its fix.

The daemon part is `harness.observe.diagnose` (pure, on `docker info`); this module gathers its inputs and checks the
machine itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import Matrix, Scenario, SshHost, VagrantHost
from harness.drivers import FILESYSTEMS, Prerequisite, lookup, prerequisites
from harness.machine.knobs import read_overlay_parameters
from harness.machine.ledger import abandoned_ledgers
from harness.machine.prerequisites import is_met
from harness.measure.workloads import BUSYBOX
from harness.observe.diagnose import Finding, diagnose


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    remedy: str | None = None


def machine_checks() -> list[Check]:
    dockerd, podman = shutil.which("dockerd"), shutil.which("podman")
    overlay = read_overlay_parameters()
    return [
        Check("root", os.geteuid() == 0, f"uid {os.geteuid()}", "run as root: local scenarios start private daemons"),
        Check("dockerd", dockerd is not None, _version([dockerd, "--version"]) if dockerd else "not found",
              "apt-get install docker.io"),
        Check("podman", podman is not None, _version([podman, "--version"]) if podman else "not found",
              "apt-get install podman (for podman scenarios; it installs beside Docker)"),
        Check("static busybox", BUSYBOX.is_file(), str(BUSYBOX), "apt-get install busybox-static"),
        *[_tool(fs.mkfs[0], fs.package) for fs in FILESYSTEMS.values() if fs.package],
        *[_prerequisite(prerequisite) for prerequisite in prerequisites()],
        Check("overlay module", bool(overlay),
              ", ".join(f"{k}={overlay[k]}" for k in ("redirect_dir", "metacopy") if k in overlay) or "not loaded",
              "modprobe overlay"),
        _tool("vagrant", "vagrant"), _tool("ssh", "openssh-client"),
        Check("no leftovers", not abandoned_ledgers(), "ledgers of killed runs under the state directory",
              "harness cleanup"),
    ]


def daemon_findings(api: Any, overlay: dict[str, str] | None, daemon_log: Path | None) -> list[Finding]:
    """Ask a running daemon how it builds; `overlay` is the module's parameters where it runs (None: unknown)."""
    log = daemon_log.read_text(errors="replace") if daemon_log is not None and daemon_log.is_file() else None
    return diagnose(api.info(), overlay, log)


#: What a local scenario may lack without failing the run: the runner skips such a scenario and goes on.
SKIPPABLE = tuple(prerequisite.name for prerequisite in prerequisites())


@dataclass(frozen=True)
class Readiness:
    """Whether one scenario of a matrix can run from here, and what it needs otherwise (each with its fix)."""

    scenario: str
    missing: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return not self.missing

    @property
    def blocks_run(self) -> bool:
        """Missing something the run would fail on, rather than skip the scenario for (see SKIPPABLE)."""
        return any(check.name not in SKIPPABLE for check in self.missing)


def matrix_readiness(matrix: Matrix) -> list[Readiness]:
    """For each scenario, the machine checks it depends on that fail here (device-mapper only for devicemapper…)."""
    checks = {check.name: check for check in machine_checks()}
    return [Readiness(scenario.name, tuple(checks[name] for name in _needs(scenario, checks) if not checks[name].ok))
            for scenario in matrix.scenarios]


def _needs(scenario: Scenario, checks: dict[str, Check]) -> list[str]:
    if isinstance(scenario.host, VagrantHost):
        return ["vagrant", "ssh", "no leftovers"]
    if isinstance(scenario.host, SshHost):
        return ["ssh", "no leftovers"]
    storage = scenario.storage
    needs = ["root", "dockerd" if scenario.engine.family == "docker" else "podman", "static busybox", "no leftovers"]
    needs += FILESYSTEMS[storage.filesystem].mkfs[:1]
    driver = lookup(storage.driver, storage.image_store)
    needs += [prerequisite.name for prerequisite in (driver.prerequisites if driver else ())]
    if any(value.endswith("fuse-overlayfs") for key, value in storage.options if key.endswith("mount_program")):
        needs += ["fuse-overlayfs", "/dev/fuse"]  # containers/storage's overlay mounted through fuse-overlayfs
    if scenario.overlay.as_dict():
        needs.append("overlay module")
    return [name for name in needs if name in checks]


def _prerequisite(prerequisite: Prerequisite) -> Check:
    """A driver's prerequisite as a check: a tool shows where it was found, anything else what needs it."""
    met = is_met(prerequisite)
    if prerequisite.kind == "tool":
        return Check(prerequisite.name, met, shutil.which(prerequisite.target) or "not found", prerequisite.remedy)
    return Check(prerequisite.name, met, prerequisite.needed_by, prerequisite.remedy)


def _tool(tool: str, package: str | None) -> Check:
    found = shutil.which(tool)
    return Check(tool, found is not None, found or "not found", f"apt-get install {package}")


def _version(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run: {exc}"
