"""Reading Debian Packages indexes: which version of each engine package a suite carries (pure, tested offline)."""

from __future__ import annotations

from harness.errors import EnvironmentNotAble

#: An engine cannot run without these; bookworm's docker.io still carries its own CLI and has no buildx package.
REQUIRED = ("docker.io", "containerd", "runc")
OPTIONAL = ("docker-cli", "docker-buildx", "tini-static")


def parse_packages(text: str) -> dict[str, str]:
    """{package: version} for the engine's packages in one Packages index (the first stanza of each wins)."""
    found: dict[str, str] = {}
    for stanza in text.split("\n\n"):
        fields = dict(_fields(stanza))
        name, version = fields.get("Package"), fields.get("Version")
        if name in REQUIRED + OPTIONAL and version and name not in found:
            found[name] = version
    return found


def upstream_version(debian_version: str) -> str:
    """"1:28.5.2+dfsg4-5" → "28.5.2": no epoch, no repack suffix (+dfsg, ~ds), no Debian revision."""
    version = debian_version.split(":", 1)[-1]
    for separator in "+~":
        version = version.split(separator, 1)[0]
    return version.rsplit("-", 1)[0]


def choose_suite(catalog: dict[str, dict[str, str]], version: str) -> tuple[str, dict[str, str]]:
    """The first suite whose docker.io is `version`, with the exact versions to fetch from it; else say what exists."""
    for suite, packages in catalog.items():
        docker = packages.get("docker.io")
        if docker and upstream_version(docker) == version and all(p in packages for p in REQUIRED):
            return suite, {name: v for name, v in packages.items() if name in REQUIRED + OPTIONAL}
    carried = ", ".join(f"{upstream_version(p['docker.io'])} ({suite})" for suite, p in catalog.items()
                        if "docker.io" in p) or "none"
    raise EnvironmentNotAble(f"docker.io {version} is in none of the Debian suites searched "
                             f"({', '.join(catalog) or 'no package lists'}); they carry: {carried}. Pin one of those "
                             f"versions, or use `source: static` with an official tarball")


def _fields(stanza: str) -> list[tuple[str, str]]:
    pairs = []
    for line in stanza.splitlines():
        if line and not line[0].isspace() and ":" in line:
            key, value = line.split(":", 1)
            pairs.append((key, value.strip()))
    return pairs
