"""Overlay module parameters: machine-wide, so set them only for our daemon's start and always put them back.

dockerd probes native-diff support once at start (docs/facts.md), so a value written before the start holds for the
daemon's life; the original is restored after it stops. The ledger keeps the original so a SIGKILLed run can be
repaired by `harness cleanup`.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import EnvironmentNotAble
from harness.machine.ledger import Ledger

#: metacopy=Y forces redirect_dir on, so metacopy is written first when turning off and restored last.
ORDER = ("metacopy", "redirect_dir")


def parameters_dir() -> Path:
    return Path(os.environ.get("HARNESS_OVERLAY_PARAMETERS", "/sys/module/overlay/parameters"))


def read_overlay_parameters() -> dict[str, str]:
    """Every overlay module parameter, for the manifest (empty when the module is not loaded)."""
    directory = parameters_dir()
    if not directory.is_dir():
        return {}
    return {p.name: _read(p) for p in sorted(directory.iterdir()) if p.is_file()}


def apply_knobs(wanted: dict[str, bool], ledger: Ledger) -> dict[str, str]:
    """Write the wanted knobs; return the originals of those that changed (already recorded in the ledger)."""
    directory = parameters_dir()
    if wanted and not directory.is_dir():
        raise EnvironmentNotAble(f"{directory} does not exist: the overlay module is not loaded (run `modprobe overlay`)")
    originals: dict[str, str] = {}
    for name in ORDER:
        if name not in wanted:
            continue
        path = directory / name
        if not path.exists():
            raise EnvironmentNotAble(f"{path} does not exist: this kernel's overlay module has no {name} parameter")
        original, value = _read(path), "Y" if wanted[name] else "N"
        if original != value:
            ledger.record(kind="knob", path=str(path), original=original)
            originals[name] = original
            _write(path, value)
    return originals


def restore_knob(path: Path, original: str, ledger: Ledger) -> None:
    _write(path, original)
    ledger.forget(kind="knob", path=str(path))


def restore_knobs(originals: dict[str, str], ledger: Ledger) -> None:
    directory = parameters_dir()
    for name in reversed(ORDER):
        if name in originals:
            restore_knob(directory / name, originals[name], ledger)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError as exc:
        return f"unreadable: {exc.strerror}"


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as exc:
        raise EnvironmentNotAble(f"cannot write {value} to {path} ({exc.strerror}): run as root") from None
