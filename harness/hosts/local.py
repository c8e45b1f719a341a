"""The local backend: one private dockerd per scenario, modelled on moby's own test daemon.

It owns a randomly named work directory (data-root, exec-root, pidfile, socket, generated config file), never the
system daemon's paths, listens on a unix socket only (mode 0600, inside a 0700 directory), and has no bridge, no
iptables and no TCP listener. Every step of `start()` is written to the ledger before it happens, so `stop()` and
`close()` — or `harness cleanup` after a SIGKILL — can undo exactly what was done. Each `start()`/`stop()` pair is
one daemon session on the same data-root (the knobs are set for the session and restored after it); the work
directory and its loop filesystem live from the first `start()` until `close()`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import docker

from harness.config import Scenario, has_containerd_store
from harness.drivers import lookup
from harness.engines import resolve_engine, version_matches
from harness.engines.binaries import EngineBinaries
from harness.errors import EnvironmentNotAble, HarnessError, ScenarioSkipped
from harness.hosts.api import client_api_version, ping
from harness.machine.knobs import apply_knobs, read_overlay_parameters, restore_knobs
from harness.machine.ledger import Ledger
from harness.machine.loopfs import mount_loop_filesystem
from harness.machine.prerequisites import unmet
from harness.machine.processes import command_line, processes_referencing, stop_process, stop_processes_referencing
from harness.machine.workspace import teardown_workspace

READY_DEADLINE_S = 60.0
POLL_INTERVAL_S = 0.1
#: sockaddr_un.sun_path is 108 bytes on Linux, and containerd's sockets nest deeper than ours.
MAX_SOCKET_PATH = 90
API_TIMEOUT_S = 3600


class LocalDaemon:
    def __init__(self, scenario: Scenario, workspace: Path, log_dir: Path):
        self.scenario = scenario
        self.workspace = workspace / secrets.token_hex(4)
        self.socket_path = self.workspace / "docker.sock"
        self.log_path = log_dir / f"{scenario.name}.dockerd.log"
        self.ledger = Ledger.for_this_process()
        self.process: subprocess.Popen | None = None
        self.api: docker.APIClient | None = None  # type: ignore[assignment]
        self.start_seconds: float | None = None
        self._knob_originals: dict[str, str] = {}
        self._loop_image: Path | None = None
        self._prepared = False  # the work directory exists: from the first start() until close()
        self._config_file: Path | None = None
        #: The engine's binaries, resolved (and fetched into the cache if pinned) by the first `start()`.
        self.engine: EngineBinaries | None = None
        self.engine_version: str | None = None
        #: dockerd's containerd serves pprof on this socket (exec-root/containerd); with the containerd image store
        #: it does the layer commits, so `--profile` samples it too.
        self.containerd_debug_socket = (self.workspace / "exec" / "containerd" / "containerd-debug.sock"
                                        if scenario.storage.image_store == "containerd" else None)

    @property
    def daemon_log(self) -> Path:
        """The private dockerd's log (kept in the run's logs/)."""
        return self.log_path

    def start(self) -> None:
        """Begin a daemon session: the first one makes the work directory (and loop filesystem) kept for the run."""
        if not self._prepared:
            self._prepare()
        began = time.perf_counter()
        self._knob_originals = apply_knobs(self.scenario.overlay.as_dict(), self.ledger)
        self._spawn(self._config_file)
        server_api = self._wait_until_ready()
        os.chmod(self.socket_path, 0o600)
        self.api = docker.APIClient(base_url=f"unix://{self.socket_path}",
                                    version=client_api_version(server_api, self.scenario.name), timeout=API_TIMEOUT_S)
        self.engine_version = self._checked_engine_version()
        self.start_seconds = time.perf_counter() - began

    def _prepare(self) -> None:
        check_prerequisites(self.scenario)
        self.engine = resolve_engine(self.scenario.engine)
        check_engine(self.scenario, self.engine)
        if len(str(self.socket_path)) > MAX_SOCKET_PATH:
            raise EnvironmentNotAble(f"the work directory {self.workspace} makes socket paths too long for unix "
                                     f"sockets: use a shorter --work-dir")
        self.workspace.mkdir(parents=True, mode=0o700)
        self.ledger.record(kind="workspace", path=str(self.workspace))
        self._prepared = True
        self._config_file = self._write_config(self._prepare_data_root())

    def facts(self) -> dict[str, Any]:
        return {"kernel": os.uname().release, "overlay_parameters": read_overlay_parameters(),
                "dockerd": str(self.engine.dockerd) if self.engine else None, "daemon_start_s": self.start_seconds,
                "backing_filesystem": self.scenario.storage.filesystem, "daemon_log": self.log_path.name,
                "image_store": self.scenario.storage.image_store,
                "engine": {**self.engine.record(), "version": self.engine_version} if self.engine else None}

    def stop(self) -> None:
        """End the session: stop dockerd and what it started, restore the knobs; the data-root stays for the next."""
        problems = []
        if self.api is not None:
            self.api.close()
            self.api = None  # type: ignore[assignment]
        if self.process is not None:
            problems += self._stop_idle_containerd()
            if not stop_process(self.process.pid, grace_s=30.0):
                problems.append(f"dockerd {self.process.pid} would not stop")
            self.ledger.forget(kind="daemon", pid=self.process.pid)
            self.process = None
            problems += [f"process {pid} would not stop" for pid in stop_processes_referencing(self.workspace)]
        restore_knobs(self._knob_originals, self.ledger)
        self._knob_originals = {}
        self._raise_if(problems)

    def _stop_idle_containerd(self) -> list[str]:
        """Stop our containerd first when no container runs: saves a second on every session's stop.

        dockerd stops its containerd and then polls once a second until it is gone (moby's
        libcontainerd/supervisor stopDaemon), a 1 s floor under every stop. Between builds no container runs and
        containerd is the only process naming our exec-root. During a build (an interrupted run) a container's
        shim names it too: then dockerd must stop the container itself, so it is left to do everything.
        """
        pids = processes_referencing(self.workspace / "exec")
        if any("containerd-shim" in command_line(pid) for pid in pids):
            return []
        return [f"containerd {pid} would not stop" for pid in pids if not stop_process(pid, grace_s=10.0)]

    def close(self) -> None:
        """End any session, then undo `_prepare()`: unmount, free the loop file, delete the work directory."""
        try:
            self.stop()
        finally:
            if self._prepared:
                self._prepared = False
                self._raise_if(teardown_workspace(self.workspace, self._loop_image, self.ledger))

    def _raise_if(self, problems: list[str]) -> None:
        if problems:
            raise HarnessError(f"cleanup of {self.scenario.name} left things behind: {'; '.join(problems)}; "
                               f"run `harness cleanup`")

    def _prepare_data_root(self) -> Path:
        storage = self.scenario.storage
        if storage.filesystem == "host":
            return self.workspace / "root"
        self._loop_image = self.workspace / f"{storage.filesystem}.img"
        mountpoint = self.workspace / "fs"
        mount_loop_filesystem(storage.filesystem, storage.size_gb, self._loop_image, mountpoint, self.ledger)
        return mountpoint / "root"

    def _write_config(self, data_root: Path) -> Path:
        """dockerd refuses options given both as flags and in the file, so everything goes in the file."""
        storage = self.scenario.storage
        config = {"data-root": str(data_root), "exec-root": str(self.workspace / "exec"),
                  "pidfile": str(self.workspace / "docker.pid"), "hosts": [f"unix://{self.socket_path}"],
                  "storage-driver": storage.driver, "storage-opts": storage.storage_opts(),
                  "bridge": "none", "iptables": False, "ip-forward": False, "ip-masq": False, "log-level": "info"}
        if storage.image_store == "containerd":  # storage-driver then names the containerd snapshotter
            config["features"] = {"containerd-snapshotter": True}
        path = self.workspace / "daemon.json"
        path.write_text(json.dumps(config, indent=2))
        return path

    def _spawn(self, config_file: Path) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([str(self.engine.dockerd), "--config-file", str(config_file)],
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, env=daemon_environment(self.engine))
        self.ledger.record(kind="daemon", pid=self.process.pid, workspace=str(self.workspace))

    def _wait_until_ready(self) -> str:
        """Poll `/_ping` until it answers (return the daemon's API version); fail fast if dockerd exits."""
        deadline = time.monotonic() + READY_DEADLINE_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"dockerd exited during startup (exit code {self.process.returncode}); "
                                   f"{self._log_tail()}")
            version = ping(self.socket_path, timeout=5) if self.socket_path.exists() else None
            if version is not None:
                return version
            time.sleep(POLL_INTERVAL_S)
        raise HarnessError(f"dockerd did not answer on {self.socket_path} within {READY_DEADLINE_S:.0f} s; "
                           f"{self._log_tail()}")

    def _checked_engine_version(self) -> str:
        """What the daemon says it is; a pinned engine that answers with another version fails the scenario."""
        reported = str(self.api.version().get("Version"))
        pinned = self.scenario.engine.version
        if pinned and not version_matches(pinned, reported):
            raise HarnessError(f"{self.scenario.file.name}: engine.version pins {pinned}, but {self.engine.dockerd} "
                               f"reports {reported}")
        return reported

    def _log_tail(self, lines: int = 8) -> str:
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"last lines of {self.log_path}:\n  " + "\n  ".join(tail)



def check_machine(scenario: Scenario) -> None:
    """What every local scenario needs: root and a dockerd binary (a podman engine's binary is checked when resolved)."""
    if os.geteuid() != 0:
        raise EnvironmentNotAble("local scenarios start a private daemon (dockerd, or podman's API service), which "
                                 "needs root: run as root (sudo)")
    if (scenario.engine.family == "docker" and scenario.engine.source == "system"
            and shutil.which(scenario.engine.dockerd) is None):
        raise EnvironmentNotAble(f"{scenario.engine.dockerd} not found: install it with `apt-get install docker.io` "
                                 f"(Debian/Ubuntu) or set engine.dockerd in {scenario.file}")


#: Where a private daemon's (and its containerd's) registry traffic goes: port 0 can never be listened on, so every
#: pull — a missing FROM image, a `# syntax=` frontend, a stage BuildKit resolves — fails at once with "connection
#: refused", offline, instead of reaching a registry. Builds also run with network none (harness.builders).
UNREACHABLE_PROXY = "http://127.0.0.1:0"


def daemon_environment(engine: EngineBinaries) -> dict[str, str]:
    """A private dockerd's whole environment: PATH (the engine's own binaries first: containerd, the shims, runc,
    docker-init) and a proxy that reaches nothing. Nothing of the caller's environment is passed on: root's
    proxy settings (perhaps with a password) and registry credentials are not the benchmark's business."""
    prefix = [str(p) for p in engine.path_prefix]
    proxies = {name: UNREACHABLE_PROXY for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    return {"PATH": os.pathsep.join([*prefix, os.environ.get("PATH", os.defpath)]), **proxies,
            "NO_PROXY": "", "no_proxy": ""}


def check_engine(scenario: Scenario, engine: EngineBinaries) -> None:
    """The containerd image store needs Docker 24+; the system's engine is only known once resolved."""
    version = engine.version
    if scenario.storage.image_store == "containerd" and not has_containerd_store(version):
        raise ScenarioSkipped(f"the {engine.source} engine {engine.dockerd} is Docker {version}, which has no "
                              f"containerd image store (Docker 24+): pin one with engine: {{version: \"28.5.2\", "
                              f"source: debian}}")


def check_prerequisites(scenario: Scenario) -> None:
    """Refuse early, with the fix, what this machine cannot run (the driver's prerequisites from its registry
    entry)."""
    check_machine(scenario)
    driver = lookup(scenario.storage.driver, scenario.storage.image_store)
    if driver is not None and unmet(driver):
        raise ScenarioSkipped(driver.missing)
