"""Pure parts of the SSH and Vagrant backends: API version choice, facts parsing, ssh targets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.config import SshHost
from harness.errors import EnvironmentNotAble
from harness.hosts.api import client_api_version
from harness.hosts.ssh import _facts_script, _lsblk_pairs, _lvs_rows, _sections, ssh_host_target
from harness.hosts.vagrant import _vagrant_error, ssh_config_target, vagrant_env


@pytest.mark.parametrize("server, chosen", [("1.39", "1.39"), ("1.41", "1.41"), ("1.51", "1.45"), ("1.24", "1.24")])
def test_the_client_speaks_the_daemons_api_capped_at_the_sdks(server: str, chosen: str) -> None:
    """18.09 speaks 1.39, Debian's 20.10 1.41, 28.x 1.51; docker-py 7.x knows up to 1.45."""
    assert client_api_version(server, "vm") == chosen


def test_an_engine_older_than_the_sdk_supports_is_refused() -> None:
    with pytest.raises(EnvironmentNotAble, match="speaks API 1.12"):
        client_api_version("1.12", "vm")


def test_facts_output_is_split_into_parsed_sections() -> None:
    text = ("@@kernel\n4.14.35-1818.3.3.el7uek.x86_64\n@@lsblk\n"
            'NAME="sda" KNAME="sda" TYPE="disk" SIZE="40G" FSTYPE="" MOUNTPOINT=""\n'
            'NAME="sda2" KNAME="sda2" TYPE="part" SIZE="39G" FSTYPE="xfs" MOUNTPOINT="/"\n'
            "@@lvs\n  thinpool|docker|twi-a-t---|18.05g|1.23|0.10|monitored|docker-thinpool\n")
    sections = _sections(text)
    assert sections["kernel"].strip() == "4.14.35-1818.3.3.el7uek.x86_64"
    assert _lsblk_pairs(sections["lsblk"])[1] == {"NAME": "sda2", "KNAME": "sda2", "TYPE": "part", "SIZE": "39G",
                                                  "FSTYPE": "xfs", "MOUNTPOINT": "/"}
    assert _lvs_rows(sections["lvs"]) == [{"lv_name": "thinpool", "vg_name": "docker", "lv_attr": "twi-a-t---",
                                           "lv_size": "18.05g", "data_percent": "1.23", "metadata_percent": "0.10",
                                           "seg_monitor": "monitored", "lv_profile": "docker-thinpool"}]
    assert _lvs_rows("sudo: a password is required") == "sudo: a password is required"


def test_the_facts_script_is_posix_sh() -> None:
    for with_lvm in (False, True):
        result = subprocess.run(["sh", "-n"], input=_facts_script(with_lvm), text=True, capture_output=True)
        assert result.returncode == 0, result.stderr


def test_an_ssh_host_keeps_the_users_ssh_configuration_and_learns_new_host_keys_once() -> None:
    target = ssh_host_target(SshHost(address="db1.example", user="ci", port=2222, identity_file="~/.ssh/ci"))
    assert target.destination == "db1.example" and target.label == "ci@db1.example:2222"
    command = target.command("-N")
    assert "-F" not in command
    assert command[command.index("-p") + 1] == "2222" and command[command.index("-l") + 1] == "ci"
    assert "StrictHostKeyChecking=accept-new" in command and "BatchMode=yes" in command
    assert command[command.index("-i") + 1] == str(Path("~/.ssh/ci").expanduser())
    assert command[-2:] == ["--", "db1.example"]  # the destination can never be read as an option


def test_vagrant_ssh_config_becomes_an_ssh_F_target(tmp_path: Path) -> None:
    text = ("Host ol75-overlay2-redirect-dir-on\n  HostName 127.0.0.1\n  User vagrant\n  Port 2222\n"
            "  IdentityFile /home/u/.vagrant.d/insecure_private_key\n  LogLevel FATAL\n")
    target = ssh_config_target(text, tmp_path / "ssh_config", "Vagrant VM x")
    assert target.destination == "ol75-overlay2-redirect-dir-on"
    assert target.options == ("-F", str(tmp_path / "ssh_config"))
    assert (tmp_path / "ssh_config").read_text() == text and (tmp_path / "ssh_config").stat().st_mode & 0o077 == 0
    command = target.command()
    assert command.index("LogLevel=INFO") < command.index("-F")  # the command line wins over the file
    with pytest.raises(EnvironmentNotAble):
        ssh_config_target("nothing here", tmp_path / "other", "Vagrant VM y")


def test_vagrant_errors_are_unescaped_from_machine_readable_output() -> None:
    output = (b"1424099042,,error-exit,Vagrant::Errors::MachineNotFound,The machine with the name 'api' was not "
              b"found configured for\\nthis Vagrant environment%!(VAGRANT_COMMA) sorry.\n")
    error = subprocess.CalledProcessError(1, ["vagrant"], output=output)
    assert _vagrant_error(error) == ("The machine with the name 'api' was not found configured for this Vagrant "
                                     "environment, sorry.")


def test_the_disk_flag_is_added_only_when_a_vm_needs_a_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGRANT_EXPERIMENTAL", "typed_triggers")
    assert vagrant_env(Path("/s"))["VAGRANT_EXPERIMENTAL"] == "typed_triggers"
    assert vagrant_env(Path("/s"), disks=True)["VAGRANT_EXPERIMENTAL"] == "typed_triggers,disks"
    assert vagrant_env(Path("/s"))["HARNESS_SCENARIO_DIR"] == "/s"
