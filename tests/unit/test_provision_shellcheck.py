"""Every shell script of the project is shellcheck-clean (all severities, sourced files followed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROVISION = REPO / "provision"
SCRIPTS = sorted(PROVISION.glob("*.sh"))
OTHER_SCRIPTS = [REPO / ".ci" / "run", REPO / "scripts" / "ensure-packages", REPO / "scripts" / "run-matrix",
                 REPO / "harness" / "campaign" / "run-on-machine.sh",
                 *(p for directory in ("vm", "vagrant") for p in sorted((REPO / "tests" / directory).iterdir())
                   if p.is_file() and p.read_bytes().startswith(b"#!/usr/bin/env bash"))]


def test_there_are_provisioning_scripts_in_order() -> None:
    names = [p.name for p in SCRIPTS]
    assert names == ["10-engine.sh", "20-kernel.sh", "30-storage.sh", "40-verify.sh"]


@pytest.mark.parametrize("script", SCRIPTS + OTHER_SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_shellcheck_finds_nothing(script: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is not installed: apt-get install shellcheck (make test installs it)")
    result = subprocess.run(["shellcheck", "--external-sources", "--severity=style", str(script)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_fail_on_errors_and_unset_variables(script: Path) -> None:
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
