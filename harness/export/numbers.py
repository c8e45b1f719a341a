"""How numbers read in tables: seconds to the millisecond, ratios to two decimals, `—` for undefined.

Fixed decimals per column keep the digits aligned in a terminal; the tidy CSV and the JSON carry full precision.
"""

from __future__ import annotations

MISSING = "—"


def seconds(value: float | None) -> str:
    """Milliseconds for steps of 0.1 s and more; a tenth of a millisecond below (a FROM step takes ~4 ms)."""
    if value is None:
        return MISSING
    return f"{value:.4f}" if abs(value) < 0.1 else f"{value:.3f}"


def seconds_interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"[{seconds(low)}, {seconds(high)}]"


def ratio(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}×"


def ratio_interval(low: float | None, high: float | None) -> str:
    """`[0.98, 1.05]`; with more decimals when two would round an interval that excludes 1 onto 1."""
    if low is None or high is None:
        return ""
    places = _places_keeping_side(low, high, 1.0)
    return f"[{low:.{places}f}, {high:.{places}f}]"


def _places_keeping_side(low: float, high: float, pivot: float, places: int = 2) -> int:
    """Fewest decimals (2 to 6) at which a bound strictly beyond `pivot` still prints beyond it."""
    while places < 6 and ((low > pivot and round(low, places) <= pivot) or
                          (high < pivot and round(high, places) >= pivot)):
        places += 1
    return places


def delta(value: float | None) -> str:
    """A ratio as a signed change: 1.123 → "+12.3%"."""
    return MISSING if value is None else f"{(value - 1) * 100:+.1f}%"


def delta_interval(low: float | None, high: float | None) -> str:
    """`[-3.1%, +5.0%]`; with more decimals when one would round an interval that excludes 0 onto 0."""
    if low is None or high is None:
        return ""
    places = _places_keeping_side(low, high, 1.0, places=3) - 2
    return f"[{(low - 1) * 100:+.{places}f}%, {(high - 1) * 100:+.{places}f}%]"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def p_value(value: float | None) -> str:
    if value is None:
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def step(value: int | str) -> str:
    return str(value)


def instruction(text: str | None, step_value: int | str, width: int = 32) -> str:
    """The Dockerfile line, shortened to `width`; whole-build rows read "(whole build)"."""
    if step_value == "total":
        return "(whole build)"
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def tidy(value: object) -> str:
    """A value for the tidy CSV: full-enough precision (6 significant digits), empty for None, true/false,
    name=value pairs for a mapping."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (tuple, list)):
        return ";".join(map(str, value))
    if isinstance(value, dict):  # a sweep cell's parameters: files_in_base=1000;changed_files=10
        return ";".join(f"{key}={item}" for key, item in value.items())
    return str(value)
