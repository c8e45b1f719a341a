"""CITATION.cff and LICENSE: what a researcher reads to cite the harness is valid CFF and agrees with pyproject.

Validated against the Citation File Format 1.2.0 schema, the very file cffconvert 2.0 validates with (copied from its
package into tests/data/citation/; CC-BY-4.0, citation-file-format.github.io). cffconvert itself cannot join the test
extras: it pins jsonschema < 4, and our own schemas are draft 2020-12. `make check-citation` (run by .ci/run) runs
the real cffconvert in a virtualenv of its own.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

ROOT = Path(__file__).resolve().parents[2]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


SCHEMA = ROOT / "tests" / "data" / "citation" / "cff-1.2.0.schema.json"


def validate(data: dict) -> None:
    Draft7Validator(json.loads(SCHEMA.read_text())).validate(data)


def test_citation_file_is_valid_cff() -> None:
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert data["cff-version"] == "1.2.0"
    validate(data)


def test_the_validator_rejects_a_citation_without_authors() -> None:
    """The check above can fail: the same file with its authors removed is refused."""
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    del data["authors"]
    with pytest.raises(ValidationError, match="authors"):
        validate(data)


def test_citation_agrees_with_pyproject_and_license() -> None:
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert data["version"] == pyproject()["version"]
    assert data["license"] == pyproject()["license"]["text"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_2018_post_is_cited_with_its_author() -> None:
    post = yaml.safe_load((ROOT / "CITATION.cff").read_text())["references"][0]
    assert post["title"] == "A curious case of slow Docker image builds"
    assert post["authors"] == [{"family-names": "Przygodzki", "given-names": "Jarek"}]


def test_the_report_cites_the_software_as_citation_cff_does() -> None:
    from harness.export.citation import AUTHORS, SOFTWARE

    data = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert SOFTWARE == data["title"] and AUTHORS == data["authors"][0]["name"]


def _example_report(tmp_path: Path, **changes) -> str:
    import shutil

    from harness.export.report import write_report

    run = shutil.copytree(ROOT / "tests" / "data" / "example-run", tmp_path / "run")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.update(changes)
    (run / "manifest.json").write_text(json.dumps(manifest))
    return write_report(run, tmp_path / "report").markdown.read_text()


def test_a_dirty_run_is_cited_with_its_full_commit_and_told_how_to_reproduce(tmp_path: Path) -> None:
    commit = "0123456789abcdef0123456789abcdef01234567-dirty"
    text = _example_report(tmp_path, git_commit=commit,
                           command=["harness", "run", "matrix-local.yaml", "--reps", "3", "--resume", "results/x",
                                    "--results=/tmp/elsewhere"])
    recipe = text.split("## Reproduce this run", 1)[1].split("## Citation", 1)[0]
    assert "git checkout 0123456789abcdef0123456789abcdef01234567\n" in recipe
    assert "sudo make run MATRIX=matrix-local.yaml RUN_ARGS='--reps 3'" in recipe  # --resume is not the measurement
    assert "uncommitted changes" in recipe and "RUN_DIR/matrix.yaml" in recipe
    citation = text.split("Suggested citation:", 1)[1]
    assert f"`{commit}`" in citation and "The harness maintainers" in citation
    assert "A curious case of slow Docker image builds" in citation


def test_the_report_names_machine_and_software_per_scenario(tmp_path: Path) -> None:
    text = _example_report(tmp_path)
    assert "(synthetic: no CPU measured), 4 cores" in text
    assert "| `local-vfs` | 20.10.24+dfsg1 | system | 1.6.20\\~ds1 | 1.1.5+ds1 | not used | not used |" in text
    assert "**Synthetic example, not a measurement**" in text and "Measured " not in text
