"""The observers through an SSH-forwarded socket (how SSH and Vagrant hosts are reached): a private dockerd behind
a loopback sshd, observed on the forward's local end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.builders.timing import remove_image, timed_build
from harness.config import BaseTree, Payload, Workload
from harness.hosts.ssh import SshDockerHost
from harness.hosts.vagrant import ssh_config_target
from harness.measure.workloads import build_tag, import_base, write_context
from harness.observe import observing
from tests.integration.ssh_fixtures import LoopbackSshd, checked_root, private_state_dir, remote_socket, sshd  # noqa: F401
from tests.integration.test_ssh_tunnel import ssh_scenario

pytestmark = pytest.mark.integration

SMALL = Workload("small", "", BaseTree(files=200, directories=4, content_seed=1), Payload(files=2),
                 ("RUN touch /marker", "COPY payload/ /payload/"))


@pytest.fixture
def root() -> Iterator[Path]:
    yield from checked_root("ho")


def test_events_and_goroutine_samples_come_through_the_forward(root: Path, sshd: LoopbackSshd,
                                                               remote_socket: Path) -> None:
    target = ssh_config_target(sshd.ssh_config("server"), root / "ssh_config", "test sshd")
    host = SshDockerHost(ssh_scenario(root, sshd, remote_socket), root / "work", root / "logs", target=target)
    try:
        host.start()
        import_base(host.api, SMALL)
        with (root / "build.log").open("w") as log, \
                observing(host.socket_path, profile_to=root / "pprof" / "small.goroutines.gz") as seen:
            timing = timed_build(host.api, write_context(SMALL, root / "contexts"), build_tag(SMALL), log)
        remove_image(host.api, build_tag(SMALL), failed=not timing.ok)
    finally:
        host.close()
    assert timing.ok and not seen.errors, (timing.error, seen.errors)
    run, copy = seen.phases(timing)[1:]
    # The split comes from the step's named container; its sum rests on the clock offset, which an SSH forward
    # on a loaded machine blurs by the delivery delay of either stream (locally: within 7 ms, test_observe_daemons).
    assert run.commit_s is not None and run.command_s >= 0 and run.commit_s >= 0, (timing.steps[1], run)
    assert abs(timing.steps[1].seconds - run.total_s) < 0.25, (timing.steps[1], run)
    assert copy.total_s is None and copy.note
    assert seen.sampler.count > 0 and sum(p.samples for p in seen.step_profiles(timing)) > 0
