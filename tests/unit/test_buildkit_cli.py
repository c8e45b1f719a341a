"""How the BuildKit builder calls the docker CLI: private config, no user environment, the context on stdin."""

from __future__ import annotations

from pathlib import Path

from harness.builders.buildkit import BuildKitCli
from harness.builders.buildkit_progress import _instructions


def test_buildx_builds_without_cache_network_or_attestations_reading_the_context_from_stdin(tmp_path: Path) -> None:
    command = BuildKitCli(Path("/e/docker"), Path("/e/docker-buildx")).command("harness-build/w:1", tmp_path / "iid")
    assert command[:4] == ["/e/docker", "buildx", "build", "--progress=rawjson"]
    assert {"--no-cache", "--network=none", "--provenance=false", "--sbom=false"} <= set(command)
    assert command[command.index("--tag") + 1] == "harness-build/w:1" and command[-1] == "-"
    assert command[command.index("--iidfile") + 1] == str(tmp_path / "iid")


def test_a_cli_with_builtin_buildkit_gets_plain_progress() -> None:
    command = BuildKitCli(Path("/usr/bin/docker"), None).command("t:1", Path("/x/iid"))
    assert command[:3] == ["/usr/bin/docker", "build", "--progress=plain"] and command[-1] == "-"


def test_the_environment_is_private_and_links_only_the_engines_buildx(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_CONTEXT", "someone-elses")
    monkeypatch.setenv("BUILDX_BUILDER", "remote")
    env = BuildKitCli(Path("/e/docker"), Path("/e/docker-buildx")).environment(Path("/w/docker.sock"), tmp_path)
    assert env["DOCKER_HOST"] == "unix:///w/docker.sock" and env["DOCKER_CONFIG"] == env["HOME"] == str(tmp_path)
    assert "DOCKER_CONTEXT" not in env and "BUILDX_BUILDER" not in env
    assert [p.name for p in (tmp_path / "cli-plugins").iterdir()] == ["docker-buildx"]
    assert (tmp_path / "cli-plugins" / "docker-buildx").readlink() == Path("/e/docker-buildx")


def test_dockerfile_instructions_join_continuations_and_skip_comments() -> None:
    text = "# syntax comment\nFROM b\n\nRUN a && \\\n    b\n# note\nENV X=1\n"
    assert _instructions(text) == ["FROM b", "RUN a &&  b", "ENV X=1"]
