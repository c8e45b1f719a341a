"""Checks shared by the scenario, workload and matrix loaders: each raises an InputError naming the file and key.
"""

from __future__ import annotations

from pathlib import Path

from harness.config.yamlfile import Section, YamlDocument


def non_empty(value: list) -> str | None:
    return None if value else "must list at least one entry"


def at_most(high: int):
    return lambda value: non_empty(value) or (None if len(value) <= high else
                                                f"lists {len(value)} entries; at most {high}")


def refuse_other_kinds_of_file(doc: YamlDocument) -> None:
    """A scenario or workload file passed as the matrix: say what it is, not that `scenarios:` is missing."""
    if not isinstance(doc.data, dict) or "scenarios" in doc.data:
        if not isinstance(doc.data, (dict, type(None))):
            raise doc.error((), f"is not a matrix: expected a mapping with scenarios: and workloads:, found "
                            f"{type(doc.data).__name__}")
        return
    if "host" in doc.data or "storage" in doc.data:
        raise doc.error((), "is a scenario file (it has host:/storage:), not a matrix; pass a matrix, which lists "
                        "scenarios: and workloads: (e.g. matrix-local.yaml)")
    if {"steps", "kind", "dockerfile"} & set(doc.data):
        raise doc.error((), "is a workload file (it has steps:, kind: or dockerfile:), not a matrix; pass a "
                        "matrix, which lists scenarios: and workloads: (e.g. matrix-local.yaml)")


def refuse_escape(doc: YamlDocument, key_path: tuple, path: Path, home: Path | None = None) -> None:
    """Every input is copied into the run directory beside the matrix, so each must lie inside its directory
    (`home`, by default the directory of the file naming it)."""
    home = (home or doc.path.resolve().parent).resolve()
    target = path.resolve()
    if not target.is_relative_to(home):
        raise doc.error(key_path, f"{path} leads to {target}, outside the matrix's directory {home}; copy the file "
                        "there instead of linking to it")


def refuse_renamed(section: Section, old: str, new: str, why: str) -> None:
    if old in section.value:
        raise section.error(old, f"was renamed to {new} ({why}); write {new}: {section.value[old]!r}")


def one_path(value: str) -> str | None:
    """One file, as ssh reads it in `-i FILE` or `-o UserKnownHostsFile=FILE` (where a space starts another)."""
    return None if value.isprintable() and " " not in value else f"{value!r:.80} must be one path, without spaces"


def refuse_duplicates(doc: YamlDocument, key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise doc.error((key, index), f"{name!r} is listed twice")
        seen.add(name)
