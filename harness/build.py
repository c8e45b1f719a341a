"""Timed builds: one no-cache classic build, its steps timed from the daemon's streamed progress.

Each streamed message is stamped with `perf_counter_ns()` on arrival. Step k runs from its `Step k/N` message to
the next step's message, and the last step to the message carrying the new image id — so a step's time includes
its layer commit, which is where the naive differ spends it. Errors in the stream end the build and are recorded
with the daemon's text; they are never dropped.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, TextIO

import docker
import docker.errors

STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$", re.S)
BUILT = re.compile(r"^Successfully built ([0-9a-f]+)")


@dataclass(frozen=True)
class StepTiming:
    index: int
    text: str
    seconds: float
    ok: bool
    error: str | None
    started_ns: int | None = None  # perf_counter_ns() at the step's start, so observers can place it in time

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
    began_ns: int | None = None  # perf_counter_ns() at the build's start


def timed_build(api: docker.APIClient, context_tar: Path, tag: str, log: TextIO) -> BuildTiming:
    """Build `context_tar` without cache and time it; a failure is a result, not an exception."""
    began = time.perf_counter_ns()
    try:
        with context_tar.open("rb") as context:
            stream = api.build(fileobj=context, custom_context=True, tag=tag, nocache=True, rm=True, forcerm=True,
                               decode=True, network_mode="none", pull=False)
            return timings_from_stream(_stamped(stream, log), began)
    except docker.errors.APIError as error:
        elapsed = (time.perf_counter_ns() - began) / 1e9
        return BuildTiming(steps=(), seconds=elapsed, ok=False, error=_api_error_text(error), image_id=None,
                           began_ns=began)


def timings_from_stream(stamped: Iterable[tuple[int, dict[str, Any]]], began_ns: int) -> BuildTiming:
    """Turn (arrival ns, message) pairs into step and build timings. Pure, so it is tested without a daemon."""
    steps: list[StepTiming] = []
    current: tuple[int, str, int] | None = None  # (index, text, started ns)
    image_id = error = None
    last_ns = began_ns
    for arrived, message in stamped:
        last_ns = arrived
        text = message.get("stream", "")
        step = STEP.match(text.strip()) if text else None
        if step:
            if current:
                steps.append(_finished(current, arrived, None))
            current = (int(step.group(1)), step.group(3).strip(), arrived)
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


def remove_image(api: docker.APIClient, tag: str, failed: bool) -> None:
    """Delete the built image and its untagged parents, so the layer store does not grow rep after rep.

    A failed build leaves its finished steps as dangling images with no tag to remove them by: prune those.
    """
    try:
        api.remove_image(tag, force=True)
    except docker.errors.NotFound:
        pass
    if failed:
        api.prune_images(filters={"dangling": True})


def _finished(current: tuple[int, str, int], ended_ns: int, error: str | None) -> StepTiming:
    index, text, started = current
    return StepTiming(index=index, text=text, seconds=(ended_ns - started) / 1e9, ok=error is None, error=error,
                      started_ns=started)


def _stamped(stream: Iterable[dict[str, Any]], log: TextIO) -> Iterable[tuple[int, dict[str, Any]]]:
    for message in stream:
        arrived = time.perf_counter_ns()
        log.write(message.get("stream") or f"{message}\n")
        yield arrived, message


def _image_id(message: dict[str, Any]) -> str | None:
    aux = message.get("aux")
    return aux.get("ID") if isinstance(aux, dict) else None


def _error_text(message: dict[str, Any]) -> str:
    detail = message.get("errorDetail")
    text = message.get("error") or (detail.get("message") if isinstance(detail, dict) else None) or str(message)
    return text.strip()


def _api_error_text(error: docker.errors.APIError) -> str:
    explanation = getattr(error, "explanation", None)
    return str(explanation or error).strip()
