"""Course payloads shared by the public, student, instructor and AI routes: CourseSummary lists with
their instructors' counters batch-loaded, and CourseDetail with the visibility rules of API.md §2."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from . import db, serializers
from .access import can_access, is_owner
from .auth.identity import Identity
from .models import Course, CourseSection, Video


def instructor_stats(instructor_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """{instructor id: (published course count, students across them)} in one grouped query."""
    ids = sorted(set(instructor_ids))
    if not ids:
        return {}
    rows = db.session().execute(
        sa.select(Course.instructor_id, sa.func.count(Course.id),
                  sa.func.coalesce(sa.func.sum(Course.enrollment_count), 0))
        .where(Course.instructor_id.in_(ids), Course.is_deleted.is_(False), Course.is_published.is_(True))
        .group_by(Course.instructor_id))
    stats = {i: (0, 0) for i in ids}
    stats.update({r[0]: (int(r[1]), int(r[2])) for r in rows})
    return stats


def summaries(courses: list[Course]) -> list[dict]:
    stats = instructor_stats(c.instructor_id for c in courses)
    return [serializers.course_summary(c, instructor_stats=stats[c.instructor_id]) for c in courses]


def summary(course: Course) -> dict:
    return summaries([course])[0]


def course_videos(course_id: str, *, include_unpublished: bool) -> list[Video]:
    stmt = sa.select(Video).where(Video.course_id == course_id, Video.is_deleted.is_(False))
    if not include_unpublished:
        stmt = stmt.where(Video.is_published.is_(True))
    return list(db.session().scalars(stmt.order_by(Video.order, Video.created_at, Video.id)))


def course_sections(course_id: str, *, include_unpublished: bool) -> list[CourseSection]:
    stmt = sa.select(CourseSection).where(CourseSection.course_id == course_id, CourseSection.is_deleted.is_(False))
    if not include_unpublished:
        stmt = stmt.where(CourseSection.is_published.is_(True))
    return list(db.session().scalars(stmt.order_by(CourseSection.order, CourseSection.created_at, CourseSection.id)))


def detail(course: Course, ident: Identity | None) -> dict:
    """CourseDetail as `ident` may see it: owners and admins get every video, section and quiz answer;
    others get published ones, no answers, and video URLs only for previews unless enrolled."""
    owner = is_owner(course, ident)
    return serializers.course_detail(
        course,
        videos=course_videos(course.id, include_unpublished=owner),
        sections=course_sections(course.id, include_unpublished=owner),
        reveal_answers=owner,
        can_watch=owner or can_access(course, ident),
        instructor_stats=instructor_stats([course.instructor_id])[course.instructor_id],
    )
