"""Timed builds: one no-cache classic build, its steps timed from the daemon's streamed progress.

Each streamed message is stamped with `perf_counter_ns()` on arrival. Step k runs from its `Step k/N` message to
the next step's message, and the last step to the message carrying the new image id — so a step's time includes
its layer commit, which is where the naive differ spends it. Errors in the stream end the build and are recorded
with the daemon's text; they are never dropped. A daemon that dies or a connection that breaks is a failed build
with the reason too — never an exception — so the caller can record it and go on.
"""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions

from harness.results.masking import mask_text

STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$", re.S)
#: Buildah's step lines, as podman's /build streams them.
BUILDAH_STEP = re.compile(r"^STEP (\d+)/(\d+): (.*)$", re.S)
BUILT = re.compile(r"^Successfully built ([0-9a-f]+)")
#: The classic builder names the container a RUN step runs in, which ties the step to its container events.
RUNNING_IN = re.compile(r"^ ---> Running in ([0-9a-f]{12,64})\s*$")
#: What a dead daemon or a broken socket raises through docker-py: its own errors, requests', urllib3's, the OS's.
#: What a daemon that died or hung up looks like to the client. docker-py reads build streams from urllib3
#: directly, so a connection cut mid-stream can arrive unwrapped (urllib3, http.client).
CONNECTION_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException,
                     urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)


@dataclass(frozen=True)
class StepTiming:
    index: int
    text: str
    seconds: float
    ok: bool
    error: str | None
    #: time.perf_counter_ns() at the step's start, so observers can place steps in time (0 when not known).
    started_ns: int = 0
    #: BuildKit reused the step from its cache: it was not built, so its seconds are no measurement.
    cached: bool = False
    #: The (short) id of the container a classic-builder RUN step ran in, from its "Running in" line.
    container: str | None = None

    @property
    def instruction(self) -> str:
        return self.text.split(None, 1)[0].upper() if self.text else ""


@dataclass(frozen=True)
class BuildTiming:
    steps: tuple[StepTiming, ...]
    seconds: float
    ok: bool
    error: str | None
    image_id: str | None
    #: time.perf_counter_ns() when the build began (the clock of every `StepTiming.started_ns`).
    began_ns: int = 0


def timed_build(api: docker.APIClient, context_tar: Path, tag: str, log: TextIO,
                build_args: dict[str, str] | None = None, step_line: re.Pattern[str] = STEP) -> BuildTiming:
    """Build `context_tar` without cache and time it; a failure is a result, not an exception.

    `step_line` matches the builder's step lines: dockerd's "Step 1/4 : RUN …", or Buildah's "STEP 1/4: RUN …" when
    podman's service builds (its Docker-compatible /build streams Buildah's own output, a layer committed per step).
    """
    began = time.perf_counter_ns()
    try:
        with context_tar.open("rb") as context:
            stream = api.build(fileobj=context, custom_context=True, tag=tag, nocache=True, rm=True, forcerm=True,
                               decode=True, network_mode="none", pull=False, buildargs=build_args)
            return timings_from_stream(_stamped(stream, log), began, step_line)
    except CONNECTION_ERRORS as error:
        elapsed = (time.perf_counter_ns() - began) / 1e9
        return BuildTiming(steps=(), seconds=elapsed, ok=False, error=_failure_text(error), image_id=None,
                           began_ns=began)


def timings_from_stream(stamped: Iterable[tuple[int, dict[str, Any]]], began_ns: int,
                        step_line: re.Pattern[str] = STEP) -> BuildTiming:
    """Turn (arrival ns, message) pairs into step and build timings. Pure, so it is tested without a daemon."""
    steps: list[StepTiming] = []
    current: tuple[int, str, int, str | None] | None = None  # (index, text, started ns, container)
    image_id = error = None
    last_ns = began_ns
    for arrived, message in stamped:
        last_ns = arrived
        text = message.get("stream", "")
        step = step_line.match(text.strip()) if text else None
        if step:
            if current:
                steps.append(_finished(current, arrived, None))
            current = (int(step.group(1)), step.group(3).strip(), arrived, None)
        elif current and (running := RUNNING_IN.match(text)):
            current = (*current[:3], running.group(1))
        elif "error" in message or "errorDetail" in message:
            error = _error_text(message)
            break
        elif _image_id(message) or (image_id is None and BUILT.match(text)):
            if current:
                steps.append(_finished(current, arrived, None))
                current = None
            image_id = image_id or _image_id(message) or BUILT.match(text).group(1)
    if error is not None and current:
        steps.append(_finished(current, last_ns, error))
    elif current:  # the stream ended without an image id or an error: the daemon went away mid-build
        error = "the build stream ended before the image was committed"
        steps.append(_finished(current, last_ns, error))
    ok = error is None and image_id is not None
    if error is None and image_id is None:
        error = "the build produced no image id"
    return BuildTiming(steps=tuple(steps), seconds=(last_ns - began_ns) / 1e9, ok=ok, error=error, image_id=image_id,
                       began_ns=began_ns)


def remove_image(api: docker.APIClient, tag: str, failed: bool) -> str | None:
    """Delete the built image and its untagged parents, so the layer store does not grow rep after rep.

    A failed build leaves its finished steps as dangling images with no tag to remove them by: prune those.
    Never raises: a daemon that died during the build cannot remove anything, and that must not hide the build's
    own failure. Returns the problem (for the scenario's record), or None when all went.
    """
    try:
        api.remove_image(tag, force=True)
    except docker.errors.NotFound:
        pass
    except CONNECTION_ERRORS as error:
        return f"could not remove {tag}: {_failure_text(error)}"
    if failed:
        try:
            api.prune_images(filters={"dangling": True})
        except CONNECTION_ERRORS as error:
            return f"could not prune the failed build's dangling images: {_failure_text(error)}"
    return None


def _finished(current: tuple[int, str, int, str | None], ended_ns: int, error: str | None) -> StepTiming:
    index, text, started, container = current
    return StepTiming(index=index, text=text, seconds=(ended_ns - started) / 1e9, ok=error is None, error=error,
                      started_ns=started, container=container)


def _stamped(stream: Iterable[dict[str, Any]], log: TextIO) -> Iterable[tuple[int, dict[str, Any]]]:
    """Stamp each message; a connection that breaks mid-stream becomes an error message, so the steps timed so far
    are kept and the step that was running carries the reason."""
    try:
        for message in stream:
            arrived = time.perf_counter_ns()
            log.write(mask_text(message.get("stream") or f"{message}\n"))  # RUN output may print a proxy URL
            yield arrived, message
    except CONNECTION_ERRORS as error:
        reason = f"the connection to the daemon failed mid-build: {_failure_text(error)}"
        log.write(f"{reason}\n")
        yield time.perf_counter_ns(), {"error": reason}


def _image_id(message: dict[str, Any]) -> str | None:
    aux = message.get("aux")
    return aux.get("ID") if isinstance(aux, dict) else None


def _error_text(message: dict[str, Any]) -> str:
    detail = message.get("errorDetail")
    text = message.get("error") or (detail.get("message") if isinstance(detail, dict) else None) or str(message)
    return text.strip()


def _failure_text(error: Exception) -> str:
    explanation = getattr(error, "explanation", None)
    return (str(explanation or error).strip() or error.__class__.__name__)[:500]
