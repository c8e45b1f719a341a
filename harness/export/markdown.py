"""GitHub-flavoured Markdown: a pipe table per section (numbers right-aligned, Dockerfile text as code), then the
legend, warnings with remedies, and notes as lists — ready to paste into an issue, a PR or a report."""

from __future__ import annotations

import re
from urllib.parse import quote

from harness.errors import printable
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
    """Escape what GitHub would otherwise read as markup — pipes (cell breaks), ~ (strike-through), * and _, an HTML
    tag's opening `<` and a link's `](` — but not inside `code spans`, where a backslash would show (pipes excepted:
    a table cell ends at any bare pipe). Names and texts come from runs anyone may have written."""
    lone = text.count("`") % 2  # a lone backtick opens no code span: then every backtick is escaped, as prose
    parts = [text] if lone else text.split("`")
    for index, part in enumerate(parts):
        for char in ("\\|~*_`" if lone else "\\|~*_" if index % 2 == 0 else "|"):
            part = part.replace(char, "\\" + char)
        if index % 2 == 0:
            part = MARKUP.sub(lambda match: "\\" + match[0], part)
        parts[index] = part
    return "`".join(parts)


#: An HTML tag, comment or declaration (`<` before a letter, `/`, `!` or `?`) and a link's `](` or `][`; a bare
#: `<0.001` stays as it is.
MARKUP = re.compile(r"<(?=[A-Za-z/!?])|\](?=[(\[])")


def code(text: str) -> str:
    """A code span that holds any text: its fence is one backtick longer than the longest run of backticks in it."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded.replace('|', chr(92) + '|')}{fence}"


def prose(value: object) -> str:
    """A value from a run (a host fact, a reason, a verdict line) as Markdown that shows it and does nothing else:
    no tag, link, table break or line break of its own."""
    return escape(printable(str(value)))


def literal(value: object) -> str:
    """A name from a run (scenario, workload, digest) as a code span that holds it whatever it contains."""
    return code(printable(str(value)))


def alt(value: object) -> str:
    """Text inside an image's or link's brackets."""
    return prose(value).replace("[", "\\[").replace("]", "\\]")


def href(path: str) -> str:
    """A relative link target, percent-encoded so a space or parenthesis in a file name cannot end it early."""
    return quote(path, safe="/._-~")
