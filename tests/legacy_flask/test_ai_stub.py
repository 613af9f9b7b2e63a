"""The deterministic AI stand-in (legacy_flask/ai_stub.py): pure functions of their inputs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from legacy_flask import ai_stub


def test_digest_is_the_same_in_every_process():
    code = "from legacy_flask import ai_stub; print(ai_stub.digest('topic', 3))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123"},
                           cwd=Path(ai_stub.__file__).parents[1]).stdout.strip()
    assert other == str(ai_stub.digest("topic", 3))


@pytest.mark.parametrize("message,intent", [
    ("Quiz me on closures", "quiz"), ("Can you summarize this?", "summary"), ("Show me an example", "example"),
    ("Why does this loop stop?", "clarification"), ("explain generators", "clarification"), ("Thanks!", "general"),
])
def test_detect_intent(message, intent):
    assert ai_stub.detect_intent(message) == intent


def test_chat_reply_depends_on_its_inputs_only():
    kw = {"intent": "clarification", "video_title": "Loops", "course_title": "Python 101",
          "context": {"startTime": 65, "endTime": 90, "content": "for loops"}}
    reply = ai_stub.chat_reply("Why?", **kw)
    assert reply == ai_stub.chat_reply("Why?", **kw)
    assert "Loops" in reply and "1:05" in reply and "for loops" in reply
    assert reply != ai_stub.chat_reply("Why?", **{**kw, "video_title": "Functions"})


@pytest.mark.parametrize("level,hours", [("beginner", None), ("intermediate", 1.5), ("advanced", 12)])
def test_outline_lessons_add_up_to_the_estimate(level, hours):
    outline = ai_stub.course_outline("Data Science", level=level, duration_hours=hours)
    lessons = [lesson for m in outline["modules"] for lesson in m["lessons"]]
    assert outline["estimatedDuration"] == sum(lesson["duration"] for lesson in lessons)
    assert 2 <= len(outline["modules"]) <= 8 and len({m["title"] for m in outline["modules"]}) == len(outline["modules"])
    assert outline == ai_stub.course_outline("Data Science", level=level, duration_hours=hours)


def facts(**kw) -> ai_stub.CourseFacts:
    base = dict(title="T", description="d" * 300, short_description="s", has_thumbnail=True, tags=3,
                learning_outcomes=3, prerequisites=1, target_audience=1, video_count=8, preview_count=1,
                videos_without_quiz=0, videos_without_description=0, total_video_seconds=8 * 600, rating=4.8,
                rating_count=10)
    return ai_stub.CourseFacts(**{**base, **kw})


def test_improvements_report_findings_and_are_topped_up_with_tips():
    empty = ai_stub.course_improvements(facts(video_count=0, preview_count=0, total_video_seconds=0, tags=0))
    assert any("first video" in r for r in empty) and any("tags" in r for r in empty)
    polished = ai_stub.course_improvements(facts())
    assert len(polished) == 3 and polished == ai_stub.course_improvements(facts())
    assert len(ai_stub.course_improvements(facts(description="", short_description="", has_thumbnail=False, tags=0,
                                                 learning_outcomes=0, prerequisites=0, target_audience=0),
                                           limit=4)) == 4


def test_engagement_insights_without_students():
    insights, areas = ai_stub.engagement_insights(
        {"enrollments": 0, "activeStudents": 0, "completionRate": 0.0, "avgProgress": 0.0}, [], 3)
    assert insights and areas
