"""GitHub-flavoured Markdown: a pipe table per section (numbers right-aligned, Dockerfile text as code), then the
legend, warnings with remedies, and notes as lists — ready to paste into an issue, a PR or a report."""

from __future__ import annotations

from harness.export.document import Block, Section, TableDoc


def render(doc: TableDoc) -> str:
    lines = [f"**{escape(doc.title)}**", ""]
    if doc.headlines:
        lines += [*(f"- **{escape(line)}**" for line in doc.headlines), ""]
    for block in doc.blocks:
        lines += [f"*{escape(block.title)}*", "", *block_lines(block), "", *(f"- {escape(n)}" for n in block.notes),
                  ""]
    for section in doc.sections:
        lines += [f"*{escape(section.title)}*", "", *table_lines(doc, section), ""]
    lines += [f"- {escape(line)}" for line in doc.legend] + [""]
    if doc.notices:
        lines += ["**Warnings**", ""]
        for notice in doc.notices:
            places = "; ".join(escape(place) for place in notice.places)
            lines.append(f"- **{escape(notice.title)}** — {places}.  ")
            lines.append(f"  *Remedy:* {escape(notice.remedy)}")
        lines.append("")
    if doc.notes:
        lines += ["**Notes**", "", *[f"- {escape(note)}" for note in doc.notes], ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def table_lines(doc: TableDoc, section: Section) -> list[str]:
    header = "| " + " | ".join(escape(h) for h in doc.headers) + " |"
    rule = "|" + "|".join("--:" if numeric else ":--" for numeric in doc.numeric) + "|"
    body = ["| " + " | ".join(_cell(doc, i, text) for i, text in enumerate(row.cells)) + " |" for row in section.rows]
    return [header, rule, *body]


def block_lines(block: Block) -> list[str]:
    """A block's own pipe table (no code column)."""
    header = "| " + " | ".join(escape(h) for h in block.headers) + " |"
    rule = "|" + "|".join("--:" if numeric else ":--" for numeric in block.numeric) + "|"
    return [header, rule, *("| " + " | ".join(escape(cell) for cell in row) + " |" for row in block.rows)]


def _cell(doc: TableDoc, column: int, text: str) -> str:
    if column == doc.code_column and text and not text.startswith("("):
        return code(text)
    return escape(text)


def escape(text: str) -> str:
    """Escape what GitHub would otherwise read as markup — pipes (cell breaks), ~ (strike-through), * and _ — but
    not inside `code spans`, where a backslash would show (pipes excepted: a table cell ends at any bare pipe)."""
    parts = text.split("`")
    for index, part in enumerate(parts):
        for char in ("\\|~*_" if index % 2 == 0 else "|"):
            part = part.replace(char, "\\" + char)
        parts[index] = part
    return "`".join(parts)


def code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence}{text.replace('|', chr(92) + '|')}{fence}"
