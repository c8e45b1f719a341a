"""`harness engines [list [MATRIX]] | fetch MATRIX`: the pinned engines in the cache, and prefetching a matrix's."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from harness.config import Engine, LocalHost, Matrix

HELP = "list the Docker engines in the cache (and what a matrix needs); `fetch MATRIX` downloads them ahead"
DESCRIPTION = """\
Local scenarios can pin a Docker engine instead of running the machine's dockerd:
  engine: {version: "28.5.2", source: debian}   the Debian suite carrying docker.io 28.5.2 (found in the archive's
                                                package lists), fetched with a private apt configuration
  engine: {version: "27.5.1", source: static, url: …/docker-27.5.1.tgz, sha256: …}   an official static tarball
Engines are unpacked into /var/cache/harness/engines/ (HARNESS_ENGINE_CACHE overrides it); nothing is installed.
`harness engines` lists the cache; `harness engines list MATRIX` also says which engines MATRIX needs and whether
they are cached; `harness engines fetch MATRIX` fetches the missing ones now (for offline runs and CI).
Exit 3 when an engine cannot be fetched (offline, a version no suite carries, a checksum that does not match)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="list the cache (the default), and what MATRIX needs")
    listing.add_argument("matrix", type=Path, nargs="?", metavar="MATRIX", help="a matrix YAML file")
    fetching = actions.add_parser("fetch", help="fetch every pinned engine MATRIX needs into the cache")
    fetching.add_argument("matrix", type=Path, metavar="MATRIX", help="a matrix YAML file")


def run(args: argparse.Namespace) -> int:
    from harness.config import load_matrix
    from harness.engines.cache import cache_root, cached_engines

    matrix = load_matrix(args.matrix) if getattr(args, "matrix", None) else None
    if args.action == "fetch":
        return _fetch(matrix)
    cached = cached_engines()
    print(f"engine cache {cache_root()}: {len(cached)} engine(s)")
    for engine in cached:
        names = ", ".join(f"{p['name']} {p['version']}" for p in engine.packages)
        print(f"  {engine.version:<10} {engine.source:<7} {engine.origin:<9} {engine.size_bytes / 1e6:5.0f} MB  "
              f"{engine.path}  ({names})")
    if matrix is not None:
        have = {(e.source, e.version) for e in cached}
        print(f"{matrix.file} needs:")
        for engine, scenarios in engines_of(matrix).items():
            state = "system" if engine.source == "system" else \
                "cached" if (engine.source, engine.version) in have else "NOT cached (harness engines fetch MATRIX)"
            print(f"  {describe(engine):<30} {state:<10} for {', '.join(scenarios)}")
    return 0


def _fetch(matrix: Matrix) -> int:
    from harness.engines import resolve_engine
    from harness.engines.cache import tree_size

    for engine, scenarios in engines_of(matrix).items():
        began = time.perf_counter()
        binaries = resolve_engine(engine)
        seconds = time.perf_counter() - began
        home = binaries.dockerd.parent if engine.source == "system" else _engine_home(engine)
        size = "" if engine.source == "system" else f", {tree_size(home) / 1e6:.0f} MB in {home}"
        print(f"{describe(engine)}: ready in {seconds:.1f} s{size} (dockerd {binaries.dockerd}; "
              f"for {', '.join(scenarios)})")
        for note in binaries.host_binaries:
            print(f"  from the host: {note}")
    return 0


def engines_of(matrix: Matrix) -> dict[Engine, list[str]]:
    """Each distinct engine of the matrix's local scenarios, with the scenarios that run it."""
    found: dict[Engine, list[str]] = {}
    for scenario in matrix.scenarios:
        if isinstance(scenario.host, LocalHost):
            found.setdefault(scenario.engine, []).append(scenario.name)
    return found


def describe(engine: Engine) -> str:
    if engine.source == "system":
        return f"system {engine.dockerd}" + (f" (pinned {engine.version})" if engine.version else "")
    return f"{engine.source} {engine.version}"


def _engine_home(engine: Engine) -> Path:
    from harness.engines.cache import engine_dir
    return engine_dir(engine.source, engine.version, engine.sha256)
