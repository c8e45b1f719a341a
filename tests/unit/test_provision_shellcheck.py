"""Every provisioning script is shellcheck-clean (all severities, sourced files followed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PROVISION = Path(__file__).resolve().parents[2] / "provision"
SCRIPTS = sorted(PROVISION.glob("*.sh"))


def test_there_are_provisioning_scripts_in_order() -> None:
    names = [p.name for p in SCRIPTS]
    assert names == ["10-engine.sh", "20-kernel.sh", "30-storage.sh", "40-verify.sh"]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (make test installs it)")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shellcheck_finds_nothing(script: Path) -> None:
    result = subprocess.run(["shellcheck", "--external-sources", "--severity=style", str(script)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_fail_on_errors_and_unset_variables(script: Path) -> None:
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
