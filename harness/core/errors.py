"""The two failures the harness reports by exit code rather than by a gate (DESIGN.md "The command").

They carry no click dependency, so areas and library users can raise and catch them; the CLI turns them
into one `Error: ...` line on stderr and the documented exit code.
"""
from __future__ import annotations


class HarnessError(Exception):
    """A run that cannot go on; `str(exc)` is the one-line reason shown to the user."""

    exit_code = 2


class ConfigError(HarnessError):
    """A bad setting: unknown key, wrong type, bad URL, unknown target kind, missing import string..."""

    exit_code = 2


class TargetError(HarnessError):
    """A target could not be prepared, started or reached."""

    exit_code = 3
