"""Reading Debian Packages indexes: which version of each engine package a suite carries (pure, tested offline)."""

from __future__ import annotations

import re

from harness.errors import EnvironmentNotAble

#: docker.io's dependencies an engine needs at run time (the rest — iptables, libc, systemd — is the host's).
RUNTIME_DEPENDENCIES = ("containerd", "runc", "tini", "tini-static")
#: Fetched too when the suite has them: the engine's own client and buildx (bookworm's docker.io has its CLI inside).
CLIENTS = ("docker-cli", "docker-buildx")
WATCHED = ("docker.io", *RUNTIME_DEPENDENCIES, *CLIENTS)


def parse_packages(text: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """{package: (version, names it depends on)} for the engine's packages in one Packages index (first stanza wins)."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for stanza in text.split("\n\n"):
        if stanza.lstrip("\n")[len("Package: "):].split("\n", 1)[0] not in WATCHED:
            continue  # a Packages index has ~65 000 stanzas: skip the others before parsing their fields
        fields = dict(_fields(stanza))
        name, version = fields.get("Package"), fields.get("Version")
        if name in WATCHED and version and name not in found:
            found[name] = (version, depended_names(fields.get("Depends", "")))
    return found


def depended_names(depends: str) -> tuple[str, ...]:
    """"containerd (>= 1.4~), debconf (>= 0.5) | debconf-2.0" → ("containerd", "debconf"): first alternatives."""
    return tuple(re.split(r"[\s(:]", part.split("|", 1)[0].strip(), maxsplit=1)[0]
                 for part in depends.split(",") if part.strip())


def upstream_version(debian_version: str) -> str:
    """"1:28.5.2+dfsg4-5" → "28.5.2": no epoch, no repack suffix (+dfsg, ~ds), no Debian revision."""
    version = debian_version.split(":", 1)[-1]
    for separator in "+~":
        version = version.split(separator, 1)[0]
    return version.rsplit("-", 1)[0]


def choose_suite(catalog: dict[str, dict[str, tuple[str, tuple[str, ...]]]],
                 version: str) -> tuple[str, dict[str, str]]:
    """The first suite whose docker.io is `version`, with the exact package versions to fetch from it."""
    for suite, packages in catalog.items():
        docker = packages.get("docker.io")
        if docker and upstream_version(docker[0]) == version:
            wanted = ["docker.io", *(d for d in docker[1] if d in RUNTIME_DEPENDENCIES), *CLIENTS]
            missing = [name for name in wanted if name not in packages and name not in CLIENTS]
            if missing:
                raise EnvironmentNotAble(f"{suite} carries docker.io {version} but not {', '.join(missing)}, "
                                         f"which it needs; pin another version")
            return suite, {name: packages[name][0] for name in wanted if name in packages}
    carried = ", ".join(f"{upstream_version(p['docker.io'][0])} ({suite})" for suite, p in catalog.items()
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
