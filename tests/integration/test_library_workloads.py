"""The workload library on real private daemons: every build workload builds on overlay2 with the native and the
naive differ, and the difference between them is where the naive differ says it must be.

What was measured first (5 000-file bases, 3 reps, `harness run` of every library build workload on
local-overlay2-native and local-overlay2-naive, 2026-11-28): each layer the naive differ commits costs about a
second (a walk of the base, then a sleep to the next whole second), whatever the layer holds, while the native
differ's cost follows what changed. So the ratio is largest where a layer holds nothing: `metadata` (six ENV/LABEL
steps) at 13× the native time, against 1.7× for `rename-dir`, ≤ 3.4× for everything else; and the absolute
difference grows with the number of layers (metadata 5.5 s over six layers, small-change 0.44 s over one).
`rename-dir` did not differ most: without redirect_dir the native side pays a copy-up of the renamed directory,
which narrows the gap. The assertions below are those relations, on smaller bases to keep the test short. (Each
naive commit's sleep is 0-1 s depending on the clock, so one-layer differences such as rename-dir's are not
asserted: three reps cannot tell 0.4 s from that noise reliably.)
"""

from __future__ import annotations

import shutil
import statistics

import pytest

from tests.conftest import REPO
from tests.integration.conftest import Harness, manifest_of, matrix_with, run_dir_of, samples_of

pytestmark = pytest.mark.integration

NATIVE, NAIVE = "local-overlay2-native", "local-overlay2-naive"
#: Every library workload of kind build, made small: the relations hold at any base size, the test stays short.
BUILDS = {
    "small-change": {}, "copy-many": {"changed_files": 300}, "copy-big": {"changed_file_size": 4 * 1024 * 1024},
    "add-tar": {}, "rename-dir": {}, "delete-tree": {}, "append-many": {"changed_files": 200}, "metadata": {},
    "realistic": {},
}
SMALL_BASE = 2000


def library_entries() -> str:
    lines = []
    for name, params in BUILDS.items():
        settings = ", ".join(f"{key}: {value}" for key, value in {"files_in_base": SMALL_BASE, **params}.items())
        lines.append(f"  - use: {name}\n    params: {{{settings}}}")
    return "\n".join(lines)


def test_every_library_build_workload_builds_and_naive_costs_most_where_layers_hold_least(harness: Harness) -> None:
    shutil.copytree(REPO / "workloads", harness.root / "workloads")
    matrix = matrix_with(harness.root, [NATIVE, NAIVE], library_entries(), "repetitions: 3\nwarmup: 0\nrounds: 1\n")
    result = harness.run("run", str(matrix), timeout=600)
    assert result.returncode == 0, result.stderr
    run_dir = run_dir_of(result.stdout)
    builds = [s for s in samples_of(run_dir) if s["kind"] == "build"]
    assert all(s["ok"] for s in builds), [s["error"] for s in builds if not s["ok"]]
    median = {(w, s): statistics.median(b["seconds"] for b in builds if (b["workload"], b["scenario"]) == (w, s))
              for w in BUILDS for s in (NATIVE, NAIVE)}
    assert len(median) == 2 * len(BUILDS) and not [b for b in builds if b["workload"] not in BUILDS]

    ratio = {w: median[w, NAIVE] / median[w, NATIVE] for w in BUILDS}
    difference = {w: median[w, NAIVE] - median[w, NATIVE] for w in BUILDS}
    assert max(ratio, key=ratio.get) == "metadata", ratio
    assert difference["metadata"] > 3 * difference["small-change"], difference

    steps = [s for s in samples_of(run_dir) if s["kind"] == "step" and s["workload"] == "metadata"]
    assert {s["instruction"] for s in steps} == {"FROM", "ENV", "LABEL"}
    assert manifest_of(run_dir)["workloads"]["metadata"]["params"] == {}
