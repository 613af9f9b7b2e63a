"""The scorecard's one error: an input it cannot read (a run folder, a gates file, a coverage file, a source tree)."""
from __future__ import annotations

from harness.core.errors import ConfigError


class ScorecardInputError(ConfigError):
    """Exit code 2 with a one-line message that says what to give instead."""
