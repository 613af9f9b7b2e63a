"""Course sections and media placement writes (API.md §3.10, X2-X7). Positions start at 1; a value that
did not change is not written (no statement, no version bump), as the legacy unit of work behaves; bulk
moves are one UPDATE statement. Sections are part of the cached course detail (P17), which is
invalidated once the write commits."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Case, F, Max, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from reference_django.media.models import MediaFile
from reference_django.media.selectors import section_files

from . import cache as course_cache
from .models import Course, CourseSection

#: The body's camelCase names -> the section's columns.
SECTION_COLUMNS = {"title": "title", "description": "description", "order": "order",
                   "isPublished": "is_published", "isPreview": "is_preview"}


def _next_position(queryset: Any, column: str) -> int:
    return int(queryset.aggregate(top=Coalesce(Max(column), 0))["top"]) + 1


@transaction.atomic
def section_create(*, course: Course, user_id: str, title: str, description: str | None, order: int | None,
                   is_published: bool, is_preview: bool) -> CourseSection:
    """X2: a section, appended after the course's last one unless `order` is given."""
    order = order or _next_position(CourseSection.objects.filter(course_id=course.id, is_deleted=False), "order")
    section = CourseSection.objects.create(course_id=course.id, title=title, description=description or "",
                                           order=order, is_published=is_published, is_preview=is_preview,
                                           created_by_id=user_id, updated_by_id=user_id)
    course_cache.invalidate_course(course.id)
    return section


@transaction.atomic
def section_update(*, section: CourseSection, user_id: str, changes: dict[str, Any]) -> CourseSection:
    """X3: the fields sent (camelCase), a null description stored as ""."""
    if changes:
        values = {SECTION_COLUMNS[name]: ("" if name == "description" and value is None else value)
                  for name, value in changes.items()}
        if section.save_changes(values, by=user_id):
            course_cache.invalidate_course(section.course_id)
    return section


@transaction.atomic
def section_delete(*, section: CourseSection, user_id: str) -> None:
    """X4: soft delete; its media leave the section but stay in the course."""
    section.soft_delete(by=user_id)
    MediaFile.objects.filter(course_section_id=section.id).update(
        course_section_id=None, updated_at=timezone.now(), updated_by_id=user_id, version=F("version") + 1)
    course_cache.invalidate_course(section.course_id)


@transaction.atomic
def media_assign(*, section: CourseSection, media: MediaFile, user_id: str, fields: dict[str, Any]) -> MediaFile:
    """X5: place a media file in the section (appended unless `order` is given), moving it from wherever
    it was. `fields` are the validated body; without a title the API shows the original filename."""
    order = fields.get("order") or _next_position(
        MediaFile.objects.filter(course_section_id=section.id, is_deleted=False).exclude(pk=media.id),
        "order_in_section")
    values = {"course_id": section.course_id, "course_section_id": section.id, "order_in_section": order,
              "title": fields.get("title") or None, "is_preview": fields["isPreview"],
              "is_published": fields["isPublished"]}
    if "description" in fields:
        values["description"] = fields["description"]
    media.save_changes(values, by=user_id)
    return media


@transaction.atomic
def media_unassign(*, media: MediaFile, user_id: str) -> MediaFile:
    """X6: out of its course and section, its placement title and description cleared."""
    media.save_changes({"course_id": None, "course_section_id": None, "order_in_section": None, "title": None,
                        "description": None}, by=user_id)
    return media


@transaction.atomic
def section_media_reorder(*, section: CourseSection, user_id: str,
                          media_order: list[str]) -> list[tuple[MediaFile, int | None]]:
    """X7: the listed files of the section numbered 1.. in list order (unknown ids and repeats ignored,
    unlisted files keep their position). Returns every file of the section with its position, sorted."""
    files = section_files(section.id)
    position = {m.id: m.order_in_section for m in files}
    listed = [media_id for media_id in dict.fromkeys(media_order) if media_id in position]
    moved = {media_id: n for n, media_id in enumerate(listed, start=1) if position[media_id] != n}
    if moved:  # one statement however many files move
        MediaFile.objects.filter(pk__in=moved).update(
            order_in_section=Case(*(When(pk=media_id, then=Value(n)) for media_id, n in moved.items())),
            updated_at=timezone.now(), updated_by_id=user_id, version=F("version") + 1)
        position.update(moved)
    files.sort(key=lambda m: (position[m.id] is None, position[m.id] or 0))  # stable: ties keep their order
    return [(m, position[m.id]) for m in files]
