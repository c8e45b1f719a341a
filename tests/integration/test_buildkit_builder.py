"""BuildKit builds on real private daemons (LocalDaemon with the repository's overlay2 scenarios).

The system engine here is Debian 12's 20.10, whose /usr/bin/docker has BuildKit built in (plain progress). The
rawjson path runs Docker 28.5.2's own CLI and buildx, resolved like any pinned engine from the harness's engine cache
(.ci/run fetches matrix-engines.yaml's engines first; elsewhere the first run fetches it from Debian).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.builders import builder_for
from harness.builders.buildkit import BuildKitBuilder, BuildKitCli
from harness.builders.timing import BuildTiming, remove_image
from harness.config import BaseTree, Engine, Payload, Workload, load_scenario
from harness.engines import resolve_engine
from harness.errors import EnvironmentNotAble
from harness.hosts.local import LocalDaemon
from harness.measure.workloads import build_tag, import_base, write_context
from tests.conftest import REPO

pytestmark = pytest.mark.integration
#: Seed-like: a base big enough for the naive differ's tree walk to show at export, small enough to import fast.
SEED_LIKE = Workload(name="bk-seed", description="", base=BaseTree(files=8000, file_size=512, directories=80),
                     payload=Payload(), steps=("RUN touch /x", "COPY payload/ /payload/", "RUN mv /base/d0000 /moved"))
FAILING = Workload(name="bk-fail", description="", base=BaseTree(files=100, directories=10), payload=Payload(),
                   steps=("RUN touch /x", "RUN echo no-such-luck >&2 && exit 3"))
REPS = 3


@pytest.fixture
def daemon_in(harness):
    """Start the named repository scenario as a private daemon; stopped (and checked by `harness`) afterwards."""
    started: list[LocalDaemon] = []

    def start(scenario: str) -> LocalDaemon:
        daemon = LocalDaemon(load_scenario(REPO / "scenarios" / f"{scenario}.yaml"), harness.work, harness.root / "logs")
        started.append(daemon)
        daemon.start()
        return daemon

    yield start
    for daemon in started:
        daemon.close()


def builds(daemon: LocalDaemon, builder, workload: Workload, root: Path, reps: int) -> Iterator[BuildTiming]:
    import_base(daemon.api, workload)
    context = write_context(workload, root / "contexts")
    for rep in range(reps):
        with (root / f"{workload.name}.{rep}.log").open("w") as log:
            timing = builder.build(daemon.api, daemon.socket_path, context, build_tag(workload), log)
        remove_image(daemon.api, build_tag(workload), failed=not timing.ok)
        assert not daemon.api.images(name=build_tag(workload), quiet=True), "the built image was not removed"
        assert not daemon.api.df().get("BuildCache"), "BuildKit's build cache was left to grow"
        yield timing


def export_seconds(timings: list[BuildTiming]) -> list[float]:
    for timing in timings:
        assert timing.ok, timing.error
        assert [s.instruction for s in timing.steps] == ["RUN", "COPY", "RUN", "EXPORT"]
        assert [s.index for s in timing.steps] == [2, 3, 4, 5]
        assert all(s.ok and not s.cached for s in timing.steps)
        assert timing.image_id and timing.image_id.startswith("sha256:")
    return [t.steps[-1].seconds for t in timings]


def test_the_naive_differ_makes_buildkits_export_slower_than_the_native_one(daemon_in, harness) -> None:
    builder = builder_for("buildkit", None)
    assert builder.name == "buildkit" and builder.cli.progress == "plain"  # the system engine: 20.10's built-in
    assert builder.facts()["docker_cli_version"].startswith("Docker version 20.10") and builder.facts()["buildx"] is None
    medians = {}
    for scenario in ("local-overlay2-naive", "local-overlay2-native"):
        daemon = daemon_in(scenario)
        medians[scenario] = statistics.median(export_seconds(list(builds(daemon, builder, SEED_LIKE, harness.root,
                                                                         REPS))))
        daemon.stop()
    print(f"EXPORT medians of {REPS} builds: {medians}")
    # plain progress rounds to 0.1 s: compare against at least one tick, so 0.0 s cannot make any ratio pass
    assert medians["local-overlay2-naive"] > 3 * max(medians["local-overlay2-native"], 0.1), medians


def test_a_failing_run_is_a_failed_build_with_buildkits_error(daemon_in, harness) -> None:
    daemon = daemon_in("local-overlay2-native")
    [timing] = builds(daemon, builder_for("buildkit", None), FAILING, harness.root, 1)
    assert not timing.ok and timing.image_id is None
    assert "exit code: 3" in timing.error
    assert [(s.index, s.instruction, s.ok) for s in timing.steps] == [(2, "RUN", True), (3, "RUN", False)]
    assert "EXPORT" not in [s.instruction for s in timing.steps]
    assert "no-such-luck" in (harness.root / "bk-fail.0.log").read_text()  # the RUN's own output is kept in the log


def test_rawjson_through_buildx_times_steps_from_buildkits_own_timestamps(daemon_in, harness) -> None:
    engine = resolve_engine(Engine(version="28.5.2", source="debian"))
    builder = builder_for("buildkit", engine)
    assert isinstance(builder, BuildKitBuilder) and builder.cli == BuildKitCli(engine.docker_cli, engine.buildx)
    assert builder.cli.progress == "rawjson" and "buildx" in builder.facts()["buildx_version"]
    assert builder.facts()["docker_cli_version"].startswith("Docker version 28.5.2")
    daemon = daemon_in("local-docker28-overlay2-naive")
    assert daemon.engine == engine
    timings = list(builds(daemon, builder, SEED_LIKE, harness.root, 2))
    exports = export_seconds(timings)
    assert min(exports) > 0.1, exports  # naive diff over 8000 files: BuildKit's own, unrounded timestamps
    for timing in timings:
        starts = [s.started_ns for s in timing.steps]
        assert timing.began_ns < starts[0] and starts == sorted(starts)
        assert starts[-1] + timing.steps[-1].seconds * 1e9 <= timing.began_ns + timing.seconds * 1e9
    assert '"vertexes"' in (harness.root / "bk-seed.0.log").read_text()


def test_a_cli_without_buildkit_is_an_environment_error_with_exit_3() -> None:
    modern = Path("/usr/local/bin/docker")  # a 28.x client without buildx on this machine (docs/facts.md)
    if not modern.is_file():
        pytest.skip("needs a docker CLI ≥ 23 without buildx at /usr/local/bin/docker")

    class Engine:  # the fields of harness.engines.EngineBinaries that builder_for reads
        version, source, docker_cli, buildx, family = "28.2.2", "system", modern, None, "docker"

    with pytest.raises(EnvironmentNotAble) as raised:
        builder_for("buildkit", Engine())
    assert raised.value.exit_code == 3 and "buildx" in str(raised.value)
