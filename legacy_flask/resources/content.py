"""Course sections and media assignment (API.md §3.10, X1–X8). camelCase; positions start at 1."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from .. import db, serializers
from ..access import can_access, course_or_404, get_or_404, is_owner, media_or_404, require_media_owner, require_owner
from ..api import Api, ApiResource
from ..auth.identity import authenticated, current
from ..course_views import course_sections
from ..envelope import ok
from ..errors import Forbidden
from ..models import CourseSection, MediaFile, utcnow
from ..validation import Bool, Int, List, Str, Uuid, parse_body

SECTION_FIELDS = {
    "title": Str(required=True, min_len=1, max_len=255),
    "description": Str(nullable=True),
    "order": Int(min=1),
    "isPublished": Bool(default=True),
    "isPreview": Bool(default=False),
}
SECTION_COLUMNS = {"title": "title", "description": "description", "order": "order",
                   "isPublished": "is_published", "isPreview": "is_preview"}


def _media_order() -> tuple:
    """By position in the section (unpositioned last), then upload time."""
    return (MediaFile.order_in_section.is_(None), MediaFile.order_in_section, MediaFile.created_at, MediaFile.id)


def _section_media(section_ids: Iterable[str], *, published_only: bool) -> dict[str, list[MediaFile]]:
    ids = list(section_ids)
    grouped: dict[str, list[MediaFile]] = defaultdict(list)
    if not ids:
        return grouped
    stmt = sa.select(MediaFile).where(MediaFile.course_section_id.in_(ids), MediaFile.is_deleted.is_(False))
    if published_only:
        stmt = stmt.where(MediaFile.is_published.is_(True))
    for m in db.session().scalars(stmt.order_by(*_media_order())):
        grouped[m.course_section_id].append(m)
    return grouped


def _next_position(column: sa.ColumnElement, *where: sa.ColumnElement) -> int:
    return int(db.session().scalar(sa.select(sa.func.coalesce(sa.func.max(column), 0)).where(*where)) or 0) + 1


def _owned_section(section_id: str) -> tuple[CourseSection, str]:
    """A section (404, also when its course is deleted) of a course the caller owns (403); returns
    it and the caller's id. Unlike section_or_404 it keeps the course loaded for the owner check."""
    section = get_or_404(CourseSection, section_id, "Section")
    ident = require_owner(course_or_404(section.course_id))
    return section, ident.user_id


class CourseSections(ApiResource):
    rate_limits = {"get": "100/minute", "post": "20/minute"}

    @authenticated
    def get(self, course_id: str):
        course = course_or_404(course_id)
        ident = current()
        owner = is_owner(course, ident)
        # Owners and admins see everything; others the published sections of a published course
        # (or of one they are still enrolled in: unpublishing keeps existing enrollments, P35).
        if not owner and not course.is_published and not can_access(course, ident):
            raise Forbidden("This course is not published")
        sections = course_sections(course.id, include_unpublished=owner)
        media = _section_media((s.id for s in sections), published_only=not owner)
        payload = [{**serializers.section(s), "mediaFiles": [serializers.media_brief(m) for m in media[s.id]],
                    "mediaCount": len(media[s.id])} for s in sections]
        return ok({"sections": payload, "totalSections": len(payload)})

    @authenticated
    def post(self, course_id: str):
        course = course_or_404(course_id)
        user_id = require_owner(course).user_id
        body = parse_body(SECTION_FIELDS)
        order = body.get("order") or _next_position(
            CourseSection.order, CourseSection.course_id == course.id, CourseSection.is_deleted.is_(False))
        section = CourseSection(course_id=course.id, title=body["title"], description=body.get("description") or "",
                                order=order, is_published=body["isPublished"], is_preview=body["isPreview"],
                                created_by_id=user_id, updated_by_id=user_id)
        db.session().add(section)
        db.session().commit()
        return ok(serializers.section(section), 201)


class Section(ApiResource):
    rate_limits = {"put": "30/minute", "delete": "20/minute"}

    @authenticated
    def put(self, section_id: str):
        section, user_id = _owned_section(section_id)
        body = parse_body(SECTION_FIELDS, partial=True)
        if body:
            for field, value in body.items():
                setattr(section, SECTION_COLUMNS[field], "" if field == "description" and value is None else value)
            section.updated_by_id = user_id
            db.session().commit()
        return ok(serializers.section(section))

    @authenticated
    def delete(self, section_id: str):
        section, user_id = _owned_section(section_id)
        section.soft_delete(by=user_id)
        # Its media leave the section but stay in the course (API.md X4).
        db.session().execute(
            sa.update(MediaFile).where(MediaFile.course_section_id == section.id)
            .values(course_section_id=None, updated_at=utcnow(), updated_by_id=user_id, version=MediaFile.version + 1)
            .execution_options(synchronize_session=False))
        db.session().commit()
        return ok({"message": "Section deleted successfully"})


class SectionMedia(ApiResource):
    rate_limits = {"post": "30/minute"}

    @authenticated
    def post(self, section_id: str):
        section, user_id = _owned_section(section_id)
        body = parse_body({"mediaFileId": Uuid(required=True), "title": Str(max_len=255, nullable=True),
                           "description": Str(nullable=True), "order": Int(min=1),
                           "isPreview": Bool(default=False), "isPublished": Bool(default=True)})
        media = media_or_404(body["mediaFileId"])
        require_media_owner(media)
        order = body.get("order") or _next_position(
            MediaFile.order_in_section, MediaFile.course_section_id == section.id, MediaFile.is_deleted.is_(False),
            MediaFile.id != media.id)
        media.course_id, media.course_section_id, media.order_in_section = section.course_id, section.id, order
        media.title = body.get("title") or None  # no custom title: the API shows the original filename
        if "description" in body:
            media.description = body["description"]
        media.is_preview, media.is_published, media.updated_by_id = body["isPreview"], body["isPublished"], user_id
        db.session().commit()
        return ok({"mediaFile": serializers.media_file(media),
                   "message": "Media file assigned to section successfully"})


class MediaUnassign(ApiResource):
    rate_limits = {"post": "30/minute"}

    @authenticated
    def post(self, media_file_id: str):
        media = media_or_404(media_file_id)
        user_id = require_media_owner(media).user_id
        media.course_id = media.course_section_id = media.order_in_section = None
        media.title = media.description = None
        media.updated_by_id = user_id
        db.session().commit()
        return ok({"message": "Media file unassigned successfully", "mediaFile": serializers.media_file(media)})


class SectionMediaReorder(ApiResource):
    rate_limits = {"put": "30/minute"}

    @authenticated
    def put(self, section_id: str):
        section, user_id = _owned_section(section_id)
        body = parse_body({"mediaOrder": List(item=Uuid(), required=True)})
        files = list(db.session().scalars(sa.select(MediaFile).where(
            MediaFile.course_section_id == section.id, MediaFile.is_deleted.is_(False)).order_by(*_media_order())))
        position = {m.id: m.order_in_section for m in files}
        listed = [i for i in dict.fromkeys(body["mediaOrder"]) if i in position]
        moved = {media_id: n for n, media_id in enumerate(listed, start=1) if position[media_id] != n}
        if moved:  # one statement however many files move (the ORM would send one UPDATE per row)
            db.session().execute(
                sa.update(MediaFile).where(MediaFile.id.in_(moved))
                .values(order_in_section=sa.case(moved, value=MediaFile.id), updated_at=utcnow(),
                        updated_by_id=user_id, version=MediaFile.version + 1)
                .execution_options(synchronize_session=False))
            db.session().commit()
            position.update(moved)
        files.sort(key=lambda m: (position[m.id] is None, position[m.id] or 0))  # stable: ties keep their order
        return ok({"mediaFiles": [{"id": m.id, "title": m.title or m.original_filename,
                                   "orderInSection": position[m.id], "filename": m.filename,
                                   "durationSeconds": m.duration_seconds} for m in files],
                   "message": "Media files reordered successfully"})


class CourseMedia(ApiResource):
    rate_limits = {"get": "100/minute"}

    @authenticated
    def get(self, course_id: str):
        course = course_or_404(course_id)
        require_owner(course)
        sections = course_sections(course.id, include_unpublished=True)
        media = db.session().scalars(sa.select(MediaFile).where(
            MediaFile.course_id == course.id, MediaFile.is_deleted.is_(False)).order_by(*_media_order()))
        by_section: dict[str | None, list[MediaFile]] = defaultdict(list)
        known = {s.id for s in sections}
        for m in media:
            by_section[m.course_section_id if m.course_section_id in known else None].append(m)
        return ok({
            "courseId": course.id, "courseTitle": course.title,
            "sections": [{"sectionId": s.id, "sectionTitle": s.title, "order": s.order,
                          "mediaFiles": [serializers.media_brief(m) for m in by_section[s.id]]} for s in sections],
            "unsectionedMedia": [{**serializers.media_brief(m), "courseId": m.course_id,
                                  "courseSectionId": m.course_section_id} for m in by_section[None]],
        })


def register(api: Api) -> None:
    api.add_resource(CourseSections, "/api/v1/content/courses/<string:course_id>/sections", endpoint="content_sections")
    api.add_resource(CourseMedia, "/api/v1/content/courses/<string:course_id>/media", endpoint="content_course_media")
    api.add_resource(Section, "/api/v1/content/sections/<string:section_id>", endpoint="content_section")
    api.add_resource(SectionMedia, "/api/v1/content/sections/<string:section_id>/media",
                     endpoint="content_section_media")
    api.add_resource(SectionMediaReorder, "/api/v1/content/sections/<string:section_id>/media/reorder",
                     endpoint="content_section_media_reorder")
    api.add_resource(MediaUnassign, "/api/v1/content/media/<string:media_file_id>/unassign",
                     endpoint="content_media_unassign")
