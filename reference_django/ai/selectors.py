"""AI feature reads (API.md §3.6, P41–P46).

The text comes from `ai_stub`, the deterministic stand-in for the LLM that both bundled apps share;
the numbers are real: P45 reads enrollment and progress rows, P46 enrollments and
`course_recommendations`, P43 replays `ai_chats`. Each read is one query.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

import ai_stub
from reference_django.common.exceptions import NotFound
from reference_django.common.fields import is_uuid
from reference_django.courses.models import Course, Quiz, Video
from reference_django.learning.models import Enrollment, VideoProgress
from reference_django.learning.selectors import ENROLLED_STATUSES

from .models import AIChat

#: Steps of P46 taken from the stored recommendations, at most.
RECOMMENDED_STEPS = 10


def video_with_course(video_id: str) -> Video:
    """The live video with its live course (`video.course`), in one query; 404 "Video not found" when
    either is missing or deleted (neither quiz points nor the owner are loaded)."""
    if not is_uuid(video_id):
        raise NotFound("Video not found")
    video = (Video.objects.filter(pk=video_id.lower(), is_deleted=False, course__is_deleted=False)
             .select_related("course").first())
    if video is None:
        raise NotFound("Video not found")
    return video


# --- P41 --------------------------------------------------------------------------------------------

def course_facts(course: Course) -> ai_stub.CourseFacts:
    """The course and one aggregate row per live video (its live quiz-point count), in one query."""
    quiz_points = (Quiz.objects.filter(video_id=OuterRef("pk"), is_deleted=False).order_by()
                   .values("video_id").annotate(n=Count("id")).values("n"))
    videos = list(Video.objects.filter(course_id=course.id, is_deleted=False)
                  .annotate(quiz_points=Coalesce(Subquery(quiz_points, output_field=IntegerField()), 0))
                  .values_list("is_preview", "description", "duration_seconds", "quiz_points"))
    return ai_stub.CourseFacts(
        title=course.title, description=course.description or "", short_description=course.short_description or "",
        has_thumbnail=bool(course.thumbnail_url), tags=len(course.tags or []),
        learning_outcomes=len(course.learning_outcomes or []), prerequisites=len(course.prerequisites or []),
        target_audience=len(course.target_audience or []), video_count=len(videos),
        preview_count=sum(1 for preview, *_ in videos if preview),
        videos_without_quiz=sum(1 for *_, quizzes in videos if not quizzes),
        videos_without_description=sum(1 for _, description, *_ in videos if not (description or "").strip()),
        total_video_seconds=sum(seconds for _, _, seconds, _ in videos),
        rating=float(course.rating), rating_count=course.rating_count)


# --- P43 --------------------------------------------------------------------------------------------

def chat_history(user_id: str, video_id: str, session_id: str | None) -> list[AIChat]:
    """The caller's exchanges about the video in one conversation, oldest first; without
    `session_id`, the caller's latest conversation about the video."""
    mine = AIChat.objects.filter(user_id=user_id, video_id=video_id, is_deleted=False)
    session: Any = session_id
    if session is None:
        session = Subquery(mine.order_by("-created_at", "-id").values("session_id")[:1])
    return list(mine.filter(session_id=session).order_by("created_at", "id"))


# --- P45 --------------------------------------------------------------------------------------------

def _enrolled_in(course_id: str):
    return Enrollment.objects.filter(course_id=course_id, is_deleted=False, status__in=ENROLLED_STATUSES)


def enrollment_metrics(course_id: str) -> dict[str, Any]:
    """enrollments, activeStudents (started at least one video), completionRate and avgProgress."""
    started = Exists(VideoProgress.objects.filter(user_id=OuterRef("user_id"), course_id=course_id,
                                                  is_deleted=False))
    finished = Q(status="completed") | Q(completed_at__isnull=False)
    progress = "user__course_progress"
    totals = (_enrolled_in(course_id)
              .annotate(progress=FilteredRelation(progress, condition=Q(**{
                  f"{progress}__course_id": course_id, f"{progress}__section__isnull": True,
                  f"{progress}__is_deleted": False})))
              .aggregate(total=Count("id"),
                         active=Sum(Case(When(started, then=Value(1)), default=Value(0), output_field=IntegerField())),
                         completed=Sum(Case(When(finished, then=Value(1)), default=Value(0),
                                            output_field=IntegerField())),
                         avg_progress=Avg(Coalesce("progress__completion_percentage", Value(0.0)))))
    total = int(totals["total"] or 0)
    return {"enrollments": total, "activeStudents": int(totals["active"] or 0),
            "completionRate": round(100.0 * int(totals["completed"] or 0) / total, 2) if total else 0.0,
            "avgProgress": round(float(totals["avg_progress"] or 0.0), 2)}


def drop_off_points(course_id: str, enrollments: int) -> tuple[list[dict[str, Any]], int]:
    """Where enrolled students stop: for each video in order, the share of the previous video's
    viewers (the enrolled students, for the first) who never started it, with the average position
    at which its unfinished viewers stopped. Only videos that lose viewers are listed.
    Returns (points, number of live videos)."""
    # Legacy joins only the enrolled viewers' live progress; a filtered aggregate over every progress
    # row of the video counts the same (a FilteredRelation cannot hold the enrolled-users subquery).
    viewing = Q(progress__is_deleted=False, progress__user_id__in=_enrolled_in(course_id).values("user_id"))
    rows = (Video.objects.filter(course_id=course_id, is_deleted=False)
            .values("id", "title", "order", "created_at")
            .annotate(viewers=Count("progress__user_id", distinct=True, filter=viewing),
                      stopped_at=Avg(Case(When(viewing & Q(progress__completed=False),
                                               then=F("progress__last_position")))))
            .order_by("order", "created_at", "id")
            .values_list("id", "title", "viewers", "stopped_at"))
    points = []
    previous = enrollments
    video_count = 0
    for video_id, title, viewers, stopped_at in rows:
        video_count += 1
        if previous and viewers < previous:
            points.append({"videoId": video_id, "title": title, "timestamp": int(round(float(stopped_at or 0))),
                           "dropOffRate": round(100.0 * (previous - viewers) / previous, 2)})
        previous = viewers
    return points, video_count


# --- P46 --------------------------------------------------------------------------------------------

def enrolled_courses(user_id: str) -> list[Course]:
    """The caller's live enrollments' courses, oldest enrollment first, each with its instructor and
    `percent_complete` (course-level progress, 0 when none)."""
    return list(Course.objects.filter(is_deleted=False, enrollments__user_id=user_id,
                                      enrollments__is_deleted=False, enrollments__status__in=ENROLLED_STATUSES)
                .annotate(progress=FilteredRelation("course_progress", condition=Q(
                    course_progress__user_id=user_id, course_progress__section__isnull=True,
                    course_progress__is_deleted=False)),
                    percent_complete=Coalesce("progress__completion_percentage", Value(0.0)))
                .select_related("instructor").order_by("enrollments__enrolled_at", "id"))


def recommended_courses(user_id: str, now: datetime) -> list[Course]:
    """Up to RECOMMENDED_STEPS published courses recommended to the caller (live, not dismissed, not
    expired), best score first, leaving out the caller's own and enrolled courses; each with its
    instructor and the stored `recommendation_reason`."""
    mine = Enrollment.objects.filter(user_id=user_id, is_deleted=False, status__in=ENROLLED_STATUSES)
    return list(Course.objects.filter(is_deleted=False, is_published=True)
                .exclude(instructor_id=user_id).exclude(id__in=mine.values("course_id"))
                .annotate(recommendation=FilteredRelation("recommendations", condition=Q(
                    Q(recommendations__expires_at__isnull=True) | Q(recommendations__expires_at__gt=now),
                    recommendations__user_id=user_id, recommendations__is_deleted=False,
                    recommendations__is_dismissed=False)))
                .filter(recommendation__id__isnull=False)
                .annotate(recommendation_reason=F("recommendation__reason"))
                .select_related("instructor").order_by("-recommendation__score", "id")[:RECOMMENDED_STEPS])
