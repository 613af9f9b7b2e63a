"""Student progress, P23–P27 (API.md §3.4): course and video progress, completion, quiz answers, and the
Socket.IO events they emit (§4.2)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.models import Course, CourseProgress, Quiz, QuizAttempt, Video, VideoProgress
from tests.api.student_helpers import STUDENT, UNKNOWN_IDS, enrollment, fresh, my_rows
from tests.conftest import data, error

COURSE_PROGRESS_KEYS = {"userId", "courseId", "videosCompleted", "totalVideos", "percentComplete", "lastAccessedAt",
                        "certificateEarnedAt", "quizScores"}
VIDEO_PROGRESS_KEYS = {"userId", "videoId", "watchedSeconds", "totalSeconds", "percentComplete", "lastPosition",
                       "playbackSpeed", "lastWatchedAt", "completedAt", "quizAttempts", "reflectionCount", "bookmarks"}


def course_progress(db, user_id: str, course_id: str) -> CourseProgress:
    return fresh(db).scalar(sa.select(CourseProgress).where(CourseProgress.user_id == user_id,
                                                            CourseProgress.course_id == course_id))


def video(db, video_id: str) -> Video:
    return fresh(db).get(Video, video_id)


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
