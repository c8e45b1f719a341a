"""What the controller sends every machine: the matrix with the files it reads (same relative layout), the
`ensure-packages` script of `make run`, and a wheel of the harness built from this checkout — so every machine
measures with exactly the code the controller has."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from harness.config import load_matrix
from harness.errors import EnvironmentNotAble, InputError

#: System packages a machine needs to run a matrix: the same list as the Makefile's RUN_PACKAGES, plus a venv.
RUN_PACKAGES = ("docker.io", "busybox-static", "xfsprogs", "btrfs-progs", "fuse-overlayfs", "e2fsprogs",
                "python3-venv")


def checkout_root() -> Path:
    """The source checkout this harness runs from (its pyproject.toml and scripts/); EnvironmentNotAble when the
    harness was installed from a wheel, since the machines get a wheel built from the checkout."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / "scripts" / "ensure-packages").is_file():
        raise EnvironmentNotAble(f"{root} is not a harness checkout; run campaigns from a clone of the harness "
                                 "(pip install -e .), which builds the wheel the machines install")
    return root


def stage_inputs(matrix_file: Path, destination: Path) -> str:
    """Copy the matrix and every file it reads under `destination`, keeping their paths relative to the matrix's
    directory, plus ensure-packages; returns the matrix's relative path. InputError for a bad matrix or a file
    outside the matrix's directory (it would not be found on the machine)."""
    matrix = load_matrix(matrix_file)
    home = matrix_file.resolve().parent
    for path in matrix.files:
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(home):
            raise InputError(f"{matrix_file}: {path} lies outside the matrix's directory; a campaign copies that "
                             "directory's files to every machine, so keep the scenarios and workloads beside it")
        target = destination / resolved.relative_to(home)
        target.parent.mkdir(parents=True, exist_ok=True)
        if resolved.is_dir():
            shutil.copytree(resolved, target, dirs_exist_ok=True)
        else:
            shutil.copy2(resolved, target)
    shutil.copy2(checkout_root() / "scripts" / "ensure-packages", destination / "ensure-packages")
    return str(matrix_file.resolve().relative_to(home))


def build_wheel(destination: Path) -> Path:
    """A wheel of the checkout (`pip wheel --no-deps`, built from a copy of its sources so the checkout gets no
    build/ or egg-info) in `destination`; the wheel's path."""
    root = checkout_root()
    source = destination / "source"
    shutil.copytree(root / "harness", source / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(root / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
                            "--wheel-dir", str(destination), str(source)],
                           capture_output=True, text=True, check=False, timeout=600)
    shutil.rmtree(source, ignore_errors=True)
    wheels = sorted(destination.glob("*.whl"))
    if built.returncode != 0 or not wheels:
        raise EnvironmentNotAble(f"cannot build the harness wheel ({built.stderr.strip()[-300:]}); check that "
                                 "`pip wheel --no-deps .` works in the checkout")
    return wheels[-1]
