"""AI features, P41–P46 (API.md §3.6): guards, the exact response shapes, the chat history kept in
ai_chats, numbers read from enrollment/progress/recommendation rows, determinism, the query budget."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from harness.seed import accounts, planned_rows
from legacy_flask.models import (
    AIChat,
    Course,
    CourseProgress,
    CourseRecommendation,
    Enrollment,
    Video,
    VideoProgress,
    utcnow,
)
from tests.conftest import SUMMARY_KEYS, data, error, send

AI = "/api/v1/ai"
MESSAGE_KEYS = {"id", "role", "content", "timestamp"}  # + videoContext on user messages, + intent when known
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
SEEDED_CHATS = planned_rows("small")["ai_chats"]
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def chats(db) -> list[AIChat]:
    db.expire_all()
    return list(db.scalars(sa.select(AIChat).order_by(AIChat.created_at, AIChat.id)))


def chat_path(video_id: str) -> str:
    return f"{AI}/videos/{video_id}/chat"


def ask(caller, video_id: str, message: str = "What does this mean?", **extra):
    return caller.post(chat_path(video_id), json={"message": message, **extra})


# --- guards ------------------------------------------------------------------------------------------

# (method, path template, body, owner-only): {course} is the instructor's enrolled course.
ROUTES = [
    ("get", "/courses/{course}/recommendations", None, True),
    ("post", "/courses/generate-outline", {"topic": "Python"}, False),
    ("get", "/videos/{video}/chat", None, False),
    ("post", "/videos/{video}/chat", {"message": "Hi"}, False),
    ("get", "/courses/{course}/analyze-engagement", None, True),
    ("get", "/users/learning-path", None, False),
]


def url(template: str, seeded, *, course_id: str | None = None, video_id: str | None = None) -> str:
    return AI + template.format(course=course_id or seeded.enrolled_course, video=video_id or seeded.video_ids(0)[1])


@pytest.mark.parametrize("method,template,body,owner_only", ROUTES)
def test_guards(anon, student, instructor2, db, seeded, method, template, body, owner_only):
    path = url(template, seeded)
    error(send(anon, method, path, body), 401, "AUTH_REQUIRED")
    if owner_only:
        error(send(student, method, path, body), 403, "FORBIDDEN")
        error(send(instructor2, method, path, body), 403, "FORBIDDEN")
    if method == "post":
        error(send(student, method, path, body, csrf=False), 403, "CSRF_INVALID")
    assert len(chats(db)) == SEEDED_CHATS  # the seeded exchanges only


@pytest.mark.parametrize("method,template,body,owner_only", [r for r in ROUTES if "{" in r[1]])
def test_unknown_non_uuid_and_deleted_ids_are_404(instructor, db, seeded, method, template, body, owner_only):
    for bad_id in (str(uuid.uuid4()), "not-a-uuid"):
        error(send(instructor, method, url(template, seeded, course_id=bad_id, video_id=bad_id), body),
              404, "NOT_FOUND")
    db.get(Course, seeded.enrolled_course).is_deleted = True  # its videos go with it
    db.commit()
    error(send(instructor, method, url(template, seeded), body), 404, "NOT_FOUND")


# --- P41 recommendations for the instructor ---------------------------------------------------------------

def test_recommendations_are_suggestions_for_the_course(instructor, admin, db, seeded):
    path = f"{AI}/courses/{seeded.enrolled_course}/recommendations"
    d = data(instructor.get(path))
    assert set(d) == {"courseId", "recommendations"} and d["courseId"] == seeded.enrolled_course
    assert len(d["recommendations"]) >= 3 and all(isinstance(r, str) and r for r in d["recommendations"])
    assert data(instructor.get(path)) == d == data(admin.get(path))  # deterministic, and admins may ask


def test_recommendations_follow_the_course_content(instructor, db, seeded):
    path = f"{AI}/courses/{seeded.enrolled_course}/recommendations"
    assert not any("preview" in r for r in data(instructor.get(path))["recommendations"])
    db.execute(sa.update(Video).where(Video.course_id == seeded.enrolled_course).values(is_preview=False))
    db.commit()
    assert any("preview" in r for r in data(instructor.get(path))["recommendations"])
    empty = data(instructor.post("/api/v1/instructor/courses", json={"title": "Empty"}), 201)
    tips = data(instructor.get(f"{AI}/courses/{empty['id']}/recommendations"))["recommendations"]
    assert any("first video" in r for r in tips)


# --- P42 outline -----------------------------------------------------------------------------------------

OUTLINE_KEYS = {"title", "description", "objectives", "modules", "prerequisites", "targetAudience", "estimatedDuration"}


def test_generate_outline_has_the_documented_shape(student):
    body = {"topic": "Rust", "level": "advanced", "duration": 3, "targetAudience": "Systems programmers",
            "learningGoals": ["Write safe concurrent code"]}
    d = data(student.post(f"{AI}/courses/generate-outline", json=body))
    assert set(d) == OUTLINE_KEYS
    assert "Rust" in d["title"] and d["targetAudience"] == ["Systems programmers"]
    assert d["objectives"][0] == "Write safe concurrent code" and all(isinstance(o, str) for o in d["objectives"])
    assert d["modules"] and all(set(m) == {"title", "description", "lessons"} for m in d["modules"])
    lessons = [lesson for m in d["modules"] for lesson in m["lessons"]]
    assert lessons and all(set(lesson) == {"title", "duration", "topics"} for lesson in lessons)
    assert all(isinstance(lesson["duration"], int) and lesson["topics"] for lesson in lessons)
    assert d["estimatedDuration"] == sum(lesson["duration"] for lesson in lessons) == 3 * 60
    assert data(student.post(f"{AI}/courses/generate-outline", json=body)) == d


def test_generate_outline_defaults_from_the_topic_alone(student):
    d = data(student.post(f"{AI}/courses/generate-outline", json={"topic": "Knitting"}))
    assert set(d) == OUTLINE_KEYS and d["estimatedDuration"] > 0 and d["prerequisites"] and d["targetAudience"]


def test_generate_outline_validates(student):
    cases = [({}, "topic"), ({"topic": ""}, "topic"), ({"topic": 3}, "topic"), ({"level": "expert"}, "level"),
             ({"duration": 0}, "duration"), ({"duration": "2"}, "duration"), ({"targetAudience": 5}, "targetAudience"),
             ({"learningGoals": "x"}, "learningGoals"), ({"learningGoals": [1]}, "learningGoals")]
    for fields, field in cases:
        body = fields if field == "topic" else {"topic": "Go", **fields}
        error(student.post(f"{AI}/courses/generate-outline", json=body), 400, "INVALID_REQUEST", field)


# --- P43, P44 chat ---------------------------------------------------------------------------------------

def assert_message(message: dict, role: str) -> None:
    extra = {"videoContext"} if role == "user" else set()
    assert set(message) - {"intent"} == MESSAGE_KEYS | extra, message
    assert message["role"] == role and UUID4.fullmatch(message["id"]) and ISO_Z.fullmatch(message["timestamp"])


def test_history_replays_the_callers_latest_session(student, db, seeded):
    video_id = seeded.video_ids(0)[0]
    rows = [r for r in chats(db) if r.video_id == video_id]
    d = data(student.get(chat_path(video_id)))
    assert set(d) == {"id", "userId", "videoId", "messages", "contextSegments", "createdAt"}
    assert (d["id"], d["userId"], d["videoId"]) == (rows[0].session_id, seeded.user_id(accounts.STUDENT), video_id)
    assert d["contextSegments"] == [] and ISO_Z.fullmatch(d["createdAt"])
    assert [(m["role"], m["content"]) for m in d["messages"]] == \
        [pair for r in rows for pair in (("user", r.message), ("assistant", r.response))]
    for m in d["messages"]:
        assert_message(m, m["role"])
    assert d["messages"][0]["videoContext"] == rows[0].context_data["videoContext"]
    assert len({m["id"] for m in d["messages"]}) == len(d["messages"])


def test_history_is_private_and_empty_without_a_session(student2, instructor, seeded):
    for caller in (student2, instructor):
        d = data(caller.get(chat_path(seeded.video_ids(0)[0])))
        assert (d["id"], d["messages"], d["createdAt"]) == (None, [], None)


def test_chat_reply_is_stored_and_continues_its_session(student, db, seeded):
    video_id = seeded.video_ids(0)[1]
    context = {"startTime": 12, "endTime": 40, "content": "Defining a function", "segmentId": "seg-2"}
    first = data(ask(student, video_id, "Can you explain this?", sessionId="", videoContext=context))
    assert set(first) == MESSAGE_KEYS | {"intent", "sessionId"} and first["role"] == "assistant"
    assert UUID4.fullmatch(first["sessionId"]) and first["content"]
    row = chats(db)[-1]
    assert (row.user_id, row.video_id, row.course_id, row.session_id) == \
        (seeded.user_id(accounts.STUDENT), video_id, seeded.enrolled_course, first["sessionId"])
    assert (row.message, row.response, row.context_data["videoContext"]) == \
        ("Can you explain this?", first["content"], context)
    assert row.tokens_used > 0

    second = data(ask(student, video_id, "Give me an example", sessionId=first["sessionId"]))
    assert second["sessionId"] == first["sessionId"] and second["id"] != first["id"]
    history = data(student.get(chat_path(video_id)))
    assert history["id"] == first["sessionId"]
    assert [(m["role"], m["content"]) for m in history["messages"]] == [
        ("user", "Can you explain this?"), ("assistant", first["content"]),
        ("user", "Give me an example"), ("assistant", second["content"])]
    assert history["messages"][1]["id"] == first["id"] and history["messages"][0]["videoContext"] == context
    assert history["messages"][2]["videoContext"] == {}  # sent without one


def test_without_a_session_id_a_new_session_starts_and_becomes_the_latest(student, seeded):
    video_id = seeded.video_ids(0)[1]
    first = data(ask(student, video_id, "First question?"))
    second = data(ask(student, video_id, "Second question?"))
    assert first["sessionId"] != second["sessionId"]
    latest = data(student.get(chat_path(video_id)))
    assert latest["id"] == second["sessionId"] and len(latest["messages"]) == 2
    older = data(student.get(f"{chat_path(video_id)}?sessionId={first['sessionId']}"))
    assert older["id"] == first["sessionId"] and older["messages"][0]["content"] == "First question?"
    unknown = data(student.get(f"{chat_path(video_id)}?sessionId={uuid.uuid4()}"))
    assert (unknown["id"], unknown["messages"]) == (None, [])


def test_replies_are_deterministic(student, seeded):
    video_id = seeded.video_ids(0)[1]
    a = data(ask(student, video_id, "Summarize this part"))
    b = data(ask(student, video_id, "Summarize this part"))
    c = data(ask(student, video_id, "Quiz me on this"))
    assert a["content"] == b["content"] and a["intent"] == b["intent"] == "summary"
    assert c["content"] != a["content"] and c["intent"] == "quiz"


@pytest.mark.parametrize("who,course,video,status", [
    ("student", 1, 1, 403),  # not enrolled, not a preview
    ("student", 1, 0, 200),  # not enrolled, but a preview video of a published course
    ("student2", 0, 1, 200),  # enrolled
    ("instructor", 0, 1, 200),  # owner
    ("admin", 3, 1, 200),
    ("instructor2", 0, 1, 403),  # another instructor
])
def test_chat_needs_access_to_the_video(request, db, seeded, who, course, video, status):
    resp = ask(request.getfixturevalue(who), seeded.video_ids(course)[video])
    if status == 403:
        error(resp, 403, "NOT_ENROLLED")
        assert len(chats(db)) == SEEDED_CHATS
    else:
        data(resp)
        assert len(chats(db)) == SEEDED_CHATS + 1


def test_chat_validates_and_stores_nothing(student, db, seeded):
    cases = [({}, "message"), ({"message": ""}, "message"), ({"message": 5}, "message"),
             ({"message": "x" * 4001}, "message"), ({"videoContext": "start"}, "videoContext"),
             ({"videoContext": {"startTime": 5, "content": "c"}}, "videoContext"),
             ({"videoContext": {"startTime": 50, "endTime": 10, "content": "c"}}, "videoContext"),
             ({"sessionId": 7}, "sessionId"), ({"sessionId": "s" * 37}, "sessionId")]
    for fields, field in cases:
        body = fields if field == "message" else {"message": "Hi", **fields}
        error(student.post(chat_path(seeded.video_ids(0)[1]), json=body), 400, "INVALID_REQUEST", field)
    error(student.post(chat_path(seeded.video_ids(0)[1]), data="{", content_type="application/json"),
          400, "INVALID_REQUEST")
    assert len(chats(db)) == SEEDED_CHATS


# --- P45 engagement --------------------------------------------------------------------------------------

def expected_engagement(db, course_id: str) -> tuple[dict, list[dict]]:
    """The metrics and drop-off points recomputed from the rows, one student at a time."""
    db.expire_all()
    enrolled = list(db.scalars(sa.select(Enrollment).where(
        Enrollment.course_id == course_id, Enrollment.is_deleted.is_(False),
        Enrollment.status.in_(("active", "completed")))))
    users = {e.user_id for e in enrolled}
    progress = [p for p in db.scalars(sa.select(VideoProgress).where(VideoProgress.course_id == course_id))
                if p.user_id in users and not p.is_deleted]
    course_pct = {p.user_id: p.completion_percentage for p in db.scalars(sa.select(CourseProgress).where(
        CourseProgress.course_id == course_id, CourseProgress.section_id.is_(None)))}
    videos = db.scalars(sa.select(Video).where(Video.course_id == course_id, Video.is_deleted.is_(False))
                        .order_by(Video.order, Video.created_at, Video.id))
    return _expected_metrics(enrolled, progress, course_pct), _expected_drop_offs(videos, progress, len(enrolled))


def _expected_metrics(enrolled: list[Enrollment], progress: list[VideoProgress],
                      course_pct: dict[str, float]) -> dict:
    """P45's metrics from the live enrollments, their students' video progress and course-level percentages."""
    n = len(enrolled)
    students = {e.user_id for e in enrolled}
    completed = sum(e.status == "completed" or e.completed_at is not None for e in enrolled)
    return {"enrollments": n, "activeStudents": len({p.user_id for p in progress}),
            "completionRate": round(100 * completed / n, 2) if n else 0.0,
            "avgProgress": round(sum(course_pct.get(u, 0.0) for u in students) / n, 2) if n else 0.0}


def _expected_drop_offs(videos, progress: list[VideoProgress], enrollments: int) -> list[dict]:
    """Each video that fewer students watched than the one before it (before the first: the enrolled)."""
    points, previous = [], enrollments
    for video in videos:
        mine = [p for p in progress if p.video_id == video.id]
        viewers = len({p.user_id for p in mine})
        if previous and viewers < previous:
            stopped = [p.last_position for p in mine if not p.completed]
            points.append({"videoId": video.id, "title": video.title,
                           "timestamp": round(sum(stopped) / len(stopped)) if stopped else 0,
                           "dropOffRate": round(100 * (previous - viewers) / previous, 2)})
        previous = viewers
    return points


def test_engagement_is_computed_from_enrollments_and_progress(instructor, db, seeded):
    path = f"{AI}/courses/{seeded.enrolled_course}/analyze-engagement"
    d = data(instructor.get(path))
    assert set(d) == {"courseId", "metrics", "dropOffPoints", "insights", "improvementAreas", "generatedAt"}
    assert d["courseId"] == seeded.enrolled_course and ISO_Z.fullmatch(d["generatedAt"])
    metrics, points = expected_engagement(db, seeded.enrolled_course)
    assert metrics["enrollments"] > metrics["activeStudents"] > 0 and points  # the seed exercises every term
    assert d["metrics"] == metrics and d["dropOffPoints"] == points
    assert all(set(p) == {"videoId", "title", "timestamp", "dropOffRate"} for p in d["dropOffPoints"])
    assert d["insights"] and d["improvementAreas"] and all(isinstance(s, str) for s in d["insights"])

    # A completion, an unfinished watch and a dropped student all move the numbers.
    db.expire_all()
    enrollment = db.scalars(sa.select(Enrollment).where(Enrollment.course_id == seeded.enrolled_course)).first()
    enrollment.status, enrollment.completed_at = "completed", utcnow()
    watched = db.scalars(sa.select(VideoProgress).where(VideoProgress.course_id == seeded.enrolled_course)).first()
    watched.completed, watched.last_position = False, 42
    other = db.scalars(sa.select(Enrollment).where(Enrollment.course_id == seeded.enrolled_course,
                                                   Enrollment.id != enrollment.id)).first()
    other.status = "dropped"
    db.commit()
    changed = data(instructor.get(path))
    metrics, points = expected_engagement(db, seeded.enrolled_course)
    assert changed["metrics"] == metrics != d["metrics"] and changed["dropOffPoints"] == points
    assert changed["metrics"]["completionRate"] > 0


def test_engagement_of_a_course_without_students(instructor):
    created = data(instructor.post("/api/v1/instructor/courses", json={"title": "Nobody here"}), 201)
    d = data(instructor.get(f"{AI}/courses/{created['id']}/analyze-engagement"))
    assert d["metrics"] == {"enrollments": 0, "activeStudents": 0, "completionRate": 0.0, "avgProgress": 0.0}
    assert d["dropOffPoints"] == [] and d["insights"] and d["improvementAreas"]


# --- P46 learning path -----------------------------------------------------------------------------------

def live(rec: CourseRecommendation) -> bool:
    expires = rec.expires_at
    if expires is not None and expires.tzinfo is None:  # SQLite hands back naive UTC
        expires = expires.replace(tzinfo=UTC)
    return not rec.is_dismissed and (expires is None or expires > datetime.now(UTC))


def expected_path(db, user_id: str) -> list[tuple[str, str]]:
    db.expire_all()
    enrolled = [e.course_id for e in db.scalars(sa.select(Enrollment).where(
        Enrollment.user_id == user_id, Enrollment.is_deleted.is_(False), Enrollment.status.in_(("active", "completed")))
        .order_by(Enrollment.enrolled_at))]
    recs = db.scalars(sa.select(CourseRecommendation).where(CourseRecommendation.user_id == user_id)
                      .order_by(CourseRecommendation.score.desc(), CourseRecommendation.course_id))
    recommended = [r.course_id for r in recs
                   if live(r) and r.course_id not in enrolled and db.get(Course, r.course_id).is_published]
    return [(c, "enrolled") for c in enrolled] + [(c, "recommended") for c in recommended]


def test_learning_path_lists_enrollments_then_recommendations(student, db, seeded):
    d = data(student.get(f"{AI}/users/learning-path"))
    assert set(d) == {"steps", "generatedAt"} and ISO_Z.fullmatch(d["generatedAt"])
    expected = expected_path(db, seeded.user_id(accounts.STUDENT))
    assert [(s["course"]["id"], s["status"]) for s in d["steps"]] == expected
    assert {"enrolled", "recommended"} == {status for _, status in expected}
    assert [s["order"] for s in d["steps"]] == list(range(1, len(expected) + 1))
    for step in d["steps"]:
        assert set(step) == {"order", "course", "reason", "status"} and step["reason"]
        assert set(step["course"]) == SUMMARY_KEYS


def test_learning_path_drops_dismissed_expired_and_newly_enrolled_recommendations(student, db, seeded):
    uid = seeded.user_id(accounts.STUDENT)
    recs = list(db.scalars(sa.select(CourseRecommendation).where(CourseRecommendation.user_id == uid)
                           .order_by(CourseRecommendation.score.desc())))
    assert len(recs) >= 3
    recs[0].is_dismissed = True
    recs[1].expires_at = utcnow() - timedelta(days=1)
    db.add(Enrollment(user_id=uid, course_id=recs[2].course_id, status="active"))
    db.commit()
    d = data(student.get(f"{AI}/users/learning-path"))
    steps = [(s["course"]["id"], s["status"]) for s in d["steps"]]
    assert steps == expected_path(db, uid)
    assert (recs[2].course_id, "enrolled") in steps
    assert not {recs[0].course_id, recs[1].course_id} & {c for c, _ in steps}


def test_learning_path_is_empty_for_a_user_with_nothing(instructor):
    assert data(instructor.get(f"{AI}/users/learning-path"))["steps"] == []


# --- query budget ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who,method,template,body", [
    ("instructor", "get", "/courses/{course}/recommendations", None),
    ("admin", "get", "/courses/{course}/recommendations", None),
    ("student", "post", "/courses/generate-outline", {"topic": "SQL", "duration": 10}),
    ("student", "get", "/videos/{video}/chat", None),
    ("student", "post", "/videos/{video}/chat", {"message": "Why?", "videoContext":
                                                  {"startTime": 1, "endTime": 2, "content": "c"}}),
    ("admin", "get", "/courses/{course}/analyze-engagement", None),
    ("student", "get", "/users/learning-path", None),
])
def test_requests_stay_within_the_query_budget(request, count_sql, seeded, who, method, template, body):
    caller = request.getfixturevalue(who)
    with count_sql() as sql:
        resp = send(caller, method, url(template, seeded, video_id=seeded.video_ids(0)[0]), body)
    assert resp.status_code == 200, resp.get_json()
    assert len(sql) < 10, sql.statements
