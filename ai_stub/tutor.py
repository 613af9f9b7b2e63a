"""P44: the video tutor's reply to one message about one video, and the token count stored with it.

The message's intent (`detect_intent`) picks the body of the reply; an opener and a closer are chosen
by a hash of the message, the video and the intent.
"""
from __future__ import annotations

import re
from typing import Any

from .hashing import pick

#: (intent, pattern) in the order they are tried on the lower-cased message; none matching: "general".
INTENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("quiz", re.compile(r"\b(quiz|test me|practice question|exam)\b")),
    ("summary", re.compile(r"\b(summar\w*|recap|tl;?dr|key points?)\b")),
    ("example", re.compile(r"\b(example|show me|sample|demo)\b")),
    ("clarification", re.compile(r"\b(what|why|how|explain|mean|confus\w*|understand|difference)\b|\?")),
)

_OPENERS = ("Good question.", "Let's work through it.", "Here is one way to look at it.", "Happy to help with that.")
_CLOSERS = ("Try restating it in your own words, then rewatch the segment to check.",
            "Pause the video at that point and try it yourself before moving on.",
            "If it is still unclear, ask about the specific step that loses you.")


def detect_intent(message: str) -> str:
    text = message.lower()
    for intent, pattern in INTENT_RULES:
        if pattern.search(text):
            return intent
    return "general"


def estimate_tokens(*texts: str) -> int:
    """A rough token count (about four characters a token), for `ai_chats.tokens_used`."""
    return sum(max(1, (len(t) + 3) // 4) for t in texts if t)


def _clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def _clock(seconds: Any) -> str:
    s = int(seconds or 0)
    return f"{s // 60}:{s % 60:02d}"


def _span(context: dict[str, Any] | None) -> str:
    if not context:
        return ""
    return f" (around {_clock(context.get('startTime'))}–{_clock(context.get('endTime'))})"


def _body(intent: str, message: str, where: str, course_title: str) -> str:
    """The reply's middle for `intent`, about the video and segment named by `where`."""
    return {
        "summary": f"In {where}, the main points are the idea introduced at the start, how it is applied, and "
                   f"the pitfall shown at the end. Together they build toward the goals of {course_title}.",
        "example": f"For an example based on {where}: take the smallest case shown, change one input, and predict "
                   f"the result before running it. Comparing the two outcomes makes the rule visible.",
        "quiz": f"A practice question on {where}: which step in the segment would break first if its input were "
                f"empty, and why? Answer, then check against the explanation in the video.",
        "clarification": f'You asked: "{_clip(message)}". In {where}, the key is to separate what the concept is '
                         f"from how it is used: first the definition, then the worked steps that apply it.",
        "general": f'About "{_clip(message)}": this relates to {where} in {course_title}. Focus on the main idea '
                   f"of the segment and how it connects to the previous lesson.",
    }[intent]


def chat_reply(message: str, *, intent: str, video_title: str, course_title: str,
               context: dict[str, Any] | None = None) -> str:
    """The assistant's answer to one user message about one video."""
    key = (message, video_title, intent)
    opener = pick(_OPENERS, "open", *key)
    closer = pick(_CLOSERS, "close", *key)
    where = f'"{video_title}"{_span(context)}'
    about = f' The segment covers: "{_clip(context["content"])}".' if context and context.get("content") else ""
    return f"{opener} {_body(intent, message, where, course_title)}{about} {closer}"
