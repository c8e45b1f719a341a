"""Run the shipped playbook through ansible-runner and say what happened on each machine.

Ansible does the fan-out (forks = the campaign's concurrency, `strategy: free`); this module only starts it, listens
to its events (gathered facts, failures with their message, unreachable hosts with the SSH error, first and last
event per host for the timing) and can stop it when the campaign is interrupted. SSH connection multiplexing is
off, so no ssh master process outlives the campaign, and a killed controller hangs up every machine's session.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.campaign.inventory import ansible_env

PLAYBOOK = Path(__file__).with_name("playbook.yml")
STOP_PLAYBOOK = Path(__file__).with_name("stop.yml")
FACTS_TASK = "Gathering Facts"


@dataclass
class HostOutcome:
    """What the events said about one machine."""

    facts: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None
    unreachable: str | None = None
    first_event: str | None = None
    last_event: str | None = None


@dataclass(frozen=True)
class PlayResult:
    outcomes: dict[str, HostOutcome]
    status: str  # ansible-runner's: successful, failed, canceled, timeout
    rc: int | None


def run_playbook(private_dir: Path, inventory: Path, hosts: list[str], forks: int, extravars: dict[str, Any],
                 cancelled: Callable[[], bool], on_event: Callable[[str, HostOutcome], None]) -> PlayResult:
    """Run the playbook on `hosts` of `inventory`; `on_event(host, outcome)` after every event about a host."""
    import ansible_runner  # noqa: PLC0415 - ansible is heavy and only a campaign run needs it

    outcomes = {host: HostOutcome() for host in hosts}
    (private_dir / "tmp").mkdir(parents=True, exist_ok=True)
    env = _environment(private_dir)
    os.environ["PATH"] = env["PATH"]  # ansible-runner looks ansible-playbook up in its own process's PATH

    def handle(event: dict[str, Any]) -> bool:
        data = event.get("event_data") or {}
        host = data.get("host")
        if host in outcomes:
            _record(outcomes[host], event.get("event", ""), data, event.get("created"))
            on_event(host, outcomes[host])
        return True

    runner = ansible_runner.run(
        private_data_dir=str(private_dir), playbook=str(PLAYBOOK), inventory=str(inventory), limit=",".join(hosts),
        forks=forks, extravars=extravars, envvars=env, event_handler=handle, cancel_callback=cancelled,
        quiet=True, suppress_env_files=True)
    return PlayResult(outcomes=outcomes, status=runner.status, rc=runner.rc)


def stop_machines(private_dir: Path, inventory: Path, hosts: list[str], forks: int,
                  extravars: dict[str, Any]) -> str:
    """After a cancelled play: stop the harness runs still going on `hosts` and clean up after them (stop.yml);
    not itself cancellable, so a second Ctrl-C cannot leave daemons behind. ansible-runner's status."""
    import ansible_runner  # noqa: PLC0415 - as above

    runner = ansible_runner.run(
        private_data_dir=str(private_dir), playbook=str(STOP_PLAYBOOK), inventory=str(inventory),
        limit=",".join(hosts), forks=forks, extravars=extravars, envvars=_environment(private_dir), quiet=True,
        suppress_env_files=True)
    return runner.status


def _record(outcome: HostOutcome, kind: str, data: dict[str, Any], created: str | None) -> None:
    outcome.first_event = outcome.first_event or created
    outcome.last_event = created or outcome.last_event
    result = data.get("res") or {}
    if kind == "runner_on_ok" and data.get("task") == FACTS_TASK:
        outcome.facts = result.get("ansible_facts") or {}
    elif kind == "runner_on_unreachable":
        outcome.unreachable = _one_line(result.get("msg") or "unreachable")
    elif kind == "runner_on_failed" and not data.get("ignore_errors"):
        outcome.failure = f"{data.get('task')}: {_one_line(_message(result))}"


def _message(result: dict[str, Any]) -> str:
    """The module's message, with the last lines of stderr when a command failed."""
    stderr = [line for line in (result.get("stderr_lines") or []) if line.strip()]
    message = str(result.get("msg") or "")
    return " / ".join(stderr[-3:]) + (f" ({message})" if message else "") if stderr else message or "failed"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())[:500]


def _environment(private_dir: Path) -> dict[str, str]:
    env = ansible_env()
    env.update(
        ANSIBLE_SSH_ARGS="-o ControlMaster=no -o ServerAliveInterval=15 -o ServerAliveCountMax=4",
        ANSIBLE_TIMEOUT="20",
        ANSIBLE_LOCAL_TEMP=str(private_dir / "tmp"),
        ANSIBLE_HOME=str(private_dir / "home"),
        ANSIBLE_CALLBACK_RESULT_FORMAT="yaml",
    )
    return env
