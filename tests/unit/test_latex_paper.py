"""The LaTeX output compiles with the real pdflatex (Debian's texlive) and every table fits \\textwidth.

Fitting is read from pdflatex's own log: a tabular wider than the text block is reported as an overfull \\hbox.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.analysis.compare import compare_runs
from harness.export.views import render_comparison, render_run_summary
from harness.results.reader import load_run

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLE, AFTER = DATA / "example-run", DATA / "example-run-after"
DOCUMENT = r"""\documentclass{article}
\usepackage{booktabs,siunitx}
\begin{document}
\input{tables.tex}
\end{document}
"""

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex: apt-get install "
                                    "texlive-latex-base texlive-latex-recommended texlive-science (make test does)")


def compile_tables(tex: str, where: Path) -> str:
    """pdflatex's log for a minimal article that inputs `tex`; fails the test on a LaTeX error."""
    (where / "tables.tex").write_text(tex, encoding="utf-8")
    (where / "paper.tex").write_text(DOCUMENT, encoding="utf-8")
    for _ in range(2):  # twice, so \ref resolves
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=where,
                              capture_output=True, text=True, timeout=120)
    log = (where / "paper.log").read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, log[-3000:]
    return log


def overfull(log: str) -> list[str]:
    return re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)


@needs_pdflatex
def test_summary_tables_compile_and_fit_the_text_width(tmp_path: Path) -> None:
    log = compile_tables(render_run_summary(EXAMPLE, "latex"), tmp_path)
    assert overfull(log) == []
    assert "undefined" not in log.lower().replace("undefined references", "")
    assert (tmp_path / "paper.pdf").stat().st_size > 0


@needs_pdflatex
def test_comparison_tables_compile_and_fit_the_text_width(tmp_path: Path) -> None:
    log = compile_tables(render_comparison(compare_runs(load_run(EXAMPLE), load_run(AFTER)), "latex"), tmp_path)
    assert overfull(log) == []


@needs_pdflatex
def test_growth_tables_compile_and_fit_the_text_width(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import growth_runs

    text = render_run_summary(growth_runs.write_run(tmp_path / "run"), "latex")
    assert r"\caption{Growth (workload rename-sweep, param files\_in\_base): fitted time" in text
    (tmp_path / "tex").mkdir()
    assert overfull(compile_tables(text, tmp_path / "tex")) == []


@needs_pdflatex
def test_the_width_check_sees_a_table_that_does_not_fit(tmp_path: Path) -> None:
    wide = r"\begin{table}\begin{tabular}{" + "l" * 12 + "}" + " & ".join(["local-overlay2-native"] * 12) \
        + r" \\ \end{tabular}\end{table}"
    assert overfull(compile_tables(wide, tmp_path))


def test_one_float_per_workload_with_a_short_label_a_sentence_and_notes() -> None:
    text = render_run_summary(EXAMPLE, "latex")
    labels = re.findall(r"\\label\{([^}]*)\}", text)
    assert labels == ["tab:20261127t101500z-example-seed", "tab:20261127t101500z-example-seed-more",
                      "tab:20261127t101500z-example-geomean", "tab:20261127t101500z-example-geomean-more"]
    captions = re.findall(r"\\caption\{(.*)\}", text)
    assert all(caption.count(". ") == 0 and caption.endswith(".") for caption in captions)
    assert "harness summary" not in captions[0] and "seed" in captions[0]
    for spec in re.findall(r"\\begin\{tabular\}\{(.*)\}", text):
        assert len(re.findall(r"S\[[^]]*\]|[lrc]", spec)) <= 7, spec
    assert r"S[table-format=2.3]" in text  # median seconds aligned on the decimal point by siunitx
    assert r"\footnotesize" in text and r"verdict: slower/faster = p\_adj $<$ 0.05" in text


@needs_pdflatex
def test_many_run_comparison_tables_compile_and_fit_the_text_width(tmp_path: Path) -> None:
    from harness.analysis.compare import load_comparison
    from harness.export.views import render_runs

    comparisons = [load_comparison(EXAMPLE, later) for later in (AFTER, EXAMPLE, AFTER)]
    assert overfull(compile_tables(render_runs(comparisons, "latex"), tmp_path)) == []
