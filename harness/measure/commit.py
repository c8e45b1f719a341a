"""The commit micro-benchmark: a storage driver's diff cost alone, without the builder around it.

A RUN step's time mixes the builder's own work, a container start, the command and the layer commit. Here the
harness does by hand what such a step does and times each part apart: create a container from the workload's base
(CREATE), put the payload into /payload/ and run the workload's `command` in it (CHANGE), then commit the container
(COMMIT). So COMMIT is the driver's diff and layer write and nothing else — where the naive differ walks every file of
the base. The three are the build's steps, the build's time their sum. The container is removed whatever happens;
a failure (a command that exits non-zero, a daemon that dies) is a failed result with the reason, never an exception,
as for builds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import docker
import docker.errors

from harness.builders.timing import CONNECTION_ERRORS, BuildTiming, StepTiming
from harness.config import Workload
from harness.measure.tarstream import TarWriter
from harness.measure.workloads import PreparedWorkload, add_payload
from harness.results.masking import mask_text

#: The part of a failed command's output kept in its error (the whole output is in the build log).
OUTPUT_TAIL = 400


class StepFailed(Exception):
    """A step could not do its work; the message says why in the daemon's or the command's own words."""


def timed_commit(api: docker.APIClient, prepared: PreparedWorkload, log: TextIO) -> BuildTiming:
    """Create, change and commit a container from the workload's base, timing each; commit as the build tag, so
    the runner removes the image as it removes a build's."""
    workload = prepared.workload
    payload = payload_archive(workload, prepared.context_tar)
    create, change, commit = step_texts(workload, prepared.base_tag, prepared.build_tag)
    steps: list[StepTiming] = []
    container = image_id = error = None
    began = time.perf_counter_ns()
    try:
        container = timed_step(steps, 1, create, lambda: _create(api, prepared.base_tag, workload.command), log)
        timed_step(steps, 2, change, lambda: _change(api, container, payload, workload.command, log), log)
        image_id = timed_step(steps, 3, commit, lambda: _commit(api, container, prepared.build_tag), log)
    except StepFailed as failure:
        error = str(failure)
    finally:
        problem = _remove_container(api, container)
    if problem:
        log.write(f"{problem}\n")
    return commit_timing(steps, began, image_id, error or problem)


def step_texts(workload: Workload, base_tag: str, build_tag: str) -> tuple[str, str, str]:
    """What each step does, led by its instruction (CREATE, CHANGE, COMMIT) as a build step's text is."""
    payload = workload.payload
    change = f"CHANGE put {payload.files} payload files of {payload.file_size} B into /payload/"
    return (f"CREATE a container from {base_tag}",
            f"{change}, then run: {workload.command}" if workload.command else change,
            f"COMMIT the container as {build_tag}")


def timed_step(steps: list[StepTiming], index: int, text: str, action: Callable[[], Any], log: TextIO) -> Any:
    """Run one step's action, append its timing to `steps` and return what it returned; raise StepFailed (after
    recording the failed step) when it fails, so no later step runs."""
    started = time.perf_counter_ns()
    try:
        result, reason = action(), None
    except StepFailed as failure:
        result, reason = None, str(failure)
    except CONNECTION_ERRORS as error:
        result, reason = None, daemon_text(error)
    seconds = (time.perf_counter_ns() - started) / 1e9
    steps.append(StepTiming(index=index, text=text, seconds=seconds, ok=reason is None, error=reason,
                            started_ns=started))
    log.write(f"{text}: {seconds:.3f} s{'' if reason is None else ' FAILED: ' + reason}\n")
    if reason is not None:
        raise StepFailed(reason)
    return result


def commit_timing(steps: list[StepTiming], began_ns: int, image_id: str | None, error: str | None) -> BuildTiming:
    """The build result: its time is the sum of the steps (nothing between them is the driver's), ok only with an
    image and no error."""
    if error is None and image_id is None:
        error = "the commit produced no image id"
    return BuildTiming(steps=tuple(steps), seconds=sum(step.seconds for step in steps), ok=error is None,
                       error=error, image_id=image_id if error is None else None, began_ns=began_ns)


def command_failure(command: str, status: dict[str, Any], output: str) -> str:
    """The error of a command that did not exit 0: its status (or the daemon's error) and its output's tail."""
    error = status.get("Error")
    daemon_error = error.get("Message") if isinstance(error, dict) else None
    code = status.get("StatusCode")
    said = output.strip()[-OUTPUT_TAIL:]
    return (f"the command `{command}` exited with status {code}"
            + (f" ({daemon_error})" if daemon_error else "") + (f": {said}" if said else " and printed nothing"))


def payload_archive(workload: Workload, context_tar: Path) -> Path:
    """The workload's payload/ as a tar of its own (the same entries as the context's payload/), written once beside
    the context and put into the container at every rep."""
    path = context_tar.with_suffix(".commit-payload.tar")
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        archive = TarWriter(out)
        add_payload(archive, workload.payload, "payload")
        archive.finish()
    partial.replace(path)
    return path


def daemon_text(error: Exception) -> str:
    """The daemon's own explanation of an API error, else the error's text (one line's worth)."""
    return (str(getattr(error, "explanation", None) or error).strip() or error.__class__.__name__)[:500]


def _create(api: docker.APIClient, image: str, command: str | None) -> str:
    """A container that is never started without a command (put_archive and commit work on created ones)."""
    argv = ["/bin/sh", "-c", command] if command else ["/bin/true"]
    created = api.create_container(image, command=argv, network_disabled=True,
                                   host_config=api.create_host_config(network_mode="none"))
    return created["Id"]


def _change(api: docker.APIClient, container: str, payload: Path, command: str | None, log: TextIO) -> None:
    with payload.open("rb") as archive:
        if not api.put_archive(container, "/", archive):
            raise StepFailed("the daemon did not accept the payload archive")
    if not command:
        return
    api.start(container)
    status = api.wait(container)
    if status.get("StatusCode") != 0:
        output = mask_text(api.logs(container).decode(errors="replace"))
        log.write(output)
        raise StepFailed(command_failure(command, status, output))


def _commit(api: docker.APIClient, container: str, build_tag: str) -> str:
    repository, tag = build_tag.rsplit(":", 1)
    return api.commit(container, repository=repository, tag=tag)["Id"]


def _remove_container(api: docker.APIClient, container: str | None) -> str | None:
    """Remove the container (and its anonymous volumes); the problem when it could not be, else None."""
    if container is None:
        return None
    try:
        api.remove_container(container, v=True, force=True)
    except docker.errors.NotFound:
        pass
    except CONNECTION_ERRORS as error:
        return f"could not remove the commit benchmark's container {container[:12]}: {daemon_text(error)}"
    return None
