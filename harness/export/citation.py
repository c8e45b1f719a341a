"""The report's last sections: how to measure this run again, and what identifies it when a number is quoted.

A number in a paper is worth what a reader can check: the full commit (with its `-dirty` marker: a dirty tree is
not reproduced by its commit alone), the exact command and the digests of every input it read, the machine (kernel,
CPU model, cores, memory) and per scenario every piece of software between the build and the disk (engine,
containerd, runc, docker CLI, buildx). Everything comes from manifest.json; nothing is re-measured or re-read.
"""

from __future__ import annotations

import re
import shlex

from harness.analysis.summary import Summary
from harness.errors import printable
from harness.export.markdown import literal, prose
from harness.results.reader import RunData

#: As in CITATION.cff (tests/unit/test_citation.py keeps the two in step).
SOFTWARE = "harness: reproducible benchmarks of Docker storage drivers for image builds"
AUTHORS = "The harness maintainers"
POST = ('Jarek Przygodzki, "A curious case of slow Docker image builds" (2018-08-31); its virtual machines: '
        "https://github.com/jarek-przygodzki/docker-image-build-times")
#: `harness run` options that describe one invocation, not the measurement (dropped from the recipe, which writes
#: to the checkout's results/).
ONE_OFF = ("--resume", "--results", "--work-dir")
#: A commit as `harness run` records it (`git rev-parse HEAD`, `-dirty` when the tree had changes).
COMMIT = re.compile(r"[0-9a-f]{7,64}(-dirty)?")


def reproduce_lines(run: RunData) -> list[str]:
    """`## Reproduce this run`: the commands from a clean checkout, the inputs' digests to check, the machine."""
    manifest = run.manifest
    commit = str(manifest.get("git_commit") or "")
    clean = commit.removesuffix("-dirty") if COMMIT.fullmatch(commit) else ""  # never a stranger's shell words
    argv = _replayed(manifest.get("command") or [])
    matrix, options = (argv[0], argv[1:]) if argv else ("MATRIX.yaml", [])
    steps = ["git clone REPOSITORY harness && cd harness   # the harness's repository (CITATION.cff)",
             f"git checkout {clean}" if clean else "# (the run was not measured from a git checkout)"]
    if _pinned_engines(manifest):
        steps.append(f"make venv && .venv/bin/harness engines fetch {shlex.quote(matrix)}   # the pinned engines")
    steps.append(f"sudo make run MATRIX={shlex.quote(matrix)}"
                 + (f" RUN_ARGS={shlex.quote(shlex.join(options))}" if options else "")
                 + "   # installs what is missing, then runs")
    steps.append(".venv/bin/harness report results/NEW_RUN_ID   # NEW_RUN_ID: the `results:` line it prints")
    lines = ["## Reproduce this run", "", "On a Debian or Ubuntu machine with Python ≥ 3.11, as root, from a clean "
             "checkout of the commit that measured it:", "", "```sh", *map(printable, steps), "```", ""]
    if commit.endswith("-dirty"):
        lines += ["The run was measured on a working tree with uncommitted changes (`-dirty`), so the commit alone "
                  "does not reproduce it. The inputs it read are copied into the run directory: run "
                  f"{literal('harness run RUN_DIR/' + str(_get(manifest, 'matrix', 'copy') or 'inputs/matrix.yaml'))} "
                  "to use exactly "
                  "them.", ""]
    return lines + _input_lines(manifest) + _machine_lines(manifest)


def _replayed(command: list[str]) -> list[str]:
    """The recorded `harness run …` argv without the program, the verb and one-off options (`--resume DIR`)."""
    words = list(command[2:]) if command[1:2] == ["run"] else []
    kept: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in ONE_OFF:
            skip = True
        elif not word.startswith(tuple(f"{flag}=" for flag in ONE_OFF)):
            kept.append(word)
    return kept


def _pinned_engines(manifest: dict) -> bool:
    return any(_get(facts, "engine", "source") not in (None, "system")
               for facts in (manifest.get("scenarios") or {}).values())


def _input_lines(manifest: dict) -> list[str]:
    """The sha256 of every input file the run read (matrix, scenarios, workloads) and each workload's fingerprint."""
    matrix = manifest.get("matrix") or {}
    files = matrix.get("files") or {matrix.get("file", "matrix"): matrix.get("sha256", "?")}
    lines = ["Inputs as measured (`sha256sum` them in the checkout; the copies in the run directory match):", "",
             "| input | sha256 |", "|:--|:--|",
             *(f"| {literal(name)} | {literal(digest)} |" for name, digest in files.items())]
    for name, workload in (manifest.get("workloads") or {}).items():
        if isinstance(workload, dict) and workload.get("fingerprint"):
            lines.append(f"| workload {literal(name)} (generated; its fingerprint) | {literal(workload['fingerprint'])} |")
    return lines + [""]


def _machine_lines(manifest: dict) -> list[str]:
    """The machine to match: the timings depend on it, so a reproduction on another one compares ratios."""
    host = manifest.get("host") or {}
    memory = host.get("memory_bytes")
    return ["Machine it ran on (compare ratios, not seconds, on another machine):", "",
            f"- kernel {prose(host.get('kernel', '?'))}, {prose(host.get('os', '?'))}",
            f"- CPU {prose(host.get('cpu_model') or 'model not recorded')}, {prose(host.get('cpus', '?'))} cores, "
            + (f"{memory / 2**30:.1f} GiB memory" if isinstance(memory, (int, float)) else "memory not recorded"),
            "- per scenario, the software that ran the builds: the table under Citation", ""]


def software_table(manifest: dict) -> list[str]:
    """Per scenario: engine (and where it came from), containerd, runc, docker CLI and buildx versions."""
    lines = ["| scenario | engine | engine from | containerd | runc | docker CLI | buildx |",
             "|:--|:--|:--|:--|:--|:--|:--|"]
    for name, facts in (manifest.get("scenarios") or {}).items():
        facts = facts if isinstance(facts, dict) else {}
        version = facts.get("docker_version") or {}
        components = {str(c.get("Name", "")).lower(): c.get("Version") for c in version.get("Components") or []
                      if isinstance(c, dict)}
        cli = _builder_fact(facts, "docker_cli_version")
        cells = [literal(name), version.get("Version") or "?", _get(facts, "engine", "source") or "system",
                 components.get("containerd") or "not reported", components.get("runc") or "not reported",
                 cli or "not used", _builder_fact(facts, "buildx_version") or ("none" if cli else "not used")]
        lines.append("| " + " | ".join(cells[:1] + [prose(cell) for cell in cells[1:]]) + " |")
    return lines


def _builder_fact(facts: dict, key: str) -> str | None:
    """A fact any of the scenario's builders recorded (BuildKit's CLI and buildx versions)."""
    for record in (facts.get("builders") or {}).values():
        if isinstance(record, dict) and record.get(key):
            return str(record[key])
    return None


def suggested_citation(run: RunData, summary: Summary) -> list[str]:
    """One paragraph to paste into a paper: software, authors, full commit, run, date, digest, machine."""
    manifest = run.manifest
    commit = manifest.get("git_commit") or "unknown commit (not a git checkout)"
    sha = _get(manifest, "matrix", "sha256") or "?"
    host = manifest.get("host") or {}
    return ["Suggested citation:", "",
            f"> {AUTHORS}. *{SOFTWARE}*, version {prose(manifest.get('harness_version', '?'))}, git commit "
            f"{literal(commit)}. Run {literal(run.run_id)}, measured {prose(str(manifest.get('started_at', '?'))[:10])} "
            f"on kernel {prose(host.get('kernel', '?'))} ({prose(host.get('cpu_model') or 'CPU model not recorded')}, "
            f"{prose(host.get('cpus', '?'))} cores); matrix sha256 {literal(sha)}; baseline {literal(summary.baseline)}. "
            "Raw samples: "
            "`samples.jsonl` in the run directory.", "",
            f"The question it measures comes from {POST}.", ""]


def _get(mapping: object, *path: str) -> object:
    for key in path:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping
