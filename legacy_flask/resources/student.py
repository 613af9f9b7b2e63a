"""Student learning (API.md §3.4, P20–P28). camelCase.

Every route loads what it needs about the caller and one course (the course, the caller's enrollment
and course-level progress, and for video routes the video and its progress) in one query, then
writes once. Socket.IO events (API.md §4.2) are emitted only after the commit.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.exc import IntegrityError

from .. import db, events, serializers
from ..access import is_owner
from ..api import Api, ApiResource
from ..auth.identity import Identity, authenticated, current
from ..course_views import summaries
from ..envelope import ok
from ..errors import Conflict, Forbidden, NotFound, invalid_field
from ..models import Course, CourseProgress, Enrollment, Quiz, QuizAttempt, Review, Video, VideoProgress, utcnow
from ..pagination import page_params, paged, paginate
from ..validation import Int, Number, Str, StrList, is_uuid, parse_body
from .courses import ENROLLED_STATUSES

ENROLL_FIELDS = {"paymentMethod": Str(max_len=50), "couponCode": Str(max_len=50)}
PROGRESS_FIELDS = {"watchedSeconds": Int(required=True, min=0), "lastPosition": Int(min=0),
                   "playbackSpeed": Number(gt=0)}
ANSWER_FIELDS = {"answer": Int(required=True), "timeSpent": Int(min=0)}
REVIEW_FIELDS = {"rating": Int(required=True, min=1, max=5), "comment": Str(), "title": Str(max_len=255, nullable=True),
                 "pros": StrList(), "cons": StrList()}


# --- loading ------------------------------------------------------------------------------------

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

    def require_enrolled(self, ident: Identity) -> None:
        """Guard `enrolled` (API.md §1.8): an active enrollment, or the owner, or an admin."""
        if not (self.enrolled or is_owner(self.course, ident)):
            raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")


def _learning(ident: Identity, *, course_id: str | None = None, video_id: str | None = None) -> Learning:
    """One query: the course (by id, or as the video's course) with the caller's rows. 404 when the
    id is not a UUID, the course or video is unknown or soft-deleted, or the video is unpublished
    and the caller is not the course's owner or an admin."""
    user_id, row_id = ident.user_id, course_id or video_id
    if row_id is None or not is_uuid(row_id):
        raise NotFound("Video not found" if video_id else "Course not found")
    stmt = (sa.select(Course, Enrollment, CourseProgress)
            .outerjoin(Enrollment, sa.and_(Enrollment.course_id == Course.id, Enrollment.user_id == user_id))
            .outerjoin(CourseProgress, sa.and_(CourseProgress.course_id == Course.id, CourseProgress.user_id == user_id,
                                               CourseProgress.section_id.is_(None)))
            .where(Course.is_deleted.is_(False))
            .options(orm.lazyload(Course.instructor), orm.lazyload(Enrollment.course)))
    if video_id is not None:
        stmt = (stmt.add_columns(Video, VideoProgress)
                .join(Video, Video.course_id == Course.id)
                .outerjoin(VideoProgress, sa.and_(VideoProgress.video_id == Video.id, VideoProgress.user_id == user_id))
                .where(Video.id == video_id.lower(), Video.is_deleted.is_(False))
                .options(orm.lazyload(Video.quizzes)))
    else:
        stmt = stmt.where(Course.id == row_id.lower())
    row = db.session().execute(stmt).first()
    if row is None or (video_id is not None and not row.Video.is_published and not is_owner(row.Course, ident)):
        raise NotFound("Video not found" if video_id else "Course not found")
    return Learning(*row)


def _completion(user_id: str, course_ids: Iterable[str]) -> dict[str, tuple[list[str], int, int]]:
    """{course id: (ids of completed videos, total videos, seconds watched)} over the published,
    non-deleted videos of each course, in one query."""
    ids = sorted(set(course_ids))
    out: dict[str, tuple[list[str], int, int]] = {cid: ([], 0, 0) for cid in ids}
    if not ids:
        return out
    rows = db.session().execute(
        sa.select(Video.course_id, Video.id, VideoProgress.completed, VideoProgress.watch_time)
        .outerjoin(VideoProgress, sa.and_(VideoProgress.video_id == Video.id, VideoProgress.user_id == user_id,
                                          VideoProgress.is_deleted.is_(False)))
        .where(Video.course_id.in_(ids), Video.is_deleted.is_(False), Video.is_published.is_(True))
        .order_by(Video.course_id, Video.order, Video.id))
    for course_id, video_id, completed, watched in rows:
        done, total, seconds = out[course_id]
        out[course_id] = (done + [video_id] if completed else done, total + 1, seconds + (watched or 0))
    return out


def percent(part: float, whole: float) -> float:
    return round(min(100.0, 100.0 * part / whole), 2) if whole > 0 else 0.0


def _counts(done: list[str], total: int) -> dict:
    return {"videosCompleted": len(done), "totalVideos": total, "percentComplete": percent(len(done), total)}


# --- writing ------------------------------------------------------------------------------------

def _revive(row) -> None:
    row.is_deleted, row.deleted_at, row.deleted_by_id = False, None, None


def _bump_course(course_id: str, **values) -> None:
    """An atomic UPDATE of course counters (no lost update between concurrent requests); like every
    UPDATE it bumps `version` (SCHEMA.md §1)."""
    db.session().execute(
        sa.update(Course).where(Course.id == course_id)
        .values(**values, version=Course.version + 1, updated_at=utcnow()),
        execution_options={"synchronize_session": "fetch"})


def _course_progress(ctx: Learning, user_id: str) -> CourseProgress:
    cp = ctx.course_progress
    if cp is None:
        cp = CourseProgress(user_id=user_id, course_id=ctx.course.id, section_id=None, completed_videos=[],
                            total_watch_time=0, completion_percentage=0.0)
        db.session().add(cp)
        ctx.course_progress = cp
    elif cp.is_deleted:
        _revive(cp)
        cp.completed_videos, cp.total_watch_time, cp.completion_percentage = [], 0, 0.0
    return cp


def _video_progress(ctx: Learning, user_id: str) -> VideoProgress:
    vp = ctx.video_progress
    if vp is None:
        vp = VideoProgress(user_id=user_id, video_id=ctx.video.id, course_id=ctx.course.id, watch_time=0,
                           last_position=0, completed=False, completion_percentage=0.0, playback_speed=1.0)
        db.session().add(vp)
        ctx.video_progress = vp
    elif vp.is_deleted:
        _revive(vp)
        vp.watch_time, vp.last_position, vp.completed, vp.completion_percentage = 0, 0, False, 0.0
        vp.playback_speed, vp.completed_at = 1.0, None
    return vp


# --- payloads -----------------------------------------------------------------------------------

def video_progress_payload(user_id: str, video: Video, vp: VideoProgress | None, attempts: list[QuizAttempt]) -> dict:
    """VideoProgress (API.md §2); a video never watched gives zeros and nulls."""
    live = vp is not None and not vp.is_deleted
    return {
        "userId": user_id, "videoId": video.id,
        "watchedSeconds": vp.watch_time if live else 0, "totalSeconds": video.duration_seconds,
        "percentComplete": float(vp.completion_percentage) if live else 0.0,
        "lastPosition": vp.last_position if live else 0,
        "playbackSpeed": float(vp.playback_speed) if live else 1.0,
        "lastWatchedAt": serializers.iso(vp.updated_at) if live else None,
        "completedAt": serializers.iso(vp.completed_at) if live else None,
        "quizAttempts": [{"quizId": a.quiz_id, "answer": (a.answers or {}).get("answer"), "correct": a.is_passed,
                          "attemptedAt": serializers.iso(a.completed_at or a.started_at)} for a in attempts],
        "reflectionCount": 0,  # the legacy system stores no reflections or bookmarks (API.md §2)
        "bookmarks": [],
    }


# --- routes -------------------------------------------------------------------------------------

class StudentCourses(ApiResource):
    rate_limits = {"get": "100/minute"}

    @authenticated
    def get(self):
        user_id = current().user_id
        page = page_params()
        stmt = (sa.select(Enrollment).join(Enrollment.course)
                .where(Enrollment.user_id == user_id, Enrollment.is_deleted.is_(False),
                       Enrollment.status.in_(ENROLLED_STATUSES), Course.is_deleted.is_(False))
                .order_by(Enrollment.enrolled_at.desc(), Enrollment.id)
                .options(orm.contains_eager(Enrollment.course)))
        enrollments, total = paginate(db.session(), stmt, page)
        progress = _completion(user_id, (e.course_id for e in enrollments))
        items = summaries([e.course for e in enrollments])
        for item, e in zip(items, enrollments, strict=True):
            done, total_videos, _ = progress[e.course_id]
            item["enrollment"] = {"id": e.id, "status": e.status, "enrolledAt": serializers.iso(e.enrolled_at)}
            item["progress"] = {**_counts(done, total_videos), "lastAccessedAt": serializers.iso(e.last_accessed)}
        return paged(ok({"courses": items, "pagination": page.meta(total)}), page, total)


class Enroll(ApiResource):
    rate_limits = {"post": "10/minute"}

    @authenticated
    def post(self, course_id: str):
        ident = current()
        ctx = _learning(ident, course_id=course_id)
        if not ctx.course.is_published:
            raise NotFound("Course not found")
        body = parse_body(ENROLL_FIELDS)
        if ctx.enrolled:
            raise Conflict("You are already enrolled in this course", code="ALREADY_ENROLLED")
        s, now = db.session(), utcnow()
        e = ctx.enrollment
        if e is None:
            e = Enrollment(user_id=ident.user_id, course_id=ctx.course.id, created_by_id=ident.user_id)
            s.add(e)
        else:  # a dropped, expired or soft-deleted enrollment is revived: (user, course) is unique
            _revive(e)
            e.completed_at, e.certificate_issued, e.updated_by_id = None, False, ident.user_id
        e.status, e.enrolled_at = "active", now
        e.payment_method, e.coupon_code = body.get("paymentMethod"), body.get("couponCode")
        try:
            s.flush()
        except IntegrityError:  # a concurrent enroll of the same user won the unique key
            s.rollback()
            raise Conflict("You are already enrolled in this course", code="ALREADY_ENROLLED") from None
        _bump_course(ctx.course.id, enrollment_count=Course.enrollment_count + 1)
        s.commit()
        email = ident.user.email
        events.emit("new_enrollment", {"user_id": ident.user_id, "user_email": email,
                                       "message": f"{email} enrolled in the course"},
                    events.course_room(ctx.course.id), events.instructor_room(ctx.course.id))
        return ok({"enrollmentId": e.id, "courseId": ctx.course.id, "status": "active",
                   "enrolledAt": serializers.iso(e.enrolled_at), "message": "Successfully enrolled in the course"})


class Unenroll(ApiResource):
    rate_limits = {"post": "10/minute"}

    @authenticated
    def post(self, course_id: str):
        ident = current()
        ctx = _learning(ident, course_id=course_id)
        if not ctx.enrolled:
            raise NotFound("You are not enrolled in this course")
        ctx.enrollment.status = "dropped"
        ctx.enrollment.updated_by_id = ident.user_id
        _bump_course(ctx.course.id, enrollment_count=sa.case((Course.enrollment_count > 0, Course.enrollment_count - 1),
                                                             else_=0))
        db.session().commit()
        return ok({"courseId": ctx.course.id, "status": "dropped",
                   "message": "Successfully unenrolled from the course"})


class CourseProgressView(ApiResource):
    rate_limits = {"get": "100/minute"}

    @authenticated
    def get(self, course_id: str):
        ident = current()
        ctx = _learning(ident, course_id=course_id)
        ctx.require_enrolled(ident)
        done, total, _ = _completion(ident.user_id, [ctx.course.id])[ctx.course.id]
        passed = sa.func.coalesce(sa.func.sum(sa.case((QuizAttempt.is_passed, 1), else_=0)), 0)
        attempted, correct = db.session().execute(
            sa.select(sa.func.count(QuizAttempt.id), passed)
            .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
            .where(QuizAttempt.user_id == ident.user_id, QuizAttempt.is_deleted.is_(False),
                   Quiz.course_id == ctx.course.id, Quiz.is_deleted.is_(False))).one()
        e = ctx.enrollment if ctx.enrolled else None
        cp = ctx.course_progress if ctx.course_progress is not None and not ctx.course_progress.is_deleted else None
        last_accessed = (e.last_accessed if e else None) or (cp.last_updated if cp else None)
        return ok({
            "userId": ident.user_id, "courseId": ctx.course.id, **_counts(done, total),
            "lastAccessedAt": serializers.iso(last_accessed),
            "certificateEarnedAt": serializers.iso(e.completed_at) if e and e.certificate_issued else None,
            "quizScores": {"attempted": int(attempted), "correct": int(correct),
                           "averageScore": percent(int(correct), int(attempted))},
        })


def _attempts(user_id: str, video_id: str) -> list[QuizAttempt]:
    return list(db.session().scalars(
        sa.select(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.video_id == video_id,
                                     QuizAttempt.is_deleted.is_(False))
        .order_by(QuizAttempt.started_at, QuizAttempt.attempt_number, QuizAttempt.id)))


class VideoProgressView(ApiResource):
    rate_limits = {"get": "100/minute", "put": "500/minute"}

    @authenticated
    def get(self, video_id: str):
        ident = current()
        ctx = _learning(ident, video_id=video_id)
        return ok(video_progress_payload(ident.user_id, ctx.video, ctx.video_progress,
                                         _attempts(ident.user_id, ctx.video.id)))

    @authenticated
    def put(self, video_id: str):
        ident = current()
        ctx = _learning(ident, video_id=video_id)
        video = ctx.video
        if not (video.is_preview and ctx.course.is_published):  # a preview needs no enrollment
            ctx.require_enrolled(ident)
        body = parse_body(PROGRESS_FIELDS)
        now = utcnow()
        vp = _video_progress(ctx, ident.user_id)
        watched_before = vp.watch_time or 0
        vp.watch_time = body["watchedSeconds"]
        vp.last_position = body.get("lastPosition", vp.last_position)
        vp.playback_speed = body.get("playbackSpeed", vp.playback_speed)
        vp.completion_percentage = percent(vp.watch_time, video.duration_seconds)  # never auto-completes
        vp.updated_at = now  # lastWatchedAt moves even when the values sent are unchanged
        cp = _course_progress(ctx, ident.user_id)
        cp.last_video_id, cp.last_updated = video.id, now
        cp.total_watch_time = max(0, (cp.total_watch_time or 0) + vp.watch_time - watched_before)
        if ctx.enrolled:
            ctx.enrollment.last_accessed = now
        db.session().commit()
        events.emit("progress_update", {"user_id": ident.user_id, "video_id": video.id,
                                        "watched_seconds": vp.watch_time, "percent_complete": vp.completion_percentage},
                    events.instructor_room(ctx.course.id))
        return ok({"videoId": video.id, "watchedSeconds": vp.watch_time, "lastPosition": vp.last_position,
                   "playbackSpeed": float(vp.playback_speed), "percentComplete": vp.completion_percentage,
                   "completed": vp.completed})


class CompleteVideo(ApiResource):
    rate_limits = {"post": "50/minute"}

    @authenticated
    def post(self, video_id: str):
        ident = current()
        ctx = _learning(ident, video_id=video_id)
        ctx.require_enrolled(ident)
        now = utcnow()
        vp = _video_progress(ctx, ident.user_id)
        if not vp.completed:
            vp.completed, vp.completion_percentage = True, 100.0
        vp.completed_at = vp.completed_at or now  # idempotent: the first completion time is kept
        done, total, watched = _completion(ident.user_id, [ctx.course.id])[ctx.course.id]  # flushes vp first
        counts = _counts(done, total)
        cp = _course_progress(ctx, ident.user_id)
        cp.completed_videos, cp.completion_percentage = done, counts["percentComplete"]
        cp.total_watch_time, cp.last_video_id, cp.last_updated = watched, ctx.video.id, now
        if ctx.enrolled:
            e = ctx.enrollment
            e.progress_percentage, e.last_accessed = counts["percentComplete"], now
            if total and len(done) == total and e.status == "active":
                e.status, e.completed_at, e.certificate_issued = "completed", now, True
        db.session().commit()
        return ok({"videoId": ctx.video.id, "completed": True, "completedAt": serializers.iso(vp.completed_at),
                   "courseProgress": counts})


class QuizAnswer(ApiResource):
    rate_limits = {"post": "50/minute"}

    @authenticated
    def post(self, video_id: str, quiz_id: str):
        ident = current()
        ctx = _learning(ident, video_id=video_id)
        ctx.require_enrolled(ident)
        s = db.session()
        row = None
        if is_uuid(quiz_id):
            previous = (sa.select(sa.func.coalesce(sa.func.max(QuizAttempt.attempt_number), 0))
                        .where(QuizAttempt.user_id == ident.user_id, QuizAttempt.quiz_id == Quiz.id).scalar_subquery())
            row = s.execute(sa.select(Quiz, previous).where(
                Quiz.id == quiz_id.lower(), Quiz.video_id == ctx.video.id, Quiz.is_deleted.is_(False))).first()
        if row is None:
            raise NotFound("Quiz not found for this video")
        quiz, previous_attempts = row
        body = parse_body(ANSWER_FIELDS)
        if not 0 <= body["answer"] < len(quiz.options or []):
            raise invalid_field("answer", f"must be an option index from 0 to {len(quiz.options or []) - 1}")
        correct = body["answer"] == quiz.correct_answer
        score = 100.0 if correct else 0.0
        now = utcnow()
        attempt = QuizAttempt(user_id=ident.user_id, quiz_id=quiz.id, video_id=ctx.video.id, started_at=now,
                              completed_at=now, answers={"answer": body["answer"]}, is_passed=correct, score=score,
                              percentage=score, time_taken=body.get("timeSpent", 0),
                              attempt_number=previous_attempts + 1)
        s.add(attempt)
        s.commit()
        events.emit("quiz_submission",
                    {"user_id": ident.user_id, "quiz_id": quiz.id, "score": score, "passed": correct},
                    events.instructor_room(ctx.course.id))
        return ok({"quizId": quiz.id, "correct": correct, "correctAnswer": quiz.correct_answer,
                   "explanation": quiz.explanation, "attemptNumber": attempt.attempt_number})


class CourseReview(ApiResource):
    rate_limits = {"post": "10/minute"}

    @authenticated
    def post(self, course_id: str):
        ident = current()
        ctx = _learning(ident, course_id=course_id)
        ctx.require_enrolled(ident)
        body = parse_body(REVIEW_FIELDS)
        s = db.session()
        review = s.scalar(sa.select(Review).where(Review.user_id == ident.user_id, Review.course_id == ctx.course.id)
                          .options(orm.lazyload(Review.user)))
        created = review is None or review.is_deleted
        if review is None:
            review = Review(user_id=ident.user_id, course_id=ctx.course.id, created_by_id=ident.user_id)
            s.add(review)
        if created:  # new, or a soft-deleted one revived: the fields not sent start from their defaults
            _revive(review)
            review.title, review.comment, review.pros, review.cons = None, "", [], []
            review.helpful_count = review.reported_count = 0
        review.rating = body["rating"]
        for field in ("title", "comment", "pros", "cons"):  # omitted on an update: kept as they were
            if field in body:
                setattr(review, field, body[field])
        review.is_verified_purchase = ctx.enrolled
        review.updated_by_id = ident.user_id
        s.flush()
        live = sa.and_(Review.course_id == ctx.course.id, Review.is_deleted.is_(False))
        _bump_course(ctx.course.id,
                     rating=sa.select(sa.func.coalesce(sa.func.round(sa.func.avg(Review.rating), 2), 0)).where(live)
                     .scalar_subquery(),
                     rating_count=sa.select(sa.func.count(Review.id)).where(live).scalar_subquery())
        s.commit()
        events.emit("new_review", {"user_email": ident.user.email, "rating": review.rating, "comment": review.comment},
                    events.course_room(ctx.course.id))
        return ok(serializers.review(review), 201 if created else 200)


def register(api: Api) -> None:
    base = "/api/v1/student"
    api.add_resource(StudentCourses, f"{base}/courses", endpoint="student_courses")
    api.add_resource(Enroll, f"{base}/courses/<course_id>/enroll", endpoint="student_enroll")
    api.add_resource(Unenroll, f"{base}/courses/<course_id>/unenroll", endpoint="student_unenroll")
    api.add_resource(CourseProgressView, f"{base}/courses/<course_id>/progress", endpoint="student_course_progress")
    api.add_resource(CourseReview, f"{base}/courses/<course_id>/review", endpoint="student_course_review")
    api.add_resource(VideoProgressView, f"{base}/videos/<video_id>/progress", endpoint="student_video_progress")
    api.add_resource(CompleteVideo, f"{base}/videos/<video_id>/complete", endpoint="student_video_complete")
    api.add_resource(QuizAnswer, f"{base}/videos/<video_id>/quiz/<quiz_id>/answer", endpoint="student_quiz_answer")
