"""Shared helpers: every test works in its own temporary matrix directory, never in the repository's."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path → YAML text, dedented) under `root`; return root."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


@pytest.fixture
def matrix_dir(tmp_path: Path) -> Path:
    """A directory with valid scenario and workload files to point matrices at."""
    return write_tree(tmp_path, {
        "scenarios/native.yaml": """
            host: {type: local}
            storage: {driver: overlay2}
            kernel: {overlay: {redirect_dir: off}}
            expect: {driver: overlay2, native_overlay_diff: true}
        """,
        "scenarios/naive.yaml": """
            host: {type: local}
            storage: {driver: overlay2}
            kernel: {overlay: {redirect_dir: on}}
            expect: {driver: overlay2, native_overlay_diff: false}
        """,
        "workloads/tiny.yaml": """
            base: {files: 10, directories: 2}
            steps:
              - RUN touch /x
        """,
    })


class Quiet:
    """A runner progress that shows nothing: tests read the results, not the bar."""

    def start(self, total: int, done: int) -> None: ...
    def note(self, text: str) -> None: ...
    def build_done(self, planned: object, timing: object) -> None: ...
    def add_total(self, extra: int) -> None: ...
    def close(self) -> None: ...
