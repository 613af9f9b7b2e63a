"""Student learning writes (API.md §3.4, P21–P28).

Each service writes what one route changes in one transaction, as the legacy unit of work does:
new rows are INSERTed, loaded rows get an optimistic-locked UPDATE of the columns that really
changed (none changed: no statement and no version bump), and course counters move in one UPDATE
statement that bumps `courses.version`. Socket.IO events (API.md §4.2) and course-cache
invalidation run only once the transaction has committed.
"""
from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Avg, Case, Count, F, Subquery, Value, When
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from reference_django.accounts.models import User
from reference_django.common import events
from reference_django.common.models import BaseModel
from reference_django.courses import cache as course_cache
from reference_django.courses.models import Course, Quiz

from .models import CourseProgress, Enrollment, QuizAttempt, Review, VideoProgress
from .selectors import Learning, completion, completion_counts, percent


class _Tracked:
    """A row and the values it was loaded with, so `save` writes only the net changes (SQLAlchemy's
    flush does the same: a value set back to what it was is not written and bumps no version)."""

    def __init__(self, row: BaseModel) -> None:
        self.row = row
        self.loaded: dict[str, Any] | None = None if row._state.adding else {
            f.attname: deepcopy(getattr(row, f.attname)) for f in row._meta.concrete_fields if f.attname != "version"}

    def save(self) -> None:
        if self.loaded is None:
            self.row.save(force_insert=True)
            return
        changed = [name for name, value in self.loaded.items() if getattr(self.row, name) != value]
        if changed:
            self.row.save_versioned(changed)


def _revive(row: BaseModel) -> None:
    row.is_deleted, row.deleted_at, row.deleted_by_id = False, None, None


def _bump_course(course: Course, **counters: Any) -> None:
    """One UPDATE of course counters (no lost update between concurrent requests); like every
    UPDATE it bumps `version` (SCHEMA.md §1). The course's cached card and detail show the counters,
    and an enrolment count is also the instructor's student count, shown with each of their courses."""
    Course.objects.filter(pk=course.id).update(**counters, version=F("version") + 1, updated_at=timezone.now())
    if "enrollment_count" in counters:  # invalidated after the commit; its reviews stay as they are
        course_cache.invalidate_course(course.id, ("card", "detail"))
        course_cache.invalidate_instructor(course.instructor_id)
    else:
        course_cache.invalidate_course(course.id)


def _after_commit(event: str, payload: dict[str, Any], *rooms: str) -> None:
    # `events.emit` is looked up when the event is sent, so a replaced emitter (tests) is honoured.
    transaction.on_commit(lambda: events.emit(event, payload, *rooms))


def _video_progress(ctx: Learning, user_id: str) -> _Tracked:
    vp = ctx.video_progress
    if vp is None:
        vp = VideoProgress(user_id=user_id, video_id=ctx.video.id, course_id=ctx.course.id, watch_time=0,
                           last_position=0, completed=False, completion_percentage=0.0, playback_speed=1.0)
        ctx.video_progress = vp
        return _Tracked(vp)
    tracked = _Tracked(vp)
    if vp.is_deleted:  # the unique key covers soft-deleted rows: revive it as a fresh start
        _revive(vp)
        vp.watch_time, vp.last_position, vp.completed, vp.completion_percentage = 0, 0, False, 0.0
        vp.playback_speed, vp.completed_at = 1.0, None
    return tracked


def _course_progress(ctx: Learning, user_id: str) -> _Tracked:
    cp = ctx.course_progress
    if cp is None:
        cp = CourseProgress(user_id=user_id, course_id=ctx.course.id, section_id=None, completed_videos=[],
                            total_watch_time=0, completion_percentage=0.0)
        ctx.course_progress = cp
        return _Tracked(cp)
    tracked = _Tracked(cp)
    if cp.is_deleted:
        _revive(cp)
        cp.completed_videos, cp.total_watch_time, cp.completion_percentage = [], 0, 0.0
    return tracked


def _touch_enrollment(ctx: Learning, now: datetime, **values: Any) -> None:
    """Marks an enrolled caller's enrollment as accessed `now`, with any other `values`."""
    if not ctx.enrolled:
        return
    tracked = _Tracked(ctx.enrollment)
    ctx.enrollment.last_accessed = now
    for name, value in values.items():
        setattr(ctx.enrollment, name, value)
    tracked.save()


# --- P21, P22 -------------------------------------------------------------------------------------

@transaction.atomic
def enrollment_create(*, ctx: Learning, user: User, payment_method: str | None,
                      coupon_code: str | None) -> Enrollment:
    """Enrolls `user` (not enrolled yet): a new row, or the dropped, expired or soft-deleted one revived,
    since (user, course) is unique. A concurrent enroll of the same user raises IntegrityError."""
    now = timezone.now()
    e = ctx.enrollment
    if e is None:
        tracked = _Tracked(Enrollment(user_id=user.id, course_id=ctx.course.id, created_by_id=user.id))
    else:
        tracked = _Tracked(e)
        _revive(e)
        e.completed_at, e.certificate_issued, e.updated_by_id = None, False, user.id
    e = tracked.row
    e.status, e.enrolled_at = "active", now
    e.payment_method, e.coupon_code = payment_method, coupon_code
    tracked.save()
    _bump_course(ctx.course, enrollment_count=F("enrollment_count") + 1)
    _after_commit("new_enrollment", {"user_id": user.id, "user_email": user.email,
                                     "message": f"{user.email} enrolled in the course"},
                  events.course_room(ctx.course.id), events.instructor_room(ctx.course.id))
    return e


@transaction.atomic
def enrollment_drop(*, ctx: Learning, user_id: str) -> Enrollment:
    e = ctx.enrollment
    tracked = _Tracked(e)
    e.status, e.updated_by_id = "dropped", user_id
    tracked.save()
    _bump_course(ctx.course, enrollment_count=Case(When(enrollment_count__gt=0, then=F("enrollment_count") - 1),
                                                      default=Value(0)))
    return e


# --- P25, P26 -------------------------------------------------------------------------------------

@transaction.atomic
def video_progress_update(*, ctx: Learning, user_id: str, watched_seconds: int, last_position: int | None = None,
                          playback_speed: float | None = None) -> VideoProgress:
    """Stores the watch state sent; only the fields sent change. Watch time accumulates into the
    course-level total by its difference. Never completes the video."""
    now = timezone.now()
    video = ctx.video
    tracked_vp = _video_progress(ctx, user_id)
    vp = tracked_vp.row
    watched_before = vp.watch_time or 0
    vp.watch_time = watched_seconds
    if last_position is not None:
        vp.last_position = last_position
    if playback_speed is not None:
        vp.playback_speed = playback_speed
    vp.completion_percentage = percent(vp.watch_time, video.duration_seconds)
    vp.updated_at = now  # lastWatchedAt moves even when the values sent are unchanged
    tracked_vp.save()

    tracked_cp = _course_progress(ctx, user_id)
    cp = tracked_cp.row
    cp.last_video_id, cp.last_updated = video.id, now
    cp.total_watch_time = max(0, (cp.total_watch_time or 0) + vp.watch_time - watched_before)
    tracked_cp.save()
    _touch_enrollment(ctx, now)
    _after_commit("progress_update", {"user_id": user_id, "video_id": video.id, "watched_seconds": vp.watch_time,
                                      "percent_complete": vp.completion_percentage},
                  events.instructor_room(ctx.course.id))
    return vp


@transaction.atomic
def video_complete(*, ctx: Learning, user_id: str) -> tuple[VideoProgress, dict[str, Any]]:
    """Marks the video completed (idempotent: the first completion time is kept) and recomputes the
    course-level progress; completing the last video completes an active enrollment.
    Returns the progress row and the course counts (videosCompleted, totalVideos, percentComplete)."""
    now = timezone.now()
    tracked_vp = _video_progress(ctx, user_id)
    vp = tracked_vp.row
    if not vp.completed:
        vp.completed, vp.completion_percentage = True, 100.0
    vp.completed_at = vp.completed_at or now
    tracked_vp.save()  # before counting, so this video counts

    done, total, watched = completion(user_id, [ctx.course.id])[ctx.course.id]
    counts = completion_counts(done, total)
    tracked_cp = _course_progress(ctx, user_id)
    cp = tracked_cp.row
    cp.completed_videos, cp.completion_percentage = done, counts["percentComplete"]
    cp.total_watch_time, cp.last_video_id, cp.last_updated = watched, ctx.video.id, now
    tracked_cp.save()

    finished = {}
    if ctx.enrolled and total and len(done) == total and ctx.enrollment.status == "active":
        finished = {"status": "completed", "completed_at": now, "certificate_issued": True}
    _touch_enrollment(ctx, now, progress_percentage=counts["percentComplete"], **finished)
    return vp, counts


# --- P27 ------------------------------------------------------------------------------------------

@transaction.atomic
def quiz_attempt_create(*, ctx: Learning, user_id: str, quiz: Quiz, answer: int, time_spent: int) -> QuizAttempt:
    """Grades one answer and records it as the caller's next attempt at the quiz
    (`quiz.previous_attempts`: see selectors.video_quiz)."""
    correct = answer == quiz.correct_answer
    score = 100.0 if correct else 0.0
    now = timezone.now()
    attempt = QuizAttempt.objects.create(
        user_id=user_id, quiz_id=quiz.id, video_id=ctx.video.id, started_at=now, completed_at=now,
        answers={"answer": answer}, is_passed=correct, score=score, percentage=score, time_taken=time_spent,
        attempt_number=quiz.previous_attempts + 1)
    _after_commit("quiz_submission", {"user_id": user_id, "quiz_id": quiz.id, "score": score, "passed": correct},
                  events.instructor_room(ctx.course.id))
    return attempt


# --- P28 ------------------------------------------------------------------------------------------

REVIEW_TEXT_FIELDS = ("title", "comment", "pros", "cons")


@transaction.atomic
def review_upsert(*, ctx: Learning, user: User, review: Review | None, rating: int,
                  fields: dict[str, Any]) -> tuple[Review, bool]:
    """Creates the caller's review of the course, or updates it (the text fields not in `fields` are
    kept), then recomputes the course rating from the live reviews in the same statement that
    bumps the course. Returns (review, created); a soft-deleted review revived counts as created."""
    created = review is None or review.is_deleted
    tracked = _Tracked(review or Review(user_id=user.id, course_id=ctx.course.id, created_by_id=user.id))
    review = tracked.row
    if created:  # new, or revived: the fields not sent start from their defaults
        _revive(review)
        review.title, review.comment, review.pros, review.cons = None, "", [], []
        review.helpful_count = review.reported_count = 0
    review.rating = rating
    for name in REVIEW_TEXT_FIELDS:
        if name in fields:
            setattr(review, name, fields[name])
    review.is_verified_purchase = ctx.enrolled
    review.updated_by_id = user.id
    tracked.save()
    review.user = user  # the caller: the serializer needs no query for it

    live = Review.objects.filter(course_id=ctx.course.id, is_deleted=False).order_by().values("course_id")
    _bump_course(ctx.course,
                 rating=Coalesce(Subquery(live.annotate(average=Round(Avg("rating"), 2)).values("average")),
                                 Value(0.0)),
                 rating_count=Coalesce(Subquery(live.annotate(n=Count("id")).values("n")), Value(0)))
    _after_commit("new_review", {"user_email": user.email, "rating": review.rating, "comment": review.comment},
                  events.course_room(ctx.course.id))
    return review, created
