"""The deterministic stand-in for the AI service (API.md §3.6: only the response shapes bind).

A port of the legacy app's `ai_stub`: the two must answer byte for byte alike for the same inputs
(tests/legacy_flask/test_ai_stub.py runs its assertions and a parity check over both), so a
conversation started on one app reads the same on the other during the blue-green window. The
legacy module is not imported because it is deleted after the cut-over.

No network and no clock: every function is pure, a function of its arguments alone, which the AI
services build from the request and from database rows. Where text needs variety it comes from a
hash of the inputs, so the same question about the same video gets the same answer on every run,
in every process and on every machine.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

LEVELS = ("beginner", "intermediate", "advanced")


def digest(*parts: object) -> int:
    """A stable integer for `parts` (Python's hash() is salted per process, so it is not used)."""
    raw = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


def pick(options: Sequence[T], *key: object) -> T:
    return options[digest(*key) % len(options)]


def estimate_tokens(*texts: str) -> int:
    """A rough token count (about four characters a token), for `ai_chats.tokens_used`."""
    return sum(max(1, (len(t) + 3) // 4) for t in texts if t)


# --- P41: suggestions to the instructor ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CourseFacts:
    """What the course-improvement suggestions look at, read from the course and its videos."""

    title: str
    description: str
    short_description: str
    has_thumbnail: bool
    tags: int
    learning_outcomes: int
    prerequisites: int
    target_audience: int
    video_count: int
    preview_count: int
    videos_without_quiz: int
    videos_without_description: int
    total_video_seconds: int
    rating: float
    rating_count: int


_GENERAL_TIPS = (
    "Open each video with one sentence on what the learner will be able to do by its end.",
    "Close every section with a short recap video that ties its lessons together.",
    "Add a small hands-on exercise after each section so learners apply what they watched.",
    "Reply to new reviews within a few days; visible instructor activity raises enrollments.",
    "Offer a downloadable cheat sheet as a resource on the final video.",
    "Refresh the thumbnail and short description before each promotion so the listing stays current.",
)


def course_improvements(f: CourseFacts, *, limit: int = 6) -> list[str]:
    """Up to `limit` findings about the course, topped up to three with tips chosen by its title."""
    found: list[str] = []
    if f.video_count == 0:
        found.append("Add your first video: a course needs at least one video before it can be published.")
    elif f.video_count < 5:
        found.append(f"The course has only {f.video_count} video(s); aim for at least 5 focused lessons.")
    if f.video_count and f.preview_count == 0:
        found.append("Mark one early video as a free preview so prospective students can try the course.")
    if f.videos_without_quiz:
        found.append(f"Add quiz points to the {f.videos_without_quiz} video(s) without any to check understanding.")
    if f.videos_without_description:
        found.append(f"Write descriptions for the {f.videos_without_description} video(s) that have none.")
    if f.video_count and f.total_video_seconds and f.total_video_seconds / f.video_count > 20 * 60:
        found.append("Videos average over 20 minutes; split long lessons into segments of 5 to 15 minutes.")
    if len(f.description) < 200:
        found.append("Expand the course description to at least 200 characters covering outcomes and audience.")
    if not f.short_description:
        found.append("Add a short description: it is the text shown on course cards.")
    if not f.has_thumbnail:
        found.append("Upload a thumbnail; listings without an image get fewer clicks.")
    if f.learning_outcomes < 3:
        found.append("List at least 3 learning outcomes so students know what they will gain.")
    if f.prerequisites == 0:
        found.append("State the prerequisites, even if the answer is 'none', to set expectations.")
    if f.target_audience == 0:
        found.append("Describe the target audience to help the right students find the course.")
    if f.tags < 3:
        found.append("Add at least 3 tags to improve how the course is found in search.")
    if f.rating_count >= 3 and f.rating < 4.0:
        found.append(f"The average rating is {f.rating:.1f}; read the lowest reviews for recurring issues.")
    out = found[:limit]
    start = digest("tips", f.title) % len(_GENERAL_TIPS)
    out += [_GENERAL_TIPS[(start + k) % len(_GENERAL_TIPS)] for k in range(max(0, 3 - len(out)))]
    return out


# --- P42: course outline -------------------------------------------------------------------------

_DEFAULT_HOURS = {"beginner": 4.0, "intermediate": 6.0, "advanced": 8.0}

_MODULES = {
    "beginner": ("Getting Started with {t}", "Core Concepts of {t}", "Hands-on {t} Basics", "Working with {t} Tools",
                 "Common {t} Mistakes and How to Avoid Them", "Your First {t} Project", "Next Steps in {t}",
                 "{t} Review and Practice"),
    "intermediate": ("{t} Refresher", "Structuring Real {t} Work", "{t} Patterns in Practice", "Testing and Debugging {t}",
                     "Working with Data in {t}", "Performance in {t}", "A Complete {t} Project", "{t} in a Team"),
    "advanced": ("{t} Internals", "Advanced {t} Architecture", "Scaling {t}", "Security in {t}",
                 "Optimising {t} for Production", "Extending {t}", "{t} Case Studies", "Leading {t} Projects"),
}
_LESSON_KINDS = ("Overview", "Walkthrough", "Practice", "Deep Dive", "Workshop", "Recap")
_TITLES = ("{t}: A {L} Course", "Practical {t} for {L} Learners", "{t} from the Ground Up", "Mastering {t} ({L})")
_PREREQUISITES = {
    "beginner": ("No prior experience required", "A computer with internet access"),
    "intermediate": ("Working knowledge of the basics of {t}", "Comfort with a code editor and the command line"),
    "advanced": ("Solid experience building with {t}", "Familiarity with testing and deployment"),
}
_AUDIENCES = {
    "beginner": ("Newcomers to {t}", "Career changers exploring {t}"),
    "intermediate": ("Practitioners who use {t} occasionally", "Developers moving {t} skills to real projects"),
    "advanced": ("Experienced {t} professionals", "Technical leads responsible for {t} systems"),
}


def course_outline(topic: str, *, level: str | None = None, duration_hours: float | None = None,
                   target_audience: str | None = None, learning_goals: Sequence[str] = ()) -> dict[str, Any]:
    """P42's payload. Lesson durations are minutes and add up to `estimatedDuration`."""
    t = " ".join(topic.split())
    level = level or "beginner"
    hours = duration_hours if duration_hours else _DEFAULT_HOURS[level]
    total_minutes = max(15, round(hours * 60))
    module_count = min(8, max(2, round(hours)))
    lessons_per_module = 3
    lesson_minutes = max(5, round(total_minutes / (module_count * lessons_per_module)))

    names = _MODULES[level]
    offset = digest("modules", t.lower(), level) % len(names)
    # The first module always introduces the topic; the rest rotate by the topic's hash.
    order = [0] + [1 + (offset + k) % (len(names) - 1) for k in range(module_count - 1)]
    modules = []
    for m, idx in enumerate(order):
        title = names[idx].format(t=t)
        lessons = []
        for k in range(lessons_per_module):
            kind = _LESSON_KINDS[(digest("lesson", t.lower(), m, k) + k) % len(_LESSON_KINDS)]
            lessons.append({"title": f"{title}: {kind}", "duration": lesson_minutes,
                            "topics": [f"{title} ({kind.lower()})", f"{t} exercise {m + 1}.{k + 1}"]})
        modules.append({"title": title, "description": f"Module {m + 1} of {module_count}: {title.lower()}.",
                        "lessons": lessons})

    goals = [" ".join(g.split()) for g in learning_goals if g and g.strip()]
    objectives = goals + [f"Explain the key ideas of {t}", f"Apply {t} to a realistic project",
                          f"Judge when {t} is the right tool"][:max(0, 5 - len(goals))]
    audience = [target_audience.strip()] if target_audience and target_audience.strip() else \
        [a.format(t=t) for a in _AUDIENCES[level]]
    title = pick(_TITLES, "title", t.lower(), level).format(t=t, L=level.capitalize())
    return {
        "title": title,
        "description": (f"A {level} course on {t} in {module_count} modules. It moves from the essentials to a "
                        f"complete project, with practice in every module."),
        "objectives": objectives,
        "modules": modules,
        "prerequisites": [p.format(t=t) for p in _PREREQUISITES[level]],
        "targetAudience": audience,
        "estimatedDuration": module_count * lessons_per_module * lesson_minutes,
    }


# --- P44: the video tutor ---------------------------------------------------------------------------

_INTENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("quiz", re.compile(r"\b(quiz|test me|practice question|exam)\b")),
    ("summary", re.compile(r"\b(summar\w*|recap|tl;?dr|key points?)\b")),
    ("example", re.compile(r"\b(example|show me|sample|demo)\b")),
    ("clarification", re.compile(r"\b(what|why|how|explain|mean|confus\w*|understand|difference)\b|\?")),
)


def detect_intent(message: str) -> str:
    text = message.lower()
    for intent, pattern in _INTENT_RULES:
        if pattern.search(text):
            return intent
    return "general"


_OPENERS = ("Good question.", "Let's work through it.", "Here is one way to look at it.", "Happy to help with that.")
_CLOSERS = ("Try restating it in your own words, then rewatch the segment to check.",
            "Pause the video at that point and try it yourself before moving on.",
            "If it is still unclear, ask about the specific step that loses you.")


def _clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def _span(context: dict[str, Any] | None) -> str:
    if not context:
        return ""
    return f" (around {_clock(context.get('startTime'))}–{_clock(context.get('endTime'))})"


def _clock(seconds: Any) -> str:
    s = int(seconds or 0)
    return f"{s // 60}:{s % 60:02d}"


def chat_reply(message: str, *, intent: str, video_title: str, course_title: str,
               context: dict[str, Any] | None = None) -> str:
    """The assistant's answer to one user message about one video."""
    key = (message, video_title, intent)
    opener = pick(_OPENERS, "open", *key)
    closer = pick(_CLOSERS, "close", *key)
    where = f'"{video_title}"{_span(context)}'
    about = f' The segment covers: "{_clip(context["content"])}".' if context and context.get("content") else ""
    body = {
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
    return f"{opener} {body}{about} {closer}"


# --- P45: engagement analysis -------------------------------------------------------------------------

def engagement_insights(metrics: dict[str, Any], drop_offs: Sequence[dict[str, Any]],
                        video_count: int) -> tuple[list[str], list[str]]:
    """(insights, improvementAreas) from P45's metrics and drop-off points."""
    enrollments = metrics["enrollments"]
    insights: list[str] = []
    areas: list[str] = []
    if enrollments == 0:
        insights.append("No students are enrolled yet, so there is no engagement to analyse.")
        areas.append("Promote the course and add a free preview video to attract the first students.")
        return insights, areas
    active_share = 100.0 * metrics["activeStudents"] / enrollments
    insights.append(f"{metrics['activeStudents']} of {enrollments} enrolled students "
                    f"({active_share:.0f}%) have started watching.")
    insights.append(f"Average progress is {metrics['avgProgress']:.1f}% and the completion rate is "
                    f"{metrics['completionRate']:.1f}%.")
    if drop_offs:
        worst = max(drop_offs, key=lambda d: d["dropOffRate"])  # the first of equals: the earliest video
        insights.append(f'The largest drop-off ({worst["dropOffRate"]:.1f}%) is at "{worst["title"]}".')
        areas.append(f'Review "{worst["title"]}": shorten it or add a quiz point before the drop-off.')
    if active_share < 50:
        areas.append("Fewer than half of the students have started; send a welcome message with a first step.")
    if metrics["avgProgress"] < 50:
        areas.append("Progress is below 50% on average; add section recaps to keep students moving.")
    if metrics["completionRate"] < 20:
        areas.append("Few students finish; consider a certificate or a capstone project as an incentive.")
    if video_count < 5:
        areas.append("The course has few videos; more, shorter lessons make progress feel faster.")
    if not areas:
        areas.append("Engagement is healthy; keep the course fresh with an update each quarter.")
    return insights, areas


# --- P46: learning path ---------------------------------------------------------------------------------

def enrolled_reason(course_title: str, percent_complete: float) -> str:
    if percent_complete >= 100:
        return f"You completed {course_title}; review it to keep the skills fresh."
    if percent_complete > 0:
        return f"Continue {course_title}: you are {percent_complete:.0f}% through."
    return f"Start {course_title}: you are enrolled but have not begun yet."


def recommended_reason(course_title: str, stored_reason: str) -> str:
    return stored_reason.strip() or f"{course_title} builds on the courses you are taking."
