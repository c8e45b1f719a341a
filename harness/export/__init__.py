"""Exporters: one module per output format, each turning a `TableDoc` into text. They return strings; the
commands print them."""

from __future__ import annotations

import importlib

from harness.errors import InputError
from harness.export.document import TableDoc

#: format name → module in this package
FORMATS = {"table": "table", "md": "markdown", "latex": "latex", "csv": "csv", "json": "json"}


def check_format(fmt: str) -> None:
    """InputError unless `fmt` is one of `FORMATS`."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")


def render(doc: TableDoc, fmt: str) -> str:
    """`doc` in format `fmt`, without a final newline (the caller's print adds it)."""
    check_format(fmt)
    module = importlib.import_module(f"harness.export.{FORMATS[fmt]}")
    return module.render(doc).rstrip("\n")
