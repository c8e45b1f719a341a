"""Parameter sweeps: a workload's `params:` → the cells a run measures, and `{{name}}` substitution in its steps.

hyperfine's parameter scans are the model: a parameter given a list sweeps (one cell per value, several lists
their product, in the order written), a parameter given a scalar just sets it. Only swept parameters name a cell
(`family@name=value,name=value`), so a sweep of one parameter reads as a column in the results. This module is
pure: config.py reads the YAML and applies the values to the workload's base and payload.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

#: The parameter vocabulary: each name sets one field of the workload's generated inputs (part, field).
PARAMETERS: dict[str, tuple[str, str]] = {
    "files_in_base": ("base", "files"),
    "base_file_size": ("base", "file_size"),
    "base_directories": ("base", "directories"),
    "changed_files": ("payload", "files"),
    "changed_file_size": ("payload", "file_size"),
}
#: `{{name}}` in a step or a commit command; spaces inside the braces are allowed (`{{ changed_files }}`).
PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")


@dataclass(frozen=True)
class SweepCell:
    """One expanded cell: the swept (name, value) pairs that name it, and every setting it applies."""

    swept: tuple[tuple[str, int], ...]
    settings: tuple[tuple[str, int], ...]


def cell_count(params: dict[str, int | list[int]]) -> int:
    """How many cells `params` expands into (the product of the list lengths), computed before expanding."""
    return math.prod(len(value) for value in params.values() if isinstance(value, list))


def expand(params: dict[str, int | list[int]]) -> list[SweepCell]:
    """The product of the lists in the mapping's order (the first list varies slowest); scalars go into every cell.

    Without lists there is one cell with nothing swept: the workload measured once with its settings.
    """
    names = [name for name, value in params.items() if isinstance(value, list)]
    cells = []
    for combination in itertools.product(*(params[name] for name in names)):
        chosen = dict(zip(names, combination))
        cells.append(SweepCell(swept=tuple(chosen.items()),
                               settings=tuple((name, chosen.get(name, value)) for name, value in params.items())))
    return cells


def cell_name(family: str, swept: tuple[tuple[str, int], ...]) -> str:
    """`rename-dir@files_in_base=1000,changed_files=10`; the family alone when nothing is swept."""
    if not swept:
        return family
    return f"{family}@" + ",".join(f"{name}={value}" for name, value in swept)


def placeholders(text: str) -> list[str]:
    """The parameter names `text` refers to as `{{name}}`, in order."""
    return PLACEHOLDER.findall(text)


def unknown_placeholders(text: str) -> list[str]:
    """The `{{x}}` in `text` that name no vocabulary parameter (each would stay in the Dockerfile as written)."""
    return [name for name in placeholders(text) if name not in PARAMETERS]


def substitute(text: str, values: dict[str, int]) -> str:
    """`text` with each `{{name}}` replaced by the parameter's value in decimal; names were checked beforehand."""
    return PLACEHOLDER.sub(lambda match: str(values[match[1]]), text)
