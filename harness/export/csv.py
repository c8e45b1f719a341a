"""Tidy CSV: one row per cell, one column per variable, every row carrying its run id and baseline, so files of
several runs concatenate and load directly into pandas (read_csv) or R (read.csv)."""

from __future__ import annotations

import csv
import io

from harness.export.document import TableDoc


def render(doc: TableDoc) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(doc.csv_columns)
    writer.writerows(doc.csv_records)
    return buffer.getvalue()
