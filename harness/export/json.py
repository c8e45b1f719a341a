"""JSON: the object of the contract of docs/design.md ({"run_id", "baseline", "rows": [...]} plus added keys), indented,
with NaN or infinities (never valid JSON) written as null."""

from __future__ import annotations

import json
import math

from harness.export.document import TableDoc


def render(doc: TableDoc) -> str:
    return json.dumps(_finite(doc.payload), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
