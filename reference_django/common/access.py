"""Loading rows by path id and the per-resource guards of API.md §1.8 (owner, media-owner, enrolled)."""
from __future__ import annotations

from typing import TypeVar

from django.db import models

from reference_django.accounts.authentication import Identity
from reference_django.accounts.models import UserActivity

from .exceptions import Forbidden, NotFound
from .fields import is_uuid
from .models import unique_row

M = TypeVar("M", bound=models.Model)


def get_or_404(queryset: type[M] | models.QuerySet, row_id: str, what: str | None = None) -> M:
    """A non-deleted row by id. Unknown ids, non-UUID text and soft-deleted rows are all 404."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    name = what or qs.model.__name__
    if not isinstance(row_id, str) or not is_uuid(row_id):
        raise NotFound(f"{name} not found")
    row = unique_row(qs.filter(pk=row_id.lower()))
    if row is None or getattr(row, "is_deleted", False):
        raise NotFound(f"{name} not found")
    return row


def course_or_404(course_id: str):
    from reference_django.courses.models import Course

    return get_or_404(Course.objects.select_related("instructor"), course_id, "Course")


def video_or_404(video_id: str):
    """A live video of a live course (one query: the course and its instructor come along)."""
    from reference_django.courses.models import Video

    video = get_or_404(Video.objects.select_related("course", "course__instructor"), video_id, "Video")
    if video.course.is_deleted:
        raise NotFound("Course not found")
    return video


def section_or_404(section_id: str):
    from reference_django.courses.models import CourseSection

    section = get_or_404(CourseSection.objects.select_related("course"), section_id, "Section")
    if section.course.is_deleted:
        raise NotFound("Course not found")
    return section


def media_or_404(media_id: str):
    from reference_django.media.models import MediaFile

    return get_or_404(MediaFile, media_id, "Media file")


def is_owner(course, ident: Identity | None) -> bool:
    return ident is not None and (course.instructor_id == ident.user_id or ident.is_admin)


def require_owner(course, ident: Identity) -> Identity:
    if not is_owner(course, ident):
        raise Forbidden("You do not own this course")
    return ident


def require_media_owner(media, ident: Identity) -> Identity:
    if media.user_id != ident.user_id and not ident.is_admin:
        raise Forbidden("You do not own this media file")
    return ident


def active_enrollment(user_id: str, course_id: str):
    from reference_django.learning.models import Enrollment

    return unique_row(Enrollment.objects.filter(user_id=user_id, course_id=course_id, is_deleted=False,
                                                status__in=("active", "completed")))


def can_access(course, ident: Identity | None) -> bool:
    """Guard `enrolled`: an active enrollment, or the owner, or an admin."""
    if ident is None:
        return False
    return is_owner(course, ident) or active_enrollment(ident.user_id, course.id) is not None


def require_enrolled(course, ident: Identity) -> Identity:
    if not can_access(course, ident):
        raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")
    return ident


def record_activity(activity_type: str, *, user_id: str | None, session_id: str | None = None,
                    description: str = "", resource_type: str | None = None, resource_id: str | None = None,
                    ip: str | None = None, user_agent: str = "", metadata: dict | None = None) -> UserActivity:
    """Writes a user_activities row (inside the caller's transaction when there is one)."""
    return UserActivity.objects.create(user_id=user_id, session_id=session_id, activity_type=activity_type,
                                       description=description, resource_type=resource_type,
                                       resource_id=resource_id, ip_address=ip, user_agent=user_agent[:1000],
                                       metadata=metadata or {})
