"""A Dockerfile split into instructions by BuildKit's own rules, for the checks in harness.config.dockerfiles.

Follows moby/buildkit frontend/dockerfile/parser (parser.go, directives.go): a UTF-8 BOM is dropped; parser
directives (`# escape=`, `# syntax=`, `# check=`) are read only from the leading lines, up to the first line that is
not one; the escape character (`\\` or `` ` ``) continues a line; comment and blank lines inside a continuation are
skipped; RUN, COPY and ADD may end with heredocs (`<<EOF`, `<<-"EOF"`) whose bodies are data, not instructions.
Only the structure is needed (which instruction, its flags, its words); nothing is expanded or executed.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
KNOWN_DIRECTIVES = ("syntax", "escape", "check")
#: Comment styles BuildKit's syntax detection also reads at the top of a file (`// syntax=`, `/* syntax= */`).
SYNTAX_LIKE = re.compile(r"^\s*(#|//|/\*)\s*syntax\s*=", re.I)
HEREDOC_INSTRUCTIONS = ("RUN", "COPY", "ADD")
HEREDOC = re.compile(r"^<<(-?)\s*([^<]*)$")


@dataclass(frozen=True)
class Instruction:
    """One instruction: its first line number, upper-case keyword, `--name=value` flags and the text after them."""

    line: int
    keyword: str
    flags: tuple[tuple[str, str], ...]
    arguments: str

    def words(self) -> list[str]:
        """The arguments as words: a JSON array's strings (exec form), else split on whitespace."""
        text = self.arguments.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
                return parsed
        return text.split()

    def onbuild(self) -> Instruction | None:
        """The instruction an ONBUILD carries (it runs in every stage built from this one)."""
        return _instruction(self.line, self.arguments)


@dataclass
class ParsedDockerfile:
    #: name → (line, value), for the directives BuildKit knows.
    directives: dict[str, tuple[int, str]] = field(default_factory=dict)
    instructions: list[Instruction] = field(default_factory=list)


def parse_dockerfile(text: str) -> ParsedDockerfile:
    lines = text.removeprefix("\ufeff").splitlines()
    parsed = ParsedDockerfile()
    start = _directives(lines, parsed)
    escape = parsed.directives.get("escape", (0, "\\"))[1]
    index = start
    while index < len(lines):
        number, joined, index = _logical_line(lines, index, escape)
        if joined is None:
            continue
        instruction = _instruction(number, joined)
        if instruction is None:
            continue
        parsed.instructions.append(instruction)
        if instruction.keyword in HEREDOC_INSTRUCTIONS:
            index = _skip_heredocs(lines, index, instruction.arguments)
    return parsed


def _directives(lines: list[str], parsed: ParsedDockerfile) -> int:
    """Read the leading directives; return the index of the first line after them. A `syntax` written in any
    comment style before the first instruction is recorded too: BuildKit's detection reads more than one style."""
    index = 0
    while index < len(lines):
        match = DIRECTIVE.match(lines[index])
        if not match or match[1].lower() not in KNOWN_DIRECTIVES or match[1].lower() in parsed.directives:
            break
        parsed.directives[match[1].lower()] = (index + 1, match[2])
        index += 1
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.lstrip().startswith(("#", "//", "/*")):
            break
        if SYNTAX_LIKE.match(line):
            parsed.directives.setdefault("syntax", (number, line.strip()))
    if parsed.directives.get("escape", (0, "\\"))[1] not in ("\\", "`"):
        parsed.directives["escape"] = (parsed.directives["escape"][0], "\\")
    return index


def _logical_line(lines: list[str], index: int, escape: str) -> tuple[int, str | None, int]:
    """(first line number, the instruction's text with continuations joined or None, index after it)."""
    number, text = index + 1, ""
    first = True
    while index < len(lines):
        line = lines[index]
        index += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            if first:
                return number, None, index
            continue  # blank and comment lines inside a continuation are dropped
        body = line.lstrip() if first else line
        first = False
        trimmed = body.rstrip()
        if trimmed.endswith(escape):
            text += trimmed[:-1]
            continue
        return number, text + body, index
    return number, (text or None), index


def _instruction(number: int, text: str) -> Instruction | None:
    parts = text.strip().split(None, 1)
    if not parts:
        return None
    keyword, rest = parts[0].upper(), parts[1] if len(parts) > 1 else ""
    flags: list[tuple[str, str]] = []
    while rest.startswith("--"):
        word, *others = rest.split(None, 1)
        name, _, value = word[2:].partition("=")
        flags.append((name.lower(), value.replace('"', "").replace("'", "")))
        rest = others[0] if others else ""
    return Instruction(number, keyword, tuple(flags), rest)


def _skip_heredocs(lines: list[str], index: int, arguments: str) -> int:
    """Skip the bodies of the heredocs named in `arguments`, in order; return the index after the last."""
    for chomp, name in _heredocs(arguments):
        while index < len(lines):
            line = lines[index]
            index += 1
            if (line.lstrip("\t") if chomp else line) == name:
                break
    return index


def _heredocs(arguments: str) -> list[tuple[bool, str]]:
    try:
        words = shlex.split(arguments, posix=False)
    except ValueError:
        words = arguments.split()
    found = []
    for word in words:
        match = HEREDOC.match(word)
        if match and match[2]:
            found.append((bool(match[1]), match[2].strip("\"'")))
    return found
