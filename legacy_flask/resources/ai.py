"""AI features (API.md §3.6, P41–P46). camelCase.

The text comes from `ai_stub`, a deterministic local stand-in for the LLM (the contract binds only
the shapes). The numbers are real: P45 reads enrollment and progress rows, P46 enrollments and
`course_recommendations`, P43/P44 store and replay `ai_chats` (one row per user message and reply).
"""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

import sqlalchemy as sa

import ai_stub

from .. import course_views, db
from ..access import can_access
from ..api import Api, ApiResource
from ..auth.identity import authenticated, current
from ..envelope import ok
from ..errors import Forbidden, invalid_field
from ..models import (
    AIChat,
    Course,
    CourseProgress,
    CourseRecommendation,
    Enrollment,
    Quiz,
    Video,
    VideoProgress,
    new_id,
    utcnow,
)
from ..serializers import iso
from ..validation import Nested, Number, Str, StrList, parse_body, parse_query
from .instructor import owned_course, video_and_course

LIVE_ENROLLMENT = ("active", "completed")


# --- P41 --------------------------------------------------------------------------------------------

def course_facts(course: Course) -> ai_stub.CourseFacts:
    """The course and one aggregate row per live video (its quiz-point count), in one query."""
    quiz_points = (sa.select(sa.func.count(Quiz.id))
                   .where(Quiz.video_id == Video.id, Quiz.is_deleted.is_(False)).scalar_subquery())
    videos = db.session().execute(
        sa.select(Video.is_preview, Video.description, Video.duration_seconds, quiz_points)
        .where(Video.course_id == course.id, Video.is_deleted.is_(False))).all()
    return ai_stub.CourseFacts(
        title=course.title, description=course.description or "", short_description=course.short_description or "",
        has_thumbnail=bool(course.thumbnail_url), tags=len(course.tags or []),
        learning_outcomes=len(course.learning_outcomes or []), prerequisites=len(course.prerequisites or []),
        target_audience=len(course.target_audience or []), video_count=len(videos),
        preview_count=sum(1 for v in videos if v.is_preview),
        videos_without_quiz=sum(1 for v in videos if not v[3]),
        videos_without_description=sum(1 for v in videos if not (v.description or "").strip()),
        total_video_seconds=sum(v.duration_seconds for v in videos),
        rating=float(course.rating), rating_count=course.rating_count)


class CourseRecommendations(ApiResource):
    rate_limits = {"get": "50/minute"}

    @authenticated
    def get(self, course_id: str):  # P41
        (course,) = owned_course(course_id)
        return ok({"courseId": course.id, "recommendations": ai_stub.course_improvements(course_facts(course))})


# --- P42 --------------------------------------------------------------------------------------------

class GenerateOutline(ApiResource):
    rate_limits = {"post": "20/minute"}

    @authenticated
    def post(self):  # P42
        body = parse_body({
            "topic": Str(required=True, min_len=1, max_len=200),
            "level": Str(choices=ai_stub.LEVELS, nullable=True),
            "duration": Number(gt=0, max=500, nullable=True),  # hours
            "targetAudience": Str(max_len=500, nullable=True),
            "learningGoals": StrList(max_items=20, nullable=True),
        })
        return ok(ai_stub.course_outline(body["topic"], level=body.get("level"), duration_hours=body.get("duration"),
                                         target_audience=body.get("targetAudience"),
                                         learning_goals=body.get("learningGoals") or ()))


# --- P43, P44 ---------------------------------------------------------------------------------------

VIDEO_CONTEXT = Nested(spec={"startTime": Number(required=True, min=0), "endTime": Number(required=True, min=0),
                             "content": Str(required=True), "segmentId": Str(max_len=100)})


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


class VideoChat(ApiResource):
    rate_limits = {"get": "100/minute", "post": "50/minute"}

    @authenticated
    def get(self, video_id: str):  # P43
        ident = current()
        video, _course = video_and_course(video_id)
        session_id = parse_query({"sessionId": Str(max_len=36)}).get("sessionId")
        mine = sa.and_(AIChat.user_id == ident.user_id, AIChat.video_id == video.id, AIChat.is_deleted.is_(False))
        if session_id is None:  # the caller's latest conversation about this video
            session_id = (sa.select(AIChat.session_id).where(mine)
                          .order_by(AIChat.created_at.desc(), AIChat.id.desc()).limit(1).scalar_subquery())
        rows = list(db.session().scalars(sa.select(AIChat).where(mine, AIChat.session_id == session_id)
                                         .order_by(AIChat.created_at, AIChat.id)))
        return ok({
            "id": rows[0].session_id if rows else None, "userId": ident.user_id, "videoId": video.id,
            "messages": [m for row in rows for m in (user_message(row), assistant_message(row))],
            "contextSegments": [], "createdAt": iso(rows[0].created_at) if rows else None,
        })

    @authenticated
    def post(self, video_id: str):  # P44
        ident = current()
        video, course = video_and_course(video_id)
        if not (video.is_preview and course.is_published) and not can_access(course, ident):
            raise Forbidden("You need access to this course to chat about its videos", code="NOT_ENROLLED")
        body = parse_body({"message": Str(required=True, min_len=1, max_len=4000),
                           "videoContext": VIDEO_CONTEXT, "sessionId": Str(max_len=36, nullable=True)})
        context = body.get("videoContext")
        if context and context["endTime"] < context["startTime"]:
            raise invalid_field("videoContext", "'endTime' must not be before 'startTime'")
        intent = ai_stub.detect_intent(body["message"])
        reply = ai_stub.chat_reply(body["message"], intent=intent, video_title=video.title, course_title=course.title,
                                   context=context)
        row = AIChat(id=new_id(), user_id=ident.user_id, course_id=course.id, video_id=video.id,
                     session_id=body.get("sessionId") or new_id(),  # "" or absent starts a new session
                     message=body["message"], response=reply, message_type="question",
                     context_data={"intent": intent, **({"videoContext": context} if context else {})},
                     tokens_used=ai_stub.estimate_tokens(body["message"], reply), created_by_id=ident.user_id)
        db.session().add(row)
        db.session().commit()
        return ok({**assistant_message(row), "sessionId": row.session_id})


# --- P45 --------------------------------------------------------------------------------------------

def enrolled_in(course_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(Enrollment.course_id == course_id, Enrollment.is_deleted.is_(False),
                   Enrollment.status.in_(LIVE_ENROLLMENT))


def enrollment_metrics(course_id: str) -> dict[str, Any]:
    """enrollments, activeStudents (started at least one video), completionRate and avgProgress, in one query."""
    started = sa.exists().where(VideoProgress.user_id == Enrollment.user_id, VideoProgress.course_id == course_id,
                                VideoProgress.is_deleted.is_(False))
    finished = sa.or_(Enrollment.status == "completed", Enrollment.completed_at.is_not(None))
    total, active, completed, avg_progress = db.session().execute(
        sa.select(sa.func.count(Enrollment.id), sa.func.sum(sa.case((started, 1), else_=0)),
                  sa.func.sum(sa.case((finished, 1), else_=0)),
                  sa.func.avg(sa.func.coalesce(CourseProgress.completion_percentage, 0.0)))
        .select_from(Enrollment)
        .outerjoin(CourseProgress, sa.and_(CourseProgress.user_id == Enrollment.user_id,
                                           CourseProgress.course_id == course_id, CourseProgress.section_id.is_(None),
                                           CourseProgress.is_deleted.is_(False)))
        .where(enrolled_in(course_id))).one()
    total = int(total or 0)
    return {"enrollments": total, "activeStudents": int(active or 0),
            "completionRate": round(100.0 * int(completed or 0) / total, 2) if total else 0.0,
            "avgProgress": round(float(avg_progress or 0.0), 2)}


def drop_off_points(course_id: str, enrollments: int) -> tuple[list[dict[str, Any]], int]:
    """Where enrolled students stop: for each video in order, the share of the previous video's
    viewers (the enrolled students, for the first) who never started it, with the average position
    at which its unfinished viewers stopped. Only videos that lose viewers are listed."""
    enrolled_users = sa.select(Enrollment.user_id).where(enrolled_in(course_id))
    rows = db.session().execute(
        sa.select(Video.id, Video.title, sa.func.count(sa.distinct(VideoProgress.user_id)),
                  sa.func.avg(sa.case((VideoProgress.completed.is_(False), VideoProgress.last_position))))
        .outerjoin(VideoProgress, sa.and_(VideoProgress.video_id == Video.id, VideoProgress.is_deleted.is_(False),
                                          VideoProgress.user_id.in_(enrolled_users)))
        .where(Video.course_id == course_id, Video.is_deleted.is_(False))
        .group_by(Video.id, Video.title, Video.order, Video.created_at)
        .order_by(Video.order, Video.created_at, Video.id)).all()
    points = []
    previous = enrollments
    for video_id, title, viewers, stopped_at in rows:
        if previous and viewers < previous:
            points.append({"videoId": video_id, "title": title, "timestamp": int(round(float(stopped_at or 0))),
                           "dropOffRate": round(100.0 * (previous - viewers) / previous, 2)})
        previous = viewers
    return points, len(rows)


class AnalyzeEngagement(ApiResource):
    rate_limits = {"get": "30/minute"}

    @authenticated
    def get(self, course_id: str):  # P45
        (course,) = owned_course(course_id)
        metrics = enrollment_metrics(course.id)
        points, video_count = drop_off_points(course.id, metrics["enrollments"])
        insights, areas = ai_stub.engagement_insights(metrics, points, video_count)
        return ok({"courseId": course.id, "metrics": metrics, "dropOffPoints": points, "insights": insights,
                   "improvementAreas": areas, "generatedAt": iso(utcnow())})


# --- P46 --------------------------------------------------------------------------------------------

RECOMMENDED_STEPS = 10


class LearningPath(ApiResource):
    rate_limits = {"get": "30/minute"}

    @authenticated
    def get(self):  # P46
        uid = current().user_id
        s = db.session()
        mine = sa.and_(Enrollment.user_id == uid, Enrollment.is_deleted.is_(False),
                       Enrollment.status.in_(LIVE_ENROLLMENT))
        enrolled = s.execute(
            sa.select(Course, sa.func.coalesce(CourseProgress.completion_percentage, 0.0))
            .join(Enrollment, sa.and_(Enrollment.course_id == Course.id, mine))
            .outerjoin(CourseProgress, sa.and_(CourseProgress.user_id == uid, CourseProgress.course_id == Course.id,
                                               CourseProgress.section_id.is_(None),
                                               CourseProgress.is_deleted.is_(False)))
            .where(Course.is_deleted.is_(False))
            .order_by(Enrollment.enrolled_at, Course.id)).all()
        now = utcnow()
        recommended = s.execute(
            sa.select(Course, CourseRecommendation.reason)
            .join(CourseRecommendation, sa.and_(
                CourseRecommendation.course_id == Course.id, CourseRecommendation.user_id == uid,
                CourseRecommendation.is_deleted.is_(False), CourseRecommendation.is_dismissed.is_(False),
                sa.or_(CourseRecommendation.expires_at.is_(None), CourseRecommendation.expires_at > now)))

            .where(Course.is_deleted.is_(False), Course.is_published.is_(True), Course.instructor_id != uid,
                   Course.id.not_in(sa.select(Enrollment.course_id).where(mine)))
            .order_by(CourseRecommendation.score.desc(), Course.id).limit(RECOMMENDED_STEPS)).all()
        courses = [c for c, _ in enrolled] + [c for c, _ in recommended]
        reasons = [ai_stub.enrolled_reason(c.title, float(pct)) for c, pct in enrolled] + \
                  [ai_stub.recommended_reason(c.title, reason) for c, reason in recommended]
        statuses = ["enrolled"] * len(enrolled) + ["recommended"] * len(recommended)
        summaries = course_views.summaries(courses)
        steps = [{"order": n, "course": summary, "reason": reason, "status": status}
                 for n, (summary, reason, status) in enumerate(zip(summaries, reasons, statuses, strict=True), start=1)]
        return ok({"steps": steps, "generatedAt": iso(now)})


def register(api: Api) -> None:
    api.add_resource(GenerateOutline, "/api/v1/ai/courses/generate-outline", endpoint="ai_generate_outline")
    api.add_resource(CourseRecommendations, "/api/v1/ai/courses/<course_id>/recommendations",
                     endpoint="ai_course_recommendations")
    api.add_resource(AnalyzeEngagement, "/api/v1/ai/courses/<course_id>/analyze-engagement",
                     endpoint="ai_analyze_engagement")
    api.add_resource(VideoChat, "/api/v1/ai/videos/<video_id>/chat", endpoint="ai_video_chat")
    api.add_resource(LearningPath, "/api/v1/ai/users/learning-path", endpoint="ai_learning_path")
