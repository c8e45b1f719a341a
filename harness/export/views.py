"""What `harness summary` and `harness compare` print: an analysis laid out as a document, rendered in one format."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.compare import Gate, RunComparison
from harness.analysis.summary import summarize
from harness.export import check_format, render
from harness.export.layout import summary_doc
from harness.export.layout_compare import comparison_doc
from harness.export.layout_runs import runs_doc
from harness.results.reader import load_run


def render_run_summary(run_dir: Path, fmt: str = "table", baseline: str | None = None, *,
                       alpha: float | None = None, min_effect: float | None = None,
                       wide: bool = False) -> str:
    """The summary of `run_dir` as text in `fmt` (table, md, latex, csv, json); what `harness summary` prints."""
    check_format(fmt)
    summary = summarize(load_run(Path(run_dir)), baseline, alpha=alpha, min_effect=min_effect)
    return render(summary_doc(summary), fmt, wide=wide)


def render_runs(comparisons, fmt: str = "table", wide: bool = False) -> str:
    """`harness compare A B C …` as text in `fmt`: one column per run, each against the first."""
    return render(runs_doc(comparisons), fmt, wide=wide)



def render_comparison(comparison: RunComparison, fmt: str = "table", wide: bool = False, gate: Gate | None = None
                      ) -> str:
    """`harness compare RUN_A RUN_B` as text in `fmt` (table, md, latex, csv, json); with the gate's result in
    the JSON when `--fail-above` was given."""
    return render(comparison_doc(comparison, gate), fmt, wide=wide)
