"""The campaign file and inventories: bad input named with file and key (exit 2, nothing started), inventories
read by Ansible itself, and ssh_config Host blocks (`vagrant ssh-config`) turned into an inventory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.campaign.config import load_campaign
from harness.campaign.inventory import hosts_of, inventory_from_ssh_config, inventory_hosts
from harness.errors import InputError
from tests.conftest import REPO


@pytest.fixture
def campaign_home(tmp_path: Path) -> Path:
    (tmp_path / "matrix.yaml").write_text("scenarios: [a]\nworkloads: [w]\n")
    (tmp_path / "hosts.ini").write_text("[lab]\nbox1 ansible_host=10.0.0.1\nbox2\n[other]\nbox3\n")
    return tmp_path


def write(home: Path, text: str) -> Path:
    path = home / "campaign.yaml"
    path.write_text(text)
    return path


def test_a_valid_campaign_file_resolves_paths_beside_it(campaign_home: Path) -> None:
    campaign = load_campaign(write(campaign_home, "matrix: matrix.yaml\ninventory: hosts.ini\nconcurrency: 3\n"
                                                  "run_args: [--reps, 4]\n"))
    assert campaign.matrix == campaign_home / "matrix.yaml" and campaign.inventory == campaign_home / "hosts.ini"
    assert campaign.concurrency == 3 and campaign.run_args == ("--reps", "4")
    assert campaign.work_dir == "/var/tmp/harness-campaign"


@pytest.mark.parametrize("text,complaint", [
    ("matrix: matrix.yaml\n", "inventory: is required"),
    ("matrix: nope.yaml\ninventory: hosts.ini\n", "nope.yaml, which does not exist"),
    ("matrix: matrix.yaml\ninventory: hosts.ini\nconcurrency: 0\n", "concurrency: must be between"),
    ("matrix: matrix.yaml\ninventory: hosts.ini\nwork_dir: relative/dir\n", "work_dir: must be an absolute path"),
    ("matrix: matrix.yaml\ninventory: hosts.ini\nrun_args: [--results, /x]\n", "must not contain --results"),
    ("matrix: matrix.yaml\ninventory: hosts.ini\nforks: 2\n", "forks: unknown key"),
])
def test_bad_campaign_files_name_the_key(campaign_home: Path, text: str, complaint: str) -> None:
    with pytest.raises(InputError, match=complaint.replace("[", r"\[")) as refusal:
        load_campaign(write(campaign_home, text))
    assert str(campaign_home / "campaign.yaml") in str(refusal.value)


def test_the_command_refuses_a_bad_campaign_with_exit_2(campaign_home: Path) -> None:
    bad = write(campaign_home, "matrix: matrix.yaml\n")
    result = subprocess.run([sys.executable, "-m", "harness.cli", "campaign", "run", str(bad), "--results",
                             str(campaign_home / "results")], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2 and "inventory: is required" in result.stderr and "Traceback" not in result.stderr
    assert not (campaign_home / "results").exists()


def test_ansible_reads_an_ini_inventory(campaign_home: Path) -> None:
    assert inventory_hosts(campaign_home / "hosts.ini") == ["box1", "box2", "box3"]


def test_an_inventory_ansible_cannot_parse_is_bad_input(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("all:\n  hosts: [not, a, mapping]\n")
    with pytest.raises(InputError, match="Ansible cannot read this inventory|names no hosts"):
        inventory_hosts(broken)


def test_hosts_of_walks_groups_once_each() -> None:
    listing = {"all": {"children": ["ungrouped", "lab"]}, "lab": {"hosts": ["b", "a"], "children": ["inner"]},
               "inner": {"hosts": ["a", "c"]}, "ungrouped": {"hosts": ["z"]}}
    assert hosts_of(listing) == ["z", "b", "a", "c"]


def test_vagrant_ssh_config_becomes_an_inventory() -> None:
    text = """Host default
  HostName 127.0.0.1
  User vagrant
  Port 2222
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  IdentityFile /home/u/.vagrant.d/insecure_private_key
  IdentitiesOnly yes

Host ol75
  HostName 192.168.121.5
  User vagrant
  Port 22
  IdentityFile "/path with space/key"
"""
    inventory = yaml.safe_load(inventory_from_ssh_config(text))
    hosts = inventory["all"]["hosts"]
    assert hosts["default"]["ansible_port"] == 2222 and hosts["default"]["ansible_user"] == "vagrant"
    assert "-o StrictHostKeyChecking=no" in hosts["default"]["ansible_ssh_common_args"]
    assert hosts["ol75"]["ansible_ssh_private_key_file"] == "/path with space/key"
    with pytest.raises(InputError, match="no Host blocks"):
        inventory_from_ssh_config("# nothing\n")


def test_ssh_scenarios_of_a_matrix_become_an_inventory(tmp_path: Path, capsys) -> None:
    from harness.cli import main

    (tmp_path / "scenarios").mkdir()
    (tmp_path / "workloads").mkdir()
    for name, port in (("lab-a", 22), ("lab-a-naive", 22), ("lab-b", 2222)):
        (tmp_path / "scenarios" / f"{name}.yaml").write_text(
            f"host: {{type: ssh, address: 10.0.0.{port % 7}, user: root, port: {port}, "
            "identity_file: /keys/id, known_hosts: /keys/known}\nstorage: {driver: overlay2}\n")
    shutil.copy2(REPO / "workloads" / "seed.yaml", tmp_path / "workloads" / "seed.yaml")
    (tmp_path / "matrix.yaml").write_text("scenarios: [lab-a, lab-a-naive, lab-b]\nworkloads: [seed]\n"
                                          "rounds: 1\n")
    assert main(["campaign", "inventory", "--matrix", str(tmp_path / "matrix.yaml")]) == 0
    hosts = yaml.safe_load(capsys.readouterr().out)["all"]["hosts"]
    assert sorted(hosts) == ["lab-a", "lab-b"]  # one host per machine, not per scenario
    assert hosts["lab-b"]["ansible_port"] == 2222 and "UserKnownHostsFile=/keys/known" in \
        hosts["lab-b"]["ansible_ssh_common_args"]
