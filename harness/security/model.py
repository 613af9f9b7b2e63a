"""What the security area's checks share.

    Exchange    one request a side answered, as the passive rules, the grade and the probes read it: the side, the
                documented operation, the absolute URL (scheme, host, port: the rules that apply only over HTTPS
                read it), the request and the reply exactly as they crossed the wire
    Proof       one probe's attempt on one side: what was sent, what came back, whether the side refused it
    RISK        ZAP's risk codes (0 informational … 3 high) as the harness's severities
    retry_after(reply)   how long a rate-limited side asks to be left alone (what every patient sender waits)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from harness.core.results import Severity
from harness.http import Reply, Sent

#: ZAP's riskcode → the harness's severity (ZAP has no "critical").
RISK: dict[int, Severity] = {3: Severity.HIGH, 2: Severity.MEDIUM, 1: Severity.LOW, 0: Severity.INFO}
#: ZAP's names of its risk and confidence levels, by code (its reports print these).
RISK_NAMES = {3: "High", 2: "Medium", 1: "Low", 0: "Informational"}
#: The longest a sender waits out a rate limit (a per-minute window, and a second).
MAX_WAIT_S = 65.0
CONFIDENCE_NAMES = {4: "User Confirmed", 3: "High", 2: "Medium", 1: "Low", 0: "False Positive"}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request a side answered over the wire."""

    side: str
    operation: str  # "GET /api/v1/courses/{course_id}" when documented, else "GET <path without query>"
    url: str  # absolute: https://127.0.0.1:8443/api/v1/courses/…?page=2
    sent: Sent
    reply: Reply

    @property
    def https(self) -> bool:
        return urlsplit(self.url).scheme == "https"

    @property
    def media_type(self) -> str:
        """The reply's media type, lower case, without parameters ("" when it has no Content-Type)."""
        return (self.reply.header("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def method(self) -> str:
        return self.sent.method.upper()


@dataclass(slots=True)
class Proof:
    """One probe's attempt on one side. `refused` is the verdict a reader checks: the side turned the attack away
    (a 4xx, no data leaked); `detail` says what was seen either way."""

    probe: str  # "jwt.alg_none.lower", "idor.progress", …
    side: str
    refused: bool
    detail: str
    sent: Sent | None = None
    reply: Reply | None = None
    operation: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def retry_after(reply: Reply, now: float | None = None) -> float | None:
    """Seconds until the side accepts again, from Retry-After (as it says) or X-RateLimit-Reset (epoch seconds,
    at least 1 from now); None when it says nothing, or more than MAX_WAIT_S."""
    now = time.time() if now is None else now
    for name, relative in (("Retry-After", True), ("X-RateLimit-Reset", False)):
        value = reply.header(name)
        try:
            seconds = float(value) if value is not None else None
        except ValueError:
            seconds = None
        if seconds is not None:
            wait = seconds if relative else max(1.0, seconds - now + 1)
            return wait if 0 <= wait <= MAX_WAIT_S else None
    return None
