"""Student learning routes (API.md §3.4, P20–P28), camelCase. One view per route; the order of checks
is the legacy one: 404 for the course or video, then the enrollment guard, then the body."""
from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reference_django.common import parsing
from reference_django.common.envelope import ok
from reference_django.common.exceptions import Conflict, NotFound, invalid_field
from reference_django.common.fields import Int, Number, Str, StrList
from reference_django.common.pagination import page_params, paged, paginate
from reference_django.common.serializers import iso
from reference_django.common.views import ApiView
from reference_django.courses import selectors as course_selectors
from reference_django.courses.models import Video

from . import selectors, services
from .models import QuizAttempt, VideoProgress
from .serializers import review as review_payload


class StudentCoursesApi(ApiView):
    """P20 GET /student/courses: the caller's courses, newest enrollment first, with progress."""

    rate_limits = {"get": "100/minute"}

    def get(self, request: Request) -> Response:
        user_id = self.identity.user_id
        page = page_params(request)
        enrollments, total = paginate(selectors.my_enrollments(user_id), page)
        progress = selectors.completion(user_id, (e.course_id for e in enrollments))
        items = course_selectors.summaries([e.course for e in enrollments])
        for item, e in zip(items, enrollments, strict=True):
            done, total_videos, _ = progress[e.course_id]
            item["enrollment"] = {"id": e.id, "status": e.status, "enrolledAt": iso(e.enrolled_at)}
            item["progress"] = {**selectors.completion_counts(done, total_videos),
                                "lastAccessedAt": iso(e.last_accessed)}
        return paged(ok({"courses": items, "pagination": page.meta(total)}), page, total)


ALREADY_ENROLLED = "You are already enrolled in this course"


class EnrollApi(ApiView):
    """P21 POST /student/courses/{id}/enroll."""

    rate_limits = {"post": "10/minute"}

    class InputSerializer(serializers.Serializer):
        paymentMethod = Str(max_len=50)
        couponCode = Str(max_len=50)

    def post(self, request: Request, course_id: str) -> Response:
        ident = self.identity
        ctx = selectors.course_learning(ident, course_id)
        if not ctx.course.is_published:
            raise NotFound("Course not found")
        body = parsing.body(request, self.InputSerializer)
        if ctx.enrolled:
            raise Conflict(ALREADY_ENROLLED, code="ALREADY_ENROLLED")
        try:
            e = services.enrollment_create(ctx=ctx, user=ident.user, payment_method=body.get("paymentMethod"),
                                           coupon_code=body.get("couponCode"))
        except IntegrityError:  # a concurrent enroll of the same user won the unique key
            raise Conflict(ALREADY_ENROLLED, code="ALREADY_ENROLLED") from None
        return ok({"enrollmentId": e.id, "courseId": ctx.course.id, "status": "active",
                   "enrolledAt": iso(e.enrolled_at), "message": "Successfully enrolled in the course"})


class UnenrollApi(ApiView):
    """P22 POST /student/courses/{id}/unenroll."""

    rate_limits = {"post": "10/minute"}

    def post(self, request: Request, course_id: str) -> Response:
        ident = self.identity
        ctx = selectors.course_learning(ident, course_id)
        if not ctx.enrolled:
            raise NotFound("You are not enrolled in this course")
        services.enrollment_drop(ctx=ctx, user_id=ident.user_id)
        return ok({"courseId": ctx.course.id, "status": "dropped",
                   "message": "Successfully unenrolled from the course"})


class CourseProgressApi(ApiView):
    """P23 GET /student/courses/{id}/progress."""

    rate_limits = {"get": "100/minute"}

    def get(self, request: Request, course_id: str) -> Response:
        ident = self.identity
        ctx = selectors.course_learning(ident, course_id)
        ctx.require_enrolled(ident)
        done, total, _ = selectors.completion(ident.user_id, [ctx.course.id])[ctx.course.id]
        attempted, correct = selectors.quiz_scores(ident.user_id, ctx.course.id)
        e = ctx.enrollment if ctx.enrolled else None
        cp = ctx.live_course_progress
        last_accessed = (e.last_accessed if e else None) or (cp.last_updated if cp else None)
        return ok({
            "userId": ident.user_id, "courseId": ctx.course.id, **selectors.completion_counts(done, total),
            "lastAccessedAt": iso(last_accessed),
            "certificateEarnedAt": iso(e.completed_at) if e and e.certificate_issued else None,
            "quizScores": {"attempted": attempted, "correct": correct,
                           "averageScore": selectors.percent(correct, attempted)},
        })


def video_progress_payload(user_id: str, video: Video, vp: VideoProgress | None,
                           attempts: list[QuizAttempt]) -> dict[str, Any]:
    """VideoProgress (API.md §2); a video never watched gives zeros and nulls."""
    live = vp is not None and not vp.is_deleted
    return {
        "userId": user_id, "videoId": video.id,
        "watchedSeconds": vp.watch_time if live else 0, "totalSeconds": video.duration_seconds,
        "percentComplete": float(vp.completion_percentage) if live else 0.0,
        "lastPosition": vp.last_position if live else 0,
        "playbackSpeed": float(vp.playback_speed) if live else 1.0,
        "lastWatchedAt": iso(vp.updated_at) if live else None,
        "completedAt": iso(vp.completed_at) if live else None,
        "quizAttempts": [{"quizId": a.quiz_id, "answer": (a.answers or {}).get("answer"), "correct": a.is_passed,
                          "attemptedAt": iso(a.completed_at or a.started_at)} for a in attempts],
        "reflectionCount": 0,  # the legacy system stores no reflections or bookmarks (API.md §2)
        "bookmarks": [],
    }


class VideoProgressApi(ApiView):
    """P24 GET and P25 PUT /student/videos/{id}/progress."""

    rate_limits = {"get": "100/minute", "put": "500/minute"}

    class InputSerializer(serializers.Serializer):
        watchedSeconds = Int(required=True, min=0)
        lastPosition = Int(min=0)
        playbackSpeed = Number(gt=0)

    def get(self, request: Request, video_id: str) -> Response:
        ident = self.identity
        ctx = selectors.video_learning(ident, video_id)
        return ok(video_progress_payload(ident.user_id, ctx.video, ctx.video_progress,
                                         selectors.video_attempts(ident.user_id, ctx.video.id)))

    def put(self, request: Request, video_id: str) -> Response:
        ident = self.identity
        ctx = selectors.video_learning(ident, video_id)
        if not (ctx.video.is_preview and ctx.course.is_published):  # a preview needs no enrollment
            ctx.require_enrolled(ident)
        body = parsing.body(request, self.InputSerializer)
        vp = services.video_progress_update(ctx=ctx, user_id=ident.user_id, watched_seconds=body["watchedSeconds"],
                                            last_position=body.get("lastPosition"),
                                            playback_speed=body.get("playbackSpeed"))
        return ok({"videoId": ctx.video.id, "watchedSeconds": vp.watch_time, "lastPosition": vp.last_position,
                   "playbackSpeed": float(vp.playback_speed), "percentComplete": float(vp.completion_percentage),
                   "completed": vp.completed})


class CompleteVideoApi(ApiView):
    """P26 POST /student/videos/{id}/complete."""

    rate_limits = {"post": "50/minute"}

    def post(self, request: Request, video_id: str) -> Response:
        ident = self.identity
        ctx = selectors.video_learning(ident, video_id)
        ctx.require_enrolled(ident)
        vp, counts = services.video_complete(ctx=ctx, user_id=ident.user_id)
        return ok({"videoId": ctx.video.id, "completed": True, "completedAt": iso(vp.completed_at),
                   "courseProgress": counts})


class QuizAnswerApi(ApiView):
    """P27 POST /student/videos/{id}/quiz/{quizId}/answer."""

    rate_limits = {"post": "50/minute"}

    class InputSerializer(serializers.Serializer):
        answer = Int(required=True)
        timeSpent = Int(min=0)

    def post(self, request: Request, video_id: str, quiz_id: str) -> Response:
        ident = self.identity
        ctx = selectors.video_learning(ident, video_id)
        ctx.require_enrolled(ident)
        quiz = selectors.video_quiz(ident.user_id, ctx.video.id, quiz_id)
        if quiz is None:
            raise NotFound("Quiz not found for this video")
        body = parsing.body(request, self.InputSerializer)
        options = len(quiz.options or [])
        if not 0 <= body["answer"] < options:
            raise invalid_field("answer", f"must be an option index from 0 to {options - 1}")
        attempt = services.quiz_attempt_create(ctx=ctx, user_id=ident.user_id, quiz=quiz, answer=body["answer"],
                                               time_spent=body.get("timeSpent", 0))
        return ok({"quizId": quiz.id, "correct": attempt.is_passed, "correctAnswer": quiz.correct_answer,
                   "explanation": quiz.explanation, "attemptNumber": attempt.attempt_number})


class CourseReviewApi(ApiView):
    """P28 POST /student/courses/{id}/review: 201 when created, 200 when updated."""

    rate_limits = {"post": "10/minute"}

    class InputSerializer(serializers.Serializer):
        rating = Int(required=True, min=1, max=5)
        comment = Str()
        title = Str(max_len=255, allow_null=True)
        pros = StrList()
        cons = StrList()

    def post(self, request: Request, course_id: str) -> Response:
        ident = self.identity
        ctx = selectors.course_learning(ident, course_id)
        ctx.require_enrolled(ident)
        body = parsing.body(request, self.InputSerializer)
        review, created = services.review_upsert(ctx=ctx, user=ident.user,
                                                 review=selectors.review_of(ident.user_id, ctx.course.id),
                                                 rating=body["rating"], fields=body)
        return ok(review_payload(review), 201 if created else 200)
