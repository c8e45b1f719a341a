"""Step phases, goroutine attribution and flame graphs, on builds recorded from real private daemons.

tests/data/pprof/ holds one seed-like build (20 000-file base; RUN, COPY, ADD, RUN) on dockerd 20.10.24 with
redirect_dir=Y (naive differ) and one with N (native): the steps as timed, the daemon's container events as received,
and the goroutine dumps sampled during steps 1–3; and four dumps of Docker 28.5's containerd (the containerd image
store) during a seed build, taken on its debug socket: one idle, three committing a layer.
"""

from __future__ import annotations

import gzip
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.observe.events import NO_CONTAINER, DaemonEvent, clock_offset_ns, step_phases
from harness.observe.flamegraph import folded_stacks, read_folded, render_svg, write_flame_graph
from harness.observe.pprof import Mark, classify, marked, parse_dump, profile_steps, read_samples

DATA = Path(__file__).resolve().parent.parent / "data" / "pprof"


def recorded(name: str) -> tuple[list[SimpleNamespace], list[DaemonEvent]]:
    build = json.loads((DATA / f"{name}-build.json").read_text())
    return [SimpleNamespace(**step) for step in build["steps"]], [DaemonEvent(**event) for event in build["events"]]


@pytest.mark.parametrize("name", ["naive", "native"])
def test_run_steps_split_into_phases_that_add_up_to_the_step(name: str) -> None:
    steps, events = recorded(name)
    phases = step_phases(events, steps)
    runs = [(step, phase) for step, phase in zip(steps, phases) if step.text.startswith("RUN")]
    assert len(runs) == 2
    for step, phase in runs:
        assert phase.setup_s > 0 and phase.command_s > 0 and phase.commit_s > 0, phase
        assert abs(step.seconds - phase.total_s) < 0.01, (step.seconds, phase)


@pytest.mark.parametrize("name", ["naive", "native"])
def test_copy_and_add_steps_get_no_invented_split(name: str) -> None:
    steps, events = recorded(name)
    for step, phase in zip(steps, step_phases(events, steps)):
        if step.text.split()[0] in ("COPY", "ADD", "FROM"):
            assert phase.total_s is None and phase.note == NO_CONTAINER


def test_the_naive_daemon_commits_run_layers_far_slower_than_the_native_one() -> None:
    commits = {}
    for name in ("naive", "native"):
        steps, events = recorded(name)
        commits[name] = [phase.commit_s for phase in step_phases(events, steps) if phase.commit_s]
    assert min(commits["naive"]) > 2 * max(commits["native"]), commits


def test_the_clock_offset_comes_from_the_fastest_event_and_survives_a_remote_clock() -> None:
    steps, events = recorded("naive")
    skew = 3_600 * 10**9  # a daemon whose clock is an hour ahead (an SSH host)
    shifted = [DaemonEvent(e.time_ns + skew, e.arrived_ns, e.action, e.container) for e in events]
    assert clock_offset_ns(shifted) == clock_offset_ns(events) - skew
    assert step_phases(shifted, steps) == step_phases(events, steps)


def test_a_step_naming_its_container_keeps_its_split_when_the_build_stream_lags() -> None:
    """Over an SSH forward the build stream can reach us after the container events: the time window then misses
    the container, the "Running in" id does not."""
    steps, events = recorded("naive")
    offset = clock_offset_ns(events)
    creates = [event for event in events if event.action == "create"]
    lag_ns = 300_000_000
    lagging, named = [], []
    for step in steps:
        end = step.started_ns + step.seconds * 1e9
        own = next((e.container[:12] for e in creates if step.started_ns <= e.time_ns + offset <= end), None)
        lagging.append(SimpleNamespace(**{**vars(step), "started_ns": step.started_ns + lag_ns}))
        named.append(SimpleNamespace(**{**vars(step), "started_ns": step.started_ns + lag_ns, "container": own}))
    on_time = step_phases(events, steps)
    assert [p.commit_s for p in step_phases(events, lagging)][1::3] == [None, None]
    assert [p.commit_s for p in step_phases(events, named)] == [p.commit_s for p in on_time]
    assert sum(p.commit_s is not None for p in on_time) == 2


def test_a_container_without_its_die_event_is_said_so() -> None:
    steps, events = recorded("naive")
    partial = [event for event in events if event.action != "die"]
    phase = step_phases(partial, steps)[1]
    assert phase.commit_s is None and "die" in phase.note


def test_no_events_means_no_split_at_all() -> None:
    steps, _ = recorded("naive")
    assert all(phase.total_s is None for phase in step_phases([], steps))


def test_parse_dump_keeps_function_frames_and_drops_our_own_request() -> None:
    text = gzip.open(DATA / "naive.goroutines.gz", "rt").read().split("# sample 1 ")[0]
    goroutines = parse_dump(text.split("\n", 1)[1])
    assert goroutines and all(g.frames for g in goroutines)
    assert not any("runtime/pprof." in frame for g in goroutines for frame in g.frames)
    assert all(not frame.startswith(("\t", "created by")) for g in goroutines for frame in g.frames)


def test_naive_daemon_samples_are_mostly_in_the_naive_differ_and_native_ones_never() -> None:
    shares = {}
    for name in ("naive", "native"):
        steps, _ = recorded(name)
        profiles = profile_steps(read_samples(DATA / f"{name}.goroutines.gz"), steps[:3])
        run = profiles[1]
        assert run.samples > 0
        shares[name] = run.diff_share
        assert "naive-diff" not in profiles[1].classes or name == "naive"
    assert shares["naive"] > 0.5 and shares["native"] < 0.1, shares


def test_one_pass_over_the_dumps_gives_what_holding_them_all_gave() -> None:
    """The observer folds each dump's stacks and keeps only its time and class (issue 18: memory stays flat over a
    long build); the profiles and the flame graph are those of the dumps held in memory all at once."""
    steps, _ = recorded("naive")
    held = list(read_samples(DATA / "naive.goroutines.gz"))
    marks: list[Mark] = []
    folded = folded_stacks(marked(read_samples(DATA / "naive.goroutines.gz"), marks), steps)
    assert len(marks) == len(held) > 10
    assert folded == folded_stacks(held, steps)
    assert profile_steps(marks, steps) == profile_steps(held, steps)


def test_a_dump_with_only_idle_goroutines_is_other() -> None:
    sample = next(read_samples(DATA / "native.goroutines.gz"))
    idle = [g for g in sample.goroutines if not g.is_build_work]
    assert idle and classify(idle) == "other"


def test_containerd_committing_a_layer_is_in_its_walking_differ_and_idle_containerd_is_other() -> None:
    samples = list(read_samples(DATA / "containerd.goroutines.gz"))
    assert [sample.label for sample in samples] == ["other", "naive-diff", "naive-diff", "naive-diff"]
    walking = [g for g in samples[1].goroutines if any("continuity/fs.doubleWalkDiff" in f for f in g.frames)]
    assert walking and all(g.is_build_work for g in walking)
    assert not any(g.is_build_work for g in samples[0].goroutines), "an idle containerd does no build work"
    assert any("continuity/fs.doubleWalkDiff" in stack for stack in folded_stacks(samples))


def test_folded_stacks_round_trip_and_put_the_step_at_the_root(tmp_path: Path) -> None:
    steps, _ = recorded("naive")
    folded = folded_stacks(read_samples(DATA / "naive.goroutines.gz"), steps)
    assert any(stack.startswith("step 2: RUN touch") and "NaiveDiffDriver" in stack for stack in folded)
    folded_path, svg_path = write_flame_graph(folded, tmp_path / "pprof", "naive", "naive")
    assert read_folded(folded_path) == folded and ET.parse(svg_path).getroot().tag.endswith("svg")


def test_the_flame_graph_is_an_svg_with_one_titled_rectangle_per_frame() -> None:
    steps, _ = recorded("naive")
    folded = folded_stacks(read_samples(DATA / "naive.goroutines.gz"), steps)
    root = ET.fromstring(render_svg(folded, "local-overlay2-naive <seed-like>"))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    titles = [title.text for title in root.findall(".//svg:g/svg:title", ns)]
    assert any("NaiveDiffDriver" in title for title in titles)
    widths = [float(rect.get("width")) for rect in root.findall(".//svg:rect", ns)]
    assert max(widths) <= float(root.get("width")) + 0.5
    assert "&lt;seed-like&gt;" in render_svg(folded, "<seed-like>")


def test_cell_figures_pool_reps_and_say_none_where_nothing_was_observed() -> None:
    from harness.analysis.cells import commit_median_s, diff_share
    from harness.observe.record import build_phases

    steps, events = recorded("naive")
    phases = step_phases(events, steps)
    run_cell = [phases[1].as_record(), {**phases[1].as_record(), "commit_s": 9.0}, None]
    assert commit_median_s(run_cell) == pytest.approx((phases[1].commit_s + 9.0) / 2)
    assert commit_median_s([phases[2].as_record()]) is None  # COPY: no container, no commit
    profiles = profile_steps(read_samples(DATA / "naive.goroutines.gz"), steps[:3])
    records = [profile.as_record() for profile in profiles[1:3]]
    pooled = diff_share(records)
    assert min(p.diff_share for p in profiles[1:3]) <= pooled <= max(p.diff_share for p in profiles[1:3])
    assert diff_share([None, None]) is None
    assert build_phases(phases)["commit_s"] == pytest.approx(phases[1].commit_s + phases[4].commit_s)


def test_an_unreachable_daemon_leaves_errors_not_exceptions(tmp_path: Path) -> None:
    from harness.observe import observing

    with observing(tmp_path / "no.sock", profile_to=tmp_path / "p.gz", interval_s=0.01) as seen:
        time.sleep(0.3)  # a build's time: the sampler's first request fails meanwhile
    assert seen.events.events == [] and len(seen.errors) == 2, seen.errors
    assert seen.phases(SimpleNamespace(steps=[])) == [] and seen.step_profiles(SimpleNamespace(steps=[])) is None
