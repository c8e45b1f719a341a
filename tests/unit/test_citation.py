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
