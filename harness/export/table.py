"""Terminal table (tabulate "simple"): headlines first, sections per workload, a blank line between steps, then the
legend, the warnings with their remedies, and notes — fitted to the terminal's width (COLUMNS): the compact table
drops the doc's optional columns until it fits; --wide keeps every column."""

from __future__ import annotations

import dataclasses
import shutil
import textwrap

from tabulate import tabulate

from harness.export.document import Section, TableDoc

#: Width when COLUMNS is unset and the output is not a terminal (a pipe, a file).
WIDTH = 110


def render(doc: TableDoc, wide: bool = False) -> str:
    width = shutil.get_terminal_size((WIDTH, 24)).columns
    doc = doc if wide else fitted(doc, width)
    lines = [doc.title, ""]
    if doc.headlines:
        lines += [*_wrapped([f"* {line}" for line in doc.headlines], "", width), ""]
    for block in doc.blocks:
        lines += [f"{block.title}:", *tabulated(block.headers, block.numeric, block.rows), "",
                  *_wrapped(block.notes, "", width), ""]
    for section in doc.sections:
        lines += [f"{section.title}:", *section_lines(doc, section), ""]
    lines += [*_wrapped(doc.legend, "", width), ""]
    if doc.notices:
        lines.append("Warnings:")
        for notice in doc.notices:
            lines += _wrapped([f"! {notice.title} — {'; '.join(notice.places)}"], "  ", width)
            lines += _wrapped([f"remedy: {notice.remedy}"], "    ", width)
        lines.append("")
    if doc.notes:
        lines += ["Notes:", *_wrapped([f"- {note}" for note in doc.notes], "  ", width), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def fitted(doc: TableDoc, width: int) -> TableDoc:
    """`doc` without as many of its `compact_drop` columns (in order) as it takes for every table line to fit."""
    for count in range(len(doc.compact_drop) + 1):
        narrower = without_columns(doc, set(doc.compact_drop[:count]))
        if _table_width(narrower) <= width:
            return narrower
    return narrower


def without_columns(doc: TableDoc, dropped: set[int]) -> TableDoc:

    if not dropped:
        return doc
    keep = [i for i in range(len(doc.headers)) if i not in dropped]
    pick = lambda cells: tuple(cells[i] for i in keep)  # noqa: E731
    sections = tuple(dataclasses.replace(s, rows=tuple(dataclasses.replace(r, cells=pick(r.cells)) for r in s.rows))
                     for s in doc.sections)
    code = keep.index(doc.code_column) if doc.code_column in keep else None
    return dataclasses.replace(doc, headers=pick(doc.headers), numeric=pick(doc.numeric), sections=sections,
                               code_column=code, compact_drop=())


def _table_width(doc: TableDoc) -> int:
    return max((len(line) for section in doc.sections for line in section_lines(doc, section)), default=0)


def section_lines(doc: TableDoc, section: Section) -> list[str]:
    rows: list[tuple[str, ...]] = []
    for index, row in enumerate(section.rows):
        if row.new_group and index:
            rows.append(("",) * len(doc.headers))
        rows.append(row.cells)
    return tabulated(doc.headers, doc.numeric, rows)


def tabulated(headers, numeric, rows) -> list[str]:
    """tabulate's "simple" table: numbers right-aligned, text left, cells taken as they are."""

    aligns = ["right" if number else "left" for number in numeric]
    text = tabulate(rows, headers=headers, tablefmt="simple", colalign=aligns, disable_numparse=True)
    return [line.rstrip() for line in text.splitlines()]


def _wrapped(paragraphs, indent: str, width: int = WIDTH) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        lines += textwrap.wrap(paragraph, max(width, 40), initial_indent=indent, subsequent_indent=indent + "  ",
                               break_on_hyphens=False)
    return lines
