"""Step timings from the classic builder's stream, fed with recorded message shapes (no daemon needed)."""

from __future__ import annotations

from harness.builders.timing import timings_from_stream

MS = 1_000_000


def stream(*messages):
    """(ms, message) pairs → (ns, message) pairs."""
    return [(ms * MS, message) for ms, message in messages]


def test_steps_run_from_their_message_to_the_next_and_the_last_to_the_image_id() -> None:
    timing = timings_from_stream(stream(
        (10, {"stream": "Step 1/3 : FROM base:1\n"}),
        (11, {"stream": " ---> 0123456789ab\n"}),
        (12, {"stream": "Step 2/3 : RUN touch /x\n"}),
        (20, {"stream": " ---> Running in 5c8e1f0a2b3d\n"}),
        (512, {"stream": "Step 3/3 : COPY payload/ /payload/\n"}),
        (900, {"aux": {"ID": "sha256:feed"}}),
        (901, {"stream": "Successfully built feed\n"}),
        (905, {"stream": "Successfully tagged t:1\n"}),
    ), began_ns=0)
    assert timing.ok and timing.error is None and timing.image_id == "sha256:feed"
    assert [(s.index, s.instruction, s.text) for s in timing.steps] == [
        (1, "FROM", "FROM base:1"), (2, "RUN", "RUN touch /x"), (3, "COPY", "COPY payload/ /payload/")]
    assert [round(s.seconds, 3) for s in timing.steps] == [0.002, 0.5, 0.388]
    assert round(timing.seconds, 3) == 0.905
    assert [s.container for s in timing.steps] == [None, "5c8e1f0a2b3d", None]


def test_an_error_fails_the_current_step_with_the_daemons_text_and_ends_the_build() -> None:
    text = "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    timing = timings_from_stream(stream(
        (0, {"stream": "Step 1/3 : FROM base:1\n"}),
        (5, {"stream": "Step 2/3 : RUN exit 3\n"}),
        (300, {"errorDetail": {"code": 3, "message": text}, "error": text}),
    ), began_ns=0)
    assert not timing.ok and timing.error == text and timing.image_id is None
    assert [(s.index, s.ok, s.error) for s in timing.steps] == [(1, True, None), (2, False, text)]
    assert round(timing.steps[1].seconds, 3) == 0.295


def test_a_stream_that_stops_mid_build_is_a_failure_not_a_silent_success() -> None:
    timing = timings_from_stream(stream((0, {"stream": "Step 1/2 : FROM base:1\n"}),
                                        (4, {"stream": "Step 2/2 : RUN sleep 9\n"})), began_ns=0)
    assert not timing.ok
    assert "ended before the image was committed" in timing.error
    assert timing.steps[-1].ok is False


def test_an_old_engine_without_aux_ids_still_ends_the_last_step_at_successfully_built() -> None:
    timing = timings_from_stream(stream((0, {"stream": "Step 1/1 : FROM base:1\n"}),
                                        (7, {"stream": "Successfully built 0123456789ab\n"})), began_ns=0)
    assert timing.ok and timing.image_id == "0123456789ab"
    assert [(s.index, round(s.seconds, 3)) for s in timing.steps] == [(1, 0.007)]
