"""Every bound and pattern a YAML value is checked against: far above real use, below what breaks the machine.

The storage choices (image stores, drivers, snapshotters, backing filesystems) live in harness/drivers.py.
"""

from __future__ import annotations

import re

ENGINE_SOURCES = ("system", "debian", "static")

#: Which stack serves the API: dockerd, or `podman system service` on containers/storage (Buildah builds).
ENGINE_FAMILIES = ("docker", "podman")

#: The first engine with the containerd image store (`features: {containerd-snapshotter: true}`).
CONTAINERD_STORE_SINCE = (24, 0)

#: An upstream release to pin (28.5.2), without a Debian revision.
UPSTREAM_VERSION_PATTERN = re.compile(r"[0-9]+(\.[0-9]+)*")

SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")

HOST_TYPES = ("local", "ssh", "vagrant")

INSTRUCTIONS = ("RUN", "COPY", "ADD", "ENV", "WORKDIR", "LABEL", "USER", "CMD", "ENTRYPOINT", "EXPOSE", "VOLUME",
                "ARG", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD")

#: Scenario, workload and driver names (used with fullmatch: `$` would let a trailing newline through).
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: A workload's name is also a path component of its image (`harness-build/<name>:…`), which Docker's reference
#: grammar restricts further: alphanumeric runs joined by one `.`, one or two `_`, or dashes (so no `w..x`, no
#: `small-`).
WORKLOAD_NAME_PATTERN = re.compile(r"(?=.{1,64}$)[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
WORKLOAD_NAME_RULE = ("lower-case letters and digits, joined by one `.`, `_` or `__` or by dashes, neither first nor "
                      "last, at most 64 characters: it names the workload's image")

#: Package names as apt and rpm accept them, and versions as both write them; never a leading `-`, which the
#: package manager would read as an option (`-oDPkg::Pre-Invoke=…` runs as root).
PACKAGE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]{0,127}")

VERSION_PATTERN = re.compile(r"[0-9][A-Za-z0-9.+~:_-]{0,63}")

#: POSIX portable user names (no leading `-`, no shell metacharacters), and DNS host names.
USER_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9._-]{0,31}")

HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")

STORAGE_OPTION_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

#: Storage options that hand a local daemon a block device or a pool of the machine's own: a local scenario keeps
#: everything in its private work directory, so these would touch disks or daemons it does not own.
OUTSIDE_DEVICE_OPTIONS = ("dm.directlvm_device", "dm.directlvm_device_force", "dm.thinpooldev", "dm.datadev",
                          "dm.metadatadev", "dm.thinp_percent", "dm.thinp_metapercent", "dm.thinp_autoextend_percent",
                          "dm.thinp_autoextend_threshold", "zfs.fsname")

#: URLs a build would fetch from: builds are offline (network none), so ADD takes files from the context only.
REMOTE_SOURCE = re.compile(r"(https?|ftp|git|ssh)://|git@", re.I)

#: Upper bounds for every number a user gives, far above real use and below what breaks the machine or the run.
MAX_REPETITIONS = 1000

MAX_SCENARIOS = 100

MAX_WORKLOADS = 100

MAX_PLANNED_BUILDS = 100_000

MAX_WARMUP = 100

MAX_SEED = 2**64 - 1

MAX_BASE_FILES = 1_000_000

MAX_BASE_DIRECTORIES = 100_000

MAX_FILE_SIZE = 64 * 1024 * 1024

MAX_BASE_BYTES = 16 * 1024**3

MAX_PAYLOAD_FILES = 100_000

MAX_PAYLOAD_BYTES = 1024**3

MAX_STEPS = 200

MAX_SIZE_GB = 1024

MAX_CPUS = 256

MAX_MEMORY_MB = 1024 * 1024

MAX_EXTRA_DISK_GB = 4096

#: The bounds of each sweep parameter: those of the field it sets (sweeps.PARAMETERS).
PARAMETER_BOUNDS = {"files_in_base": (0, MAX_BASE_FILES), "base_file_size": (0, MAX_FILE_SIZE),
                    "base_directories": (1, MAX_BASE_DIRECTORIES), "changed_files": (1, MAX_PAYLOAD_FILES),
                    "changed_file_size": (0, MAX_FILE_SIZE)}
