"""LaTeX with booktabs: one tabular (a sub-heading row per section, space between steps) that pastes into any
float, preceded by a comment naming the run and followed by the legend and warnings as comments."""

from __future__ import annotations

from harness.export.document import Section, TableDoc

SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "^": r"\textasciicircum{}", "~": r"$\sim$", "×": r"$\times$", "÷": r"$\div$", "±": r"$\pm$", "≥": r"$\geq$",
    "−": r"$-$", "—": "--", "–": "--", "…": r"\ldots{}", "<": r"$<$", ">": r"$>$",
}


def render(doc: TableDoc) -> str:
    spec = "".join("r" if numeric else "l" for numeric in doc.numeric)
    lines = [f"% {doc.title}", r"% needs \usepackage{booktabs}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
             " & ".join(escape(h) for h in doc.headers) + r" \\", r"\midrule"]
    for index, section in enumerate(doc.sections):
        lines += section_lines(doc, section, first=index == 0)
    lines += [r"\bottomrule", r"\end{tabular}"]
    lines += [f"% {line}" for line in doc.legend]
    for notice in doc.notices:
        lines += [f"% warning: {notice.title}: {'; '.join(notice.places)}", f"%   remedy: {notice.remedy}"]
    lines += [f"% note: {note}" for note in doc.notes]
    return "\n".join(lines) + "\n"


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
