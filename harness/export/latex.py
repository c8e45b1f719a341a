"""LaTeX with booktabs: a complete `table` float — caption (the title and the headline verdicts), label, one tabular
(a sub-heading row per section, space between steps) — followed by the legend and warnings as comments."""

from __future__ import annotations

import re

from harness.export.document import Block, Section, TableDoc

SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "^": r"\textasciicircum{}", "~": r"$\sim$", "×": r"$\times$", "÷": r"$\div$", "±": r"$\pm$", "≥": r"$\geq$",
    "−": r"$-$", "—": "--", "–": "--", "…": r"\ldots{}", "<": r"$<$", ">": r"$>$",
    "≤": r"$\leq$", "·": r"$\cdot$", "²": r"\textsuperscript{2}",
}


def render(doc: TableDoc) -> str:
    spec = "".join("r" if numeric else "l" for numeric in doc.numeric)
    caption = " ".join([escape(doc.title) + ".", *(escape(line) + "." for line in doc.headlines)])
    lines = [f"% {doc.title}", r"% needs \usepackage{booktabs}", r"\begin{table}[htbp]", r"\centering", r"\small",
             rf"\caption{{{caption}}}", rf"\label{{{label(doc.title)}}}", rf"\begin{{tabular}}{{{spec}}}",
             r"\toprule", " & ".join(escape(h) for h in doc.headers) + r" \\", r"\midrule"]
    for index, section in enumerate(doc.sections):
        lines += section_lines(doc, section, first=index == 0)
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    for block in doc.blocks:
        lines += block_float(doc, block)
    lines += [f"% {line}" for line in doc.legend]
    for notice in doc.notices:
        lines += [f"% warning: {notice.title}: {'; '.join(notice.places)}", f"%   remedy: {notice.remedy}"]
    lines += [f"% note: {note}" for note in doc.notes]
    return "\n".join(lines) + "\n"


def label(title: str) -> str:
    """A stable \\label from the title: `tab:` and its words in lower case, joined by hyphens."""
    return "tab:" + "-".join(re.findall(r"[a-z0-9]+", title.lower()))


def block_float(doc: TableDoc, block: Block) -> list[str]:
    """A block (the growth fits) as a table float of its own: its first note is the caption, the others comments."""
    caption = " ".join(escape(part) for part in (f"{block.title}.", *block.notes[:1]))
    spec = "".join("r" if numeric else "l" for numeric in block.numeric)
    return ["", r"\begin{table}[htbp]", r"\centering", r"\small", rf"\caption{{{caption}}}",
            rf"\label{{{label(doc.title + ' ' + block.title)}}}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
            " & ".join(escape(h) for h in block.headers) + r" \\", r"\midrule",
            *(" & ".join(escape(cell) for cell in row) + r" \\" for row in block.rows),
            r"\bottomrule", r"\end{tabular}", r"\end{table}", *(f"% {note}" for note in block.notes[1:])]


def section_lines(doc: TableDoc, section: Section, first: bool) -> list[str]:
    lines = [] if first else [r"\midrule"]
    lines.append(rf"\multicolumn{{{len(doc.headers)}}}{{l}}{{\textit{{{escape(section.title)}}}}} \\")
    for index, row in enumerate(section.rows):
        if row.new_group and index:
            lines.append(r"\addlinespace")
        cells = [_cell(doc, i, text) for i, text in enumerate(row.cells)]
        lines.append(" & ".join(cells) + r" \\")
    return lines


def _cell(doc: TableDoc, column: int, text: str) -> str:
    if column == doc.code_column and text and not text.startswith("("):
        return rf"\texttt{{{escape(text)}}}"
    return escape(text)


def escape(text: str) -> str:
    """Text → LaTeX, escaping its special characters and spelling out the Unicode signs the tables use."""
    return "".join(SPECIAL.get(char, char) for char in text)
