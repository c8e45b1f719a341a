"""Read a YAML file safely and check its shape, so every mistake names the file, the key path and the line.

PyYAML's `safe_load` gives plain values without positions; composing the same text once more gives the node tree
that carries each key's line. `Section` walks a mapping, takes the keys it knows, and refuses the rest.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from harness.errors import InputError

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file with the line of every key and list item (1-based)."""

    path: Path
    data: Any
    lines: dict[KeyPath, int]

    def error(self, key_path: KeyPath, message: str) -> InputError:
        line = self.line_of(key_path)
        where = f"{self.path}" + (f":{line}" if line else "")
        dotted = format_key_path(key_path)
        return InputError(f"{where}: {dotted + ': ' if dotted else ''}{message}")

    def line_of(self, key_path: KeyPath) -> int | None:
        while key_path and key_path not in self.lines:
            key_path = key_path[:-1]
        return self.lines.get(key_path)


def format_key_path(key_path: KeyPath) -> str:
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(path: Path) -> YamlDocument:
    """Parse `path` with the safe loader; a missing file or a syntax error becomes an InputError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({exc.__class__.__name__}: {exc})") from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else f"{path}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{where}: not valid YAML: {problem}") from None
    lines: dict[KeyPath, int] = {}
    if root is not None:
        _record_lines(root, (), lines)
    return YamlDocument(path=path, data=data, lines=lines)


def _record_lines(node: yaml.Node, key_path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(key_path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = key_path + (str(key_node.value),)
            lines[child] = key_node.start_mark.line + 1
            _record_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, key_path + (index,), lines)


_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "a mapping",
               float: "a number"}

_MISSING = object()


class Section:
    """One mapping of a YAML document: take known keys with their types; `done()` refuses unknown ones."""

    def __init__(self, doc: YamlDocument, key_path: KeyPath, value: Any):
        if not isinstance(value, dict):
            raise doc.error(key_path, f"must be a mapping, not {_describe(value)}")
        self.doc, self.key_path, self.value = doc, key_path, value
        self.taken: set[str] = set()

    def take(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING,
             check: Callable[[Any], str | None] | None = None) -> Any:
        """The value of `key`, of type `kind`; `check` returns a complaint or None."""
        self.taken.add(key)
        path = self.key_path + (key,)
        if key not in self.value or self.value[key] is None:
            if default is _MISSING:
                self._refuse_a_misspelling_of(key)
                raise self.doc.error(path, f"is required ({_kind_name(kind)})")
            return default
        value = self.value[key]
        if not _is_kind(value, kind):
            raise self.doc.error(path, f"must be {_kind_name(kind)}, not {_describe(value)}")
        complaint = check(value) if check else None
        if complaint:
            raise self.doc.error(path, complaint)
        return value

    def section(self, key: str, required: bool = False) -> "Section":
        self.taken.add(key)
        if key not in self.value or self.value[key] is None:
            if required:
                raise self.doc.error(self.key_path + (key,), "is required (a mapping)")
            return Section(self.doc, self.key_path + (key,), {})
        return Section(self.doc, self.key_path + (key,), self.value[key])

    def _refuse_a_misspelling_of(self, key: str) -> None:
        """A required key missing beside an unknown one is most likely a typo: name the typo, not the absence."""
        strangers = [str(k) for k in self.value if str(k) != key]
        close = difflib.get_close_matches(key, strangers, n=1, cutoff=0.75)
        if close:
            raise self.doc.error(self.key_path + (close[0],), f"unknown key (did you mean {key}?)")

    def error(self, key: str, message: str) -> InputError:
        return self.doc.error(self.key_path + (key,), message)

    def done(self) -> None:
        unknown = [k for k in self.value if str(k) not in self.taken]
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), self.taken, n=1, cutoff=0.75)
            hint = f"did you mean {close[0]}?" if close else f"known here: {', '.join(sorted(self.taken))}"
            raise self.doc.error(self.key_path + (str(unknown[0]),), f"unknown key ({hint})")


def one_of(*choices: Any) -> Callable[[Any], str | None]:
    return lambda value: None if value in choices else f"must be one of {', '.join(map(str, choices))}; got {value!r}"


def at_least(low: float) -> Callable[[Any], str | None]:
    return lambda value: None if value >= low else f"must be at least {low}; got {value}"


def _is_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # YAML `yes` is not a number
    if float in kinds and isinstance(value, int):
        return True
    return isinstance(value, kinds)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    return f"{_TYPE_NAMES.get(type(value), type(value).__name__)} ({value!r})"[:80]
