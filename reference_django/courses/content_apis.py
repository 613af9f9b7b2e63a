"""Course sections and media assignment routes (API.md §3.10, X1-X8), camelCase. One view per route; the
legacy order of checks: the section or course (404), its ownership (403), then the body (400)."""
from __future__ import annotations

from collections import defaultdict

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reference_django.accounts.authentication import Identity
from reference_django.common import parsing
from reference_django.common.access import (
    can_access,
    course_or_404,
    is_owner,
    media_or_404,
    require_media_owner,
    require_owner,
    section_or_404,
)
from reference_django.common.envelope import ok
from reference_django.common.exceptions import Forbidden
from reference_django.common.fields import Bool, Int, List, Str, Uuid
from reference_django.common.views import ApiView
from reference_django.media import selectors as media_selectors
from reference_django.media.models import MediaFile
from reference_django.media.serializers import media_brief, media_file

from . import content_services as services
from .models import CourseSection
from .selectors import course_sections
from .serializers import section as section_payload


def owned_section(section_id: str, ident: Identity) -> CourseSection:
    """A live section of a live course (404) that the caller owns (403)."""
    section = section_or_404(section_id)
    require_owner(section.course, ident)
    return section


class SectionSerializer(serializers.Serializer):
    title = Str(required=True, min_len=1, max_len=255)
    description = Str(allow_null=True)
    order = Int(min=1)
    isPublished = Bool(default=True)
    isPreview = Bool(default=False)


class CourseSectionsApi(ApiView):
    """X1 GET and X2 POST /content/courses/{id}/sections."""

    rate_limits = {"get": "100/minute", "post": "20/minute"}

    def get(self, request: Request, course_id: str) -> Response:
        course = course_or_404(course_id)
        ident = self.identity
        owner = is_owner(course, ident)
        # Owners and admins see everything; others the published sections of a published course
        # (or of one they are still enrolled in: unpublishing keeps existing enrollments, P35).
        if not owner and not course.is_published and not can_access(course, ident):
            raise Forbidden("This course is not published")
        sections = course_sections(course.id, include_unpublished=owner)
        media = media_selectors.section_media((s.id for s in sections), published_only=not owner)
        payload = [{**section_payload(s), "mediaFiles": [media_brief(m) for m in media[s.id]],
                    "mediaCount": len(media[s.id])} for s in sections]
        return ok({"sections": payload, "totalSections": len(payload)})

    def post(self, request: Request, course_id: str) -> Response:
        course = course_or_404(course_id)
        ident = require_owner(course, self.identity)
        body = parsing.body(request, SectionSerializer)
        section = services.section_create(course=course, user_id=ident.user_id, title=body["title"],
                                          description=body.get("description"), order=body.get("order"),
                                          is_published=body["isPublished"], is_preview=body["isPreview"])
        return ok(section_payload(section), 201)


class SectionApi(ApiView):
    """X3 PUT and X4 DELETE /content/sections/{id}."""

    rate_limits = {"put": "30/minute", "delete": "20/minute"}

    def put(self, request: Request, section_id: str) -> Response:
        section = owned_section(section_id, self.identity)
        body = parsing.body(request, SectionSerializer, partial=True)
        services.section_update(section=section, user_id=self.identity.user_id, changes=body)
        return ok(section_payload(section))

    def delete(self, request: Request, section_id: str) -> Response:
        section = owned_section(section_id, self.identity)
        services.section_delete(section=section, user_id=self.identity.user_id)
        return ok({"message": "Section deleted successfully"})


class SectionMediaApi(ApiView):
    """X5 POST /content/sections/{id}/media."""

    rate_limits = {"post": "30/minute"}

    class InputSerializer(serializers.Serializer):
        mediaFileId = Uuid(required=True)
        title = Str(max_len=255, allow_null=True)
        description = Str(allow_null=True)
        order = Int(min=1)
        isPreview = Bool(default=False)
        isPublished = Bool(default=True)

    def post(self, request: Request, section_id: str) -> Response:
        section = owned_section(section_id, self.identity)
        body = parsing.body(request, self.InputSerializer)
        media = media_or_404(body["mediaFileId"])
        ident = require_media_owner(media, self.identity)
        services.media_assign(section=section, media=media, user_id=ident.user_id, fields=body)
        return ok({"mediaFile": media_file(media), "message": "Media file assigned to section successfully"})


class MediaUnassignApi(ApiView):
    """X6 POST /content/media/{id}/unassign."""

    rate_limits = {"post": "30/minute"}

    def post(self, request: Request, media_file_id: str) -> Response:
        media = media_or_404(media_file_id)
        ident = require_media_owner(media, self.identity)
        services.media_unassign(media=media, user_id=ident.user_id)
        return ok({"message": "Media file unassigned successfully", "mediaFile": media_file(media)})


class SectionMediaReorderApi(ApiView):
    """X7 PUT /content/sections/{id}/media/reorder."""

    rate_limits = {"put": "30/minute"}

    class InputSerializer(serializers.Serializer):
        mediaOrder = List(item=Uuid(), required=True)

    def put(self, request: Request, section_id: str) -> Response:
        section = owned_section(section_id, self.identity)
        body = parsing.body(request, self.InputSerializer)
        placed = services.section_media_reorder(section=section, user_id=self.identity.user_id,
                                                media_order=body["mediaOrder"])
        return ok({"mediaFiles": [{"id": m.id, "title": m.title or m.original_filename, "orderInSection": position,
                                   "filename": m.filename, "durationSeconds": m.duration_seconds}
                                  for m, position in placed],
                   "message": "Media files reordered successfully"})


class CourseMediaApi(ApiView):
    """X8 GET /content/courses/{id}/media: every live media file of the course, by section."""

    rate_limits = {"get": "100/minute"}

    def get(self, request: Request, course_id: str) -> Response:
        course = course_or_404(course_id)
        require_owner(course, self.identity)
        sections = course_sections(course.id, include_unpublished=True)
        known = {s.id for s in sections}
        by_section: dict[str | None, list[MediaFile]] = defaultdict(list)
        for m in media_selectors.course_media(course.id):
            by_section[m.course_section_id if m.course_section_id in known else None].append(m)
        return ok({
            "courseId": course.id, "courseTitle": course.title,
            "sections": [{"sectionId": s.id, "sectionTitle": s.title, "order": s.order,
                          "mediaFiles": [media_brief(m) for m in by_section[s.id]]} for s in sections],
            "unsectionedMedia": [{**media_brief(m), "courseId": m.course_id, "courseSectionId": m.course_section_id}
                                 for m in by_section[None]],
        })
