"""The BuildKit builder: no-cache builds through the engine's own docker CLI, timed from BuildKit's own vertices.

The Python SDK cannot open BuildKit sessions, so a build runs the CLI against the private socket
(`DOCKER_HOST=unix://…`) with a private, empty `DOCKER_CONFIG` and a minimal environment, so no user config,
context or plugin leaks in. With buildx, `docker buildx build --progress=rawjson` gives each vertex's daemon-side
`started`/`completed` (ns); a CLI with BuildKit built in (18.09–22.x, e.g. Debian 12's 20.10) gives plain progress,
with BuildKit's printed 0.1 s durations (see buildkit_progress). The context tar goes in on stdin, the image id comes
back through `--iidfile`, and the image is tagged like the classic builder's so `remove_image` works for both.
A build's seconds run from starting the CLI to its exit (context upload included, like the classic builder's).
Steps' `started_ns` place the daemon's timestamps on this process's perf_counter clock through the wall clock,
which is exact for a local daemon only (a remote daemon's clock may be skewed; durations are unaffected).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

import docker
import docker.errors

from harness.builders.buildkit_progress import aligned_with_dockerfile, steps_from_plain, steps_from_rawjson
from harness.builders.timing import BuildTiming, StepTiming
from harness.errors import EnvironmentNotAble
from harness.results.masking import mask_text

if TYPE_CHECKING:
    from harness.engines.binaries import EngineBinaries

#: Where a docker CLI looks for system-wide plugins (the user's ~/.docker/cli-plugins is left out on purpose).
SYSTEM_PLUGIN_DIRS = ("/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
                      "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")
CLI_VERSION = re.compile(r"Docker version (\d+)\.(\d+)")
#: Docker 23 made `docker build` hand BuildKit builds to buildx; 18.09 to 22.x have BuildKit built in.
BUILTIN_BUILDKIT = ((18, 9), (23, 0))
INSTALL_BUILDX = ("install the docker-buildx plugin (`apt-get install docker-buildx` on Debian 13 or later, "
                  "docker-buildx-plugin from Docker's repository) or pin an engine that ships it")


@dataclass(frozen=True)
class BuildKitCli:
    """A docker CLI able to do BuildKit builds: with the buildx plugin (rawjson progress), or built in (plain)."""

    docker: Path
    buildx: Path | None

    @property
    def progress(self) -> str:
        return "rawjson" if self.buildx else "plain"

    def facts(self) -> dict[str, Any]:
        """What the manifest records: which binaries built, and their own version lines."""
        return {"docker_cli": str(self.docker), "docker_cli_version": _version_line([str(self.docker), "--version"]),
                "buildx": str(self.buildx) if self.buildx else None,
                "buildx_version": _version_line([str(self.buildx), "version"]) if self.buildx else None,
                "progress": self.progress}

    def command(self, tag: str, iidfile: Path, build_args: dict[str, str] | None = None) -> list[str]:
        arguments = [f"--build-arg={name}={value}" for name, value in (build_args or {}).items()]
        common = ["--no-cache", "--network=none", "--iidfile", str(iidfile), "--tag", tag, *arguments]
        if self.buildx:
            return [str(self.docker), "buildx", "build", "--progress=rawjson", "--provenance=false", "--sbom=false",
                    *common, "-"]
        return [str(self.docker), "build", "--progress=plain", *common, "-"]

    def environment(self, socket_path: Path, config_dir: Path) -> dict[str, str]:
        """Only what the CLI needs: the private socket, a private config (with buildx linked in), no user state."""
        if self.buildx:
            plugins = config_dir / "cli-plugins"
            plugins.mkdir(exist_ok=True)
            (plugins / "docker-buildx").symlink_to(self.buildx)
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(config_dir),
                "DOCKER_HOST": f"unix://{socket_path}", "DOCKER_CONFIG": str(config_dir), "DOCKER_BUILDKIT": "1",
                "BUILDX_NO_DEFAULT_ATTESTATIONS": "1", "DOCKER_CLI_HINTS": "false", "NO_COLOR": "1"}


#: What a progress parser returns: the steps and the build's error (None when it succeeded).
Parsed = tuple[list[StepTiming], str | None]


class BuildKitBuilder:
    name = "buildkit"

    def __init__(self, cli: BuildKitCli):
        self.cli = cli

    def facts(self) -> dict[str, Any]:
        return {"builder": self.name, **self.cli.facts()}

    def build(self, api: docker.APIClient, socket_path: Path, context_tar: Path, tag: str, log: TextIO,
              build_args: dict[str, str] | None = None) -> BuildTiming:
        """One no-cache build; a failing step or CLI is a failed result with BuildKit's own error text."""
        dockerfile = _dockerfile_of(context_tar)
        with tempfile.TemporaryDirectory(prefix="harness-buildkit-") as private:
            config_dir = Path(private)
            env = self.cli.environment(socket_path, config_dir)
            iidfile = config_dir / "image-id"
            began_wall, began = time.time_ns(), time.perf_counter_ns()
            if self.cli.buildx:
                def parse(stamped: Iterator[tuple[int, str]]) -> Parsed:
                    return steps_from_rawjson((line for _, line in stamped), began, began_wall)
            else:
                def parse(stamped: Iterator[tuple[int, str]]) -> Parsed:
                    return steps_from_plain(stamped, began)
            (steps, error), exit_code = _run(self.cli.command(tag, iidfile, build_args), env, context_tar, log, parse)
            ended = time.perf_counter_ns()
            image_id = iidfile.read_text().strip() if iidfile.is_file() else None
        _prune_build_cache(api)
        steps = aligned_with_dockerfile(steps, dockerfile)
        if exit_code != 0 and error is None:
            error = f"`docker build` exited with code {exit_code}"
        if error is None and not image_id:
            error = "BuildKit reported no image id"
        return BuildTiming(steps=tuple(steps), seconds=(ended - began) / 1e9, ok=error is None, error=error,
                           image_id=image_id or None, began_ns=began)


def _prune_build_cache(api: docker.APIClient) -> None:
    """BuildKit keeps every step's result in its build cache even with --no-cache; drop it after each build so the
    data-root does not grow rep after rep (the image itself goes with `remove_image`, as for the classic builder)."""
    try:
        api.prune_builds(all=True)
    except docker.errors.APIError:
        pass  # an engine without a build cache API: nothing to prune


def _dockerfile_of(context_tar: Path) -> str:
    """The context's Dockerfile, read before the build starts so its steps can be numbered like classic ones."""
    stat = context_tar.stat()
    return _dockerfile_in(context_tar, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _dockerfile_in(context_tar: Path, size: int, mtime_ns: int) -> str:
    """Read once per context (its size and mtime name the version): finding a member indexes the whole tar, which
    for a 20 000-file context is worth doing once per run, not before every build."""
    with tarfile.open(context_tar) as context:
        try:
            member = context.extractfile("Dockerfile")
        except KeyError:  # not the harness's own context: keep BuildKit's numbers
            return ""
        return member.read().decode(errors="replace") if member else ""


def _run(command: list[str], env: dict[str, str], context_tar: Path, log: TextIO,
         parse: Callable[[Iterator[tuple[int, str]]], Parsed]) -> tuple[Parsed, int]:
    """Run the CLI with the context on stdin, `parse` its output lines stamped on arrival as they stream (the whole
    output goes to the log, never into memory: a RUN may print any amount), and return what it parsed and the CLI's
    exit code."""
    with context_tar.open("rb") as context:
        try:
            process = subprocess.Popen(command, stdin=context, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       env=env, text=True, errors="replace")
        except OSError as error:
            raise EnvironmentNotAble(f"cannot run the docker CLI {command[0]} for BuildKit builds: "
                                     f"{error.strerror}") from error
        try:
            parsed = parse(_stamped_lines(process.stdout, log))
            return parsed, process.wait()
        finally:
            if process.poll() is None:  # interrupted: leave no CLI behind
                process.kill()
                process.wait()


def _stamped_lines(stream: IO[str], log: TextIO) -> Iterator[tuple[int, str]]:
    for line in stream:
        arrived = time.perf_counter_ns()
        log.write(mask_text(line))  # rawjson carries RUN output base64-encoded: mask_text decodes it
        yield arrived, line


def find_buildkit_cli(engine: EngineBinaries | None) -> BuildKitCli:
    """The engine's own CLI and buildx; for the system's engine, a system buildx plugin or a CLI with BuildKit built in."""
    if engine is not None and engine.docker_cli is not None:
        if engine.buildx is not None:
            return BuildKitCli(Path(engine.docker_cli), Path(engine.buildx))
        if _has_builtin_buildkit(Path(engine.docker_cli)):
            return BuildKitCli(Path(engine.docker_cli), None)
        raise EnvironmentNotAble(f"engine {engine.version or engine.source}'s docker CLI ({engine.docker_cli}) "
                                 f"cannot do BuildKit builds without buildx, and the engine has none: {INSTALL_BUILDX}")
    clis = [Path(p) for p in dict.fromkeys(filter(None, (shutil.which("docker"), "/usr/bin/docker")))
            if Path(p).is_file()]
    buildx = next((Path(d) / "docker-buildx" for d in SYSTEM_PLUGIN_DIRS if (Path(d) / "docker-buildx").is_file()),
                  None)
    if clis and buildx:
        return BuildKitCli(clis[0], buildx)
    for cli in clis:
        if _has_builtin_buildkit(cli):
            return BuildKitCli(cli, None)
    raise EnvironmentNotAble(f"no docker CLI here can do BuildKit builds (found: "
                             f"{', '.join(map(str, clis)) or 'none'}): {INSTALL_BUILDX}")


def _has_builtin_buildkit(cli: Path) -> bool:
    """Docker 18.09 to 22.x build with BuildKit by themselves (`DOCKER_BUILDKIT=1`); later ones need buildx."""
    match = CLI_VERSION.search(_version_line([str(cli), "--version"]) or "")
    return bool(match) and BUILTIN_BUILDKIT[0] <= (int(match.group(1)), int(match.group(2))) < BUILTIN_BUILDKIT[1]


def _version_line(command: list[str]) -> str | None:
    """The first line a binary prints about its version, None if it cannot run."""
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return output.strip().splitlines()[0] if output.strip() else None
