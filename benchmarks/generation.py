"""Workload generation figures for the docs: peak RSS and time of generating, and base import speed.

(a) Generation, each in a fresh child process (its peak RSS as GNU time reports it, next to an `idle` child that
    only imports the same modules, so the growth shows): an N-file base tar streamed to /dev/null, and an N-file
    payload build context written to disk (payload/ plus payload.tar, 2 × N tar entries).
(b) Import into one private dockerd like `harness run` starts (overlay2 native; needs root and the machine lock),
    alternating:
      the harness way: `import_base` — generate the seeded tree as a tar stream and send it to `docker import`;
      the shell way:   `tar -C DIR -c . | docker import -` from the same tree extracted to disk beforehand
                       (the extraction is not timed: it is not part of the shell way's cost).
Prints medians over the rounds and the harness ÷ shell ratio:

    .venv/bin/python benchmarks/generation.py --generate-files 1000000 --import-files 0 --rounds 3
    flock /tmp/harness-machine.lock .venv/bin/python benchmarks/generation.py --generate-files 0 \
        --import-files 100000 --rounds 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from harness.config import BaseTree, Payload, Workload, load_scenario
from harness.hosts.local import LocalDaemon
from harness.measure.workloads import base_tag, base_tar_chunks

REPO = Path(__file__).resolve().parent.parent
IMPORTS = ("import sys, docker\nfrom harness.config import BaseTree, Payload, Workload\n"
           "from harness.measure.workloads import *\n")
IDLE = IMPORTS
GENERATE_BASE = IMPORTS + """
with open("/dev/null", "wb") as sink:
    for chunk in base_tar_chunks(BaseTree(files=int(sys.argv[1]), file_size=int(sys.argv[2]))):
        sink.write(chunk)
"""
GENERATE_CONTEXT = IMPORTS + """
payload = Payload(files=int(sys.argv[1]), file_size=int(sys.argv[2]))
write_context(Workload("generation-bench", "", BaseTree(files=1), payload, ("COPY payload /p",)), Path(sys.argv[3]))
"""
HARNESS_IMPORT = IMPORTS + """
api = docker.APIClient(base_url=sys.argv[1], version="auto", timeout=3600)
base = BaseTree(files=int(sys.argv[2]), file_size=int(sys.argv[3]), directories=int(sys.argv[4]))
import_base(api, Workload("import-bench", "", base, Payload(), ("RUN true",)))
"""

Runs = dict[str, list[tuple[float, int]]]


def timed_child(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of `command` (and the children it waited for), measured by GNU time.

    Not wait4() from here: Linux starts a child's maxrss at its parent's high-water mark when it execs, so this
    process's own size (the extracted tree's TarInfos) would show as the child's. GNU time is a small parent.
    """
    gnu_time = shutil.which("time", path="/usr/bin:/bin") or sys.exit("no GNU time (apt-get install time)")
    with tempfile.NamedTemporaryFile("r", prefix="hgen-rss") as rss:
        began = time.perf_counter()
        result = subprocess.run([gnu_time, "-f", "%M", "-o", rss.name, *command])
        elapsed = time.perf_counter() - began
        if result.returncode != 0:
            sys.exit(f"{command[:3]} failed")
        return elapsed, int(rss.read().split()[-1])


def python(script: str, *args: object) -> list[str]:
    return [sys.executable, "-c", "from pathlib import Path\n" + script, *map(str, args)]


def generation(files: int, file_size: int, rounds: int, scratch: Path) -> Runs:
    """(a): the idle child, the base to /dev/null, the payload context to disk; each `rounds` times."""
    runs: Runs = {"idle (imports only)": [], f"base tar, {files} files": [], f"payload context, {files} files": []}
    for _ in range(rounds):
        runs["idle (imports only)"].append(timed_child(python(IDLE)))
        runs[f"base tar, {files} files"].append(timed_child(python(GENERATE_BASE, files, file_size)))
        runs[f"payload context, {files} files"].append(
            timed_child(python(GENERATE_CONTEXT, files, file_size, scratch / "contexts")))
        shutil.rmtree(scratch / "contexts")
    return runs


def base_import(base: BaseTree, rounds: int, scratch: Path) -> Runs:
    """(b): the harness's streamed import against `tar c DIR | docker import -`, alternating, on one daemon."""
    tree = scratch / "tree"
    with tarfile.open(fileobj=_Stream(base_tar_chunks(base)), mode="r|") as archive:
        archive.extractall(tree, filter="tar")
    docker_cli = shutil.which("docker") or sys.exit("no docker CLI on PATH (apt-get install docker.io)")
    daemon = LocalDaemon(load_scenario(REPO / "scenarios" / "local-overlay2-native.yaml"), scratch / "w",
                         scratch / "logs")
    workload = Workload("import-bench", "", base, Payload(), ("RUN true",))
    runs: Runs = {"harness import_base": [], "tar c DIR | docker import -": []}
    daemon.start()
    try:
        url = f"unix://{daemon.socket_path}"
        for _ in range(rounds):
            runs["harness import_base"].append(timed_child(
                python(HARNESS_IMPORT, url, base.files, base.file_size, base.directories)))
            daemon.api.remove_image(base_tag(workload))
            runs["tar c DIR | docker import -"].append(timed_child(
                ["bash", "-c", 'tar -C "$1" -c . | "$2" -H "$3" import - bench:shell >/dev/null', "-",
                 str(tree), docker_cli, url]))
            daemon.api.remove_image("bench:shell")
    finally:
        daemon.close()
    return runs


def report(title: str, runs: Runs) -> list[str]:
    lines = [f"{title} (medians of {len(next(iter(runs.values())))}):"]
    for way, samples in runs.items():
        seconds, rss = statistics.median(t for t, _ in samples), statistics.median(r for _, r in samples)
        lines.append(f"  {way:32s} {seconds:8.2f} s   peak RSS {rss / 1024:7.1f} MiB")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generate-files", type=int, default=1_000_000,
                        help="files in (a)'s base and context (0: skip (a))")
    parser.add_argument("--generate-file-size", type=int, default=512)
    parser.add_argument("--import-files", type=int, default=100_000, help="files in (b)'s base (0: skip (b))")
    parser.add_argument("--import-file-size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="hgen", dir="/tmp"))  # short: unix socket paths are limited
    try:
        lines = []
        if args.generate_files:
            lines += report("(a) generation", generation(args.generate_files, args.generate_file_size, args.rounds,
                                                         scratch))
        if args.import_files:
            base = BaseTree(files=args.import_files, file_size=args.import_file_size)
            runs = base_import(base, args.rounds, scratch)
            lines += report(f"(b) import of a {base.files}-file base ({base.file_size} B files, "
                            f"{base.directories} directories)", runs)
            harness, shell = (statistics.median(t for t, _ in samples) for samples in runs.values())
            lines.append(f"  harness ÷ shell: {harness / shell:.2f}×")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("\n".join(lines))


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
