"""The user's own Dockerfile, checked before a run: its FROM and COPY --from must name images a private daemon has.

The harness's daemons cannot pull (builds run offline, and no registry is reachable), so a stage may start only
from `scratch`, from the generated base (passed as build-arg HARNESS_BASE, declared with `ARG HARNESS_BASE` before
the first FROM) or from an earlier stage. Finding this at validate costs a second; finding it mid-run costs a
failed build per rep.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.errors import InputError

#: The build-arg carrying the generated base image's tag.
BASE_ARG = "HARNESS_BASE"
BASE_REFERENCES = (f"${BASE_ARG}", f"${{{BASE_ARG}}}")
#: A Dockerfile is a few kilobytes; this bound is far above any real one.
MAX_DOCKERFILE_BYTES = 1024 * 1024
FROM_OPTION = re.compile(r"--[a-z-]+=\S*")


def check_dockerfile(path: Path) -> None:
    """Raise InputError naming the line when a FROM names an image that would have to be pulled."""
    stages: set[str] = set()
    declared, seen_from, count = False, False, 0
    for line_number, line in _instructions(path):
        words = line.split()
        keyword = words[0].upper()
        if keyword == "ARG" and not seen_from and len(words) > 1 and words[1].split("=", 1)[0] == BASE_ARG:
            declared = True
        if keyword in ("COPY", "ADD"):
            _check_copy_source(path, line_number, words[1:], stages, count)
        if keyword != "FROM":
            continue
        image, alias = _from_parts(path, line_number, words[1:])
        if image in BASE_REFERENCES and not declared:
            raise InputError(f"{path}:{line_number}: FROM {image} needs `ARG {BASE_ARG}` before the first FROM (the "
                             "harness passes the generated base's tag as that build-arg)")
        if image.lower() != "scratch" and image not in BASE_REFERENCES and image.lower() not in stages:
            raise InputError(f"{path}:{line_number}: FROM {image}: the harness's private daemons cannot pull images; "
                             f"start from ${{{BASE_ARG}}} (the generated base), scratch or an earlier stage")
        seen_from, count = True, count + 1
        if alias:
            stages.add(alias.lower())
    if not seen_from:
        raise InputError(f"{path}: has no FROM line; start it with `ARG {BASE_ARG}` and `FROM ${{{BASE_ARG}}}`")


def _check_copy_source(path: Path, line_number: int, words: list[str], stages: set[str], count: int) -> None:
    """`COPY --from=X` takes files from an earlier stage (by name or index); any other X is an image to pull."""
    for word in words:
        if word.startswith("--from="):
            source = word.removeprefix("--from=")
            if source.lower() not in stages and not (source.isdigit() and int(source) < count):
                raise InputError(f"{path}:{line_number}: {word}: the harness's private daemons cannot pull images; "
                                 "copy from an earlier stage (by its AS name) instead")


def _from_parts(path: Path, line_number: int, words: list[str]) -> tuple[str, str | None]:
    """`FROM [--platform=…] IMAGE [AS NAME]` → (IMAGE, NAME)."""
    words = [word for word in words if not FROM_OPTION.fullmatch(word)]
    if len(words) == 1:
        return words[0], None
    if len(words) == 3 and words[1].upper() == "AS":
        return words[0], words[2]
    raise InputError(f"{path}:{line_number}: expected `FROM IMAGE [AS NAME]`, found FROM {' '.join(words)}")


def _instructions(path: Path) -> list[tuple[int, str]]:
    """(first line number, instruction text) with comments dropped and `\\` continuations joined."""
    found: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(_read(path).splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or (stripped.startswith("#") and not pending):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        found.append((start, pending + stripped))
        pending = ""
    if pending.strip():
        found.append((start, pending))
    return found


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()[:MAX_DOCKERFILE_BYTES + 1]
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_DOCKERFILE_BYTES:
        raise InputError(f"{path}: too large for a Dockerfile (at most {MAX_DOCKERFILE_BYTES:,} bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text; is it a Dockerfile?") from None
