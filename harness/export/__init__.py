"""Exporters: one module per output format, each turning a `TableDoc` into text. They return strings; the
commands print them."""

from __future__ import annotations

import importlib

from harness.errors import InputError
from harness.export.document import TableDoc, printable_doc

#: format name → module in this package
FORMATS = {"table": "table", "md": "markdown", "markdown": "markdown", "latex": "latex", "csv": "csv", "json": "json"}


def check_format(fmt: str) -> None:
    """InputError unless `fmt` is one of `FORMATS`."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")


def render(doc: TableDoc, fmt: str, wide: bool = False) -> str:
    """`doc` in format `fmt`, without a final newline (the caller's print adds it); `wide` keeps every column of
    the terminal table instead of fitting it to COLUMNS. The text formats never pass on a control character."""
    check_format(fmt)
    if fmt not in ("csv", "json"):
        doc = printable_doc(doc)
    module = importlib.import_module(f"harness.export.{FORMATS[fmt]}")
    text = module.render(doc, wide=wide) if fmt == "table" else module.render(doc)
    return text.rstrip("\n")
