"""Terminal table (tabulate "simple"): sections per workload, a blank line between steps, then the legend, the
warnings with their remedies, and notes — wrapped to stay readable in an 80–120 column terminal."""

from __future__ import annotations

import textwrap

from harness.export.document import Section, TableDoc

WIDTH = 110


def render(doc: TableDoc) -> str:
    lines = [doc.title, ""]
    for section in doc.sections:
        lines += [f"{section.title}:", *section_lines(doc, section), ""]
    lines += [*_wrapped(doc.legend, ""), ""]
    if doc.notices:
        lines.append("Warnings:")
        for notice in doc.notices:
            lines += _wrapped([f"! {notice.title} — {'; '.join(notice.places)}"], "  ")
            lines += _wrapped([f"remedy: {notice.remedy}"], "    ")
        lines.append("")
    if doc.notes:
        lines += ["Notes:", *_wrapped([f"- {note}" for note in doc.notes], "  "), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def section_lines(doc: TableDoc, section: Section) -> list[str]:
    from tabulate import tabulate

    rows: list[tuple[str, ...]] = []
    for index, row in enumerate(section.rows):
        if row.new_group and index:
            rows.append(("",) * len(doc.headers))
        rows.append(row.cells)
    aligns = ["right" if numeric else "left" for numeric in doc.numeric]
    text = tabulate(rows, headers=doc.headers, tablefmt="simple", colalign=aligns, disable_numparse=True)
    return [line.rstrip() for line in text.splitlines()]


def _wrapped(paragraphs, indent: str) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        lines += textwrap.wrap(paragraph, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                               break_on_hyphens=False)
    return lines
