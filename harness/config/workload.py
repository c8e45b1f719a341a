"""workloads/NAME.yaml and matrix entries → Workload cells: generated bases and steps, user builds, sweeps.

A matrix entry may `use:` a workload file with `params:`; a list there expands into sweep cells (sweeps.py),
each an ordinary Workload.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness.config import sweeps
from harness.config.checks import non_empty, refuse_escape, refuse_renamed
from harness.config.contexts import check_context, identity_of
from harness.config.dockerfiles import check_dockerfile, step_complaint
from harness.config.limits import (
    INSTRUCTIONS,
    MAX_BASE_BYTES,
    MAX_BASE_DIRECTORIES,
    MAX_BASE_FILES,
    MAX_FILE_SIZE,
    MAX_PAYLOAD_BYTES,
    MAX_PAYLOAD_FILES,
    MAX_SEED,
    MAX_STEPS,
    MAX_WORKLOADS,
    PARAMETER_BOUNDS,
    WORKLOAD_NAME_PATTERN,
    WORKLOAD_NAME_RULE,
)
from harness.config.model import WORKLOAD_KINDS, BaseTree, Payload, UserBuild, Workload
from harness.config.yamlfile import Section, YamlDocument, between, load_yaml, one_of
from harness.errors import InputError


def load_workload(path: Path) -> Workload:
    """Read one workload file as it stands: its own `params:` defaults applied, nothing swept (a user build's
    Dockerfile and context must then lie in the file's own directory; through a matrix, in the matrix's)."""
    template = _workload_file(path, path.parent)
    return _cell(template, template.defaults, (), None)


@dataclass(frozen=True)
class _Template:
    """A workload as written, before parameters: steps and command may still hold `{{name}}`."""

    workload: Workload
    defaults: dict[str, int | list[int]]
    doc: YamlDocument
    params_key: tuple


def _workload_file(path: Path, home: Path) -> _Template:
    doc = load_yaml(path)
    if not WORKLOAD_NAME_PATTERN.fullmatch(path.stem):
        raise doc.error((), f"the file name {path.stem!r} is not a usable workload name ({WORKLOAD_NAME_RULE})")
    return _template(doc, (), doc.data if doc.data is not None else {}, path.stem, home, allow_sweeps=False)


def workload_cells(doc: YamlDocument, entries: list[Any]) -> list[tuple[int, Workload]]:
    """Every entry's cells, each with the index of the entry it came from; at most MAX_WORKLOADS in all."""
    cells: list[tuple[int, Workload]] = []
    for index, entry in enumerate(entries):
        template, params, family = _entry_template(doc, index, entry)
        count = sweeps.cell_count(params)
        if len(cells) + count > MAX_WORKLOADS:
            raise doc.error(("workloads", index), f"expands into {count:,} cells ({len(cells)} before it): a matrix "
                            f"measures at most {MAX_WORKLOADS} workloads and sweep cells in all; sweep fewer values")
        cells += [(index, _cell(template, cell.settings, cell.swept, family)) for cell in sweeps.expand(params)]
    return cells


def _entry_template(doc: YamlDocument, index: int, entry: Any) -> tuple[_Template, dict, str]:
    """(template, parameters, family name) of one matrix entry: a workload name, `use:` with `params:`, or an
    inline workload (which may sweep its own `params:`)."""
    home = doc.path.parent
    if isinstance(entry, str):
        template = _workload_file(_library_file(doc, ("workloads", index), entry), home)
        return template, template.defaults, entry
    if isinstance(entry, dict) and "use" in entry:
        section = Section(doc, ("workloads", index), entry)
        use = section.take("use", str, check=_workload_name)
        family = section.take("name", str, use, check=_workload_name)
        given = _params(section, allow_sweeps=True)
        section.done()
        template = _workload_file(_library_file(doc, ("workloads", index, "use"), use), home)
        template = replace(template, doc=doc, params_key=("workloads", index, "params"))
        return template, {**template.defaults, **given}, family
    if isinstance(entry, dict):
        name = entry.get("name")
        if not isinstance(name, str) or not WORKLOAD_NAME_PATTERN.fullmatch(name):
            raise doc.error(("workloads", index, "name"), f"an inline workload needs a `name` ({WORKLOAD_NAME_RULE})")
        template = _template(doc, ("workloads", index), entry, name, home, allow_sweeps=True)
        return template, template.defaults, name
    raise doc.error(("workloads", index), f"must be a workload name, a mapping with use: or an inline workload, "
                    f"not {entry!r:.80}")


def _library_file(doc: YamlDocument, key_path: tuple, name: str) -> Path:
    if not WORKLOAD_NAME_PATTERN.fullmatch(name):
        raise doc.error(key_path, f"must be a workload name (a file in workloads/; {WORKLOAD_NAME_RULE}), not "
                        f"{name!r:.80}")
    path = doc.path.parent / "workloads" / f"{name}.yaml"
    if not path.is_file():
        raise doc.error(key_path, f"no workload file {path}")
    refuse_escape(doc, key_path, path)
    return path


def _workload_name(value: str) -> str | None:
    return None if WORKLOAD_NAME_PATTERN.fullmatch(value) else (
        f"{value!r:.80} is not a workload name ({WORKLOAD_NAME_RULE})")


def workload_files(matrix: Path, entries: list[Any]) -> list[Path]:
    """The library files the entries name (by name or with `use:`), for the run directory's copy."""
    names = [e if isinstance(e, str) else e.get("use") if isinstance(e, dict) else None for e in entries]
    return [matrix.parent / "workloads" / f"{name}.yaml" for name in names if isinstance(name, str)]


def _cell(template: _Template, settings: Any, swept: tuple[tuple[str, int], ...], family: str | None) -> Workload:
    """The template with `settings` applied to its base and payload and `{{name}}` replaced by the values."""
    workload = template.workload
    parts = {"base": workload.base, "payload": workload.payload}
    for name, value in dict(settings).items():
        part, field_name = sweeps.PARAMETERS[name]
        parts[part] = replace(parts[part], **{field_name: value})
    complaint = _base_size_complaint(parts["base"]) or _payload_size_complaint(parts["payload"])
    if complaint:
        cell = sweeps.cell_name(family or workload.name, swept)
        raise template.doc.error(template.params_key, f"{cell}: {complaint}")
    values = {name: getattr(parts[part], field_name) for name, (part, field_name) in sweeps.PARAMETERS.items()}
    return replace(workload, base=parts["base"], payload=parts["payload"],
                   steps=tuple(sweeps.substitute(step, values) for step in workload.steps),
                   command=sweeps.substitute(workload.command, values) if workload.command else None,
                   name=sweeps.cell_name(family, swept) if swept else (family or workload.name),
                   family=family if swept else None, params=swept)


def _template(doc: YamlDocument, key_path: tuple, value: Any, name: str, home: Path,
              allow_sweeps: bool) -> _Template:
    top = Section(doc, key_path, value)
    top.taken.add("name")
    description = top.take("description", str, "")
    kind = top.take("kind", str, "build", check=one_of(*WORKLOAD_KINDS))
    base = _base(top.section("base"))
    payload = _payload(top.section("payload"))
    defaults = _params(top, allow_sweeps)
    user_build = _user_build(top, home)
    steps = top.take("steps", list, None, check=lambda v: non_empty(v) or (
        None if len(v) <= MAX_STEPS else f"has {len(v)} steps; at most {MAX_STEPS} (a Dockerfile of that many "
        "layers is far past what the storage drivers allow)"))
    command = top.take("command", str, None, check=_command)
    top.done()
    _check_kind(top, kind, steps, command, user_build)
    for index, step in enumerate(steps or ()):
        _check_step(doc, key_path + ("steps", index), step)
        _check_placeholders(doc, key_path + ("steps", index), step)
    if command:
        _check_placeholders(doc, key_path + ("command",), command)
    workload = Workload(name=name, description=description, base=base, payload=payload, steps=tuple(steps or ()),
                        kind=kind, command=command, user_build=user_build)
    return _Template(workload, defaults, doc, key_path + ("params",))


def _params(section: Section, allow_sweeps: bool) -> dict[str, int | list[int]]:
    """`params:`: vocabulary names → an int, or (in a matrix) a list of ints to sweep."""
    given = section.take("params", dict, {})
    for name, value in given.items():
        key_path = section.key_path + ("params", str(name))
        if name not in PARAMETER_BOUNDS:
            raise section.doc.error(key_path, f"unknown parameter (known: {', '.join(PARAMETER_BOUNDS)})")
        if isinstance(value, list) and allow_sweeps:
            _check_sweep(section.doc, key_path, name, value)
        elif not isinstance(value, int) or isinstance(value, bool):
            allowed = "an integer or a list of integers to sweep" if allow_sweeps else (
                "an integer (a default; sweeps are written in the matrix)")
            raise section.doc.error(key_path, f"must be {allowed}, not {value!r:.80}")
        else:
            _check_parameter(section.doc, key_path, name, value)
    return given


def _check_sweep(doc: YamlDocument, key_path: tuple, name: str, values: list) -> None:
    if not values:
        raise doc.error(key_path, "lists no values; give at least one (or a single integer)")
    seen: set[int] = set()  # a set, not a scan of the values before: a 125 000-value list is refused in a second
    for index, value in enumerate(values):
        if not isinstance(value, int) or isinstance(value, bool):
            raise doc.error(key_path + (index,), f"must be an integer, not {value!r:.80}")
        surprise = doc.odd_number(key_path + (index,), value)
        if surprise:
            raise doc.error(key_path + (index,), surprise)
        _check_parameter(doc, key_path + (index,), name, value)
        if value in seen:
            raise doc.error(key_path + (index,), f"{value} is listed twice (each value is one cell)")
        seen.add(value)


def _check_parameter(doc: YamlDocument, key_path: tuple, name: str, value: int) -> None:
    low, high = PARAMETER_BOUNDS[name]
    complaint = between(low, high)(value)
    if complaint:
        raise doc.error(key_path, complaint)


def _check_placeholders(doc: YamlDocument, key_path: tuple, text: str) -> None:
    unknown = sweeps.unknown_placeholders(text)
    if unknown:
        raise doc.error(key_path, f"{{{{{unknown[0]}}}}} is not a parameter (known: "
                        f"{', '.join(sweeps.PARAMETERS)})")


def _command(value: str) -> str | None:
    if not value.strip():
        return "is empty; give the shell command to run in the container, or drop command"
    return None if "\0" not in value else "must not contain NUL characters"


def _check_kind(top: Section, kind: str, steps: list | None, command: str | None,
                user_build: UserBuild | None) -> None:
    """A build has steps (or the user's Dockerfile); a commit has neither, only an optional command."""
    if kind == "commit":
        if steps is not None:
            raise top.error("steps", "a commit workload has no steps: it puts the payload into a container from the "
                            "base, runs `command` and times the commit; drop steps (or use kind: build)")
        if user_build is not None:
            raise top.error("dockerfile", "a commit workload times one container commit; a Dockerfile is built "
                            "with kind: build")
        return
    if command is not None:
        raise top.error("command", "is for kind: commit (run in the container before the commit); a build runs "
                        "its steps: write it as a RUN step")
    if user_build is not None:
        for key, what in (("steps", "steps"), ("payload", "a payload")):
            if key in top.value:
                raise top.error(key, f"a workload with dockerfile: builds the user's own Dockerfile and context; "
                                f"it takes no {what}: drop {key}")
    elif steps is None:
        raise top.error("steps", "is required (a list of Dockerfile instructions), or dockerfile: and context: for "
                        "your own build")


def _user_build(top: Section, home: Path) -> UserBuild | None:
    """`dockerfile:` + `context:`, relative to the file that names them and inside the matrix's directory."""
    dockerfile = top.take("dockerfile", str, None, check=_relative_path)
    context = top.take("context", str, None, check=_relative_path)
    publish = top.take("publish_context", bool, False)
    if dockerfile is None and context is None:
        if publish:
            raise top.error("publish_context", "goes with dockerfile: and context: (a user build's context tar)")
        return None
    if dockerfile is None or context is None:
        missing = "context" if context is None else "dockerfile"
        raise top.error(missing, "dockerfile: and context: go together (your Dockerfile and the directory it "
                        "builds from)")
    where = top.doc.path.parent
    paths = {"dockerfile": where / dockerfile, "context": where / context}
    for key, path in paths.items():
        refuse_escape(top.doc, top.key_path + (key,), path, home)
    if not paths["dockerfile"].is_file():
        raise top.error("dockerfile", f"no such file {paths['dockerfile']}")
    if not paths["context"].is_dir():
        raise top.error("context", f"{paths['context']} is not a directory")
    check_dockerfile(paths["dockerfile"])
    results = tuple(i for i in (identity_of(where / "results"), identity_of(Path("results"))) if i is not None)
    try:
        check_context(paths["context"].resolve(), skip=results)
    except InputError as exc:
        raise top.error("context", str(exc)) from None
    return UserBuild(dockerfile=paths["dockerfile"].resolve(), context=paths["context"].resolve(),
                     publish_context=publish)


def _relative_path(value: str) -> str | None:
    if not value or not value.isprintable():
        return f"{value!r:.80} must be a path of printable characters (no NUL, newline or terminal escapes)"
    return None


def refuse_duplicate_cells(doc: YamlDocument, cells: list[tuple[int, Workload]]) -> None:
    seen: dict[str, int] = {}
    for index, workload in cells:
        if workload.name in seen:
            other = seen[workload.name]
            raise doc.error(("workloads", index), f"{workload.name!r} is listed twice" + (
                f" (also by workloads[{other}]); give one a different name" if other != index else ""))
        seen[workload.name] = index


def refuse_commit_with_other_builders(doc: YamlDocument, cells: list[tuple[int, Workload]], builders: list) -> None:
    """A commit workload is dockerd's micro-benchmark: one container commit through its API, beside classic builds."""
    other = next((builder for builder in ("buildkit", "buildah") if builder in builders), None)
    if other is None:
        return
    for index, workload in cells:
        if workload.kind == "commit":
            raise doc.error(("workloads", index), f"{workload.name} is a commit workload: it times one container "
                            f"commit through dockerd's API, which has no {other} counterpart; drop {other} from "
                            "builders or measure it in a matrix of dockerd scenarios")


def _base(section: Section) -> BaseTree:
    refuse_renamed(section, "seed", "content_seed", "it seeds the generated files' contents")
    base = BaseTree(files=section.take("files", int, BaseTree.files, check=between(0, MAX_BASE_FILES)),
                    file_size=section.take("file_size", int, BaseTree.file_size,
                                           check=between(0, MAX_FILE_SIZE, "bytes")),
                    directories=section.take("directories", int, BaseTree.directories,
                                             check=between(1, MAX_BASE_DIRECTORIES)),
                    content_seed=section.take("content_seed", int, BaseTree.content_seed, check=between(0, MAX_SEED)))
    section.done()
    complaint = _base_size_complaint(base)
    if complaint:
        raise section.error("files", complaint)
    return base


def _base_size_complaint(base: BaseTree) -> str | None:
    if base.files * base.file_size <= MAX_BASE_BYTES:
        return None
    return (f"{base.files:,} files of {base.file_size:,} bytes make a base image of {base.files * base.file_size:,} "
            f"bytes; at most {MAX_BASE_BYTES:,} (16 GiB)")


def _payload(section: Section) -> Payload:
    payload = Payload(files=section.take("files", int, Payload.files, check=between(1, MAX_PAYLOAD_FILES)),
                      file_size=section.take("file_size", int, Payload.file_size,
                                             check=between(0, MAX_FILE_SIZE, "bytes")))
    section.done()
    complaint = _payload_size_complaint(payload)
    if complaint:
        raise section.error("files", complaint)
    return payload


def _payload_size_complaint(payload: Payload) -> str | None:
    if payload.files * payload.file_size <= MAX_PAYLOAD_BYTES:
        return None
    return (f"{payload.files:,} files of {payload.file_size:,} bytes make a payload of "
            f"{payload.files * payload.file_size:,} bytes; at most {MAX_PAYLOAD_BYTES:,} (1 GiB; it is sent twice "
            "with every build)")


def _check_step(doc: YamlDocument, key_path: tuple, step: Any) -> None:
    if not isinstance(step, str) or not step.strip():
        raise doc.error(key_path, f"must be one Dockerfile instruction as a string, not {step!r}")
    word = step.split(None, 1)[0].upper()
    if word == "FROM":
        raise doc.error(key_path, "FROM is added by the harness (the generated base image); list the steps after it")
    if word not in INSTRUCTIONS:
        raise doc.error(key_path, f"{word!r} is not a Dockerfile instruction (expected one of {', '.join(INSTRUCTIONS)})")
    if "\n" in step.strip():
        raise doc.error(key_path, "must be a single line")
    if step.rstrip().endswith("\\"):
        raise doc.error(key_path, "ends in a backslash, which would join it with the next step; remove it (each "
                        "step is one line)")
    complaint = step_complaint(step)
    if complaint:
        raise doc.error(key_path, f"{complaint} (steps build on the generated base, from the build context's "
                        "payload/ and payload.tar)")
