"""Student learning, P20–P28 (API.md §3.4): enrollment, progress, completion, quizzes, reviews, and
the Socket.IO events they emit (§4.2)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.models import Course, CourseProgress, Enrollment, Quiz, QuizAttempt, Review, Video, VideoProgress
from tests.conftest import REVIEW_KEYS, data, error

STUDENT = "/api/v1/student"
COURSE_PROGRESS_KEYS = {"userId", "courseId", "videosCompleted", "totalVideos", "percentComplete", "lastAccessedAt",
                        "certificateEarnedAt", "quizScores"}
VIDEO_PROGRESS_KEYS = {"userId", "videoId", "watchedSeconds", "totalSeconds", "percentComplete", "lastPosition",
                       "playbackSpeed", "lastWatchedAt", "completedAt", "quizAttempts", "reflectionCount", "bookmarks"}
UNKNOWN_IDS = ["9b2e0c43-0000-4000-8000-000000000000", "not-a-uuid"]


def fresh(db):
    db.expire_all()
    return db


def enrollment(db, user_id: str, course_id: str) -> Enrollment | None:
    return fresh(db).scalar(sa.select(Enrollment).where(Enrollment.user_id == user_id,
                                                        Enrollment.course_id == course_id))


def course(db, course_id: str) -> Course:
    return fresh(db).get(Course, course_id)


def count(db, model, *where) -> int:
    return fresh(db).scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def my_rows(db, seeded, model, *where) -> int:
    """How many rows of `model` the documented student owns (generated students have their own)."""
    return count(db, model, model.user_id == seeded.user_id(accounts.STUDENT), *where)


def course_progress(db, user_id: str, course_id: str) -> CourseProgress:
    return fresh(db).scalar(sa.select(CourseProgress).where(CourseProgress.user_id == user_id,
                                                            CourseProgress.course_id == course_id))


def video(db, video_id: str) -> Video:
    return fresh(db).get(Video, video_id)


# --- P20 --------------------------------------------------------------------------------------------

def test_my_courses_lists_active_and_completed_enrollments_with_progress(student, anon, db, seeded):
    resp = student.get(f"{STUDENT}/courses")
    d = data(resp)
    assert d["pagination"] == {"page": 1, "limit": 20, "total": 1, "pages": 1}
    assert resp.headers["X-Total-Count"] == "1"
    [item] = d["courses"]
    catalog_entry = next(c for c in data(anon.get("/api/v1/courses"))["courses"] if c["id"] == seeded.enrolled_course)
    assert set(item) == set(catalog_entry) | {"enrollment", "progress"}
    e = enrollment(db, seeded.user_id(accounts.STUDENT), seeded.enrolled_course)
    assert item["enrollment"] == {"id": e.id, "status": "active", "enrolledAt": item["enrollment"]["enrolledAt"]}
    assert item["progress"] == {"videosCompleted": 0, "totalVideos": len(seeded.video_ids(0)), "percentComplete": 0.0,
                                "lastAccessedAt": item["progress"]["lastAccessedAt"]}
    assert item["progress"]["lastAccessedAt"].endswith("Z")


def test_my_courses_reflects_completion_and_hides_dropped_enrollments(student, db, seeded):
    first = seeded.video_ids(0)[0]
    data(student.post(f"{STUDENT}/videos/{first}/complete"))
    data(student.post(f"{STUDENT}/courses/{seeded.open_course}/enroll", json={}))
    d = data(student.get(f"{STUDENT}/courses?limit=1"))
    assert d["pagination"] == {"page": 1, "limit": 1, "total": 2, "pages": 2}
    assert d["courses"][0]["id"] == seeded.open_course  # newest enrollment first
    older = data(student.get(f"{STUDENT}/courses?limit=1&page=2"))["courses"][0]
    assert older["progress"]["videosCompleted"] == 1
    assert older["progress"]["percentComplete"] == pytest.approx(100 / len(seeded.video_ids(0)), abs=0.01)
    data(student.post(f"{STUDENT}/courses/{seeded.open_course}/unenroll"))
    assert [c["id"] for c in data(student.get(f"{STUDENT}/courses"))["courses"]] == [seeded.enrolled_course]


def test_my_courses_requires_a_token_and_valid_paging(anon, student):
    error(anon.get(f"{STUDENT}/courses"), 401, "AUTH_REQUIRED")
    error(student.get(f"{STUDENT}/courses?limit=zero"), 400, "INVALID_REQUEST")


# --- P21 / P22 ----------------------------------------------------------------------------------------

def test_enroll_creates_an_active_enrollment_counts_it_and_notifies_the_course(student, db, seeded, emitted):
    before = course(db, seeded.open_course).enrollment_count
    d = data(student.post(f"{STUDENT}/courses/{seeded.open_course}/enroll",
                          json={"paymentMethod": "credit_card", "couponCode": "DISCOUNT20"}))
    assert set(d) == {"enrollmentId", "courseId", "status", "enrolledAt", "message"}
    assert (d["courseId"], d["status"]) == (seeded.open_course, "active")
    e = enrollment(db, seeded.user_id(accounts.STUDENT), seeded.open_course)
    assert (e.id, e.status, e.payment_method, e.coupon_code) == (
        d["enrollmentId"], "active", "credit_card", "DISCOUNT20")
    assert course(db, seeded.open_course).enrollment_count == before + 1
    assert emitted == [("new_enrollment",
                        {"user_id": seeded.user_id(accounts.STUDENT), "user_email": accounts.STUDENT.email,
                         "message": f"{accounts.STUDENT.email} enrolled in the course"},
                        (f"course_{seeded.open_course}", f"instructor_{seeded.open_course}"))]


def test_enrolling_twice_is_409_and_counts_once(student, db, seeded, emitted):
    before = course(db, seeded.enrolled_course).enrollment_count
    error(student.post(f"{STUDENT}/courses/{seeded.enrolled_course}/enroll", json={}), 409, "ALREADY_ENROLLED")
    assert course(db, seeded.enrolled_course).enrollment_count == before and emitted == []


def test_unenroll_drops_the_enrollment_and_reenrolling_reactivates_it(student, db, seeded):
    uid, cid = seeded.user_id(accounts.STUDENT), seeded.enrolled_course
    original = enrollment(db, uid, cid).id
    before = course(db, cid).enrollment_count
    d = data(student.post(f"{STUDENT}/courses/{cid}/unenroll"))
    assert d == {"courseId": cid, "status": "dropped", "message": d["message"]}
    assert enrollment(db, uid, cid).status == "dropped"
    assert course(db, cid).enrollment_count == before - 1
    error(student.get(f"{STUDENT}/courses/{cid}/progress"), 403, "NOT_ENROLLED")
    error(student.post(f"{STUDENT}/courses/{cid}/unenroll"), 404, "NOT_FOUND")
    again = data(student.post(f"{STUDENT}/courses/{cid}/enroll", json={}))
    assert again["enrollmentId"] == original
    assert (enrollment(db, uid, cid).status, course(db, cid).enrollment_count) == ("active", before)
    assert count(db, Enrollment, Enrollment.user_id == uid, Enrollment.course_id == cid) == 1


def test_unenroll_without_an_enrollment_is_404(student, db, seeded):
    before = course(db, seeded.open_course).enrollment_count
    error(student.post(f"{STUDENT}/courses/{seeded.open_course}/unenroll"), 404, "NOT_FOUND")
    assert course(db, seeded.open_course).enrollment_count == before


def test_enrollment_routes_404_on_unknown_courses(student):
    for action in ("enroll", "unenroll"):
        for course_id in UNKNOWN_IDS:
            error(student.post(f"{STUDENT}/courses/{course_id}/{action}", json={}), 404, "NOT_FOUND")


def test_enrolling_in_an_unpublished_course_is_404(student, db, seeded):
    error(student.post(f"{STUDENT}/courses/{seeded.draft_course}/enroll", json={}), 404, "NOT_FOUND")
    assert enrollment(db, seeded.user_id(accounts.STUDENT), seeded.draft_course) is None


def test_enroll_rejects_bad_fields_without_enrolling(student, db, seeded, emitted):
    for body in ({"paymentMethod": 5}, {"couponCode": ["x"]}, {"couponCode": "x" * 51}):
        error(student.post(f"{STUDENT}/courses/{seeded.open_course}/enroll", json=body), 400, "INVALID_REQUEST")
    error(student.post(f"{STUDENT}/courses/{seeded.open_course}/enroll", data="{", content_type="application/json"),
          400, "INVALID_REQUEST")
    assert enrollment(db, seeded.user_id(accounts.STUDENT), seeded.open_course) is None and emitted == []


def test_enrollment_writes_need_auth_and_csrf(anon, student, db, seeded):
    for action, cid in (("enroll", seeded.open_course), ("unenroll", seeded.enrolled_course)):
        before = enrollment(db, seeded.user_id(accounts.STUDENT), cid)
        state = before.status if before else None
        error(anon.post(f"{STUDENT}/courses/{cid}/{action}", json={}), 401, "AUTH_REQUIRED")
        error(student.post(f"{STUDENT}/courses/{cid}/{action}", json={}, csrf=False), 403, "CSRF_INVALID")
        after = enrollment(db, seeded.user_id(accounts.STUDENT), cid)
        assert (after.status if after else None) == state, action


# --- P23 ----------------------------------------------------------------------------------------------

def test_course_progress_of_an_enrolled_student(student, seeded):
    d = data(student.get(f"{STUDENT}/courses/{seeded.enrolled_course}/progress"))
    assert set(d) == COURSE_PROGRESS_KEYS
    assert d["userId"] == seeded.user_id(accounts.STUDENT) and d["courseId"] == seeded.enrolled_course
    assert (d["videosCompleted"], d["totalVideos"], d["percentComplete"]) == (0, len(seeded.video_ids(0)), 0.0)
    assert d["certificateEarnedAt"] is None
    assert d["quizScores"] == {"attempted": 0, "correct": 0, "averageScore": 0.0}


def test_course_progress_counts_quiz_attempts(student, db, seeded):
    vid, quiz = seeded.video_ids(0)[0], seeded.quiz_id(0, 0)
    right = fresh(db).get(Quiz, quiz).correct_answer
    for answer in (right, (right + 1) % 4, right):
        data(student.post(f"{STUDENT}/videos/{vid}/quiz/{quiz}/answer", json={"answer": answer}))
    d = data(student.get(f"{STUDENT}/courses/{seeded.enrolled_course}/progress"))
    assert d["quizScores"] == {"attempted": 3, "correct": 2, "averageScore": pytest.approx(66.67)}


def test_course_progress_is_for_enrolled_students_owners_and_admins(student2, instructor2, instructor, admin, seeded):
    path = f"{STUDENT}/courses/{seeded.open_course}/progress"
    for caller in (student2, instructor2):
        error(caller.get(path), 403, "NOT_ENROLLED")
    for caller in (instructor, admin):
        assert set(data(caller.get(path))) == COURSE_PROGRESS_KEYS


def test_course_progress_of_an_unknown_course_is_404(student, anon):
    for course_id in UNKNOWN_IDS:
        error(student.get(f"{STUDENT}/courses/{course_id}/progress"), 404, "NOT_FOUND")
        error(anon.get(f"{STUDENT}/courses/{course_id}/progress"), 401, "AUTH_REQUIRED")


# --- P24 / P25 ----------------------------------------------------------------------------------------

def test_video_never_watched_gives_zeros_and_nulls(student, db, seeded):
    vid = seeded.video_ids(0)[1]
    d = data(student.get(f"{STUDENT}/videos/{vid}/progress"))
    assert d == {"userId": seeded.user_id(accounts.STUDENT), "videoId": vid, "watchedSeconds": 0,
                 "totalSeconds": video(db, vid).duration_seconds, "percentComplete": 0.0, "lastPosition": 0,
                 "playbackSpeed": 1.0, "lastWatchedAt": None, "completedAt": None, "quizAttempts": [],
                 "reflectionCount": 0, "bookmarks": []}


def test_put_progress_stores_watch_state_and_touches_course_progress(student, db, seeded, emitted):
    uid, vid, cid = seeded.user_id(accounts.STUDENT), seeded.video_ids(0)[1], seeded.enrolled_course
    duration = video(db, vid).duration_seconds
    last_accessed = enrollment(db, uid, cid).last_accessed
    d = data(student.put(f"{STUDENT}/videos/{vid}/progress",
                         json={"watchedSeconds": 60, "lastPosition": 55, "playbackSpeed": 1.5}))
    expected_pct = round(min(100.0, 60 / duration * 100), 2)
    assert d == {"videoId": vid, "watchedSeconds": 60, "lastPosition": 55, "playbackSpeed": 1.5,
                 "percentComplete": expected_pct, "completed": False}
    got = data(student.get(f"{STUDENT}/videos/{vid}/progress"))
    assert set(got) == VIDEO_PROGRESS_KEYS
    assert (got["watchedSeconds"], got["lastPosition"], got["playbackSpeed"], got["percentComplete"]) == (
        60, 55, 1.5, expected_pct)
    assert got["lastWatchedAt"] is not None and got["completedAt"] is None
    cp = course_progress(db, uid, cid)
    assert (cp.last_video_id, cp.total_watch_time) == (vid, 60)
    assert enrollment(db, uid, cid).last_accessed != last_accessed
    assert emitted == [("progress_update", {"user_id": uid, "video_id": vid, "watched_seconds": 60,
                                            "percent_complete": expected_pct}, (f"instructor_{cid}",))]
    # Only the fields sent change; watch time accumulates into the course total by its difference.
    d = data(student.put(f"{STUDENT}/videos/{vid}/progress", json={"watchedSeconds": 90}))
    assert (d["lastPosition"], d["playbackSpeed"]) == (55, 1.5)
    cp = course_progress(db, uid, cid)
    assert cp.total_watch_time == 90
    assert my_rows(db, seeded, VideoProgress, VideoProgress.video_id == vid) == 1


def test_put_progress_caps_at_100_and_never_auto_completes(student, db, seeded):
    vid = seeded.video_ids(0)[2]
    too_long = video(db, vid).duration_seconds * 3
    d = data(student.put(f"{STUDENT}/videos/{vid}/progress", json={"watchedSeconds": too_long}))
    assert (d["percentComplete"], d["completed"]) == (100.0, False)


def test_preview_videos_take_progress_without_enrollment(student, seeded):
    preview, locked = seeded.video_ids(1)[0], seeded.video_ids(1)[1]
    assert data(student.put(f"{STUDENT}/videos/{preview}/progress", json={"watchedSeconds": 5}))["watchedSeconds"] == 5
    error(student.put(f"{STUDENT}/videos/{locked}/progress", json={"watchedSeconds": 5}), 403, "NOT_ENROLLED")


BAD_PROGRESS = [
    ({}, "watchedSeconds"), ({"watchedSeconds": -1}, "watchedSeconds"), ({"watchedSeconds": "10"}, "watchedSeconds"),
    ({"watchedSeconds": 1.5}, "watchedSeconds"), ({"watchedSeconds": True}, "watchedSeconds"),
    ({"watchedSeconds": 10, "lastPosition": -5}, "lastPosition"),
    ({"watchedSeconds": 10, "playbackSpeed": 0}, "playbackSpeed"),
    ({"watchedSeconds": 10, "playbackSpeed": "fast"}, "playbackSpeed"),
]


def test_put_progress_rejects_bad_input_without_writing(student, db, seeded, emitted):
    path = f"{STUDENT}/videos/{seeded.video_ids(0)[1]}/progress"
    for body, field in BAD_PROGRESS:
        assert error(student.put(path, json=body), 400, "INVALID_REQUEST")["details"]["field"] == field, body
    error(student.put(path, data="{watched", content_type="application/json"), 400, "INVALID_REQUEST")
    assert my_rows(db, seeded, VideoProgress) == 0 and my_rows(db, seeded, CourseProgress) == 1 and emitted == []


def test_video_progress_of_an_unknown_video_is_404(student):
    for video_id in UNKNOWN_IDS:
        error(student.get(f"{STUDENT}/videos/{video_id}/progress"), 404, "NOT_FOUND")
        error(student.put(f"{STUDENT}/videos/{video_id}/progress", json={"watchedSeconds": 1}), 404, "NOT_FOUND")


def test_video_progress_needs_auth_and_csrf(anon, student, db, seeded):
    vid = seeded.video_ids(0)[1]
    error(anon.get(f"{STUDENT}/videos/{vid}/progress"), 401, "AUTH_REQUIRED")
    error(anon.put(f"{STUDENT}/videos/{vid}/progress", json={"watchedSeconds": 1}), 401, "AUTH_REQUIRED")
    error(student.put(f"{STUDENT}/videos/{vid}/progress", json={"watchedSeconds": 1}, csrf=False), 403, "CSRF_INVALID")
    assert my_rows(db, seeded, VideoProgress, VideoProgress.video_id == vid) == 0


def test_unpublished_video_is_404_except_for_the_owner(student, instructor, db, seeded):
    vid = seeded.video_ids(0)[1]
    db.execute(sa.update(Video).where(Video.id == vid).values(is_published=False))
    db.commit()
    error(student.get(f"{STUDENT}/videos/{vid}/progress"), 404, "NOT_FOUND")
    error(student.put(f"{STUDENT}/videos/{vid}/progress", json={"watchedSeconds": 1}), 404, "NOT_FOUND")
    assert data(instructor.get(f"{STUDENT}/videos/{vid}/progress"))["videoId"] == vid


def test_video_of_a_soft_deleted_course_is_404(student, db, seeded):
    db.execute(sa.update(Course).where(Course.id == seeded.enrolled_course).values(is_deleted=True))
    db.commit()
    error(student.get(f"{STUDENT}/videos/{seeded.video_ids(0)[0]}/progress"), 404, "NOT_FOUND")


# --- P26 ----------------------------------------------------------------------------------------------

def test_complete_is_idempotent_and_recomputes_course_progress(student, db, seeded):
    vid, total = seeded.video_ids(0)[0], len(seeded.video_ids(0))
    first = data(student.post(f"{STUDENT}/videos/{vid}/complete"))
    assert first == {"videoId": vid, "completed": True, "completedAt": first["completedAt"],
                     "courseProgress": {"videosCompleted": 1, "totalVideos": total,
                                        "percentComplete": round(100 / total, 2)}}
    again = data(student.post(f"{STUDENT}/videos/{vid}/complete"))
    assert again == first  # the first completedAt is kept
    uid = seeded.user_id(accounts.STUDENT)
    cp = course_progress(db, uid, seeded.enrolled_course)
    assert cp.completed_videos == [vid] and cp.completion_percentage == round(100 / total, 2)
    assert data(student.get(f"{STUDENT}/videos/{vid}/progress"))["completedAt"] == first["completedAt"]
    assert enrollment(db, uid, seeded.enrolled_course).progress_percentage == round(100 / total, 2)


def test_completing_every_video_completes_the_enrollment(student, db, seeded):
    for vid in seeded.video_ids(0):
        last = data(student.post(f"{STUDENT}/videos/{vid}/complete"))
    assert last["courseProgress"]["percentComplete"] == 100.0
    e = enrollment(db, seeded.user_id(accounts.STUDENT), seeded.enrolled_course)
    assert (e.status, e.certificate_issued, e.completed_at is not None) == ("completed", True, True)
    progress = data(student.get(f"{STUDENT}/courses/{seeded.enrolled_course}/progress"))
    assert progress["certificateEarnedAt"] is not None and progress["percentComplete"] == 100.0
    # A completed enrollment still counts as enrolled.
    assert [c["enrollment"]["status"] for c in data(student.get(f"{STUDENT}/courses"))["courses"]] == ["completed"]
    error(student.post(f"{STUDENT}/courses/{seeded.enrolled_course}/enroll", json={}), 409, "ALREADY_ENROLLED")


def test_complete_needs_an_enrollment(student, db, seeded):
    vid = seeded.video_ids(1)[0]
    error(student.post(f"{STUDENT}/videos/{vid}/complete"), 403, "NOT_ENROLLED")
    assert my_rows(db, seeded, VideoProgress, VideoProgress.video_id == vid, VideoProgress.completed.is_(True)) == 0


def test_complete_unknown_video_is_404(student):
    for video_id in UNKNOWN_IDS:
        error(student.post(f"{STUDENT}/videos/{video_id}/complete"), 404, "NOT_FOUND")


def test_complete_needs_auth_and_csrf(anon, student, db, seeded):
    vid = seeded.video_ids(0)[0]
    error(anon.post(f"{STUDENT}/videos/{vid}/complete"), 401, "AUTH_REQUIRED")
    error(student.post(f"{STUDENT}/videos/{vid}/complete", csrf=False), 403, "CSRF_INVALID")
    assert my_rows(db, seeded, VideoProgress, VideoProgress.video_id == vid) == 0


# --- P27 ----------------------------------------------------------------------------------------------

def quiz_answer_path(seeded, video: int = 0, quiz_video: int | None = None, quiz_id: str | None = None) -> str:
    vid = seeded.video_ids(0)[video]
    qid = quiz_id or seeded.quiz_id(0, video if quiz_video is None else quiz_video)
    return f"{STUDENT}/videos/{vid}/quiz/{qid}/answer"


def test_quiz_answer_grades_records_attempts_and_notifies_the_instructor(student, db, seeded, emitted):
    quiz = fresh(db).get(Quiz, seeded.quiz_id(0, 0))
    right, wrong = quiz.correct_answer, (quiz.correct_answer + 1) % len(quiz.options)
    d = data(student.post(quiz_answer_path(seeded), json={"answer": right, "timeSpent": 30}))
    assert d == {"quizId": quiz.id, "correct": True, "correctAnswer": right, "explanation": quiz.explanation,
                 "attemptNumber": 1}
    d = data(student.post(quiz_answer_path(seeded), json={"answer": wrong}))
    assert (d["correct"], d["attemptNumber"]) == (False, 2)
    uid = seeded.user_id(accounts.STUDENT)
    attempts = fresh(db).scalars(sa.select(QuizAttempt).order_by(QuizAttempt.attempt_number)
                                 .where(QuizAttempt.user_id == uid, QuizAttempt.quiz_id == quiz.id)).all()
    assert [(a.answers, a.is_passed, a.score, a.time_taken) for a in attempts] == [
        ({"answer": right}, True, 100.0, 30), ({"answer": wrong}, False, 0.0, 0)]
    room = (f"instructor_{seeded.enrolled_course}",)
    assert emitted == [("quiz_submission", {"user_id": uid, "quiz_id": quiz.id, "score": 100.0, "passed": True}, room),
                       ("quiz_submission", {"user_id": uid, "quiz_id": quiz.id, "score": 0.0, "passed": False}, room)]
    got = data(student.get(f"{STUDENT}/videos/{seeded.video_ids(0)[0]}/progress"))["quizAttempts"]
    assert [(a["quizId"], a["answer"], a["correct"]) for a in got] == [(quiz.id, right, True), (quiz.id, wrong, False)]
    assert all(a["attemptedAt"].endswith("Z") for a in got)


BAD_ANSWERS = [({"answer": 4}, "answer"), ({"answer": -1}, "answer"), ({}, "answer"), ({"answer": "1"}, "answer"),
               ({"answer": 1, "timeSpent": -2}, "timeSpent")]


def test_quiz_answer_rejects_bad_answers_without_recording(student, db, seeded, emitted):
    assert len(fresh(db).get(Quiz, seeded.quiz_id(0, 0)).options) == 4
    for body, field in BAD_ANSWERS:
        err = error(student.post(quiz_answer_path(seeded), json=body), 400, "INVALID_REQUEST")
        assert err["details"]["field"] == field, body
    assert my_rows(db, seeded, QuizAttempt) == 0 and emitted == []


def test_quiz_not_on_that_video_is_404(student, db, seeded):
    for path in (quiz_answer_path(seeded, quiz_video=1), *(quiz_answer_path(seeded, quiz_id=q) for q in UNKNOWN_IDS)):
        error(student.post(path, json={"answer": 0}), 404, "NOT_FOUND")
    assert my_rows(db, seeded, QuizAttempt) == 0


def test_quiz_answer_guards(anon, student, student2, db, seeded):
    error(anon.post(quiz_answer_path(seeded), json={"answer": 0}), 401, "AUTH_REQUIRED")
    error(student.post(quiz_answer_path(seeded), json={"answer": 0}, csrf=False), 403, "CSRF_INVALID")
    open_video, open_quiz = seeded.video_ids(1)[0], seeded.quiz_id(1, 0)
    error(student.post(f"{STUDENT}/videos/{open_video}/quiz/{open_quiz}/answer", json={"answer": 0}),
          403, "NOT_ENROLLED")
    assert my_rows(db, seeded, QuizAttempt) == 0


# --- P28 ----------------------------------------------------------------------------------------------

def _rating_of(db, course_id: str) -> tuple[float, int]:
    ratings = fresh(db).scalars(sa.select(Review.rating).where(Review.course_id == course_id,
                                                               Review.is_deleted.is_(False))).all()
    return (round(sum(ratings) / len(ratings), 2) if ratings else 0.0), len(ratings)


def test_review_is_created_then_updated_and_recomputes_the_course_rating(student, db, seeded, emitted):
    cid, path = seeded.enrolled_course, f"{STUDENT}/courses/{seeded.enrolled_course}/review"
    body = {"rating": 5, "title": "Excellent Course!", "comment": "Very clear.", "pros": ["Clear"], "cons": ["Short"]}
    created = data(student.post(path, json=body), 201)
    assert set(created) == REVIEW_KEYS
    assert {k: created[k] for k in body} == body
    assert (created["userId"], created["courseId"], created["userName"], created["verified"], created["helpful"]) == (
        seeded.user_id(accounts.STUDENT), cid, "Sam Student", True, 0)
    c = course(db, cid)
    assert (c.rating, c.rating_count) == _rating_of(db, cid) and c.rating_count >= 1
    assert emitted == [("new_review", {"user_email": accounts.STUDENT.email, "rating": 5, "comment": "Very clear."},
                        (f"course_{cid}",))]

    updated = data(student.post(path, json={"rating": 1}), 200)
    assert updated["id"] == created["id"] and updated["rating"] == 1
    assert (updated["title"], updated["comment"], updated["pros"]) == ("Excellent Course!", "Very clear.", ["Clear"])
    c = course(db, cid)
    assert (c.rating, c.rating_count) == _rating_of(db, cid)
    assert count(db, Review, Review.course_id == cid, Review.user_id == seeded.user_id(accounts.STUDENT)) == 1
    reviews = data(student.get(f"/api/v1/courses/{cid}/reviews"))["reviews"]
    assert next(r for r in reviews if r["id"] == created["id"])["rating"] == 1


BAD_REVIEWS = [
    ({}, "rating"), ({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({"rating": "5"}, "rating"),
    ({"rating": 4, "title": "t" * 256}, "title"), ({"rating": 4, "comment": 3}, "comment"),
    ({"rating": 4, "pros": "good"}, "pros"), ({"rating": 4, "cons": [1]}, "cons"),
]


def test_review_rejects_bad_input_without_writing(student, db, seeded, emitted):
    before = (course(db, seeded.enrolled_course).rating, course(db, seeded.enrolled_course).rating_count)
    for body, field in BAD_REVIEWS:
        err = error(student.post(f"{STUDENT}/courses/{seeded.enrolled_course}/review", json=body), 400,
                    "INVALID_REQUEST")
        assert err["details"]["field"] == field, body
    assert my_rows(db, seeded, Review) == 0 and emitted == []
    assert (course(db, seeded.enrolled_course).rating, course(db, seeded.enrolled_course).rating_count) == before


def test_review_guards(anon, student, db, seeded):
    error(anon.post(f"{STUDENT}/courses/{seeded.enrolled_course}/review", json={"rating": 5}), 401, "AUTH_REQUIRED")
    error(student.post(f"{STUDENT}/courses/{seeded.enrolled_course}/review", json={"rating": 5}, csrf=False),
          403, "CSRF_INVALID")
    error(student.post(f"{STUDENT}/courses/{seeded.open_course}/review", json={"rating": 5}), 403, "NOT_ENROLLED")
    for cid in UNKNOWN_IDS:
        error(student.post(f"{STUDENT}/courses/{cid}/review", json={"rating": 5}), 404, "NOT_FOUND")
    assert my_rows(db, seeded, Review) == 0


# --- the public course pages follow the counters --------------------------------------------------------

def _public_views(anon, course_id: str) -> list[dict]:
    """The course as the catalogue (P16) and its detail page (P17) show it (cached on the Django app)."""
    listed = next(c for c in data(anon.get("/api/v1/courses"))["courses"] if c["id"] == course_id)
    return [listed, data(anon.get(f"/api/v1/courses/{course_id}"))]


def test_enrollments_and_reviews_show_on_the_public_course_pages_at_once(anon, student, seeded):
    cid = seeded.open_course
    before = _public_views(anon, cid)  # read first, so a cache holds them
    data(student.post(f"{STUDENT}/courses/{cid}/enroll", json={}))
    enrolled = _public_views(anon, cid)
    for old, new in zip(before, enrolled):
        assert new["enrollmentCount"] == old["enrollmentCount"] + 1
        assert new["instructor"]["studentsCount"] == old["instructor"]["studentsCount"] + 1
    data(student.post(f"{STUDENT}/courses/{cid}/review", json={"rating": 1}), 201)
    reviewed = _public_views(anon, cid)
    for old, new in zip(enrolled, reviewed):
        assert new["ratingCount"] == old["ratingCount"] + 1 and new["rating"] < old["rating"]
    data(student.post(f"{STUDENT}/courses/{cid}/unenroll"))
    assert [v["enrollmentCount"] for v in _public_views(anon, cid)] == [v["enrollmentCount"] for v in before]


# --- N+1 guard ----------------------------------------------------------------------------------------

def _routes(seeded) -> list[tuple[str, str, dict | None]]:
    cid, vid = seeded.enrolled_course, seeded.video_ids(0)[0]
    return [
        ("GET", f"{STUDENT}/courses", None),
        ("POST", f"{STUDENT}/courses/{seeded.open_course}/enroll", {}),
        ("POST", f"{STUDENT}/courses/{seeded.open_course}/unenroll", None),
        ("GET", f"{STUDENT}/courses/{cid}/progress", None),
        ("GET", f"{STUDENT}/videos/{vid}/progress", None),
        ("PUT", f"{STUDENT}/videos/{vid}/progress", {"watchedSeconds": 10}),
        ("PUT", f"{STUDENT}/videos/{vid}/progress", {"watchedSeconds": 20}),
        ("POST", f"{STUDENT}/videos/{vid}/complete", None),
        ("POST", f"{STUDENT}/videos/{vid}/complete", None),
        ("POST", f"{STUDENT}/videos/{vid}/quiz/{seeded.quiz_id(0, 0)}/answer", {"answer": 0}),
        ("POST", f"{STUDENT}/courses/{cid}/review", {"rating": 4}),
        ("POST", f"{STUDENT}/courses/{cid}/review", {"rating": 3}),
        ("GET", f"{STUDENT}/courses", None),
    ]


def test_student_routes_stay_under_ten_queries(student, count_sql, seeded):
    for method, path, body in _routes(seeded):
        with count_sql() as sql:
            resp = student.request(method, path, json=body) if body is not None else student.request(method, path)
        assert resp.status_code in (200, 201), (method, path, resp.get_json())
        assert len(sql) < 10, (method, path, sql.statements)
