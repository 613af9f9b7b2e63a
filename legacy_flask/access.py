"""Loading rows by path id and the per-resource guards of API.md §1.8 (owner, media-owner, enrolled)."""
from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import orm

from . import db
from .auth.identity import Identity, current
from .errors import Forbidden, NotFound
from .models import Course, CourseSection, Enrollment, MediaFile, UserActivity, Video
from .validation import is_uuid

M = TypeVar("M")


def get_or_404(model: type[M], row_id: str, what: str | None = None, *, options: tuple = ()) -> M:
    """A non-deleted row by id. Unknown ids, non-UUID text and soft-deleted rows are all 404."""
    name = what or model.__name__
    if not isinstance(row_id, str) or not is_uuid(row_id):
        raise NotFound(f"{name} not found")
    row = db.session().get(model, row_id.lower(), options=options)
    if row is None or getattr(row, "is_deleted", False):
        raise NotFound(f"{name} not found")
    return row



def course_or_404(course_id: str) -> Course:
    return get_or_404(Course, course_id, "Course")


def video_or_404(video_id: str) -> Video:
    video = get_or_404(Video, video_id, "Video")
    course_or_404(video.course_id)  # a video of a deleted course is gone too
    return video


def section_or_404(section_id: str) -> CourseSection:
    section = get_or_404(CourseSection, section_id, "Section")
    course_or_404(section.course_id)
    return section


def media_or_404(media_id: str) -> MediaFile:
    return get_or_404(MediaFile, media_id, "Media file")


def is_owner(course: Course, ident: Identity | None) -> bool:
    return ident is not None and (course.instructor_id == ident.user_id or ident.is_admin)


def require_owner(course: Course) -> Identity:
    ident = current()
    if not is_owner(course, ident):
        raise Forbidden("You do not own this course")
    return ident


def require_media_owner(media: MediaFile) -> Identity:
    ident = current()
    if media.user_id != ident.user_id and not ident.is_admin:
        raise Forbidden("You do not own this media file")
    return ident


def active_enrollment(user_id: str, course_id: str) -> Enrollment | None:
    # The course is lazy here: callers hold it already (a lazy many-to-one is then an identity-map hit),
    # and the eager join would drag in the instructor's RBAC collections (three more statements).
    return db.session().scalar(sa.select(Enrollment).options(orm.lazyload(Enrollment.course)).where(
        Enrollment.user_id == user_id, Enrollment.course_id == course_id, Enrollment.is_deleted.is_(False),
        Enrollment.status.in_(("active", "completed"))))


def can_access(course: Course, ident: Identity | None) -> bool:
    """Guard `enrolled`: an active enrollment, or the owner, or an admin."""
    if ident is None:
        return False
    return is_owner(course, ident) or active_enrollment(ident.user_id, course.id) is not None


def require_enrolled(course: Course) -> Identity:
    ident = current()
    if not can_access(course, ident):
        raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")
    return ident


def record_activity(activity_type: str, *, user_id: str | None, session_id: str | None = None,
                    description: str = "", resource_type: str | None = None, resource_id: str | None = None,
                    ip: str | None = None, user_agent: str = "", metadata: dict | None = None) -> None:
    """Adds a user_activities row to the current unit of work (committed with it)."""
    db.session().add(UserActivity(user_id=user_id, session_id=session_id, activity_type=activity_type,
                                  description=description, resource_type=resource_type, resource_id=resource_id,
                                  ip_address=ip, user_agent=user_agent[:1000], metadata_=metadata or {}))
