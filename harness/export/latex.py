"""LaTeX for a paper: per workload × builder one `table` float that fits \\textwidth — a one-sentence caption, a
short label (`tab:<run>-<workload>`), booktabs rules, siunitx `S` columns for the numbers, the doc's paper columns
only (at most seven), and the legend printed as table notes under it — then a second float with the columns left
out (`tab:<run>-<workload>-more`), the growth fits, and the headlines and warnings as comments to quote from.

Preamble: \\usepackage{booktabs,siunitx} (Debian: texlive-latex-recommended, texlive-science).
"""

from __future__ import annotations

import re

from harness.export.document import Block, Section, TableDoc

SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "^": r"\textasciicircum{}", "~": r"$\sim$", "×": r"$\times$", "÷": r"$\div$", "±": r"$\pm$", "≥": r"$\geq$",
    "−": r"$-$", "—": "--", "–": "--", "…": r"\ldots{}", "<": r"$<$", ">": r"$>$",
    "≤": r"$\leq$", "·": r"$\cdot$", "²": r"\textsuperscript{2}",
}
#: A cell siunitx reads as a number: optional sign, digits, optional decimals (a unit sign after it is dropped and
#: named in the header instead).
NUMBER = re.compile(r"^[+\-−]?\d+(\.\d+)?$")
UNITS = {"×": r"($\times$)", "%": r"(\%)"}


def render(doc: TableDoc) -> str:
    lines = [f"% {doc.title}", r"% needs \usepackage{booktabs,siunitx}",
             *(f"% headline: {line}" for line in doc.headlines)]
    for section in doc.sections:
        filled = [i for i in range(len(doc.headers)) if any(row.cells[i] for row in section.rows)]
        paper = [i for i in doc.paper_columns or range(len(doc.headers)) if i in filled]
        rest = [i for i in filled if i not in paper]
        name = label(doc, section.key or section.title)
        what = f"{doc.caption or doc.title}: {section.title}" if section.key != "geomean" else section.title
        named = not doc.run or doc.run in what
        caption = escape(what[:1].upper() + what[1:] + ("." if named else f", run {doc.run}."))
        lines += ["", *table_float(doc, section, paper, name, caption)]
        if rest:
            keys = [i for i in paper if not doc.numeric[i] or i in doc.group_columns]
            lines += ["", *table_float(doc, section, keys + rest, name + "-more",
                                       rf"Further statistics for Table~\ref{{{name}}}: {escape(section.title)}.",
                                       legend=False)]
    for index, block in enumerate(doc.blocks, 1):
        lines += block_float(doc, block, index)
    for notice in doc.notices:
        lines += [f"% warning: {notice.title}: {'; '.join(notice.places)}", f"%   remedy: {notice.remedy}"]
    lines += [f"% note: {note}" for note in doc.notes]
    return "\n".join(lines) + "\n"


def label(doc: TableDoc, key: str) -> str:
    """`tab:<run>-<key>` in lower-case words joined by hyphens: short, stable, and unique per run and section."""
    return "tab:" + "-".join(re.findall(r"[a-z0-9]+", f"{doc.label or doc.run} {key}".lower()))


def table_float(doc: TableDoc, section: Section, columns: list[int], name: str, caption: str,
                legend: bool = True) -> list[str]:
    """One section as a float with the given columns (`caption` is LaTeX already); the group columns (step,
    instruction) as a heading row over each group; the legend, when asked, as notes under the tabular."""
    body = [i for i in columns if i not in doc.group_columns]
    cells = {i: [row.cells[i] for row in section.rows] for i in body}
    lines = [r"\begin{table}[htbp]", r"\centering", r"\small", r"\setlength{\tabcolsep}{4pt}",
             rf"\caption{{{caption}}}",
             rf"\label{{{name}}}", rf"\begin{{tabular}}{{{''.join(_spec(doc, i, cells[i]) for i in body)}}}",
             r"\toprule", " & ".join(_header(doc, i, cells[i]) for i in body) + r" \\", r"\midrule"]
    heading: tuple[str, ...] = ()
    for index, row in enumerate(section.rows):
        group = tuple(row.cells[i] for i in doc.group_columns)
        if any(group) and group != heading:
            heading = group
            lines += ([r"\addlinespace"] if index else []) + [
                rf"\multicolumn{{{len(body)}}}{{@{{}}l}}{{{_heading(doc, group)}}} \\"]
        elif row.new_group and index:
            lines.append(r"\addlinespace")
        lines.append(" & ".join(_cell(doc, i, row.cells[i]) for i in body) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if legend and doc.legend:
        lines += [r"\par\smallskip", r"\begin{minipage}{\linewidth}\footnotesize",
                  *(escape(line) + r"\par" for line in doc.legend), r"\end{minipage}"]
    return lines + [r"\end{table}"]


def _heading(doc: TableDoc, group: tuple[str, ...]) -> str:
    """`\\emph{step 2}\\quad\\texttt{RUN touch /marker}`: the group's cells, the step named, the code as code."""
    parts = []
    for column, text in zip(doc.group_columns, group):
        if not text:
            continue
        if column == doc.code_column:
            parts.append(_cell(doc, column, text))
        else:
            parts.append(rf"\emph{{{'step ' + escape(text) if text.isdigit() else escape(text)}}}")
    return r"\quad ".join(parts)


def _numeric_column(doc: TableDoc, column: int, cells: list[str]) -> bool:
    """A column siunitx aligns: numeric in the doc, and its filled cells numbers once a unit sign is dropped."""
    filled = [_bare(cell) for cell in cells if cell]
    return doc.numeric[column] and any(NUMBER.match(cell) for cell in filled)


def _bare(cell: str) -> str:
    return cell[:-1] if cell[-1:] in UNITS else cell


def _spec(doc: TableDoc, column: int, cells: list[str]) -> str:
    if not _numeric_column(doc, column, cells):
        return "r" if doc.numeric[column] else "l"
    numbers = [_bare(cell) for cell in cells if cell and NUMBER.match(_bare(cell))]
    integers = max(len(n.split(".")[0].lstrip("+-−")) for n in numbers)
    decimals = max((len(n.split(".")[1]) for n in numbers if "." in n), default=0)
    sign = "+" if any(n[:1] in "+-−" for n in numbers) else ""  # room for a sign, so columns of changes align
    return f"S[table-format={sign}{integers}.{decimals}]" if decimals else f"S[table-format={sign}{integers}]"


def _header(doc: TableDoc, column: int, cells: list[str]) -> str:
    """Headers are braced (siunitx would read them as numbers); a unit sign the cells share goes here."""
    text = escape(doc.headers[column])
    units = {cell[-1] for cell in cells if cell and NUMBER.match(_bare(cell)) and cell[-1] in UNITS}
    if _numeric_column(doc, column, cells) and len(units) == 1:
        text += " " + UNITS[units.pop()]
    return f"{{{text}}}" if _numeric_column(doc, column, cells) else text


def _cell(doc: TableDoc, column: int, text: str) -> str:
    if column == doc.code_column and text and not text.startswith("("):
        return rf"\texttt{{{escape(text)}}}"
    if doc.numeric[column] and text and NUMBER.match(_bare(text)):
        return _bare(text).replace("−", "-")
    if doc.numeric[column] and text:
        return f"{{{escape(text)}}}"  # a mark (~, n.s., base) or an interval: text inside an S column
    return escape(text)


def block_float(doc: TableDoc, block: Block, index: int) -> list[str]:
    """A block (the growth fits) as a float of its own: the columns holding one value for every row named in the
    caption instead (the workload, the swept parameter), its notes as table notes."""
    same = [i for i in range(len(block.headers)) if block.rows and len({row[i] for row in block.rows}) == 1]
    if same and len(same) < len(block.headers):
        title = f"{block.title} ({', '.join(f'{block.headers[i]} {block.rows[0][i]}' for i in same)})"
        keep = [i for i in range(len(block.headers)) if i not in same]
        block = Block(title, tuple(block.headers[i] for i in keep), tuple(block.numeric[i] for i in keep),
                      tuple(tuple(row[i] for i in keep) for row in block.rows), block.notes)
    caption = escape(f"{block.title}: fitted time per scenario and step" + (f", run {doc.run}." if doc.run else "."))
    spec = "".join("r" if numeric else "l" for numeric in block.numeric)
    notes = [r"\par\smallskip", r"\begin{minipage}{\linewidth}\footnotesize",
             *(escape(note) + r"\par" for note in block.notes), r"\end{minipage}"] if block.notes else []
    return ["", r"\begin{table}[htbp]", r"\centering", r"\small", r"\setlength{\tabcolsep}{4pt}",
            rf"\caption{{{caption}}}", rf"\label{{{label(doc, f'growth {index}')}}}",
            rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
            " & ".join(escape(h) for h in block.headers) + r" \\", r"\midrule",
            *(" & ".join(escape(cell) for cell in row) + r" \\" for row in block.rows),
            r"\bottomrule", r"\end{tabular}", *notes, r"\end{table}"]


def escape(text: str) -> str:
    """Text → LaTeX, escaping its special characters and spelling out the Unicode signs the tables use."""
    return "".join(SPECIAL.get(char, char) for char in text)
