"""P42: a course outline for a topic, its modules' titles chosen by a hash of the topic and level.

Lesson durations are minutes and add up to the outline's `estimatedDuration`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .hashing import digest, pick

LEVELS = ("beginner", "intermediate", "advanced")

LESSONS_PER_MODULE = 3

_DEFAULT_HOURS = {"beginner": 4.0, "intermediate": 6.0, "advanced": 8.0}

_MODULES = {
    "beginner": ("Getting Started with {t}", "Core Concepts of {t}", "Hands-on {t} Basics", "Working with {t} Tools",
                 "Common {t} Mistakes and How to Avoid Them", "Your First {t} Project", "Next Steps in {t}",
                 "{t} Review and Practice"),
    "intermediate": ("{t} Refresher", "Structuring Real {t} Work", "{t} Patterns in Practice",
                     "Testing and Debugging {t}", "Working with Data in {t}", "Performance in {t}",
                     "A Complete {t} Project", "{t} in a Team"),
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


def _module_order(t: str, level: str, module_count: int) -> list[int]:
    """Indexes into the level's module titles: the first module always introduces the topic; the rest
    rotate by the topic's hash."""
    names = _MODULES[level]
    offset = digest("modules", t.lower(), level) % len(names)
    return [0] + [1 + (offset + k) % (len(names) - 1) for k in range(module_count - 1)]


def _module(t: str, m: int, title: str, module_count: int, lesson_minutes: int) -> dict[str, Any]:
    """Module `m` (from 0) of the outline, with its lessons."""
    lessons = []
    for k in range(LESSONS_PER_MODULE):
        kind = _LESSON_KINDS[(digest("lesson", t.lower(), m, k) + k) % len(_LESSON_KINDS)]
        lessons.append({"title": f"{title}: {kind}", "duration": lesson_minutes,
                        "topics": [f"{title} ({kind.lower()})", f"{t} exercise {m + 1}.{k + 1}"]})
    return {"title": title, "description": f"Module {m + 1} of {module_count}: {title.lower()}.", "lessons": lessons}


def _objectives(t: str, learning_goals: Sequence[str]) -> list[str]:
    """The caller's goals (white space folded, blanks dropped), topped up to five with general ones."""
    goals = [" ".join(g.split()) for g in learning_goals if g and g.strip()]
    return goals + [f"Explain the key ideas of {t}", f"Apply {t} to a realistic project",
                    f"Judge when {t} is the right tool"][:max(0, 5 - len(goals))]


def _audience(t: str, level: str, target_audience: str | None) -> list[str]:
    if target_audience and target_audience.strip():
        return [target_audience.strip()]
    return [a.format(t=t) for a in _AUDIENCES[level]]


def course_outline(topic: str, *, level: str | None = None, duration_hours: float | None = None,
                   target_audience: str | None = None, learning_goals: Sequence[str] = ()) -> dict[str, Any]:
    """P42's payload."""
    t = " ".join(topic.split())
    level = level or "beginner"
    hours = duration_hours if duration_hours else _DEFAULT_HOURS[level]
    total_minutes = max(15, round(hours * 60))
    module_count = min(8, max(2, round(hours)))
    lesson_minutes = max(5, round(total_minutes / (module_count * LESSONS_PER_MODULE)))
    names = _MODULES[level]
    modules = [_module(t, m, names[idx].format(t=t), module_count, lesson_minutes)
               for m, idx in enumerate(_module_order(t, level, module_count))]
    return {
        "title": pick(_TITLES, "title", t.lower(), level).format(t=t, L=level.capitalize()),
        "description": (f"A {level} course on {t} in {module_count} modules. It moves from the essentials to a "
                        f"complete project, with practice in every module."),
        "objectives": _objectives(t, learning_goals),
        "modules": modules,
        "prerequisites": [p.format(t=t) for p in _PREREQUISITES[level]],
        "targetAudience": _audience(t, level, target_audience),
        "estimatedDuration": module_count * LESSONS_PER_MODULE * lesson_minutes,
    }
