"""The local backend for podman engines: a private `podman system service` per scenario on its own containers/storage.

podman is daemonless, but its API service speaks the Docker API (and runs Buildah for /build), so the runner, the
observers and the base import treat it like a private dockerd: the same work directory, loop filesystem, kernel
knobs, ledger and one service per daemon session (containers/storage, like dockerd, picks native or naive diff when
the store is opened, so a knob change needs a new session). Everything it reads and writes is private: its own
`storage.conf` (graphroot and runroot in the work directory), `containers.conf` (libpod's tmp dir, events log and
network configuration in the work directory; cgroupfs, as there may be no systemd) and a `registries.conf` with no
search registry, all passed by the CONTAINERS_* variables, so neither /var/lib/containers nor the user's own
configuration is read or touched; what podman 4.3 writes beyond their reach is bind-mounted from the work directory
in the service's own mount namespace (harness.machine.namespace). Pulls meet a private dockerd's unreachable proxy.
"""

from __future__ import annotations

import http.client
import json
import subprocess
from pathlib import Path
from typing import Any

from harness.config import Scenario
from harness.hosts.api import UnixHTTPConnection
from harness.hosts.local import LocalDaemon, daemon_environment
from harness.machine.namespace import in_private_mounts, remove_mountpoints


class LocalPodman(LocalDaemon):
    def __init__(self, scenario: Scenario, workspace: Path, log_dir: Path):
        super().__init__(scenario, workspace, log_dir)
        self.socket_path = self.workspace / "podman.sock"
        self.log_path = log_dir / f"{scenario.name}.podman.log"

    def facts(self) -> dict[str, Any]:
        """The local host's facts, and `podman info`'s store (driver, its options — a mount_program among them —
        and status) from the service's own libpod API, which the Docker API's /info leaves out."""
        return {**super().facts(), "podman": str(self.engine.dockerd) if self.engine else None,
                "dockerd": None, "image_store": "containers-storage", "podman_info": self._podman_info()}

    def _podman_info(self) -> dict[str, Any] | None:
        connection = UnixHTTPConnection(self.socket_path, timeout=30)
        try:
            connection.request("GET", "/v4.0.0/libpod/info")  # libpod routes carry a version; 4.0.0 is the oldest
            info = json.loads(connection.getresponse().read())
        except (OSError, http.client.HTTPException, ValueError):
            return None  # the Docker API's facts are recorded anyway
        finally:
            connection.close()
        store = info.get("store") or {}
        return {"version": (info.get("version") or {}).get("Version"),
                "store": {key: store.get(key) for key in ("graphDriverName", "graphOptions", "graphStatus")}}

    def _write_config(self, data_root: Path) -> Path:
        """The three private configuration files; returns the directory holding them."""
        directory = self.workspace / "containers"
        directory.mkdir(mode=0o700)
        (directory / "storage.conf").write_text(storage_conf(self.scenario, data_root, self.workspace / "run"))
        (directory / "containers.conf").write_text(containers_conf(self.workspace))
        (directory / "registries.conf").write_text('unqualified-search-registries = []\n')
        return directory

    def _spawn(self, config_dir: Path) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        environment = {**daemon_environment(self.engine),
                       "CONTAINERS_STORAGE_CONF": str(config_dir / "storage.conf"),
                       "CONTAINERS_CONF": str(config_dir / "containers.conf"),
                       "CONTAINERS_REGISTRIES_CONF": str(config_dir / "registries.conf"),
                       "TMPDIR": str(self._tmp())}
        command = in_private_mounts([str(self.engine.dockerd), "--log-level=info", "system", "service", "--time=0",
                                     f"unix://{self.socket_path}"], self.workspace, self.ledger)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, env=environment)
        self.ledger.record(kind="daemon", pid=self.process.pid, workspace=str(self.workspace))

    def _tmp(self) -> Path:
        directory = self.workspace / "tmp"
        directory.mkdir(mode=0o700, exist_ok=True)
        return directory

    def stop(self) -> None:
        """End the session as a dockerd's ends; then the mount points made for the service's namespace go."""
        try:
            super().stop()
        finally:
            remove_mountpoints(self.ledger)

    def _stop_idle_containerd(self) -> list[str]:
        return []  # no containerd: Buildah's build containers are gone when its build returns


def storage_conf(scenario: Scenario, graphroot: Path, runroot: Path) -> str:
    """containers/storage's configuration: the scenario's driver and options (`overlay.mount_program: …` goes to
    `[storage.options.overlay] mount_program = "…"`), on the scenario's own graphroot."""
    sections: dict[str, dict[str, str]] = {"storage": {"driver": scenario.storage.driver, "graphroot": str(graphroot),
                                                       "runroot": str(runroot)}}
    for key, value in scenario.storage.options:
        prefix, _, name = key.rpartition(".")
        sections.setdefault(f"storage.options{'.' + prefix if prefix else ''}", {})[name] = value
    return _toml(sections)


def containers_conf(workspace: Path) -> str:
    """Where libpod keeps its state besides the store: all in the work directory."""
    engine = {"cgroup_manager": "cgroupfs", "events_logger": "file",
              "events_logfile_path": str(workspace / "events.log"), "tmp_dir": str(workspace / "libpod"),
              "image_copy_tmp_dir": str(workspace / "tmp")}
    return _toml({"engine": engine, "network": {"network_config_dir": str(workspace / "networks")}})


def _toml(sections: dict[str, dict[str, str]]) -> str:
    """TOML tables of strings: a JSON string of printable text (what the scenario checks allow) is a TOML string."""
    return "".join(f"[{section}]\n" + "".join(f"{name} = {json.dumps(value)}\n" for name, value in values.items())
                   for section, values in sections.items())
