"""Hostile and mistaken input, fed to the real `harness validate` and `harness run` as a user would.

Each case exits 2 promptly (a 30 s guard catches a hang; `--durations` measures) with one message naming the file
(and the key where there is one), no traceback, and starts nothing: no state directory (ledger, lock), no run
directory. Valid look-alikes (an IPv6 address, a quoted version, a symlink inside the matrix's directory) must still
exit 0, so the refusals are not too broad.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_tree

MATRIX = "scenarios: [native]\nworkloads: [tiny]\nrepetitions: 1\nwarmup: 0\n"
LOCAL = "host: {type: local}\nstorage: {driver: overlay2}\n"
SSH = "host: {{type: ssh, address: {address}, user: {user}}}\nstorage: {{driver: overlay2}}\n"
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


def scenario(text: str) -> dict[str, str]:
    return {"scenarios/native.yaml": text}


def workload(text: str) -> dict[str, str]:
    return {"workloads/tiny.yaml": text}


def matrix(text: str) -> dict[str, str]:
    return {"matrix.yaml": text}


# name: (files over the valid tree, the file named, what the message says)
BAD = {
    # YAML itself
    "billion laughs": (matrix(LAUGHS), "matrix.yaml", "anchors and aliases"),
    "recursive alias": (matrix("a: &a [*a]\n"), "matrix.yaml", "anchors and aliases"),
    "merge key": (matrix("x: &x {repetitions: 1}\n<<: *x\nscenarios: [native]\n"), "matrix.yaml", "aliases"),
    "deep flow nesting": (matrix("a: " + "[" * 500 + "]" * 500 + "\n"), "matrix.yaml", "nested more than 32"),
    "deep block nesting": (matrix("".join("  " * i + "k:\n" for i in range(100)) + "  " * 100 + "v: 1\n"),
                           "matrix.yaml", "nested more than 32"),
    "file too large": (matrix(MATRIX + "#" * (2 * 1024 * 1024) + "\n"), "matrix.yaml", "too large"),
    "duplicate key": (matrix(MATRIX + "repetitions: 3\n"), "matrix.yaml:5", "given twice (lines 3 and 5)"),
    "duplicate nested key": (scenario("host: {type: local, type: ssh}\nstorage: {driver: overlay2}\n"),
                             "native.yaml:1", "host.type: is given twice"),
    "not valid utf-8": ({"matrix.yaml": "\udcff"}, "matrix.yaml", "cannot read it"),
    "matrix is a list": (matrix("- native\n- tiny\n"), "matrix.yaml", "not a matrix"),
    # names
    "name with a trailing newline": (matrix('scenarios: ["native\\n"]\nworkloads: [tiny]\n'), "matrix.yaml:1",
                                     "must be a scenario name"),
    "scenario name too long": (matrix(f"scenarios: [{'n' * 5000}]\nworkloads: [tiny]\n"), "matrix.yaml:1",
                               "at most 64 characters"),
    "workload name with a slash": (matrix("scenarios: [native]\nworkloads: [../tiny]\n"), "matrix.yaml:2",
                                   "must be a workload name"),
    "inline workload name with a newline": (matrix('scenarios: [native]\nworkloads:\n  - {name: "a\\n", '
                                                   "steps: [RUN true]}\n"), "matrix.yaml:3", "needs a `name`"),
    # numbers without bounds, and numbers YAML made up
    "repetitions 1e30": (matrix(f"scenarios: [native]\nworkloads: [tiny]\nrepetitions: {10**30}\n"),
                         "matrix.yaml:3", "between 1 and 1,000"),
    "warmup 1e11": (matrix(f"scenarios: [native]\nworkloads: [tiny]\nwarmup: {10**11}\n"), "matrix.yaml:3",
                    "between 0 and 100"),
    "adaptive max 1e15": (matrix(f"scenarios: [native]\nworkloads: [tiny]\nrepetitions: {{min: 3, max: {10**15}, "
                                 "target_ci: 0.05}\n"), "matrix.yaml:3", "repetitions.max: must be between"),
    "target_ci .nan": (matrix("scenarios: [native]\nworkloads: [tiny]\nrepetitions: {min: 3, max: 9, "
                              "target_ci: .nan}\n"), "matrix.yaml:3", "finite number, not .nan"),
    "order_seed 2**70": (matrix(f"{MATRIX}order_seed: {2**70}\n"), "matrix.yaml:5", "order_seed: must be between"),
    "base files 1e12": (workload(f"base: {{files: {10**12}}}\nsteps: [RUN true]\n"), "tiny.yaml:1",
                        "base.files: must be between 0 and 1,000,000"),
    "base directories 1e12": (workload(f"base: {{directories: {10**12}}}\nsteps: [RUN true]\n"), "tiny.yaml:1",
                              "base.directories: must be between"),
    "base bytes over 16 GiB": (workload("base: {files: 1000000, file_size: 67108864}\nsteps: [RUN true]\n"),
                               "tiny.yaml:1", "at most 17,179,869,184"),
    "payload 1e8 x 1e8": (workload(f"payload: {{files: {10**8}, file_size: {10**8}}}\nsteps: [RUN true]\n"),
                          "tiny.yaml:1", "payload.files: must be between 1 and 100,000"),
    "payload bytes over 1 GiB": (workload("payload: {files: 100000, file_size: 65536}\nsteps: [RUN true]\n"),
                                 "tiny.yaml:1", "at most 1,073,741,824"),
    "too many steps": (workload("steps: [" + ", ".join(["RUN true"] * 201) + "]\n"), "tiny.yaml:1",
                       "at most 200"),
    "size_gb 1e11": (scenario(f"host: {{type: local}}\nstorage: {{driver: overlay2, filesystem: xfs, "
                              f"size_gb: {10**11}}}\n"), "native.yaml:2", "storage.size_gb: must be between 1"),
    "size_gb .inf": (scenario("host: {type: local}\nstorage: {driver: overlay2, size_gb: .inf}\n"), "native.yaml:2",
                     "finite number, not .inf"),
    "memory_mb 1e12": (scenario(f"host: {{type: vagrant, box: b, memory_mb: {10**12}}}\nstorage: {{driver: vfs}}\n"),
                       "native.yaml:1", "host.memory_mb: must be between 256"),
    "cpus 1e6": (scenario(f"host: {{type: vagrant, box: b, cpus: {10**6}}}\nstorage: {{driver: vfs}}\n"),
                 "native.yaml:1", "host.cpus: must be between 1 and 256"),
    "extra_disk_gb 1e9": (scenario(f"host: {{type: vagrant, box: b, extra_disk_gb: {10**9}}}\n"
                                   "storage: {driver: vfs}\n"), "native.yaml:1", "host.extra_disk_gb: must be"),
    "unquoted version 20.10": (scenario("host: {type: ssh, address: a, user: b}\nengine: {version: 20.10}\n"
                                        "storage: {driver: overlay2}\n"), "native.yaml:2",
                               'engine.version: must be quoted: write version: "20.10"'),
    "version as a date": (scenario("host: {type: ssh, address: a, user: b}\nengine: {version: 2018-08-31}\n"
                                   "storage: {driver: overlay2}\n"), "native.yaml:2", "must be quoted"),
    "unquoted box_version": (scenario("host: {type: vagrant, box: b, box_version: 7.10}\nstorage: {driver: vfs}\n"),
                             "native.yaml:1", 'write box_version: "7.10"'),
    # steps
    "step ending in a backslash": (workload("steps:\n  - RUN true \\\\\n  - RUN false\n"), "tiny.yaml:2",
                                   "ends in a backslash"),
    "ADD from a URL": (workload("steps: [ADD https://example.com/x.tar /]\n"), "tiny.yaml:1", "builds are offline"),
    "ADD from git": (workload("steps: ['ADD git@github.com:a/b.git /b']\n"), "tiny.yaml:1", "builds are offline"),
    "COPY --from an image": (workload("steps: [COPY --from=alpine /etc/passwd /x]\n"), "tiny.yaml:1",
                             "COPY --from would pull"),
    # storage options
    "storage-opt key with =": (scenario("host: {type: local}\nstorage:\n  driver: overlay2\n  options: "
                                        "{'overlay2.size=1G,dm.x': 1}\n"), "native.yaml:4", "not a storage option name"),
    "storage-opt key with a newline": (scenario('host: {type: local}\nstorage:\n  driver: overlay2\n  options: '
                                                '{"a\\nb": 1}\n'), "native.yaml", "not a storage option name"),
    "storage-opt key with a space": (scenario("host: {type: local}\nstorage:\n  driver: overlay2\n  options: "
                                              "{'a b': 1}\n"), "native.yaml:4", "not a storage option name"),
    "storage-opt value with a newline": (scenario('host: {type: local}\nstorage:\n  driver: overlay2\n  options: '
                                                  '{overlay2.size: "1G\\nx"}\n'), "native.yaml:4",
                                         "single printable value"),
    "local direct-lvm device": (scenario("host: {type: local}\nstorage:\n  driver: devicemapper\n  options:\n"
                                         "    dm.directlvm_device: /dev/sda\n    dm.directlvm_device_force: true\n"),
                                "native.yaml:5", "disk or pool of this machine's"),
    "local thin pool": (scenario("host: {type: local}\nstorage:\n  driver: devicemapper\n  options:\n"
                                 "    dm.thinpooldev: /dev/mapper/docker-thinpool\n"), "native.yaml:5",
                        "storage.options.dm.thinpooldev"),
    "local data device": (scenario("host: {type: local}\nstorage:\n  driver: devicemapper\n  options:\n"
                                   "    dm.datadev: /dev/sdb\n"), "native.yaml:5", "disk or pool"),
    # values that reach privileged commands
    "apt option as a package": (scenario("host: {type: ssh, address: a, user: b}\nengine:\n  package: "
                                         "'-oDPkg::Pre-Invoke::=touch /tmp/x'\nstorage: {driver: overlay2}\n"),
                                "native.yaml:3", "engine.package: '-oDPkg"),
    "option as a version": (scenario("host: {type: ssh, address: a, user: b}\nengine: {version: '-1'}\n"
                                     "storage: {driver: overlay2}\n"), "native.yaml:2", "not a package version"),
    "shell in a version": (scenario("host: {type: ssh, address: a, user: b}\nengine: {version: '20.10; id'}\n"
                                    "storage: {driver: overlay2}\n"), "native.yaml:2", "not a package version"),
    "option as a kernel package": (scenario("host: {type: ssh, address: a, user: b}\nstorage: {driver: overlay2}\n"
                                            "kernel: {package: '--force-yes'}\n"), "native.yaml:3",
                                   "kernel.package"),
    "ssh option as an address": (scenario(SSH.format(address="'-oProxyCommand=id'", user="b")), "native.yaml:1",
                                 "host.address: '-oProxyCommand=id' is not a host name"),
    "address with a space": (scenario(SSH.format(address="'a b'", user="b")), "native.yaml:1", "not a host name"),
    "user with shell": (scenario(SSH.format(address="a", user="'b;id'")), "native.yaml:1", "host.user:"),
    "user as an option": (scenario(SSH.format(address="a", user="'-oX'")), "native.yaml:1", "not a user name"),
    "relative docker socket": (scenario("host: {type: ssh, address: a, user: b, docker_socket: run/d.sock}\n"
                                        "storage: {driver: overlay2}\n"), "native.yaml:1", "absolute path"),
    "lvm device outside /dev": (scenario("host: {type: ssh, address: a, user: b, lvm_device: /dev/../etc/passwd}\n"
                                         "storage: {driver: devicemapper, direct_lvm: true}\n"), "native.yaml:1",
                                "block device path under /dev"),
    "too many scenarios": (matrix("scenarios: [" + ", ".join(["native"] * 101) + "]\nworkloads: [tiny]\n"),
                           "matrix.yaml:1", "at most 100"),
    "50 000 copies of one scenario": (matrix("scenarios: [" + ", ".join(["native"] * 50000) + "]\n"
                                             "workloads: [tiny]\n"), "matrix.yaml:1", "at most 100"),
    "duplicate scenario before loading": (matrix("scenarios: [native, native]\nworkloads: [tiny]\n"),
                                          "matrix.yaml:1", "listed twice"),
    "too many planned builds": (matrix("scenarios: [native]\nworkloads: [" + ", ".join(
        [f"{{name: w{i}, steps: [RUN true]}}" for i in range(100)]) + "]\nrepetitions: 1000\n"), "matrix.yaml:3",
        "at most 100,000 per run"),
    "known_hosts with a space": (scenario("host: {type: ssh, address: a, user: b, known_hosts: '/a /etc/x'}\n"
                                          "storage: {driver: overlay2}\n"), "native.yaml:1", "one path"),
    # renamed keys (issue 13)
    "old matrix seed": (matrix(MATRIX + "seed: 7\n"), "matrix.yaml:5", "renamed to order_seed"),
    "old base seed": (workload("base: {seed: 3}\nsteps: [RUN true]\n"), "tiny.yaml:1", "renamed to content_seed"),
}


def tree(root: Path, files: dict[str, str]) -> Path:
    write_tree(root, {"matrix.yaml": MATRIX, "scenarios/native.yaml": LOCAL,
                      "workloads/tiny.yaml": "base: {files: 10, directories: 2}\nsteps: [RUN true]\n"})
    for relative, text in files.items():
        (root / relative).write_bytes(text.encode("utf-8", "surrogateescape"))
    return root / "matrix.yaml"


def harness(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process, with a private state directory to show that nothing was started."""
    env = {**os.environ, "HARNESS_STATE_DIR": str(tmp_path / "state")}
    # The timeout guards against a hang (an alias bomb, an endless FIFO); how fast the refusals are is measured by
    # running this file with --durations, not asserted: a loaded machine must not fail a test.
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, env=env,
                          timeout=30, check=False)


def assert_refused(done: subprocess.CompletedProcess[str], named: str, says: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and named in done.stderr and says in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize("case", sorted(BAD))
def test_validate_and_run_refuse_it(case: str, tmp_path: Path) -> None:
    files, named, says = BAD[case]
    path = tree(tmp_path / "m", files)
    assert_refused(harness(tmp_path, "validate", str(path)), named, says)
    run = harness(tmp_path, "run", str(path), "--results", str(tmp_path / "results"),
                  "--work-dir", str(tmp_path / "w"))
    assert_refused(run, named, says)
    assert not (tmp_path / "results").exists() and not (tmp_path / "w").exists()
    assert not (tmp_path / "state").exists(), "a refused run must not create the state directory"


SPECIAL = {
    "a directory as the matrix": (lambda root: root / "scenarios", "is a directory; expected a YAML file"),
    "a scenario file as the matrix": (lambda root: root / "scenarios" / "native.yaml", "is a scenario file"),
    "a workload file as the matrix": (lambda root: root / "workloads" / "tiny.yaml", "is a workload file"),
    "a file name too long": (lambda root: root / ("m" * 5000 + ".yaml"), "File name too long"),
    "an endless device": (lambda root: Path("/dev/zero"), "is not a regular file"),
    "a fifo": (lambda root: fifo(root / "pipe.yaml"), "is not a regular file"),
}


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("case", sorted(SPECIAL))
def test_the_wrong_kind_of_file_is_named(case: str, tmp_path: Path) -> None:
    chosen, says = SPECIAL[case]
    path = chosen(tree(tmp_path / "m", {}).parent)
    assert_refused(harness(tmp_path, "validate", str(path)), path.name[:20], says)


def test_a_symlink_out_of_the_matrix_directory_is_refused(tmp_path: Path) -> None:
    path = tree(tmp_path / "m", {})
    outside = write_tree(tmp_path / "elsewhere", {"native.yaml": LOCAL}) / "native.yaml"
    (path.parent / "scenarios" / "native.yaml").unlink()
    (path.parent / "scenarios" / "native.yaml").symlink_to(outside)
    assert_refused(harness(tmp_path, "validate", str(path)), "matrix.yaml:1", "outside the matrix's directory")
    (path.parent / "workloads" / "tiny.yaml").rename(tmp_path / "elsewhere" / "tiny.yaml")
    (path.parent / "workloads" / "tiny.yaml").symlink_to(tmp_path / "elsewhere" / "tiny.yaml")
    (path.parent / "scenarios" / "native.yaml").unlink()
    (path.parent / "scenarios" / "native.yaml").write_text(LOCAL)
    assert_refused(harness(tmp_path, "validate", str(path)), "matrix.yaml:2", "outside the matrix's directory")


VALID = {
    "ipv6 address, dotted user, quoted version": scenario(
        "host: {type: ssh, address: '::1', user: ci.user_1}\nengine: {package: docker-ce, version: '5:20.10.24~3-0'}"
        "\nstorage: {driver: overlay2}\nkernel: {package: kernel-uek-4.14.35}\n"),
    "host name with a trailing dot": scenario(SSH.format(address="db1.example.com.", user="root")),
    "ipv4 address": scenario(SSH.format(address="192.0.2.7", user="_svc")),
    "values at their bounds": matrix("scenarios: [native]\nworkloads: [tiny]\nrepetitions: {min: 1000, max: 1000, "
                                     f"target_ci: 0.01}}\nwarmup: 100\norder_seed: {2**64 - 1}\n"),
    "device-mapper loop options on a local scenario": scenario(
        "host: {type: local}\nstorage:\n  driver: devicemapper\n  options: {dm.basesize: 20G, dm.loopdatasize: 4G}\n"),
    "ADD and COPY from the context": workload("steps: [ADD payload.tar /, COPY payload/ /p/, 'RUN echo \\\\ ok']\n"),
    "a symlink inside the matrix directory": {},
}


@pytest.mark.parametrize("case", sorted(VALID))
def test_valid_look_alikes_still_validate(case: str, tmp_path: Path) -> None:
    path = tree(tmp_path / "m", VALID[case])
    if case.startswith("a symlink"):
        (path.parent / "shared.yaml").write_text(LOCAL)
        (path.parent / "scenarios" / "native.yaml").unlink()
        (path.parent / "scenarios" / "native.yaml").symlink_to(path.parent / "shared.yaml")
    done = harness(tmp_path, "validate", str(path))
    assert done.returncode == 0, done.stderr


def test_a_results_directory_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    path = tree(tmp_path / "m", {"scenarios/native.yaml": SSH.format(address="192.0.2.1", user="ci")})
    (tmp_path / "file").write_text("not a directory")
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(path), "--results",
                           str(tmp_path / "file" / "results")], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "HARNESS_STATE_DIR": str(tmp_path / "state")}, check=False)
    assert done.returncode == 2 and "--results" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_resume_of_a_directory_whose_manifest_is_not_ours_is_refused(tmp_path: Path) -> None:
    path = tree(tmp_path / "m", {"scenarios/native.yaml": SSH.format(address="192.0.2.1", user="ci")})
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text('{"schema": 1}')
    done = harness(tmp_path, "run", str(path), "--resume", str(run_dir))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
