"""The SSH backend: a docker daemon on another machine, reached through `ssh -N -L LOCAL.sock:REMOTE.sock`.

No TCP port is opened anywhere: OpenSSH forwards a unix socket in the harness's work directory (mode 0600) to the
daemon's unix socket on the machine, and the docker client talks to the local end. Commands for the machine's
facts, and the provision/ scripts when `host.provision` is true, run over the same SSH target.

`SshDockerHost` serves `host: ssh` scenarios; `harness.hosts.vagrant.VagrantDockerHost` subclasses it and only
replaces how the target is found (`vagrant ssh-config`) — the tunnel, facts and teardown code are these.
"""

from __future__ import annotations

import json
import secrets
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from harness.config import Scenario, SshHost
from harness.drivers import lookup
from harness.errors import EnvironmentNotAble, HarnessError
from harness.hosts.api import client_api_version, ping
from harness.machine.processes import stop_process

TUNNEL_DEADLINE_S = 45.0
POLL_INTERVAL_S = 0.2
COMMAND_TIMEOUT_S = 120.0
PROVISION_TIMEOUT_S = 3600.0
API_TIMEOUT_S = 3600
#: sockaddr_un.sun_path holds 108 bytes; keep well below.
MAX_SOCKET_PATH = 100
#: Left on the machine by provision/20-kernel.sh when a new kernel waits for a reboot (/run empties at boot).
REBOOT_MARKER = "/run/harness-reboot-required"
#: Why a round reopens the forward but does not restart the machine's daemon (recorded in the manifest).
DAEMON_SESSIONS = ("one daemon for the whole run, reconnected each round: the daemon is the machine's own service, "
                   "configured by provisioning, and restarting it needs root on a machine the harness does not own")
#: Options for every ssh call: never prompt, fail fast, notice a dead peer, say why (vagrant's ssh-config has
#: LogLevel FATAL, which would hide "Permission denied"; a refused forward — "open failed" — is logged at INFO).
#: The command line wins over an -F file, so these hold for both backends.
SSH_OPTIONS = ("-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=15",
               "-o", "ServerAliveCountMax=4", "-o", "ControlMaster=no", "-o", "ControlPath=none",
               "-o", "LogLevel=INFO")


@dataclass(frozen=True)
class SshTarget:
    """How OpenSSH reaches one machine: a destination and the options that select it."""

    destination: str
    options: tuple[str, ...]
    label: str  # for messages: "root@db1:22", "Vagrant VM ol75-…"

    def command(self, *extra: str) -> list[str]:
        """`--` ends ssh's options: a destination can never be read as one (`-oProxyCommand=…`)."""
        return ["ssh", *SSH_OPTIONS, *self.options, *extra, "--", self.destination]


def ssh_host_target(host: SshHost) -> SshTarget:
    """`host: ssh`: the user's own ssh configuration applies (ProxyJump, known_hosts); a new host key is learnt
    once and a changed one refused (StrictHostKeyChecking=accept-new) — unless `known_hosts` names the file to
    check strictly against (a throwaway test VM must not land in the user's known_hosts)."""
    checking = (("-o", f"UserKnownHostsFile={Path(host.known_hosts).expanduser()}", "-o", "StrictHostKeyChecking=yes")
                if host.known_hosts else ("-o", "StrictHostKeyChecking=accept-new"))
    options = ("-p", str(host.port), "-l", host.user, *checking)
    if host.identity_file:
        options += ("-i", str(Path(host.identity_file).expanduser()), "-o", "IdentitiesOnly=yes")
    return SshTarget(destination=host.address, options=options, label=f"{host.user}@{host.address}:{host.port}")


def run_remote(target: SshTarget, script: str, stdin: bytes | None = None,
               timeout: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess[bytes]:
    """Run a POSIX sh script on the machine (whatever the user's login shell is)."""
    command = target.command() + ["sh -c " + shlex.quote(script)]
    try:
        return subprocess.run(command, input=stdin if stdin is not None else b"", capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise EnvironmentNotAble(f"ssh to {target.label} did not finish within {timeout:.0f} s: "
                                 f"{shlex.join(command)}") from None
    except FileNotFoundError:
        raise EnvironmentNotAble("ssh not found: install the OpenSSH client (apt-get install openssh-client)") \
            from None


class SshDockerHost:
    """A docker daemon on a machine reached over SSH (see the module docstring)."""

    #: The daemon runs on the other machine: its log is not at hand here (the ssh log is not the daemon's).
    daemon_log: Path | None = None

    def __init__(self, scenario: Scenario, workspace: Path, log_dir: Path, target: SshTarget | None = None):
        self.scenario = scenario
        self.workspace = workspace / f"ssh-{secrets.token_hex(4)}"
        if len(str(self.workspace / "docker.sock")) > MAX_SOCKET_PATH:
            self.workspace = Path(tempfile.gettempdir()) / f"harness-ssh-{secrets.token_hex(4)}"
        self.socket_path = self.workspace / "docker.sock"
        self.log_dir = log_dir
        self.log_path = log_dir / f"{scenario.name}.ssh.log"
        self.target = target
        self.api: docker.APIClient | None = None  # type: ignore[assignment]
        self.api_version: str | None = None
        #: The engine's binaries on this machine: none for a remote daemon (its docker CLI is not ours to run).
        self.engine = None
        self.containerd_debug_socket = None  # the remote daemon's containerd is not reachable from here
        self._forward: subprocess.Popen | None = None
        self._prepared = False  # the first session made the work directory (and provisioned)
        self._ledger: Any = None

    @property
    def remote_socket(self) -> str:
        return self.scenario.host.docker_socket  # type: ignore[union-attr]

    def start(self) -> None:
        """Begin a session: the first one finds the machine (and provisions it); each one opens the forward."""
        if not self._prepared:
            self._prepared = True
            self.workspace.mkdir(parents=True, mode=0o700)
            self._record_workspace()
            self.log_dir.mkdir(parents=True, exist_ok=True)
            if self.target is None:
                self.target = self._find_target()
            if self._provisions():
                provision(self.target, self.scenario, self._docker_user(), provision_scripts(self.scenario),
                          self.log_dir / f"{self.scenario.name}.provision.log")
        self._open_forward()
        self.api = docker.APIClient(base_url=f"unix://{self.socket_path}", version=self.api_version,
                                    timeout=API_TIMEOUT_S)

    def facts(self) -> dict[str, Any]:
        """The machine's kernel, distribution, overlay parameters, block devices (and LVM for a driver whose
        registry entry keeps layers in a thin pool: devicemapper)."""
        assert self.target is not None, "start() first"
        driver = lookup(self.scenario.storage.driver, self.scenario.storage.image_store)
        result = run_remote(self.target, _facts_script(driver is not None and driver.thin_pool))
        sections = _sections(result.stdout.decode(errors="replace"))
        facts: dict[str, Any] = {
            "daemon_sessions": DAEMON_SESSIONS,
            "ssh_target": self.target.label, "docker_socket": self.remote_socket, "api_version": self.api_version,
            "kernel": sections.get("kernel", "").strip() or None,
            "os_release": _key_values(sections.get("os-release", ""), "="),
            "overlay_parameters": _key_values(sections.get("overlay", ""), "="),
            "lsblk": _lsblk_pairs(sections.get("lsblk", "")),
        }
        if "lvs" in sections:
            facts["lvs"] = _lvs_rows(sections["lvs"])
        if result.returncode != 0:
            facts["facts_error"] = result.stderr.decode(errors="replace").strip()[-500:]
        return facts

    def stop(self) -> None:
        """End the session: close the client and end our ssh (by its pid); never raises over an earlier error."""
        problems = []
        if self.api is not None:
            self.api.close()
            self.api = None
        if self._forward is not None:
            if not stop_process(self._forward.pid, grace_s=5.0):
                problems.append(f"ssh {self._forward.pid} would not stop")
            self._forward = None
        self.socket_path.unlink(missing_ok=True)
        if problems:
            raise HarnessError(f"cleanup of {self.scenario.name} left things behind: {'; '.join(problems)}; "
                               f"run `harness cleanup`")

    def close(self) -> None:
        """End any session and remove our work directory (the machine and its daemon are left as they were)."""
        try:
            self.stop()
        finally:
            for leftover in (self.workspace / "ssh_config",):
                leftover.unlink(missing_ok=True)
            if self.workspace.exists() and not any(self.workspace.iterdir()):
                self.workspace.rmdir()
                if self._ledger is not None:
                    self._ledger.forget(kind="workspace", path=str(self.workspace))

    # Hooks the Vagrant backend replaces.

    def _find_target(self) -> SshTarget:
        host = self.scenario.host
        if not isinstance(host, SshHost):
            raise TypeError(f"{self.scenario.name} is not an ssh scenario")
        return ssh_host_target(host)

    def _provisions(self) -> bool:
        return isinstance(self.scenario.host, SshHost) and self.scenario.host.provision

    def _docker_user(self) -> str:
        host = self.scenario.host
        return host.user if isinstance(host, SshHost) else "vagrant"

    # The forward.

    def _open_forward(self) -> None:
        """Start `ssh -N -L` and wait until the daemon answers `/_ping` through it, or fail with ssh's words."""
        assert self.target is not None
        command = self.target.command("-N", "-o", "ExitOnForwardFailure=yes", "-o", "StreamLocalBindUnlink=yes",
                                      "-o", "StreamLocalBindMask=0177",
                                      "-L", f"{self.socket_path}:{self.remote_socket}")
        with self.log_path.open("ab") as log:
            log.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {shlex.join(command)}\n".encode())
            log.flush()
            offset = log.tell()
            self._forward = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             start_new_session=True)
        deadline = time.monotonic() + TUNNEL_DEADLINE_S
        while time.monotonic() < deadline:
            if self._forward.poll() is not None:
                raise EnvironmentNotAble(f"ssh to {self.target.label} exited (code {self._forward.returncode}) "
                                         f"before forwarding {self.remote_socket}: {self._ssh_said(offset)}")
            if self.socket_path.exists():
                version = ping(self.socket_path)
                if version is not None:
                    self.api_version = client_api_version(version, self.target.label)
                    return
                said = self._ssh_said(offset)
                if "open failed" in said or "connect failed" in said:
                    raise EnvironmentNotAble(f"ssh reached {self.target.label}, but not the docker socket "
                                             f"{self.remote_socket} there: {said} (is docker running there, "
                                             f"may the ssh user use its socket — provisioning adds it to the "
                                             f"docker group — and does sshd allow local forwarding: "
                                             f"AllowTcpForwarding yes or local?)")
            time.sleep(POLL_INTERVAL_S)
        raise EnvironmentNotAble(f"no docker daemon answered through ssh -L {self.socket_path}:{self.remote_socket} "
                                 f"on {self.target.label} within {TUNNEL_DEADLINE_S:.0f} s: "
                                 f"{self._ssh_said(offset) or 'ssh printed nothing'}")

    def _ssh_said(self, offset: int) -> str:
        """What ssh wrote to its log since this forward started (last lines), for error messages."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            lines = log.read().decode(errors="replace").strip().splitlines()
        lines = [line for line in lines if not line.startswith("Warning: Permanently added")]
        return " | ".join(lines[-6:])

    def _record_workspace(self) -> None:
        """Let `harness cleanup` end our ssh after a SIGKILL: it stops what references this directory."""
        try:
            from harness.machine.ledger import Ledger  # noqa: PLC0415
            self._ledger = Ledger.for_this_process()
            self._ledger.record(kind="workspace", path=str(self.workspace))
        except (ImportError, OSError):
            self._ledger = None


# Facts: one ssh round trip, sections marked by "@@name" lines.

def _facts_script(with_lvm: bool) -> str:
    lines = [
        "echo @@kernel; uname -r",
        "echo @@os-release; cat /etc/os-release 2>/dev/null",
        "echo @@overlay; for f in /sys/module/overlay/parameters/*; do "
        "[ -f \"$f\" ] && printf '%s=%s\\n' \"${f##*/}\" \"$(cat \"$f\")\"; done",
        "echo @@lsblk; lsblk -P -o NAME,KNAME,TYPE,SIZE,FSTYPE,MOUNTPOINT 2>&1",
    ]
    if with_lvm:
        lvs = ("lvs --noheadings --separator '|' "
               "-o lv_name,vg_name,lv_attr,lv_size,data_percent,metadata_percent,seg_monitor,lv_profile")
        lines.append(f"echo @@lvs; if [ \"$(id -u)\" -eq 0 ]; then {lvs}; else sudo -n {lvs}; fi 2>&1")
    return "\n".join(lines) + "\ntrue\n"


def _sections(text: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("@@"):
            current = line[2:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def _key_values(text: str, separator: str) -> dict[str, str]:
    pairs = (line.split(separator, 1) for line in text.splitlines() if separator in line)
    return {key.strip(): value.strip().strip('"') for key, value in pairs}


def _lsblk_pairs(text: str) -> list[dict[str, str]] | str:
    """`lsblk -P` lines (KEY="value" …) as dicts; the raw text when it is something else (an error)."""
    try:
        rows = [dict(pair.split("=", 1) for pair in shlex.split(line)) for line in text.splitlines() if line]
    except ValueError:
        return text.strip()
    return rows


def _lvs_rows(text: str) -> list[dict[str, str]] | str:
    names = ("lv_name", "vg_name", "lv_attr", "lv_size", "data_percent", "metadata_percent", "seg_monitor",
             "lv_profile")
    rows = [line.strip().split("|") for line in text.splitlines() if line.strip()]
    if not rows or any(len(row) != len(names) for row in rows):
        return text.strip()  # no LVM tools, no sudo: keep what was said
    return [dict(zip(names, (cell.strip() for cell in row))) for row in rows]


# Provisioning: the same provision/ scripts the Vagrantfile runs, with the same environment.

def provision_env(scenario: Scenario, docker_user: str) -> dict[str, str]:
    """Environment of every provision/ script; the Vagrantfile's `provision_env` builds the same for its VMs
    (tests/unit/test_vagrantfile.py compares them)."""
    host, storage, overlay, expect = scenario.host, scenario.storage, scenario.overlay, scenario.expect
    extra_disk_gb = getattr(host, "extra_disk_gb", 0)
    return {
        "HARNESS_SCENARIO": scenario.name,
        "DOCKER_USER": docker_user,
        "DOCKER_SOCKET": getattr(host, "docker_socket", "/var/run/docker.sock"),
        "ENGINE_PACKAGE": scenario.engine.package or "",
        "ENGINE_VERSION": scenario.engine.version or "",
        "KERNEL_PACKAGE": scenario.kernel_package or "",
        "LVM_DEVICE": getattr(host, "lvm_device", None) or "",
        "STORAGE_DRIVER": storage.driver,
        "DAEMON_CONFIG": json.dumps({"storage-driver": storage.driver, "storage-opts": storage.storage_opts()},
                                    separators=(",", ":"), ensure_ascii=False),
        "DIRECT_LVM": "true" if storage.direct_lvm else "false",
        "EXTRA_DISK_GB": str(extra_disk_gb),
        "EXTRA_DISK_SERIAL": "harness-extra" if extra_disk_gb > 0 else "",
        "OVERLAY_REDIRECT_DIR": _on_off(overlay.redirect_dir),
        "OVERLAY_METACOPY": _on_off(overlay.metacopy),
        "EXPECT_DRIVER": expect.driver or "",
        "EXPECT_NATIVE_OVERLAY_DIFF": "" if expect.native_overlay_diff is None else
        str(expect.native_overlay_diff).lower(),
        "EXPECT_BACKING_FILESYSTEM": expect.backing_filesystem or "",
    }


def _on_off(value: bool | None) -> str:
    return "" if value is None else ("on" if value else "off")


def provision_scripts(scenario: Scenario) -> list[Path]:
    """provision/NN-*.sh beside the scenario's scenarios/ directory (else the harness checkout's), in order."""
    for directory in (scenario.file.resolve().parent.parent / "provision",
                      Path(__file__).resolve().parents[2] / "provision"):
        scripts = sorted(directory.glob("[0-9][0-9]-*.sh"))
        if scripts:
            return scripts
    raise EnvironmentNotAble(f"no provision/NN-*.sh scripts beside {scenario.file.parent} to provision "
                             f"{scenario.name} with")


def provision(target: SshTarget, scenario: Scenario, docker_user: str, scripts: list[Path], log_path: Path) -> None:
    """Run each script as root on the machine (sudo -n unless the ssh user is root); output goes to `log_path`."""
    assignments = " ".join(f"{key}={shlex.quote(value)}" for key, value in provision_env(scenario, docker_user).items())
    for script in scripts:
        remote = (f'f=$(mktemp /tmp/harness-provision.XXXXXX) && cat >"$f" || exit 97\n'
                  f'if [ "$(id -u)" -eq 0 ]; then as_root=""; else as_root="sudo -n"; fi\n'
                  f'$as_root env {assignments} bash "$f" </dev/null 2>&1; status=$?\n'
                  f'rm -f "$f"; exit $status\n')
        result = run_remote(target, remote, stdin=script.read_bytes(), timeout=PROVISION_TIMEOUT_S)
        output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
        with log_path.open("a", encoding="utf-8") as log:
            log.write(f"--- {script.name} on {target.label} (exit {result.returncode})\n{output}")
        if result.returncode != 0:
            tail = " | ".join(output.strip().splitlines()[-8:])
            raise EnvironmentNotAble(f"provisioning {scenario.name} failed in {script.name} (exit "
                                     f"{result.returncode}) on {target.label}: {tail} (full output: {log_path})")
        if run_remote(target, f"test -e {REBOOT_MARKER}").returncode == 0:
            raise EnvironmentNotAble(f"provisioning {scenario.name} installed a new kernel on {target.label}; "
                                     f"reboot that machine, then run again (provisioning continues where it "
                                     f"stopped)")
