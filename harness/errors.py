"""One error family whose messages are written for users, with the exit codes of DESIGN.md.

The CLI prints `str(error)` on stderr and exits with `error.exit_code`; nothing below the CLI prints or exits.
"""


class HarnessError(Exception):
    """A failure the user can act on. Exit 1: measurements failed but were recorded."""

    exit_code = 1


class InputError(HarnessError):
    """Bad input or usage (a YAML mistake, a missing file, an unknown scenario); nothing was started. Exit 2."""

    exit_code = 2


class EnvironmentNotAble(HarnessError):
    """This machine cannot do what was asked (no dockerd, not root, a kernel feature missing). Exit 3."""

    exit_code = 3


class ResultsWriteError(HarnessError):
    """The run directory cannot be written (a full disk, a read-only mount): the run stops cleanly. Exit 1."""

    exit_code = 1
