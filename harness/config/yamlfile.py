"""Read a YAML file safely and check its shape, so every mistake names the file, the key path and the line.

The text is composed once into a node tree that carries each key's line, then turned into plain values. Before
that, the event stream is checked for what a hostile or mistaken file could do to a loader: anchors and aliases (a
few hundred bytes of aliases expand to gigabytes, a recursive one never ends), nesting deep enough to exhaust the
recursion limit, and a file too large to be a configuration. Duplicate keys are refused with both lines (YAML
would silently keep the last). `Section` walks a mapping, takes the keys it knows, and refuses the rest.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.errors import InputError

KeyPath = tuple[str | int, ...]

#: Configuration files are a few kilobytes; these bounds are far above any real one and far below harm.
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_SHOWN_KEY = 80
#: libyaml's loader when PyYAML was built with it (Debian's and the wheels are): the same YAML, parsed in C, so the
#: largest file allowed is read in well under a second instead of several.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: A number as a person writes one. YAML 1.1 also reads `1:30` as 90 (base 60), `017` as 15 (octal), `0x1f`, `0b1`
#: and `1_000`: a surprise in a configuration, so those are refused with what YAML made of them.
PLAIN_NUMBER = re.compile(r"[-+]?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file with the line of every key and list item (1-based)."""

    path: Path
    data: Any
    lines: dict[KeyPath, int]
    #: The source text of every plain (unquoted) scalar, to show what YAML made of `20.10` or `.nan`.
    plain: dict[KeyPath, str] = field(default_factory=dict)

    def error(self, key_path: KeyPath, message: str) -> InputError:
        line = self.line_of(key_path)
        where = f"{self.path}" + (f":{line}" if line else "")
        dotted = format_key_path(key_path)
        return InputError(f"{where}: {dotted + ': ' if dotted else ''}{message}")

    def odd_number(self, key_path: KeyPath, value: Any) -> str | None:
        """A complaint when YAML 1.1 read a number from text that does not look like one (`1:30` → 90)."""
        written = self.plain.get(key_path)
        if isinstance(value, bool) or not isinstance(value, int | float) or written is None:
            return None
        if PLAIN_NUMBER.fullmatch(written):
            return None
        return (f"{written} is read by YAML as {value} (YAML 1.1 base-60, octal, hex or digit groups); write the "
                "number in plain decimal digits")

    def line_of(self, key_path: KeyPath) -> int | None:
        while key_path and key_path not in self.lines:
            key_path = key_path[:-1]
        return self.lines.get(key_path)


def format_key_path(key_path: KeyPath) -> str:
    text = ""
    for part in key_path:
        if isinstance(part, str) and not part.isprintable():
            part = repr(part)  # a key with a newline must not split the one-line message
        if isinstance(part, str) and len(part) > MAX_SHOWN_KEY:  # a 600 KB key is named, not echoed
            part = f"{part[:MAX_SHOWN_KEY - 20]}…({len(part):,} characters)"
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(path: Path) -> YamlDocument:
    """Parse `path` with the safe loader; anything unreadable or unsafe becomes an InputError naming the line."""
    text = _read_text(path)
    try:
        _check_events(path, text)
        loader = SAFE_LOADER(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else f"{path}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{where}: not valid YAML: {problem}") from None
    lines: dict[KeyPath, int] = {}
    plain: dict[KeyPath, str] = {}
    if root is not None:
        _record_lines(path, root, (), lines, plain)
    return YamlDocument(path=path, data=data, lines=lines, plain=plain)


def _read_text(path: Path) -> str:
    """The file's text; what the filesystem refuses (a directory, a name too long, no permission) says so."""
    try:
        if path.is_dir():
            raise InputError(f"{path}: is a directory; expected a YAML file (a matrix such as matrix.yaml)")
        if not path.exists():
            raise FileNotFoundError(path)
        if not path.is_file():  # a FIFO would block, /dev/zero never end
            raise InputError(f"{path}: is not a regular file; expected a YAML file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise InputError(f"{path}: too large for a configuration file (at most {MAX_FILE_BYTES:,} bytes)")
        return raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{_short(path)}: cannot read it ({exc.__class__.__name__}: "
                         f"{getattr(exc, 'strerror', None) or exc})") from None


def _short(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 200 else f"{text[:120]}…({len(text)} characters)"


def _check_events(path: Path, text: str) -> None:
    """Refuse anchors, aliases and deep nesting before anything recursive (the composer) sees the text."""
    depth = 0
    for event in yaml.parse(text, Loader=SAFE_LOADER):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InputError(f"{path}:{line}: YAML anchors and aliases (&name, *name, <<) are not accepted here; "
                             "write the values out")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"{path}:{line}: nested more than {MAX_DEPTH} levels deep; no configuration "
                                 "needs that")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _record_lines(path: Path, node: yaml.Node, key_path: KeyPath, lines: dict[KeyPath, int],
                  plain: dict[KeyPath, str]) -> None:
    lines.setdefault(key_path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode) and not node.style:  # plain: None from PyYAML, "" from libyaml
        plain[key_path] = node.value
    elif isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first_line:
                dotted = format_key_path(key_path + (key,))
                raise InputError(f"{path}:{line}: {dotted}: is given twice (lines {first_line[key]} and {line}); "
                                 "keep one")
            first_line[key] = line
            lines[key_path + (key,)] = line
            _record_lines(path, value_node, key_path + (key,), lines, plain)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(path, item, key_path + (index,), lines, plain)


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
        if isinstance(value, float) and not math.isfinite(value):
            raise self.doc.error(path, f"must be a finite number, not {self.doc.plain.get(path, value)}")
        surprise = self.doc.odd_number(path, value)
        if surprise:
            raise self.doc.error(path, surprise)
        if not _is_kind(value, kind):
            raise self.doc.error(path, f"must be {_kind_name(kind)}, not {_describe(value)}")
        complaint = check(value) if check else None
        if complaint:
            raise self.doc.error(path, complaint)
        return value

    def section(self, key: str, required: bool = False) -> Section:
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

    def text(self, key: str, default: Any = _MISSING, check: Callable[[Any], str | None] | None = None) -> Any:
        """A string that YAML would otherwise read as a number or a date (`20.10` is the number 20.1): refuse the
        unquoted form and show the quoted one."""
        path = self.key_path + (key,)
        value = self.value.get(key)
        if value is not None and not isinstance(value, str):
            written = self.doc.plain.get(path, str(value))
            raise self.doc.error(path, f'must be quoted: write {key}: "{written}" (unquoted, YAML reads it as '
                                 f"{_describe(value)})")
        return self.take(key, str, default, check)

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


def between(low: float, high: float, why: str = "") -> Callable[[Any], str | None]:
    """A bound the user is told: `high` is chosen far above any real use (`why` says what it is for)."""
    def check(value: Any) -> str | None:
        if low <= value <= high:
            return None
        return f"must be between {low:,} and {high:,}{' (' + why + ')' if why else ''}; got {value:,}"
    return check


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
