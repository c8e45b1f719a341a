"""The Vagrant backend: a VM made by the repository's Vagrantfile from the scenario's own YAML file.

The harness never creates or provisions a VM while measuring: `harness up FILE` (or `vagrant up`) does that. At
`start()` it asks Vagrant (python-vagrant, i.e. the real `vagrant` binary) whether the scenario's VM is running,
refuses with the command to run if it is not, and reads `vagrant ssh-config NAME`; from there on it is the SSH
backend (`SshDockerHost`): the VM's docker socket forwarded to a local unix socket with `ssh -N -L`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import vagrant

from harness.config import Scenario, VagrantHost
from harness.errors import EnvironmentNotAble
from harness.hosts.ssh import SshDockerHost, SshTarget


def vagrant_root(scenario: Scenario) -> Path:
    """The directory of the Vagrantfile that defines the scenario's VM: the one holding its scenarios/ directory."""
    root = scenario.file.resolve().parent.parent
    if not (root / "Vagrantfile").is_file():
        raise EnvironmentNotAble(f"{scenario.file} is a vagrant scenario, but there is no Vagrantfile in {root} "
                                 f"(the Vagrantfile beside scenarios/ defines one VM per scenario file): copy the "
                                 f"repository's Vagrantfile and provision/ there")
    return root


def vagrant_env(scenario_dir: Path, disks: bool = False) -> dict[str, str]:
    """The environment for `vagrant`: the scenarios it must read and, for a VM with an extra disk, the feature
    flag Vagrant 2.3 needs before VirtualBox adds one (`VAGRANT_EXPERIMENTAL=disks`)."""
    env = dict(os.environ)
    features = [f for f in env.get("VAGRANT_EXPERIMENTAL", "").split(",") if f]
    if disks and "disks" not in features and "1" not in features:
        env["VAGRANT_EXPERIMENTAL"] = ",".join(features + ["disks"])
    env["HARNESS_SCENARIO_DIR"] = str(scenario_dir)
    return env


@contextlib.contextmanager
def _append_to(path: Path) -> Iterator[Any]:
    with path.open("ab") as handle:
        yield handle


def vagrant_cli(root: Path, scenario_dir: Path, log_path: Path | None = None, show_output: bool = False,
                disks: bool = False) -> vagrant.Vagrant:
    """python-vagrant on `root`; vagrant's stderr goes to `log_path` (or ours when `show_output`), and so does its
    stdout for commands whose output is not parsed."""
    if show_output:
        out_cm = err_cm = vagrant.stderr_cm
    elif log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        out_cm = err_cm = lambda: _append_to(log_path)  # noqa: E731 - python-vagrant wants a factory
    else:
        out_cm = err_cm = vagrant.devnull_cm
    return vagrant.Vagrant(root=str(root), env=vagrant_env(scenario_dir, disks), out_cm=out_cm, err_cm=err_cm)


def machine_state(cli: vagrant.Vagrant, name: str) -> tuple[str, str | None]:
    """(state, provider) of the VM `name`, e.g. ("running", "virtualbox"), ("not_created", "libvirt")."""
    try:
        statuses = cli.status(vm_name=name)
    except subprocess.CalledProcessError as error:
        raise EnvironmentNotAble(f"`vagrant status {name}` failed in {cli.root}: {_vagrant_error(error)}") from None
    except RuntimeError as error:  # python-vagrant: no vagrant executable
        raise EnvironmentNotAble(f"vagrant not found ({error}); install it (apt-get install vagrant) or use "
                                 f"`host: ssh` scenarios") from None
    for status in statuses:
        if status.name == name:
            return status.state, status.provider
    raise EnvironmentNotAble(f"the Vagrantfile in {cli.root} defines no VM named {name}")


def _vagrant_error(error: subprocess.CalledProcessError) -> str:
    """The `error-exit` message of machine-readable output, unescaped; else the exit code."""
    for line in (error.output or b"").decode(errors="replace").splitlines():
        parts = line.split(",", 4)
        if len(parts) == 5 and parts[2] == "error-exit":
            return parts[4].replace("%!(VAGRANT_COMMA)", ",").replace("\\n", " ").strip()
    return f"exit code {error.returncode}"


#: What "inaccessible" means for a provider, where Vagrant does not say.
_INACCESSIBLE_WHY = {
    "libvirt": " — it runs but holds no DHCP lease, so it has no address (machines made from one image with the "
               "same /etc/machine-id send the same DHCP client id and take each other's lease; an empty "
               "/etc/machine-id in the box prevents it)",
}


class VagrantDockerHost(SshDockerHost):
    """The daemon of the scenario's running Vagrant VM, through the SSH backend's forward."""

    def __init__(self, scenario: Scenario, workspace: Path, log_dir: Path, cli: vagrant.Vagrant | None = None):
        super().__init__(scenario, workspace, log_dir)
        if not isinstance(scenario.host, VagrantHost):
            raise TypeError(f"{scenario.name} is not a vagrant scenario")
        self.cli = cli
        self.provider: str | None = None

    def facts(self) -> dict[str, Any]:
        host = self.scenario.host
        vm = {"machine": self.scenario.name, "provider": self.provider, "root": self.cli.root if self.cli else None,
              "box": host.box, "box_url": host.box_url, "box_version": host.box_version}  # type: ignore[union-attr]
        return {**super().facts(), "vagrant": vm}

    def _find_target(self) -> SshTarget:
        name = self.scenario.name
        if self.cli is None:
            root = vagrant_root(self.scenario)
            self.cli = vagrant_cli(root, self.scenario.file.resolve().parent, self.log_dir / f"{name}.vagrant.log")
        state, self.provider = machine_state(self.cli, name)
        if state == "inaccessible":
            raise EnvironmentNotAble(f"scenario {name}: its Vagrant VM is inaccessible ({self.provider}): Vagrant "
                                     f"cannot reach it{_INACCESSIBLE_WHY.get(self.provider or '', '')}; "
                                     f"`vagrant reload {name}` in {self.cli.root} may recover it")
        if state != vagrant.Vagrant.RUNNING:
            raise EnvironmentNotAble(f"scenario {name}: its Vagrant VM is {state.replace('_', ' ')} "
                                     f"({self.provider or 'no provider'}); run `vagrant up {name}` in "
                                     f"{self.cli.root} or `harness up matrix.yaml`, then run again")
        try:
            text = self.cli.ssh_config(vm_name=name)
        except subprocess.CalledProcessError as error:
            raise EnvironmentNotAble(f"`vagrant ssh-config {name}` failed in {self.cli.root} (exit "
                                     f"{error.returncode}); see {self.log_dir / f'{name}.vagrant.log'}") from None
        return ssh_config_target(text, self.workspace / "ssh_config", f"Vagrant VM {name}")

    def _provisions(self) -> bool:
        return False  # Vagrant provisions (harness up / vagrant up / vagrant provision)

    def _docker_user(self) -> str:
        return "vagrant"


def ssh_config_target(text: str, path: Path, label: str) -> SshTarget:
    """A target from `vagrant ssh-config` output, kept in `path` and used with `ssh -F` (Vagrant's own key,
    port and host-key settings; the user's ~/.ssh/config does not apply, as with `vagrant ssh`)."""
    alias = next((line.split(None, 1)[1].strip() for line in text.splitlines()
                  if line.strip().startswith("Host ") and len(line.split()) == 2), None)
    if alias is None:
        raise EnvironmentNotAble(f"no `Host NAME` line in the ssh configuration of the {label}: {text[:200]!r}")
    path.write_text(text)
    path.chmod(0o600)
    return SshTarget(destination=alias, options=("-F", str(path)), label=label)


def vagrant_scenarios(scenarios: tuple[Scenario, ...] | list[Scenario], only: list[str] | tuple[str, ...],
                      what: str) -> list[Scenario]:
    """The vagrant scenarios among `scenarios` (those named in `only`, if given); refuses a selection of none."""
    from harness.errors import InputError  # noqa: PLC0415

    names = {s.name for s in scenarios}
    unknown = [name for name in only if name not in names]
    if unknown:
        raise InputError(f"--only {unknown[0]}: not a scenario of {what} (it has: {', '.join(sorted(names))})")
    chosen = [s for s in scenarios if isinstance(s.host, VagrantHost) and (not only or s.name in only)]
    if not chosen:
        raise InputError(f"{what} names no vagrant scenario{' among ' + ', '.join(only) if only else ''}: "
                         f"nothing for Vagrant to do")
    return chosen
