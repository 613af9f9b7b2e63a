"""What the instructor route tests (tests/api/test_instructor*.py) share: the routes' prefix, the quiz point
they send, and readers of the rows the routes write."""
from __future__ import annotations

import sqlalchemy as sa

from legacy_flask.models import Course, Quiz, Video

BASE = "/api/v1/instructor"
QUIZ_KEYS = {"id", "timestamp", "question", "options", "correctAnswer", "explanation"}  # the owner sees answers

QUIZ_POINT = {"timestamp": 30, "question": "Which one?", "options": ["a", "b", "c"], "correctAnswer": 2,
              "explanation": "Because c."}


def course(db, course_id: str) -> Course:
    db.expire_all()
    return db.get(Course, course_id)


def live_videos(db, course_id: str) -> list[Video]:
    db.expire_all()
    return list(db.scalars(sa.select(Video).where(Video.course_id == course_id, Video.is_deleted.is_(False))
                           .order_by(Video.order, Video.id)))


def live_quizzes(db, video_id: str) -> list[Quiz]:
    db.expire_all()
    return list(db.scalars(sa.select(Quiz).where(Quiz.video_id == video_id, Quiz.is_deleted.is_(False))
                           .order_by(Quiz.timestamp_seconds)))
