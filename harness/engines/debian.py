"""`source: debian`: a pinned engine from whichever Debian suite carries that docker.io version, fetched privately.

apt runs with a configuration of its own (sources list, lists and cache under the engine cache's `.apt/`), the
archive's signatures checked against /usr/share/keyrings/debian-archive-keyring.gpg. Which suite carries a version
is read from the suites' Packages indexes, never guessed; the engine's companion packages (containerd, runc, CLI,
buildx, tini) are taken from that same suite, downloaded with `apt-get download` and unpacked with `dpkg-deb -x`.
Nothing is installed: the system's dpkg database is never written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from harness.config import Engine
from harness.engines.binaries import EngineBinaries
from harness.engines.cache import cache_root, engine_dir, install, read_record
from harness.engines.packages import choose_suite, parse_packages
from harness.engines.runc import runc_choice
from harness.errors import EnvironmentNotAble

ARCHIVE = "http://deb.debian.org/debian"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
#: The suites searched for a docker.io version (oldest first); which version each carries is read from the archive.
SUITES = ("bookworm", "trixie", "forky", "sid")
APT_TIMEOUT_S = 900


def resolve_debian(engine: Engine) -> EngineBinaries:
    """The cached engine for `engine.version`, fetched first when the cache does not have it."""
    directory = engine_dir("debian", engine.version)
    record = read_record(directory) or fetch_debian(engine.version)
    return binaries_of(directory, record)


def fetch_debian(version: str) -> dict[str, Any]:
    """Find the suite carrying docker.io `version`, download its packages and unpack them into the cache."""
    state = cache_root() / ".apt"
    _update(state)  # a fetch needs the archive anyway; fresh lists pin versions its pool still has
    suite, pins = choose_suite(_catalog(state), version)
    record = {"version": version, "source": "debian", "suite": suite}
    return install(engine_dir("debian", version), lambda staging: {**record, **_unpack(state, pins, staging)})


def binaries_of(directory: Path, record: dict[str, Any]) -> EngineBinaries:
    prefix, host_binaries = runc_choice(_first(directory, "usr/sbin/runc", "usr/bin/runc"), directory / "host-runc")
    return EngineBinaries(
        version=record["version"], source="debian", dockerd=directory / "usr/sbin/dockerd",
        docker_cli=_first(directory, "usr/bin/docker"),
        buildx=_first(directory, "usr/libexec/docker/cli-plugins/docker-buildx",
                      "usr/lib/docker/cli-plugins/docker-buildx"),
        path_prefix=(*prefix, directory / "usr/bin", directory / "usr/sbin"),
        packages=tuple(record["packages"]), host_binaries=host_binaries)


def _catalog(state: Path) -> dict[str, dict[str, tuple[str, tuple[str, ...]]]]:
    """Suite (oldest first) → the engine packages it carries, read from the downloaded Packages indexes."""
    catalog: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {}
    indexes = sorted(_indexes(state), key=lambda pair: SUITES.index(pair[0]) if pair[0] in SUITES else len(SUITES))
    for suite, index in indexes:
        text = _apt(state, "/usr/lib/apt/apt-helper", "cat-file", str(index)).stdout
        catalog.setdefault(suite, {}).update(parse_packages(text))
    return catalog


def _indexes(state: Path) -> list[tuple[str, Path]]:
    if not (state / "lists").is_dir():
        return []
    out = _apt(state, "apt-get", "indextargets", "--format", "$(CODENAME) $(FILENAME)", "Created-By: Packages").stdout
    pairs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
    return [(suite, Path(path)) for suite, path in pairs if Path(path).exists()]


def _update(state: Path) -> None:
    for sub in ("lists/partial", "cache/archives/partial", "etc"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    (state / "etc/sources.list").write_text("".join(
        f"deb [signed-by={KEYRING}] {ARCHIVE} {suite} main\n" for suite in SUITES))
    done = _apt(state, "apt-get", "-q", "update", check=False)
    failures = [line for line in done.stdout.splitlines() + done.stderr.splitlines()
                if line.startswith("E:") or any(w in line for w in ("Failed to fetch", "GPG error", "not signed"))]
    if done.returncode != 0 or failures or not _indexes(state):
        why = failures[0] if failures else done.stderr.strip()[-300:]
        raise EnvironmentNotAble(f"could not read the Debian archive's package lists from {ARCHIVE} (offline, or "
                                 f"a signature apt cannot verify?): {why}; on a machine that is online, prefetch "
                                 f"with `harness engines fetch MATRIX`")


def _unpack(state: Path, pins: dict[str, str], staging: Path) -> dict[str, Any]:
    """apt downloads as its unprivileged `_apt` user into a folder of its own; each .deb is then copied into the
    root-only staging directory, hashed as it is copied (the hash recorded is of the very bytes extracted), and
    only that copy is unpacked: nothing `_apt` can still touch reaches `dpkg-deb -x`."""
    downloads = staging.parent / f"{staging.name}.debs"
    downloads.mkdir(mode=0o700)
    verified = staging / ".debs"
    verified.mkdir(mode=0o700)
    try:
        _chown_to_apt(downloads)
        _apt(state, "apt-get", "-q", "download", *(f"{name}={pin}" for name, pin in sorted(pins.items())),
             cwd=downloads, what=f"download the engine's packages from {ARCHIVE} (offline?)")
        packages = []
        for deb in sorted(downloads.glob("*.deb")):
            name = deb.name.split("_", 1)[0]
            copy = verified / deb.name
            packages.append({"name": name, "version": pins[name], "sha256": _copy_hashed(deb, copy)})
        for deb in sorted(verified.glob("*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], check=True, capture_output=True)
    finally:
        shutil.rmtree(downloads, ignore_errors=True)
        shutil.rmtree(verified, ignore_errors=True)
    return {"packages": packages}


def _copy_hashed(source: Path, target: Path) -> str:
    """Copy `source` (never following a link) to `target`, owner-only; return the sha256 of the bytes copied."""
    digest = hashlib.sha256()
    with os.fdopen(os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb") as given, \
            os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), "wb") as out:
        for block in iter(lambda: given.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _apt(state: Path, *command: str, check: bool = True, cwd: Path | None = None,
         what: str = "read the engine package lists") -> subprocess.CompletedProcess[str]:
    """Run an apt tool with the private configuration: nothing of the system's apt state is read or written."""
    options = [f"-oDir::Etc::sourcelist={state / 'etc/sources.list'}", "-oDir::Etc::sourceparts=/dev/null",
               f"-oDir::State::Lists={state / 'lists'}", f"-oDir::Cache={state / 'cache'}",
               "-oDir::State::status=/dev/null"]
    argv = [command[0], *options, *command[1:]] if command[0] == "apt-get" else list(command)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=APT_TIMEOUT_S,
                              env=apt_environment(state))
    except FileNotFoundError:
        raise EnvironmentNotAble(f"{command[0]} not found: Debian engines are fetched with apt; on other "
                                 f"systems use `source: static` with an official tarball") from None
    if check and done.returncode != 0:
        raise EnvironmentNotAble(f"could not {what} (`{' '.join(command)}` failed): {done.stderr.strip()[-400:]}")
    return done


def apt_environment(state: Path) -> dict[str, str]:
    """APT_CONFIG is read before anything else: ours points Dir::Etc::parts at an empty folder and Dir::Etc::main
    at nothing, so the system's /etc/apt/apt.conf(.d) — proxies, hooks, Pre-Invoke commands — never apply."""
    (state / "etc/apt.conf.d").mkdir(parents=True, exist_ok=True)
    config = state / "etc/apt.conf"
    config.write_text(f'Dir::Etc::parts "{state / "etc/apt.conf.d"}";\nDir::Etc::main "/dev/null";\n')
    return {**os.environ, "APT_CONFIG": str(config)}


def _chown_to_apt(directory: Path) -> None:
    """apt downloads as its unprivileged `_apt` user when it can; let it write here (else it warns and goes on)."""
    try:
        shutil.chown(directory, user="_apt")
    except (LookupError, PermissionError):
        pass


def _first(root: Path, *relatives: str) -> Path | None:
    return next((root / r for r in relatives if (root / r).exists()), None)
