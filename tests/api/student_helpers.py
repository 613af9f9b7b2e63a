"""What the student route tests (tests/api/test_student*.py) share: the routes' prefix, ids no route knows,
and readers of the rows the routes write (each read after expiring the session's cache)."""
from __future__ import annotations

import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.models import Course, Enrollment

STUDENT = "/api/v1/student"
UNKNOWN_IDS = ["9b2e0c43-0000-4000-8000-000000000000", "not-a-uuid"]


def fresh(db):
    db.expire_all()
    return db


def enrollment(db, user_id: str, course_id: str) -> Enrollment | None:
    return fresh(db).scalar(sa.select(Enrollment).where(Enrollment.user_id == user_id,
                                                        Enrollment.course_id == course_id))


def course(db, course_id: str) -> Course:
    return fresh(db).get(Course, course_id)


def count(db, model, *where) -> int:
    return fresh(db).scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def my_rows(db, seeded, model, *where) -> int:
    """How many rows of `model` the documented student owns (generated students have their own)."""
    return count(db, model, model.user_id == seeded.user_id(accounts.STUDENT), *where)
