"""Dockerfiles the harness builds — the user's own and the generated steps — checked so no build can fetch or pull.

The harness's daemons cannot pull (builds run offline, and no registry is reachable), and a published benchmark
must not depend on what a network served that day. So a stage may start only from `scratch`, from the generated
base (build-arg HARNESS_BASE, declared with `ARG HARNESS_BASE` before the first FROM) or from an earlier stage;
`COPY --from` and `RUN --mount=…,from=` may name only earlier stages; ADD takes no URL or git source; and no
`# syntax=` directive may send BuildKit to fetch a frontend image. The text is split into instructions by
BuildKit's own rules (harness.config.dockerparse): BOM, parser directives, escape character, continuations,
heredocs — a hand-made line splitter is what `# escape=`` ` used to slip a `FROM alpine` past.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.config.dockerparse import Instruction, parse_dockerfile
from harness.errors import InputError

#: The build-arg carrying the generated base image's tag.
BASE_ARG = "HARNESS_BASE"
BASE_REFERENCES = (f"${BASE_ARG}", f"${{{BASE_ARG}}}")
#: A Dockerfile is a few kilobytes; this bound is far above any real one.
MAX_DOCKERFILE_BYTES = 1024 * 1024
#: Sources ADD would fetch: any URL, scp-like git addresses (`git@host:repo`, `user@host:path`) and the
#: scheme-less GitHub form BuildKit also treats as git.
REMOTE_SOURCE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^[^/\s]+@[^/\s]+:|^github\.com/", re.I)
PULL_RULE = "the harness's private daemons never pull images"


def check_dockerfile(path: Path) -> None:
    """Raise InputError naming the file and line when the Dockerfile could fetch or pull anything."""
    try:
        raw = path.read_bytes()[:MAX_DOCKERFILE_BYTES + 1]
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    check_dockerfile_text(path, raw)


def check_dockerfile_text(path: Path, raw: bytes) -> None:
    """The checks of `check_dockerfile` on the bytes that will be sent (the file may change after validate)."""
    if len(raw) > MAX_DOCKERFILE_BYTES:
        raise InputError(f"{path}: too large for a Dockerfile (at most {MAX_DOCKERFILE_BYTES:,} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text; is it a Dockerfile?") from None
    if "\0" in text:
        raise InputError(f"{path}: holds a NUL character; is it a Dockerfile?")
    parsed = parse_dockerfile(text)
    if "syntax" in parsed.directives:
        raise InputError(f"{path}:{parsed.directives['syntax'][0]}: `# syntax=` makes BuildKit pull and run a "
                         f"frontend image, and {PULL_RULE}; remove the directive (the built-in frontend is used)")
    complaint = _complaint(parsed.instructions, needs_from=True)
    if complaint:
        line, message = complaint
        raise InputError(f"{path}:{line}: {message}")


def step_complaint(step: str) -> str | None:
    """Why one generated step (a line after the harness's own FROM) could fetch or pull, or None."""
    parsed = parse_dockerfile(f"ARG {BASE_ARG}\nFROM ${{{BASE_ARG}}}\n{step}\n")
    complaint = _complaint(parsed.instructions, needs_from=False)
    return complaint[1] if complaint else None


def _complaint(instructions: list[Instruction], needs_from: bool) -> tuple[int, str] | None:
    """(line, message) of the first instruction that could fetch or pull, in order, or None."""
    stages: list[str] = []
    declared = False
    for instruction in instructions:
        if instruction.keyword == "ARG" and not stages and instruction.arguments.split("=", 1)[0].strip() == BASE_ARG:
            declared = True
        complaint = (_from_complaint(instruction, stages, declared) if instruction.keyword == "FROM"
                     else _instruction_complaint(instruction, stages))
        if complaint:
            return instruction.line, complaint
    if needs_from and not stages:
        return 1, f"has no FROM line; start it with `ARG {BASE_ARG}` and `FROM ${{{BASE_ARG}}}`"
    return None


def _from_complaint(instruction: Instruction, stages: list[str], declared: bool) -> str | None:
    """`FROM [--platform=…] IMAGE [AS NAME]`: IMAGE must be the base, scratch or an earlier stage's name."""
    words = instruction.words()
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].upper() != "AS"):
        return f"expected `FROM IMAGE [AS NAME]`, found FROM {instruction.arguments:.200}"
    image = words[0]
    if image in BASE_REFERENCES and not declared:
        return (f"FROM {image} needs `ARG {BASE_ARG}` before the first FROM (the harness passes the generated "
                "base's tag as that build-arg)")
    if image.lower() != "scratch" and image not in BASE_REFERENCES and image.lower() not in stages:
        return (f"FROM {image:.200}: {PULL_RULE}; start from ${{{BASE_ARG}}} (the generated base), scratch or an "
                "earlier stage")
    stages.append(words[2].lower() if len(words) == 3 else f"#{len(stages)}")
    return None


def _instruction_complaint(instruction: Instruction, stages: list[str]) -> str | None:
    keyword = instruction.keyword
    if keyword == "ONBUILD":
        inner = instruction.onbuild()
        if inner is None:
            return "ONBUILD needs an instruction after it"
        return f"ONBUILD: {_instruction_complaint(inner, stages)}" if _instruction_complaint(inner, stages) else None
    for name, value in instruction.flags:
        complaint = _flag_complaint(keyword, name, value, stages)
        if complaint:
            return complaint
    if keyword in ("ADD", "COPY"):
        for source in instruction.words()[:-1]:
            if REMOTE_SOURCE.search(source):
                return (f"{keyword} {source:.200}: builds are offline; ADD and COPY take files from the build "
                        "context, not from a URL or a git repository")
    return None


def _flag_complaint(keyword: str, name: str, value: str, stages: list[str]) -> str | None:
    if keyword in ("COPY", "ADD") and name == "from" and not _is_stage(value, stages):
        return (f"{keyword} --from would pull {value:.200} from a registry, and {PULL_RULE}; copy from an earlier "
                "stage (by its AS name) instead")
    if keyword == "RUN" and name == "mount":
        options = dict(part.split("=", 1) if "=" in part else (part, "") for part in value.split(","))
        source = options.get("from")
        if source is not None and not _is_stage(source, stages):
            return f"--mount=…,from={source:.200}: {PULL_RULE}; mount from an earlier stage or the build context"
    if keyword == "RUN" and name == "network" and value != "none":
        return f"--network={value:.200}: builds run without a network; drop the flag"
    if keyword == "RUN" and name == "security" and value != "sandbox":
        return f"--security={value:.200}: builds run sandboxed; drop the flag"
    return None


def _is_stage(source: str, stages: list[str]) -> bool:
    return source.lower() in stages or (source.isdigit() and int(source) < len(stages))
