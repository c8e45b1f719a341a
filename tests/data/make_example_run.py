"""Regenerate tests/data/example-run/ and example-run-after/, the checked-in run directories behind the goldens.

The timings are synthetic but shaped like the measurements in docs/facts.md (a 20 000-file base image; native-diff
overlay2 ≈ 0.2–0.4 s per layer, naive diff ≈ 1.3–1.6 s with its whole-second floor, vfs ≈ 3.5 s copying the tree).
The run has the design the analysis expects: 5 rounds of 2 measured builds per scenario (10 in all), the scenarios
interleaved in a seeded order per round, every daemon session with its own multiplicative offset (σ = 2 %) on top
of a slow drift shared by the round, and an A/A control (`local-overlay2-native-aa`, a copy of the baseline).
They carry on purpose what the statistics must handle: one warmup per scenario (slow, excluded), a failed build
(local-vfs rep 5 fails at step 5: its earlier steps count, the failing step and the build are counted as failures),
an outlier (native ADD), a slow first measured repetition (naive RUN touch), high spread (vfs COPY) and a FROM step
that does not differ between scenarios (shown as `~`). example-run-after is the same matrix measured again a week
later on a newer kernel (6.19) where, in this story, the naive differ got 15 % faster and nothing else changed: the
input of `harness compare`.

Run: .venv/bin/python tests/data/make_example_run.py   (deterministic: the same files every time)
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Variant:
    """One generated run: where it goes, its identity, its kernel, and how it differs from the first."""

    directory: str
    run_id: str
    start: datetime
    rng_seed: int
    kernel: str
    naive_factor: float
    failure: bool


VARIANTS = (
    Variant("example-run", "20261127T101500Z-example", datetime(2026, 11, 27, 10, 15, tzinfo=UTC),
            20261127, "6.18.0-1-amd64", 1.0, True),
    Variant("example-run-after", "20261204T091000Z-example", datetime(2026, 12, 4, 9, 10, tzinfo=UTC),
            20261204, "6.19.0-1-amd64", 0.85, False),
)
REPS, WARMUP, ROUNDS = 10, 1, 5
SESSION_SIGMA, ROUND_DRIFT = 0.02, 0.01  # per daemon session (lognormal σ), and shared drift per round (+1 %)
CONTROL = "local-overlay2-native-aa"
STEPS = [("FROM", "FROM harness-base:seed-20000x512"), ("RUN", "RUN touch /marker"),
         ("COPY", "COPY payload /payload"), ("ADD", "ADD payload.tar /opt/payload"), ("RUN", "RUN mv /payload /moved")]
# scenario -> (median seconds per step, relative noise sigma per step)
PROFILES = {
    "local-overlay2-native": ([0.0042, 0.38, 0.21, 0.26, 0.36], [0.08, 0.03, 0.03, 0.03, 0.03]),
    "local-overlay2-naive": ([0.0042, 1.62, 1.35, 1.41, 1.58], [0.08, 0.02, 0.03, 0.02, 0.03]),
    "local-vfs": ([0.0044, 3.55, 3.40, 3.48, 3.62], [0.08, 0.03, 0.13, 0.03, 0.03]),
}
PROFILES[CONTROL] = PROFILES["local-overlay2-native"]
OVERHEAD_S = 0.15  # context upload and the final image id: in the build total, in no step
FAILURE = ("local-vfs", 6, 5, "failed to register layer: Error processing tar file(exit status 1): "
                              "write /moved/f/0/1/7/f01734: no space left on device")
MATRIX_TEXT = """\
# A SYNTHETIC example (tests/data/make_example_run.py): matrix-local.yaml's scenarios plus local-vfs
repetitions: {min: 10, max: 10, target_ci: 0.02}
warmup: 1
rounds: 5
control: true
order_seed: 42
baseline: local-overlay2-native
scenarios: [local-overlay2-native, local-overlay2-naive, local-vfs]
workloads:
  seed:
    base: {files: 20000, file_size: 512, content_seed: 42}
    payload: {files: 200, file_size: 4096}
    steps: ["RUN touch /marker", "COPY payload /payload", "ADD payload.tar /opt/payload", "RUN mv /payload /moved"]
"""


def step_seconds(rng: random.Random, variant: Variant, scenario: str, rep: int, warmup: bool,
                 session: float) -> list[float]:
    medians, sigmas = PROFILES[scenario]
    values = [session * m * rng.lognormvariate(0, s) for m, s in zip(medians, sigmas)]
    if scenario == "local-overlay2-naive":
        values = values[:1] + [v * variant.naive_factor for v in values[1:]]
    if warmup:
        values = [v * 1.3 for v in values]
    if scenario == "local-overlay2-native" and rep == 5:
        values[3] *= 1.35  # one outlier: something else touched the disk
    if scenario == "local-overlay2-naive" and rep == WARMUP + 1:
        values[1] *= 1.25  # the first measured rep is still slow: warmup too short
    return [round(v, 6) for v in values]


def sample(variant: Variant, scenario: str, rep: int, round_: int, warmup: bool, clock: datetime, **fields) -> dict:
    return {"schema": 2, "run_id": variant.run_id, "scenario": scenario, "workload": "seed", "rep": rep,
            "round": round_, "builder": "classic", "warmup": warmup, **fields,
            "ended_at": clock.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def build_samples(rng: random.Random, variant: Variant, scenario: str, rep: int, round_: int, session: float,
                  clock: datetime) -> tuple[list[dict], datetime]:
    warmup = rep <= WARMUP
    failing = FAILURE[2] if variant.failure and (scenario, rep) == FAILURE[:2] else None
    lines, total = [], 0.0
    seconds_per_step = step_seconds(rng, variant, scenario, rep, warmup, session)
    for index, ((instruction, text), seconds) in enumerate(zip(STEPS, seconds_per_step), 1):
        ok = index != failing
        seconds = seconds if ok else round(seconds * 0.6, 6)
        total += seconds
        clock += timedelta(seconds=seconds)
        lines.append(sample(variant, scenario, rep, round_, warmup, clock, kind="step", step=index,
                            instruction=instruction,
                            text=text, seconds=seconds, ok=ok, error=None if ok else FAILURE[3]))
        if not ok:
            break
    total = round(total + (OVERHEAD_S if failing is None else 0.02), 6)
    clock += timedelta(seconds=OVERHEAD_S)
    lines.append(sample(variant, scenario, rep, round_, warmup, clock, kind="build", step=None, instruction=None,
                        text=None,
                        seconds=total, ok=failing is None, error=None if failing is None else FAILURE[3]))
    return lines, clock + timedelta(seconds=0.5)


def scenario_facts(name: str, native: bool | None, kernel: str) -> dict:
    driver = "vfs" if native is None else "overlay2"
    status = {} if native is None else {"Backing Filesystem": "extfs", "Supports d_type": "true",
                                        "Native Overlay Diff": str(native).lower(), "userxattr": "false"}
    knobs = {"redirect_dir": "N" if native in (True, None) else "Y", "metacopy": "N"}
    version = {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41", "MinAPIVersion": "1.12", "GitCommit": "5d6db84",
               "GoVersion": "go1.19.8", "Os": "linux", "Arch": "amd64", "KernelVersion": kernel,
               "Components": [{"Name": "Engine", "Version": "20.10.24+dfsg1"},
                              {"Name": "containerd", "Version": "1.6.20~ds1"},
                              {"Name": "runc", "Version": "1.1.5+ds1"}]}
    info = {"Driver": driver, "DriverStatus": [[k, v] for k, v in status.items()] or None,
            "ServerVersion": "20.10.24+dfsg1", "KernelVersion": kernel,
            "OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "NCPU": 4, "MemTotal": 8330170368}
    description = {"local-overlay2-native": "overlay2 on ext4, redirect_dir=N (native diff)",
                   CONTROL: "overlay2 on ext4, redirect_dir=N (native diff)",
                   "local-overlay2-naive": "overlay2 on ext4, redirect_dir=Y (naive diff)",
                   "local-vfs": "vfs on ext4 (full copy per layer)"}[name]
    return {"status": "ok", "reason": None, "host_type": "local", "storage_driver": driver,
            "description": description, "docker_version": version, "docker_info": info, "driver_status": status,
            "kernel": kernel, "overlay_parameters": knobs, "daemon_start_s": 1.42,
            "stop_reasons": {"seed": "max repetitions reached"},
            **({"control_of": "local-overlay2-native"} if name == CONTROL else {})}


def manifest(variant: Variant, plan: list[dict], ended: datetime) -> dict:
    matrix_sha = hashlib.sha256(MATRIX_TEXT.encode()).hexdigest()
    natives = {"local-overlay2-native": True, "local-overlay2-naive": False, "local-vfs": None, CONTROL: True}
    return {
        "schema": 2, "run_id": variant.run_id, "harness_version": "0.1.0",
        "synthetic": "generated by tests/data/make_example_run.py: made-up timings in the shape of real ones",
        "git_commit": "3f2c1a9d8e7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
        "command": ["harness", "run", "matrix-local.yaml", "--results", "results"],
        "matrix": {"file": "matrix-local.yaml", "sha256": matrix_sha, "copy": "matrix.yaml"},
        "baseline": "local-overlay2-native", "repetitions": {"min": REPS, "max": REPS, "target_ci": 0.02},
        "warmup": WARMUP, "seed": 42, "rounds": ROUNDS,
        "control": {"scenario": CONTROL, "of": "local-overlay2-native"}, "plan": plan,
        "host": {"hostname": "example-host", "kernel": variant.kernel, "os": "Debian GNU/Linux 12 (bookworm)",
                 "cpus": 4, "cpu_model": "(synthetic: no CPU measured)", "memory_bytes": 8330170368,
                 "python": "3.11.2",
                 "overlay_parameters": {"redirect_dir": "N", "metacopy": "N"}},
        "scenarios": {name: scenario_facts(name, native, variant.kernel) for name, native in natives.items()},
        "workloads": {"seed": {"description": "20 000 small files in the base; touch, copy, add and move on top",
                               "fingerprint": "sha256:6d1f0c2b9a8e", "base": {"files": 20000, "file_size": 512},
                               "payload": {"files": 200, "file_size": 4096},
                               "steps": [text for _, text in STEPS[1:]]}},
        "started_at": variant.start.isoformat().replace("+00:00", "Z"),
        "ended_at": ended.isoformat(timespec="seconds").replace("+00:00", "Z"), "status": "complete",
    }


def write_variant(variant: Variant) -> None:
    rng = random.Random(variant.rng_seed)
    clock, lines, plan = variant.start, [], []
    per_round = REPS // ROUNDS
    for round_ in range(1, ROUNDS + 1):
        order = list(PROFILES)
        rng.shuffle(order)  # the runner's seeded order per round
        for scenario in order:
            session = (1 + ROUND_DRIFT) ** (round_ - 1) * rng.lognormvariate(0, SESSION_SIGMA)
            first = 1 if round_ == 1 else WARMUP + 1 + (round_ - 1) * per_round
            for rep in range(first, WARMUP + 1 + round_ * per_round):
                plan.append({"scenario": scenario, "workload": "seed", "rep": rep, "round": round_,
                             "warmup": rep <= WARMUP})
                new, clock = build_samples(rng, variant, scenario, rep, round_, session, clock)
                lines += new
            clock += timedelta(seconds=2.0)  # daemon stop and start
    out = HERE / variant.directory
    (out / "logs").mkdir(parents=True, exist_ok=True)
    (out / "samples.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (out / "matrix.yaml").write_text(MATRIX_TEXT)
    (out / "manifest.json").write_text(json.dumps(manifest(variant, plan, clock), indent=2) + "\n")
    for scenario in PROFILES:
        log = f'time="{variant.start.isoformat()}" level=info msg="API listen on /run/harness/{scenario}/docker.sock"\n'
        if variant.failure and scenario == FAILURE[0]:
            log += 'level=error msg="failed to register layer" error="no space left on device"\n'
        (out / "logs" / f"{scenario}.dockerd.log").write_text(log)


def main() -> None:
    for variant in VARIANTS:
        write_variant(variant)


if __name__ == "__main__":
    main()
