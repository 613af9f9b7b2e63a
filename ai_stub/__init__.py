"""The deterministic stand-in for the AI service (API.md §3.6: only the response shapes bind), shared by
both bundled apps so that a conversation started on one reads the same on the other.

No network and no clock: every function is pure, a function of its arguments alone, which the apps' AI
routes build from the request and from database rows. Where text needs variety it comes from a hash of
the inputs (`hashing`), so the same question about the same video gets the same answer on every run, in
every process and on every machine.

One module a feature: `improvements` (P41), `outline` (P42), `tutor` (P44), `engagement` (P45) and
`learning_path` (P46). This package imports neither app.
"""
from __future__ import annotations

from .engagement import engagement_insights
from .hashing import digest, pick
from .improvements import CourseFacts, course_improvements
from .learning_path import enrolled_reason, recommended_reason
from .outline import LEVELS, course_outline
from .tutor import chat_reply, detect_intent, estimate_tokens

__all__ = [
    "LEVELS",
    "CourseFacts",
    "chat_reply",
    "course_improvements",
    "course_outline",
    "detect_intent",
    "digest",
    "engagement_insights",
    "enrolled_reason",
    "estimate_tokens",
    "pick",
    "recommended_reason",
]
