"""User builds and shared bases on real private daemons.

A user's own Dockerfile (`ARG HARNESS_BASE` / `FROM ${HARNESS_BASE}`) and context directory build against the
generated base with both builders, their steps timed; workloads that share a base import it once.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from harness.builders import builder_for
from harness.builders.timing import remove_image
from harness.config import BaseTree, Payload, UserBuild, Workload, load_matrix, load_scenario
from harness.hosts.local import LocalDaemon
from harness.measure.facts import machine_facts
from harness.measure.runner import Runner
from harness.measure.workloads import base_tag, build_args, build_tag, import_base, write_context
from harness.results.writer import RunDirectory
from tests.conftest import REPO, Quiet, write_tree
from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

BASE = BaseTree(files=2000, file_size=256, directories=10, content_seed=5)
DOCKERFILE = """
    ARG HARNESS_BASE
    FROM ${HARNESS_BASE}
    COPY app /app
    RUN test -f /base/d0000/f000000 && sh /app/build.sh > /app/built && sleep 0.3
    ENV STAGE=done
    RUN test "$(cat /app/built)" = "built from $(ls /app/lib | wc -l) files"
"""


def user_workload(root: Path) -> Workload:
    write_tree(root / "project", {"Dockerfile.bench": DOCKERFILE, "src/Dockerfile": "FROM not-this-one\n",
                                  "src/app/build.sh": 'echo "built from $(ls /app/lib | wc -l) files"\n',
                                  **{f"src/app/lib/m{i}.txt": f"module {i}\n" for i in range(5)}})
    build = UserBuild(dockerfile=root / "project" / "Dockerfile.bench", context=root / "project" / "src")
    return Workload("mine", "", BASE, Payload(), (), user_build=build)


@pytest.mark.parametrize("builder_name", ["classic", "buildkit"])
def test_a_user_build_runs_on_the_generated_base_and_its_steps_are_timed(harness: Harness, builder_name: str
                                                                         ) -> None:
    workload = user_workload(harness.root)
    context = write_context(workload, harness.root / "contexts")
    daemon = LocalDaemon(load_scenario(REPO / "scenarios" / "local-overlay2-native.yaml"), harness.work,
                         harness.root / "logs")
    daemon.start()
    try:
        import_base(daemon.api, workload)
        builder = builder_for(builder_name, None)
        with (harness.root / "build.log").open("w") as log:
            timing = builder.build(daemon.api, daemon.socket_path, context, build_tag(workload), log,
                                   build_args(workload))
        assert timing.ok, timing.error
        built = daemon.api.inspect_image(build_tag(workload))
        base_layers = daemon.api.inspect_image(base_tag(workload))["RootFS"]["Layers"]
        assert remove_image(daemon.api, build_tag(workload), failed=False) is None
    finally:
        daemon.close()
    assert built["RootFS"]["Layers"][:len(base_layers)] == base_layers, "built FROM the generated base"
    assert "STAGE=done" in built["Config"]["Env"]
    steps = {step.instruction: step for step in timing.steps}
    assert {"COPY", "RUN"} <= set(steps), timing.steps
    assert [s.index for s in timing.steps if s.instruction == "RUN"] == [4, 6], timing.steps
    assert all(step.ok and step.seconds >= 0 for step in timing.steps), timing.steps  # BuildKit plain: 0.0s
    # The first RUN sleeps 0.3 s: above the 0.1 s resolution of BuildKit's plain progress (engines without buildx)
    assert sum(step.seconds for step in timing.steps if step.instruction == "RUN") >= 0.2, timing.steps


def test_workloads_sharing_a_base_import_it_once_per_scenario(harness: Harness) -> None:
    workloads = """
      - name: touch
        base: {files: 3000, directories: 10}
        steps: ["RUN touch /x"]
      - name: rename
        base: {files: 3000, directories: 10}
        steps: ["RUN mv /base/d0000 /moved"]
      - name: smaller
        base: {files: 300, directories: 10}
        steps: ["RUN touch /x"]
    """
    matrix = matrix_with(harness.root, ["local-overlay2-native"], workloads, "repetitions: 1\nwarmup: 0\n")
    result = harness.run("run", str(matrix))
    assert result.returncode == 0, result.stderr
    record = manifest_of(run_dir_of(result.stdout))["scenarios"]["local-overlay2-native"]
    seconds = {i["workload"]: i["seconds"] for i in record["base_imports"]}
    assert seconds["touch"] > 0 and seconds["smaller"] > 0, seconds
    assert seconds["rename"] == 0.0, f"the shared base was imported again: {seconds}"



def test_a_run_measures_a_user_build_and_records_its_context_digest(harness: Harness) -> None:
    """Through the runner on a real daemon (the matrix keys for user builds come with the workload library)."""
    matrix_file = matrix_with(harness.root, ["local-overlay2-native"], "  - name: mine\n    steps: [RUN true]",
                              "repetitions: 2\nwarmup: 0\n")
    matrix = dataclasses.replace(load_matrix(matrix_file), workloads=(user_workload(harness.root),))
    run = RunDirectory.create(harness.results, matrix, ["harness", "run", str(matrix_file)], machine_facts())
    outcome = Runner(matrix, run, Quiet(), harness.work).execute()
    assert outcome.exit_code == 0, run.read_manifest().scenarios
    record = run.read_manifest().workloads["mine"]
    assert not any(harness.work.glob("contexts-*")), "the private contexts go with the run"
    context = write_context(matrix.workloads[0], harness.root / "again", skip=(harness.results, harness.work))
    assert record.context_sha256 == hashlib.sha256(context.read_bytes()).hexdigest(), "the tar that was built"
    assert [p.name for p in (run.path / "contexts").iterdir()] == [f"{context.name}.files.jsonl"], \
        "only the list of what the context held is published, not the tar"
    assert record.dockerfile.endswith("Dockerfile.bench") and record.context.endswith("project/src")
    steps = [s for s in samples_of(run.path) if s["kind"] == "step"]
    assert len(steps) == 2 * 6 and all(s["ok"] for s in steps)
    assert {s["instruction"] for s in steps} >= {"ARG", "FROM", "COPY", "RUN", "ENV"}
