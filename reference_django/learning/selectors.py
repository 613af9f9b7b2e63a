"""Student learning reads (API.md §3.4, P20–P28).

Every route loads what it needs about the caller and one course (the course, the caller's enrollment
and course-level progress, and for video routes the video and its progress) in one query, as the
legacy app does: `FilteredRelation` joins the caller's own rows onto the course or video row.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from reference_django.accounts.authentication import Identity
from reference_django.common.access import is_owner
from reference_django.common.exceptions import Forbidden, NotFound
from reference_django.common.fields import is_uuid
from reference_django.common.models import unique_row
from reference_django.courses.models import Course, Quiz, Video

from .models import CourseProgress, Enrollment, QuizAttempt, Review, VideoProgress

#: Enrollment states that give access to a course (a dropped or expired one does not).
ENROLLED_STATUSES = ("active", "completed")


@dataclass(slots=True)
class Learning:
    """The caller's standing in one course. `enrollment` and the progress rows are returned in any
    state, soft-deleted included, because their unique keys cover such rows: writers revive them."""

    course: Course
    enrollment: Enrollment | None
    course_progress: CourseProgress | None
    video: Video | None = None
    video_progress: VideoProgress | None = None

    @property
    def enrolled(self) -> bool:
        e = self.enrollment
        return e is not None and not e.is_deleted and e.status in ENROLLED_STATUSES

    @property
    def live_course_progress(self) -> CourseProgress | None:
        cp = self.course_progress
        return cp if cp is not None and not cp.is_deleted else None

    def require_enrolled(self, ident: Identity) -> None:
        """Guard `enrolled` (API.md §1.8): an active enrollment, or the owner, or an admin."""
        if not (self.enrolled or is_owner(self.course, ident)):
            raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")


def _caller_rows(user_id: str, course_path: str = "") -> dict[str, FilteredRelation]:
    """The caller's enrollment and course-level progress, joined onto the course at `course_path`."""
    prefix = f"{course_path}__" if course_path else ""
    enrollments, progress = f"{prefix}enrollments", f"{prefix}course_progress"
    return {
        "my_enrollment": FilteredRelation(enrollments, condition=Q(**{f"{enrollments}__user_id": user_id})),
        "my_course_progress": FilteredRelation(progress, condition=Q(**{f"{progress}__user_id": user_id,
                                                                        f"{progress}__section__isnull": True})),
    }


def course_learning(ident: Identity, course_id: str) -> Learning:
    """The live course with the caller's rows (one query); 404 for a non-UUID, unknown or deleted id."""
    if not is_uuid(course_id):
        raise NotFound("Course not found")
    course = unique_row(Course.objects.filter(pk=course_id.lower(), is_deleted=False)
                        .annotate(**_caller_rows(ident.user_id))
                        .select_related("my_enrollment", "my_course_progress"))
    if course is None:
        raise NotFound("Course not found")
    # A joined row that does not exist leaves its attribute unset (Django's FilteredRelation populator).
    return Learning(course, getattr(course, "my_enrollment", None), getattr(course, "my_course_progress", None))


def video_learning(ident: Identity, video_id: str) -> Learning:
    """The live video of a live course with the caller's rows (one query). 404 as well for a video
    that is unpublished unless the caller owns the course or is an admin."""
    if not is_uuid(video_id):
        raise NotFound("Video not found")
    video = unique_row(
        Video.objects.filter(pk=video_id.lower(), is_deleted=False, course__is_deleted=False)
        .annotate(my_video_progress=FilteredRelation("progress", condition=Q(progress__user_id=ident.user_id)),
                  **_caller_rows(ident.user_id, "course"))
        .select_related("course", "my_video_progress", "my_enrollment", "my_course_progress"))
    if video is None or (not video.is_published and not is_owner(video.course, ident)):
        raise NotFound("Video not found")
    return Learning(video.course, getattr(video, "my_enrollment", None), getattr(video, "my_course_progress", None),
                    video, getattr(video, "my_video_progress", None))


# --- progress arithmetic --------------------------------------------------------------------------

def percent(part: float, whole: float) -> float:
    return round(min(100.0, 100.0 * part / whole), 2) if whole > 0 else 0.0


def completion_counts(done: list[str], total: int) -> dict[str, int | float]:
    return {"videosCompleted": len(done), "totalVideos": total, "percentComplete": percent(len(done), total)}


def completion(user_id: str, course_ids: Iterable[str]) -> dict[str, tuple[list[str], int, int]]:
    """{course id: (ids of completed videos, total videos, seconds watched)} over the published,
    non-deleted videos of each course, in one query."""
    ids = sorted(set(course_ids))
    out: dict[str, tuple[list[str], int, int]] = {cid: ([], 0, 0) for cid in ids}
    if not ids:
        return out
    rows = (Video.objects.filter(course_id__in=ids, is_deleted=False, is_published=True)
            .annotate(mine=FilteredRelation("progress", condition=Q(progress__user_id=user_id,
                                                                    progress__is_deleted=False)))
            .order_by("course_id", "order", "id")
            .values_list("course_id", "id", "mine__completed", "mine__watch_time"))
    for course_id, video_id, completed, watched in rows:
        done, total, seconds = out[course_id]
        out[course_id] = (done + [video_id] if completed else done, total + 1, seconds + (watched or 0))
    return out


# --- P20 ------------------------------------------------------------------------------------------

def my_enrollments(user_id: str) -> QuerySet[Enrollment]:
    """The caller's live enrollments in live courses, newest first, each with its course and instructor."""
    return (Enrollment.objects.filter(user_id=user_id, is_deleted=False, status__in=ENROLLED_STATUSES,
                                      course__is_deleted=False)
            .select_related("course", "course__instructor").order_by("-enrolled_at", "id"))


# --- P23, P24 -------------------------------------------------------------------------------------

def quiz_scores(user_id: str, course_id: str) -> tuple[int, int]:
    """(attempts, passed attempts) of the caller on the course's live quizzes, in one query."""
    totals = (QuizAttempt.objects.filter(user_id=user_id, is_deleted=False, quiz__course_id=course_id,
                                         quiz__is_deleted=False)
              .aggregate(attempted=Count("id"),
                         correct=Coalesce(Sum(Case(When(is_passed=True, then=Value(1)), default=Value(0),
                                                   output_field=IntegerField())), 0)))
    return int(totals["attempted"]), int(totals["correct"])


def video_attempts(user_id: str, video_id: str) -> list[QuizAttempt]:
    return list(QuizAttempt.objects.filter(user_id=user_id, video_id=video_id, is_deleted=False)
                .order_by("started_at", "attempt_number", "id"))


# --- P27, P28 -------------------------------------------------------------------------------------

def video_quiz(user_id: str, video_id: str, quiz_id: str) -> Quiz | None:
    """The live quiz of the video, annotated with `previous_attempts` (the caller's highest attempt
    number, soft-deleted attempts included: the unique key covers them); None if it is not there."""
    if not is_uuid(quiz_id):
        return None
    previous = (QuizAttempt.objects.filter(user_id=user_id, quiz_id=OuterRef("pk")).order_by()
                .values("quiz_id").annotate(highest=Max("attempt_number")).values("highest"))
    return unique_row(Quiz.objects.filter(pk=quiz_id.lower(), video_id=video_id, is_deleted=False)
                      .annotate(previous_attempts=Coalesce(Subquery(previous, output_field=IntegerField()), 0)))


def review_of(user_id: str, course_id: str) -> Review | None:
    """The caller's review of the course in any state (a soft-deleted one is revived on write)."""
    return unique_row(Review.objects.filter(user_id=user_id, course_id=course_id))
