"""A campaign whose machines are this machine, reached over a real sshd on 127.0.0.1 under several inventory names
(each with its own work and state directories), plus optionally an inventory host nobody listens for.

This machine can reach only itself, so "machines" `alpha` and `beta` are the same computer: concurrency 1 makes
them run one after the other, as VMs sharing one physical host must. The matrix is the seed's question (native vs
naive overlay2) on a smaller seed workload, so a campaign takes minutes.
"""

from __future__ import annotations

import contextlib
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO
from tests.integration.ssh_fixtures import free_loopback_port, loopback_sshd

MACHINES = ("alpha", "beta")
GHOST = "ghost"
SCENARIOS = ("local-overlay2-native", "local-overlay2-naive")


@dataclass(frozen=True)
class LoopbackCampaign:
    root: Path
    campaign_file: Path
    results: Path
    work_root: Path

    def state_dir(self, machine: str) -> Path:
        return self.root / f"state-{machine}"


def write_matrix(directory: Path, files: int, repetitions: int, rounds: int) -> Path:
    """matrix.yaml with the two overlay2 scenarios of the repository and a seed workload of `files` base files."""
    (directory / "scenarios").mkdir(parents=True, exist_ok=True)
    (directory / "workloads").mkdir(parents=True, exist_ok=True)
    for name in SCENARIOS:
        shutil.copy2(REPO / "scenarios" / f"{name}.yaml", directory / "scenarios" / f"{name}.yaml")
    seed = (REPO / "workloads" / "seed.yaml").read_text().replace("files: 20000", f"files: {files}")
    (directory / "workloads" / "seed.yaml").write_text(seed)
    matrix = directory / "matrix.yaml"
    matrix.write_text(textwrap.dedent(f"""\
        description: the seed's question, on every machine of the campaign
        scenarios: [{', '.join(SCENARIOS)}]
        workloads: [seed]
        baseline: {SCENARIOS[0]}
        repetitions: {repetitions}
        rounds: {rounds}
        warmup: 1
        order_seed: 20180831
        """))
    return matrix


@contextlib.contextmanager
def loopback_campaign(root: Path, files: int = 3000, repetitions: int = 6, rounds: int = 3,
                      ghost: bool = True) -> Iterator[LoopbackCampaign]:
    """An sshd on 127.0.0.1 and a campaign file over it; sshd is stopped afterwards (by its pid)."""
    root.mkdir(parents=True, exist_ok=True)
    write_matrix(root / "inputs", files, repetitions, rounds)
    with loopback_sshd(root / "sshd") as server:
        common = (f"-o UserKnownHostsFile={server.known_hosts} -o StrictHostKeyChecking=yes "
                  "-o IdentitiesOnly=yes -o PasswordAuthentication=no")
        lines = ["[campaign]"]
        for name in MACHINES:
            lines.append(f"{name} ansible_host=127.0.0.1 ansible_port={server.port} "
                         f"harness_state_dir={root / f'state-{name}'}")
        if ghost:  # nobody listens there: Ansible reports it unreachable
            lines.append(f"{GHOST} ansible_host=127.0.0.1 ansible_port={free_loopback_port()}")
        lines += ["", "[campaign:vars]", "ansible_user=root", f"ansible_ssh_private_key_file={server.user_key}",
                  f"ansible_ssh_common_args='{common}'", "ansible_python_interpreter=/usr/bin/python3"]
        (root / "inventory.ini").write_text("\n".join(lines) + "\n")
        work_root = root / "w"
        campaign = root / "campaign.yaml"
        campaign.write_text(textwrap.dedent(f"""\
            # Two inventory names for this one machine: concurrency 1, so they run one after the other.
            matrix: inputs/matrix.yaml
            inventory: inventory.ini
            concurrency: 1
            work_dir: {work_root}
            """))
        yield LoopbackCampaign(root=root, campaign_file=campaign, results=root / "results", work_root=work_root)
