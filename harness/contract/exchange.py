"""One request fanned out to every side, and each side's reply: the unit the differential check compares.

The request and reply themselves (`Sent`, `Reply`), their curl line and their evidence are the neutral ones of
`harness.http`, named here too for the contract modules that import them from this module."""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.http import Reply, Sent, curl, reply_evidence

__all__ = ["Exchange", "Reply", "Sent", "curl", "reply_evidence"]


@dataclass(slots=True)
class Exchange:
    """One request fanned out: what each side got and answered. `operation` is "P17 GET /api/v1/courses/{course_id}"
    (or "unmatched GET /path" when the contract has no such operation); `source` names the case generator."""

    seq: int
    operation: str
    source: str
    sent: dict[str, Sent] = field(default_factory=dict)
    replies: dict[str, Reply] = field(default_factory=dict)
