"""Terminal table (tabulate "simple"): headlines first, sections per workload, a blank line between steps, then the
legend, the warnings with their remedies, and notes — fitted to the terminal's width (COLUMNS): the compact table
drops the doc's optional columns until it fits, then puts each step's instruction on a line of its own above its
rows (shortened, never dropped); a growth block names its one-value columns in its title; --wide keeps it all."""

from __future__ import annotations

import dataclasses
import shutil
import textwrap

from tabulate import tabulate

from harness.export.document import Block, Section, TableDoc

#: Width when COLUMNS is unset and the output is not a terminal (a pipe, a file).
WIDTH = 110


def render(doc: TableDoc, wide: bool = False) -> str:
    width = shutil.get_terminal_size((WIDTH, 24)).columns
    doc, headed = (doc, False) if wide else fitted(doc, width)
    lines = [*_wrapped([doc.title], "", width), ""]
    if doc.headlines:
        lines += [*_wrapped([f"* {line}" for line in doc.headlines], "", width), ""]
    for block in doc.blocks:
        block = block if wide else fitted_block(block, width)
        lines += [*_wrapped([f"{block.title}:"], "", width), *tabulated(block.headers, block.numeric, block.rows),
                  "", *_wrapped(block.notes, "", width), ""]
    for section in doc.sections:
        lines += [*_wrapped([f"{section.title}:"], "", width), *section_lines(doc, section, headed, width), ""]
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


def fitted(doc: TableDoc, width: int) -> tuple[TableDoc, bool]:
    """`doc` without as many of its `compact_drop` columns (in order) as it takes for every table line to fit; if
    that is not enough, its group columns (step, instruction) become a heading line over each group, shortened
    to the width — never dropped. The flag says whether the headings are used."""
    for count in range(len(doc.compact_drop) + 1):
        narrower = without_columns(doc, set(doc.compact_drop[:count]))
        if _table_width(narrower, False) <= width:
            return narrower, False
    return narrower, bool(narrower.group_columns)


def fitted_block(block: Block, width: int) -> Block:
    """A block too wide for the terminal names its columns that hold one value for every row (the workload, the
    swept parameter) in its title instead; if that is not enough, it drops its `compact_drop` columns in order."""
    same = [i for i in range(len(block.headers)) if block.rows and len({row[i] for row in block.rows}) == 1]
    if _block_width(block) <= width or len(same) == len(block.headers):
        return block
    title = f"{block.title} ({', '.join(f'{block.headers[i]} {block.rows[0][i]}' for i in same)})" if same \
        else block.title
    block = _block_without(dataclasses.replace(block, title=title), set(same))
    for header in block.compact_drop:
        if _block_width(block) <= width:
            break
        block = _block_without(block, {block.headers.index(header)} if header in block.headers else set())
    return block


def _block_width(block: Block) -> int:
    return max(map(len, tabulated(block.headers, block.numeric, block.rows)), default=0)


def _block_without(block: Block, dropped: set[int]) -> Block:
    keep = [i for i in range(len(block.headers)) if i not in dropped]
    return dataclasses.replace(block, headers=tuple(block.headers[i] for i in keep),
                               numeric=tuple(block.numeric[i] for i in keep),
                               rows=tuple(tuple(row[i] for i in keep) for row in block.rows))


def without_columns(doc: TableDoc, dropped: set[int]) -> TableDoc:
    if not dropped:
        return doc
    keep = [i for i in range(len(doc.headers)) if i not in dropped]
    pick = lambda cells: tuple(cells[i] for i in keep)  # noqa: E731
    sections = tuple(dataclasses.replace(s, rows=tuple(dataclasses.replace(r, cells=pick(r.cells)) for r in s.rows))
                     for s in doc.sections)
    code = keep.index(doc.code_column) if doc.code_column in keep else None
    groups = tuple(keep.index(i) for i in doc.group_columns if i in keep)
    return dataclasses.replace(doc, headers=pick(doc.headers), numeric=pick(doc.numeric), sections=sections,
                               code_column=code, compact_drop=(), group_columns=groups)


def _table_width(doc: TableDoc, headed: bool) -> int:
    return max((len(line) for section in doc.sections for line in section_lines(doc, section, headed)), default=0)


def section_lines(doc: TableDoc, section: Section, headed: bool = False, width: int = WIDTH) -> list[str]:
    """The section's table; `headed`: the group columns as a line of their own over each group (cut to `width`)."""
    if not headed:
        rows: list[tuple[str, ...]] = []
        for index, row in enumerate(section.rows):
            if row.new_group and index:
                rows.append(("",) * len(doc.headers))
            rows.append(row.cells)
        return tabulated(doc.headers, doc.numeric, rows)
    body = [i for i in range(len(doc.headers)) if i not in doc.group_columns]
    table = tabulated(tuple(doc.headers[i] for i in body), tuple(doc.numeric[i] for i in body),
                      [tuple(row.cells[i] for i in body) for row in section.rows])
    lines, heading = table[:2], ()
    for row, line in zip(section.rows, table[2:]):
        group = tuple(row.cells[i] for i in doc.group_columns)
        if any(group) and group != heading:
            heading = group
            text = "  ".join(("step " + cell if cell.isdigit() else cell) for cell in group if cell)
            lines += ([""] if len(lines) > 2 else []) + [_cut(text, width)]
        lines.append(line)
    return lines


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


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
