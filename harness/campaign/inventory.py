"""Which machines an Ansible inventory names, asked of Ansible itself (INI, YAML or a script: whatever fleets keep),
and inventories made from `vagrant ssh-config` / `ssh -G`-style host blocks, so a lab of VMs is one command away."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import yaml

from harness.errors import EnvironmentNotAble, InputError


def ansible_env() -> dict[str, str]:
    """The environment for Ansible's programs: the ones installed beside this Python first on PATH (a venv need not
    be activated), no retry files, and output without colour."""
    import sys  # noqa: PLC0415 - only here

    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    env.update(ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return env


def inventory_hosts(inventory: Path) -> list[str]:
    """The inventory's hosts in Ansible's order; InputError when Ansible cannot parse it or it names none."""
    try:
        listed = subprocess.run(["ansible-inventory", "-i", str(inventory), "--list"], capture_output=True,
                                text=True, env=ansible_env(), timeout=120, check=False)
    except FileNotFoundError:
        raise EnvironmentNotAble("ansible-inventory is not installed; install the harness with its dependencies "
                                 "(pip install ansible-core ansible-runner)") from None
    if listed.returncode != 0 or "[WARNING]: Unable to parse" in listed.stderr:
        reason = " ".join(listed.stderr.split())[:300]
        raise InputError(f"{inventory}: Ansible cannot read this inventory ({reason}); check it with "
                         f"`ansible-inventory -i {inventory} --list`")
    hosts = hosts_of(json.loads(listed.stdout))
    if not hosts:
        raise InputError(f"{inventory}: the inventory names no hosts; list at least one machine")
    return hosts


def hosts_of(listing: dict) -> list[str]:
    """Every host under `all` in an `ansible-inventory --list` object, depth first, each once."""
    seen: dict[str, None] = {}

    def visit(group: str) -> None:
        entry = listing.get(group) or {}
        for host in entry.get("hosts", []):
            seen.setdefault(host, None)
        for child in entry.get("children", []):
            visit(child)

    visit("all")
    return list(seen)


def inventory_from_ssh_config(text: str) -> str:
    """A YAML inventory from ssh_config Host blocks (`vagrant ssh-config` prints one per running VM): each block's
    HostName, Port, User and IdentityFile become Ansible's connection variables; host-key settings are kept."""
    hosts: dict[str, dict] = {}
    current: dict | None = None
    for line in text.splitlines():
        parts = shlex.split(line, comments=True)
        if len(parts) < 2:
            continue
        key, value = parts[0].lower(), " ".join(parts[1:])
        if key == "host":
            current = hosts.setdefault(value, {})
        elif current is not None and key in _SSH_TO_ANSIBLE:
            current[_SSH_TO_ANSIBLE[key]] = int(value) if key == "port" else value
        elif current is not None and key in ("stricthostkeychecking", "userknownhostsfile"):
            current.setdefault("ansible_ssh_common_args", "")
            current["ansible_ssh_common_args"] += f" -o {parts[0]}={shlex.quote(value)}"
    if not hosts:
        raise InputError("the ssh config holds no Host blocks; start the machines first (`vagrant up`)")
    for variables in hosts.values():
        if "ansible_ssh_common_args" in variables:
            variables["ansible_ssh_common_args"] = variables["ansible_ssh_common_args"].strip()
    return yaml.safe_dump({"all": {"hosts": hosts}}, sort_keys=True)


_SSH_TO_ANSIBLE = {"hostname": "ansible_host", "port": "ansible_port", "user": "ansible_user",
                   "identityfile": "ansible_ssh_private_key_file"}


def inventory_from_ssh_scenarios(scenarios: list) -> str:
    """A YAML inventory from the matrix's `host: {type: ssh}` scenarios: one host per distinct machine (address,
    port), named after the first scenario that reaches it, with its user, key and known_hosts."""
    hosts: dict[str, dict] = {}
    seen: set[tuple[str, int]] = set()
    for scenario in scenarios:
        host = scenario.host
        if getattr(host, "type", None) != "ssh" or (host.address, host.port) in seen:
            continue
        seen.add((host.address, host.port))
        variables: dict = {"ansible_host": host.address, "ansible_port": host.port, "ansible_user": host.user}
        if host.identity_file:
            variables["ansible_ssh_private_key_file"] = host.identity_file
        if host.known_hosts:
            variables["ansible_ssh_common_args"] = (f"-o UserKnownHostsFile={shlex.quote(host.known_hosts)} "
                                                    "-o StrictHostKeyChecking=yes")
        hosts[scenario.name] = variables
    if not hosts:
        raise InputError("the matrix has no `host: {type: ssh}` scenario; list the machines in an inventory instead")
    return yaml.safe_dump({"all": {"hosts": hosts}}, sort_keys=True)
