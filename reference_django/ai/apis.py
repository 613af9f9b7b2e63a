"""AI routes (API.md §3.6, P41–P46), camelCase. The text comes from `ai_stub` (deterministic, and the
one the legacy app answers from); the numbers come from the selectors."""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

import ai_stub
from reference_django.common import parsing
from reference_django.common.access import can_access, course_or_404, require_owner
from reference_django.common.envelope import ok
from reference_django.common.exceptions import Forbidden, invalid_field
from reference_django.common.fields import Nested, Number, QuerySerializer, Str, StrList
from reference_django.common.serializers import iso
from reference_django.common.views import ApiView
from reference_django.courses import selectors as course_selectors
from reference_django.courses.models import Course

from . import selectors, services
from .models import AIChat


def require_owner_of(course_id: str, view: ApiView) -> Course:
    """The live course (404), if the caller owns it or is an admin (403)."""
    course = course_or_404(course_id)
    require_owner(course, view.identity)
    return course


class CourseRecommendationsApi(ApiView):
    """P41 GET /ai/courses/{id}/recommendations: suggestions to the course's owner."""

    rate_limits = {"get": "50/minute"}

    def get(self, request: Request, course_id: str) -> Response:
        course = require_owner_of(course_id, self)
        recommendations = ai_stub.course_improvements(selectors.course_facts(course))
        return ok({"courseId": course.id, "recommendations": recommendations})


class GenerateOutlineApi(ApiView):
    """P42 POST /ai/courses/generate-outline."""

    rate_limits = {"post": "20/minute"}

    class InputSerializer(serializers.Serializer):
        topic = Str(required=True, min_len=1, max_len=200)
        level = Str(choices=ai_stub.LEVELS, allow_null=True)
        duration = Number(gt=0, max=500, allow_null=True)  # hours
        targetAudience = Str(max_len=500, allow_null=True)
        learningGoals = StrList(max_items=20, allow_null=True)

    def post(self, request: Request) -> Response:
        body = parsing.body(request, self.InputSerializer)
        return ok(ai_stub.course_outline(body["topic"], level=body.get("level"), duration_hours=body.get("duration"),
                                         target_audience=body.get("targetAudience"),
                                         learning_goals=body.get("learningGoals") or ()))


# --- P43, P44 ---------------------------------------------------------------------------------------

def assistant_message_id(chat_id: str) -> str:
    """A row holds two messages; the reply's id is derived from the row's, so it is stable."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"{chat_id}:assistant".encode()).digest()[:16], version=4))


def user_message(row: AIChat) -> dict[str, Any]:
    context = row.context_data or {}
    out = {"id": row.id, "role": "user", "content": row.message, "timestamp": iso(row.created_at),
           "videoContext": context.get("videoContext") or {}}
    if context.get("intent"):
        out["intent"] = context["intent"]
    return out


def assistant_message(row: AIChat) -> dict[str, Any]:
    context = row.context_data or {}
    out = {"id": assistant_message_id(row.id), "role": "assistant", "content": row.response,
           "timestamp": iso(row.created_at)}
    if context.get("intent"):
        out["intent"] = context["intent"]
    return out


class VideoChatApi(ApiView):
    """P43 GET (the conversation) and P44 POST (ask the tutor) /ai/videos/{id}/chat."""

    rate_limits = {"get": "100/minute", "post": "50/minute"}

    class ChatQuery(QuerySerializer):
        sessionId = Str(max_len=36)

    class InputSerializer(serializers.Serializer):
        message = Str(required=True, min_len=1, max_len=4000)
        videoContext = Nested(spec={"startTime": Number(required=True, min=0),
                                    "endTime": Number(required=True, min=0),
                                    "content": Str(required=True), "segmentId": Str(max_len=100)})
        sessionId = Str(max_len=36, allow_null=True)

    def get(self, request: Request, video_id: str) -> Response:
        ident = self.identity
        video = selectors.video_with_course(video_id)
        session_id = parsing.query(request, self.ChatQuery).get("sessionId")
        rows = selectors.chat_history(ident.user_id, video.id, session_id)
        return ok({
            "id": rows[0].session_id if rows else None, "userId": ident.user_id, "videoId": video.id,
            "messages": [m for row in rows for m in (user_message(row), assistant_message(row))],
            "contextSegments": [], "createdAt": iso(rows[0].created_at) if rows else None,
        })

    def post(self, request: Request, video_id: str) -> Response:
        ident = self.identity
        video = selectors.video_with_course(video_id)
        course = video.course
        if not (video.is_preview and course.is_published) and not can_access(course, ident):
            raise Forbidden("You need access to this course to chat about its videos", code="NOT_ENROLLED")
        body = parsing.body(request, self.InputSerializer)
        context = body.get("videoContext")
        if context and context["endTime"] < context["startTime"]:
            raise invalid_field("videoContext", "'endTime' must not be before 'startTime'")
        row = services.ai_chat_create(user=ident.user, video=video, message=body["message"], video_context=context,
                                      session_id=body.get("sessionId"))
        return ok({**assistant_message(row), "sessionId": row.session_id})


# --- P45, P46 ---------------------------------------------------------------------------------------

class AnalyzeEngagementApi(ApiView):
    """P45 GET /ai/courses/{id}/analyze-engagement: for the course's owner."""

    rate_limits = {"get": "30/minute"}

    def get(self, request: Request, course_id: str) -> Response:
        course = require_owner_of(course_id, self)
        metrics = selectors.enrollment_metrics(course.id)
        points, video_count = selectors.drop_off_points(course.id, metrics["enrollments"])
        insights, areas = ai_stub.engagement_insights(metrics, points, video_count)
        return ok({"courseId": course.id, "metrics": metrics, "dropOffPoints": points, "insights": insights,
                   "improvementAreas": areas, "generatedAt": iso(timezone.now())})


class LearningPathApi(ApiView):
    """P46 GET /ai/users/learning-path: the caller's courses, then recommended ones."""

    rate_limits = {"get": "30/minute"}

    def get(self, request: Request) -> Response:
        user_id = self.identity.user_id
        now = timezone.now()
        enrolled = selectors.enrolled_courses(user_id)
        recommended = selectors.recommended_courses(user_id, now)
        reasons = [ai_stub.enrolled_reason(c.title, float(c.percent_complete)) for c in enrolled] + \
                  [ai_stub.recommended_reason(c.title, c.recommendation_reason) for c in recommended]
        statuses = ["enrolled"] * len(enrolled) + ["recommended"] * len(recommended)
        summaries = course_selectors.summaries(enrolled + recommended)
        steps = [{"order": n, "course": summary, "reason": reason, "status": status}
                 for n, (summary, reason, status) in enumerate(zip(summaries, reasons, statuses, strict=True), start=1)]
        return ok({"steps": steps, "generatedAt": iso(now)})
