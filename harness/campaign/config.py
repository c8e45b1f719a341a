"""The campaign file: which matrix, on which inventory, how many machines at once, and where on each machine.

```yaml
matrix: matrix-local.yaml          # relative to this file
inventory: inventory.ini           # an Ansible inventory, INI or YAML (relative to this file)
concurrency: 1                     # machines measured at once (Ansible forks); one benchmark per machine, always
work_dir: /var/tmp/harness-campaign  # on each machine; each inventory name gets its own sub-directory
run_args: [--reps, "4"]            # more `harness run` options for every machine
pip_args: []                       # more `pip install` options on the machines (e.g. --index-url of a mirror)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.config.yamlfile import Section, between, load_yaml

#: Far above any fleet we know of, far below what would make Ansible's fork count absurd.
MAX_CONCURRENCY = 256
#: `harness run` options a campaign decides itself (where results and daemons go, whether to resume).
RESERVED_RUN_ARGS = ("--results", "--work-dir", "--resume")


@dataclass(frozen=True)
class Campaign:
    """A checked campaign file; paths are absolute."""

    file: Path
    matrix: Path
    inventory: Path
    concurrency: int
    work_dir: str
    run_args: tuple[str, ...]
    pip_args: tuple[str, ...]


def load_campaign(path: Path) -> Campaign:
    """Read and check `path`; InputError naming the file, line and key on any mistake."""
    doc = load_yaml(Path(path))
    top = Section(doc, (), doc.data if doc.data is not None else {})
    home = Path(path).resolve().parent
    matrix = _existing(top, "matrix", home)
    inventory = _existing(top, "inventory", home)
    concurrency = top.take("concurrency", int, 1, check=between(1, MAX_CONCURRENCY, "Ansible forks"))
    work_dir = top.take("work_dir", str, "/var/tmp/harness-campaign", check=_absolute)
    run_args = tuple(str(arg) for arg in top.take("run_args", list, []))
    pip_args = tuple(str(arg) for arg in top.take("pip_args", list, []))
    top.done()
    reserved = [arg for arg in run_args if arg.split("=")[0] in RESERVED_RUN_ARGS]
    if reserved:
        raise top.error("run_args", f"must not contain {reserved[0]}: the campaign sets where each machine keeps "
                        "its results and daemons, and resumes with `harness campaign run --resume`")
    return Campaign(file=Path(path).resolve(), matrix=matrix, inventory=inventory, concurrency=concurrency,
                    work_dir=work_dir, run_args=run_args, pip_args=pip_args)


def _existing(top: Section, key: str, home: Path) -> Path:
    path = home / top.take(key, str)
    if not path.is_file():
        raise top.error(key, f"names {path}, which does not exist; give a path relative to the campaign file")
    return path


def _absolute(value: str) -> str | None:
    if not value.startswith("/") or any(part == ".." for part in value.split("/")):
        return f"must be an absolute path on the machines without `..`; got {value!r}"
    if len(value) > 40:
        return (f"must be at most 40 characters ({value!r} is {len(value)}): unix socket paths under it are "
                "limited to 108 bytes")
    return None
