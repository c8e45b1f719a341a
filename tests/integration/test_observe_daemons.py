"""Observers on real private daemons: step phases from events, goroutine profiles and flame graphs, naive vs native.

Each scenario's daemon is started from the repository's scenario file (redirect_dir=Y: naive differ; N: native) and
builds a seed-like workload (a 10 000-file base; RUN, COPY, RUN) a few times with the observers on.
"""

from __future__ import annotations

import statistics
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from harness.builders.timing import remove_image, timed_build
from harness.config import BaseTree, Payload, Workload, load_scenario
from harness.hosts.local import LocalDaemon
from harness.measure.workloads import build_tag, import_base, write_context
from harness.observe import observing
from harness.observe.flamegraph import folded_stacks, read_folded, render_svg, write_folded
from harness.observe.pprof import read_samples
from tests.conftest import REPO
from tests.integration.conftest import Harness

pytestmark = pytest.mark.integration

WORKLOAD = Workload("seedlike", "observer test", BaseTree(files=10000, file_size=512, directories=50, content_seed=7),
                    Payload(files=4), ("RUN touch /built-marker", "COPY payload/ /payload/", "RUN mv /base/d0000 /moved"))
BUILDS = 3


def observed_builds(harness: Harness, scenario: str) -> list[dict]:
    """Start the scenario's daemon, build BUILDS times with events and profiling on, keep what was seen."""
    daemon = LocalDaemon(load_scenario(REPO / "scenarios" / f"{scenario}.yaml"), harness.work, harness.root / "logs")
    context = write_context(WORKLOAD, harness.root / "contexts")
    builds = []
    daemon.start()
    try:
        import_base(daemon.api, WORKLOAD)
        with (harness.root / f"{scenario}.build.log").open("w") as log:
            for rep in range(BUILDS):
                profile = harness.root / "pprof" / f"{scenario}-{rep}.goroutines.gz"
                with observing(daemon.socket_path, profile_to=profile) as seen:
                    timing = timed_build(daemon.api, context, build_tag(WORKLOAD), log)
                remove_image(daemon.api, build_tag(WORKLOAD), failed=not timing.ok)
                assert timing.ok, timing.error
                assert not seen.errors, seen.errors
                builds.append({"timing": timing, "phases": seen.phases(timing), "profiles": seen.step_profiles(timing),
                               "profile": profile})
    finally:
        daemon.close()
    return builds


def test_naive_commits_take_longer_and_the_profile_blames_the_naive_differ(harness: Harness) -> None:
    seen = {scenario: observed_builds(harness, f"local-overlay2-{scenario}") for scenario in ("naive", "native")}
    commits, shares = {}, {}
    for scenario, builds in seen.items():
        commits[scenario] = statistics.median(
            phase.commit_s for build in builds for step, phase in zip(build["timing"].steps, build["phases"])
            if step.instruction == "RUN")
        for build in builds:
            for step, phase in zip(build["timing"].steps, build["phases"]):
                if step.instruction == "RUN":  # every RUN step is split, and the split adds up to the step
                    assert phase.commit_s is not None and phase.command_s is not None, phase
                    assert abs(step.seconds - phase.total_s) < 0.05, (step, phase)
                else:
                    assert phase.total_s is None and phase.note
        counts = {"diff": 0, "all": 0}
        for build in builds:
            for profile in build["profiles"][1:]:  # after FROM, which takes no time
                counts["all"] += profile.samples
                counts["diff"] += round((profile.diff_share or 0) * profile.samples)
        shares[scenario] = counts["diff"] / counts["all"]
    assert commits["naive"] > 2 * commits["native"], commits
    assert shares["naive"] > 0.5 and shares["native"] < 0.15, shares

    for scenario, builds in seen.items():  # a flame graph per scenario, from all its builds
        folded = sum((folded_stacks(read_samples(b["profile"]), b["timing"].steps) for b in builds), Counter())
        path = harness.root / f"{scenario}.folded"
        write_folded(folded, path)
        assert read_folded(path) == folded and folded
        svg = harness.root / f"{scenario}.svg"
        svg.write_text(render_svg(folded, scenario))
        root = ET.parse(svg).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.findall(".//{http://www.w3.org/2000/svg}rect")
    naive_text = (harness.root / "naive.folded").read_text()
    assert "NaiveDiffDriver" in naive_text and "NaiveDiffDriver" not in (harness.root / "native.folded").read_text()
