"""How the harness's base image import compares with the plain shell way, for the figures in the docs.

Starts one private dockerd (like `harness run` does) and, alternating, imports the same N-file base
  (a) the harness way: generate the seeded tree as a tar stream and send it to `docker import` (one Python process),
  (b) the shell way: `tar -C DIR -c . | docker import -` from the same tree already on disk (not timed: its
      creation is not part of the shell way's cost),
timing each in a fresh child process and reading that child's peak RSS from wait4(). Prints medians and ratios.

    sudo .venv/bin/python benchmarks/base_import.py --files 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import docker

from harness.config import BaseTree, Engine, Expect, LocalHost, OverlayKnobs, Payload, Scenario, Storage, Workload
from harness.hosts.local import LocalDaemon
from harness.workloads import base_tag, base_tar_chunks

HARNESS_WAY = """
import sys, docker
from harness.config import BaseTree, Payload, Workload
from harness.workloads import import_base
api = docker.APIClient(base_url=sys.argv[1], version="auto", timeout=3600)
base = BaseTree(files=int(sys.argv[2]), file_size=int(sys.argv[3]), directories=int(sys.argv[4]))
import_base(api, Workload("import-bench", "", base, Payload(), ("RUN true",)))
"""


def timed_child(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of `command` and the children it waited for."""
    began = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{command[:3]} failed")
    return elapsed, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--file-size", type=int, default=512)
    parser.add_argument("--directories", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = BaseTree(files=args.files, file_size=args.file_size, directories=args.directories)
    workload = Workload("import-bench", "", base, Payload(), ("RUN true",))
    scenario = Scenario("import-bench", Path("import-bench.yaml"), "", LocalHost(), Engine(), Storage("overlay2"),
                        OverlayKnobs(), Expect())
    scratch = Path(tempfile.mkdtemp(prefix="hbench", dir="/var/tmp"))
    tree = scratch / "tree"
    with tarfile.open(fileobj=_Stream(base_tar_chunks(base)), mode="r|") as archive:
        archive.extractall(tree, filter="tar")
    daemon = LocalDaemon(scenario, Path("/var/lib/harness"), scratch / "logs")
    daemon.start()
    url = f"unix://{daemon.socket_path}"
    docker_cli = shutil.which("docker") or sys.exit("no docker CLI on PATH (apt-get install docker.io)")
    results: dict[str, list[tuple[float, int]]] = {"harness": [], "tar | docker import": []}
    try:
        for _ in range(args.rounds):
            results["harness"].append(timed_child([sys.executable, "-c", HARNESS_WAY, url, str(base.files),
                                                   str(base.file_size), str(base.directories)]))
            daemon.api.remove_image(base_tag(workload))
            results["tar | docker import"].append(timed_child(
                ["bash", "-c", f'tar -C "$1" -c . | "$2" -H "$3" import - bench:shell >/dev/null', "-",
                 str(tree), docker_cli, url]))
            daemon.api.remove_image("bench:shell")
    finally:
        daemon.stop()
        shutil.rmtree(scratch)
    report(results, base)


def report(results: dict[str, list[tuple[float, int]]], base: BaseTree) -> None:
    print(f"base of {base.files} files × {base.file_size} B in {base.directories} directories, "
          f"{len(results['harness'])} rounds (medians):")
    medians = {way: (statistics.median(t for t, _ in runs), statistics.median(r for _, r in runs))
               for way, runs in results.items()}
    for way, (seconds, rss) in medians.items():
        print(f"  {way:22s} {seconds:7.2f} s   peak RSS {rss / 1024:7.1f} MiB")
    (hs, hr), (ss, sr) = medians["harness"], medians["tar | docker import"]
    print(f"  harness ÷ shell: time {hs / ss:.2f}×, peak RSS {hr / sr:.2f}×")


class _Stream:
    """A read-only file over an iterator of byte chunks, for tarfile's stream mode."""

    def __init__(self, chunks):
        self.chunks, self.buffer = iter(chunks), b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        data, self.buffer = (self.buffer, b"") if size < 0 else (self.buffer[:size], self.buffer[size:])
        return data


if __name__ == "__main__":
    main()
