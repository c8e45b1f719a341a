"""The format-neutral shape of a result table, which every exporter renders: display cells as text, plus the tidy
records (CSV) and the JSON object. Building it once keeps the five formats saying the same thing."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from harness.errors import printable


@dataclass(frozen=True)
class DisplayRow:
    """One table line; `new_group` marks the first line of a step (exporters may add space before it)."""

    cells: tuple[str, ...]
    new_group: bool = False


@dataclass(frozen=True)
class Section:
    """A titled block of rows (one per workload × builder, plus the geometric means); `key` names it in short
    labels (`seed`, `seed-buildkit`, `geomean`)."""

    title: str
    rows: tuple[DisplayRow, ...]
    key: str = ""


@dataclass(frozen=True)
class Notice:
    """One kind of warning: what is wrong, where (cell and its numbers), and the remedy."""

    title: str
    places: tuple[str, ...]
    remedy: str


@dataclass(frozen=True)
class Block:
    """A titled table with columns of its own (the growth fits), printed after the headlines, and its notes."""

    title: str
    headers: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    compact_drop: tuple[str, ...] = ()  # headers the terminal drops, in this order, when nothing else makes it fit


@dataclass(frozen=True)
class TableDoc:
    """A rendered-agnostic result table; `code_column` is the column holding Dockerfile text (or None)."""

    title: str
    headers: tuple[str, ...]
    numeric: tuple[bool, ...]
    sections: tuple[Section, ...]
    legend: tuple[str, ...]
    notices: tuple[Notice, ...]
    notes: tuple[str, ...]
    csv_columns: tuple[str, ...]
    csv_records: tuple[tuple[str, ...], ...]
    payload: dict[str, Any] = field(default_factory=dict)
    code_column: int | None = None
    headlines: tuple[str, ...] = ()  # one verdict line per compared scenario, printed before the table
    compact_drop: tuple[int, ...] = ()  # columns the terminal table drops, in this order, to fit its width
    blocks: tuple[Block, ...] = ()  # tables of their own after the headlines (growth fits)
    run: str = ""  # the run it shows, named at the end of LaTeX captions (not when the caption names it already)
    label: str = ""  # the stem of its LaTeX labels (default: the run)
    caption: str = ""  # what one section's table shows, as the start of a one-sentence caption
    paper_columns: tuple[int, ...] = ()  # the columns a paper's table keeps (LaTeX); the rest go to a second table
    group_columns: tuple[int, ...] = ()  # columns naming a row's group (step, instruction): LaTeX heads the group


def printable_doc(doc: TableDoc) -> TableDoc:
    """`doc` with every display string printable; the payload and CSV records keep their text (JSON and CSV escape
    it their own way)."""
    return dataclasses.replace(_printable(doc), payload=doc.payload, csv_records=doc.csv_records)


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, tuple):
        return tuple(_printable(item) for item in value)
    if dataclasses.is_dataclass(value):
        return dataclasses.replace(value, **{item.name: _printable(getattr(value, item.name))
                                             for item in dataclasses.fields(value)})
    return value
