"""One error family whose messages are written for users, with the exit codes of docs/design.md.

The CLI prints `str(error)` on stderr and exits with `error.exit_code`; nothing below the CLI prints or exits.
"""

import re

#: Unicode's control characters (category Cc): C0, DEL and C1.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with its control characters spelled as escapes (`\\x1b`, `\\n`): a name, path or fact from a file
    someone else wrote may hold them, and a terminal obeys them, a Markdown table or fence ends at a newline, and so
    does a LaTeX comment."""
    return CONTROL.sub(lambda match: match[0].encode("unicode_escape").decode("ascii"), text)


class HarnessError(Exception):
    """A failure the user can act on. Exit 1: measurements failed but were recorded."""

    exit_code = 1


class InputError(HarnessError):
    """Bad input or usage (a YAML mistake, a missing file, an unknown scenario); nothing was started. Exit 2."""

    exit_code = 2


class EnvironmentNotAble(HarnessError):
    """This machine cannot do what was asked (no dockerd, not root, a kernel feature missing). Exit 3."""

    exit_code = 3


class ScenarioSkipped(EnvironmentNotAble):
    """This machine cannot run the scenario at all (e.g. no device-mapper); recorded as a skip, the run goes on."""


class ResultsWriteError(HarnessError):
    """The run directory cannot be written (a full disk, a read-only mount): the run must stop, keeping what it has.

    Exit 1, like other recorded failures: every build finished before this one is in samples.jsonl.
    """

    exit_code = 1

    def __init__(self, path: object, error: OSError):
        self.path, self.error = path, error
        reason = error.strerror or str(error)
        super().__init__(f"cannot write {path}: {reason}; every build before this one is kept — free the space or "
                         "fix the mount, then continue with `harness run MATRIX --resume RUN_DIR`")
