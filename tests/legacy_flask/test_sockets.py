"""The Socket.IO channel (API.md §4): handshake auth on every transport, room auth, the client events
of §4.1 and the server events of §4.2, on both database engines."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import jwt
import pytest
import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.auth import tokens
from legacy_flask.events import course_room, emit as server_emit, instructor_room, video_room
from legacy_flask.extensions import socketio
from legacy_flask.models import User

CONNECTED = ("connected", {"status": "Connected successfully"})
JOINED = "Joined successfully"

#: How each handshake transport of API.md §4 carries a token.
TRANSPORTS: dict[str, Callable[[str], dict[str, Any]]] = {
    "auth_packet": lambda token: {"auth": {"token": token}},
    "query": lambda token: {"query_string": f"token={token}"},
    "bearer_header": lambda token: {"headers": {"Authorization": f"Bearer {token}"}},
    "cookie": lambda token: {"headers": {"Cookie": f"access_token={token}"}},
}


class Sock:
    """One Socket.IO test client; `events()` drains what the server sent it as (name, payload) pairs."""

    def __init__(self, client) -> None:
        self.client = client

    @property
    def connected(self) -> bool:
        return self.client.is_connected()

    def emit(self, event: str, *args: Any) -> None:
        self.client.emit(event, *args)

    def events(self) -> list[tuple[str, Any]]:
        # The queue is read directly: get_received() refuses once the server has dropped the client,
        # and what was sent before the drop is exactly what the auth-failure tests look at.
        out = [(p["name"], p["args"][0] if p["args"] else None) for p in self.client.queue]
        self.client.queue.clear()
        return out


@pytest.fixture
def connect(app):
    """connect(token, transport="auth_packet", **test_client_kwargs) -> Sock."""
    opened: list = []

    def _connect(token: str | None = None, transport: str = "auth_packet", **kw: Any) -> Sock:
        if token is not None:
            kw.update(TRANSPORTS[transport](token))
        client = socketio.test_client(app, **kw)
        opened.append(client)
        return Sock(client)

    yield _connect
    for client in opened:
        if client.is_connected():
            client.disconnect()


@pytest.fixture
def sock(connect):
    """sock(caller) -> a connected Sock for a logged-in caller, its `connected` event already drained."""

    def _sock(caller) -> Sock:
        s = connect(caller.access_token)
        assert s.events() == [CONNECTED]
        return s

    return _sock


@pytest.fixture
def callers(request) -> Callable[[str], Any]:
    return request.getfixturevalue


def issue(app, caller, kind: str = "access", age: timedelta = timedelta(0)) -> str:
    user = caller.user
    with app.app_context():
        token, _ = tokens.issue(user["id"], caller.session_id, user["email"], [r["name"] for r in user["roles"]],
                                kind, now=datetime.now(timezone.utc) - age)
    return token


def probe(*rooms: str) -> None:
    """A server-side emit to `rooms`, the path REST writes use (legacy_flask.events)."""
    for room in rooms:
        server_emit(f"probe:{room}", {}, room)


def error_of(events: list[tuple[str, Any]]) -> str:
    assert len(events) == 1 and events[0][0] == "error", events
    payload = events[0][1]
    assert set(payload) == {"message"} and isinstance(payload["message"], str) and payload["message"]
    return payload["message"]


# --- connect -------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connect_accepts_a_valid_token_on_every_transport(connect, student, seeded, transport):
    s = connect(student.access_token, transport)
    assert s.connected
    assert s.events() == [CONNECTED]
    s.emit("join_course", {"course_id": seeded.enrolled_course})  # the identity is the student's
    assert s.events() == [("joined_course", {"course_id": seeded.enrolled_course, "status": JOINED})]


def test_connect_accepts_the_cookie_jar_of_a_logged_in_browser(connect, student):
    s = connect(flask_test_client=student.client)
    assert s.connected and s.events() == [CONNECTED]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connect_refuses_an_invalid_token_on_every_transport(connect, transport):
    s = connect("not-a-jwt", transport)
    assert not s.connected
    assert s.events() == []


def _foreign_signature(app, student, db) -> dict:
    now = datetime.now(timezone.utc)
    claims = {"sub": student.user["id"], "sid": student.session_id, "type": "access", "email": student.user["email"],
              "roles": ["student"], "iat": int(now.timestamp()), "exp": int((now + timedelta(hours=1)).timestamp())}
    return {"auth": {"token": jwt.encode(claims, "another-secret-another-secret-0123456789", algorithm="HS256")}}


def _refresh_token(app, student, db) -> dict:
    return {"auth": {"token": student.client.get_cookie("refresh_token").value}}


def _revoked_session(app, student, db) -> dict:
    assert student.post("/api/v1/auth/logout").status_code == 200
    return {"auth": {"token": student.access_token}}


def _disabled_account(app, student, db) -> dict:
    db.execute(sa.update(User).where(User.id == student.user["id"]).values(status="suspended"))
    db.commit()
    return {"auth": {"token": student.access_token}}


def _no_token(app, student, db) -> dict:
    return {}


def _malformed_header(app, student, db) -> dict:
    return {"headers": {"Authorization": f"Basic {student.access_token}"}}


@pytest.mark.parametrize("handshake", [_no_token, _malformed_header, _foreign_signature, _refresh_token,
                                       _revoked_session, _disabled_account], ids=lambda f: f.__name__.strip("_"))
def test_connect_refuses_what_rest_would_reject(app, connect, student, db, handshake):
    s = connect(**handshake(app, student, db))
    assert not s.connected
    assert s.events() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connect_with_an_expired_token_gets_an_error_then_a_disconnect(app, connect, student, transport):
    s = connect(issue(app, student, age=timedelta(hours=2)), transport)
    assert s.events() == [("error", {"message": "Token has expired"})]
    assert not s.connected


@pytest.mark.parametrize("auth_ok", [True, False], ids=["valid_packet_bad_header", "bad_packet_valid_header"])
def test_the_connect_packet_token_wins_over_the_header(connect, student, auth_ok):
    good, bad = student.access_token, "not-a-jwt"
    s = connect(auth={"token": good if auth_ok else bad},
                headers={"Authorization": f"Bearer {bad if auth_ok else good}"})
    assert s.connected is auth_ok


def test_a_revoked_session_loses_the_socket_at_its_next_event(sock, student, seeded):
    s = sock(student)
    assert student.post("/api/v1/auth/logout").status_code == 200
    s.emit("join_course", {"course_id": seeded.enrolled_course})
    assert s.events() == [("error", {"message": "Session has been revoked"})]
    assert not s.connected


# --- join_course / leave_course ------------------------------------------------------------------


@pytest.mark.parametrize("who, course, instructor_room_too", [
    ("student", "enrolled_course", False),
    ("instructor", "enrolled_course", True),
    ("instructor", "draft_course", True),
    ("admin", "other_instructor_course", True),
])
def test_join_course_puts_members_in_the_course_room_and_owners_in_the_instructor_room(
        sock, callers, seeded, who, course, instructor_room_too):
    course_id = getattr(seeded, course)
    s = sock(callers(who))
    s.emit("join_course", {"course_id": course_id})
    assert s.events() == [("joined_course", {"course_id": course_id, "status": JOINED})]
    probe(course_room(course_id), instructor_room(course_id))
    rooms = [course_room(course_id)] + ([instructor_room(course_id)] if instructor_room_too else [])
    assert [name for name, _ in s.events()] == [f"probe:{room}" for room in rooms]


@pytest.mark.parametrize("who, course", [
    ("student", "open_course"),            # published, not enrolled
    ("student", "draft_course"),
    ("instructor2", "enrolled_course"),    # another instructor's course
])
def test_join_course_refuses_callers_without_enrollment_or_ownership(sock, callers, seeded, who, course):
    course_id = getattr(seeded, course)
    s = sock(callers(who))
    s.emit("join_course", {"course_id": course_id})
    assert "not enrolled" in error_of(s.events())
    probe(course_room(course_id), instructor_room(course_id))
    assert s.events() == []


@pytest.mark.parametrize("payload, fragment", [
    ({}, "course_id is required"),
    ({"course_id": ""}, "course_id is required"),
    (None, "course_id is required"),
    ("just text", "course_id is required"),
    ({"course_id": 5}, "course_id must be a string"),
    ({"course_id": "not-a-uuid"}, "Course not found"),
    ({"course_id": str(uuid.uuid4())}, "Course not found"),
])
def test_join_course_reports_a_missing_parameter_or_an_unknown_room(sock, student, payload, fragment):
    s = sock(student)
    s.emit("join_course", payload)
    assert fragment in error_of(s.events())
    assert s.connected


def test_leave_course_leaves_the_course_and_instructor_rooms_without_an_ack(sock, instructor, seeded):
    course_id = seeded.enrolled_course
    s = sock(instructor)
    s.emit("join_course", {"course_id": course_id})
    s.events()
    s.emit("leave_course", {"course_id": course_id.upper()})
    assert s.events() == []
    probe(course_room(course_id), instructor_room(course_id))
    assert s.events() == []


def test_leave_course_without_a_course_id_is_an_error(sock, student):
    s = sock(student)
    s.emit("leave_course", {})
    assert "course_id is required" in error_of(s.events())


# --- join_video ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who, course_index, video, allowed", [
    ("student", 1, 0, True),       # a preview of a published course: anyone signed in
    ("student", 1, 1, False),      # not a preview, not enrolled
    ("student", 0, 1, True),       # enrolled
    ("student", 2, 0, False),      # a preview of a draft course stays closed
    ("instructor", 2, 1, True),    # the owner, draft or not
    ("admin", 3, 1, True),
])
def test_join_video_room_auth(sock, callers, seeded, who, course_index, video, allowed):
    video_id = seeded.video_ids(course_index)[video]
    s = sock(callers(who))
    s.emit("join_video", {"video_id": video_id})
    if allowed:
        assert s.events() == [("joined_video", {"video_id": video_id, "status": JOINED})]
    else:
        assert "not enrolled" in error_of(s.events())
    probe(video_room(video_id))
    assert [name for name, _ in s.events()] == ([f"probe:{video_room(video_id)}"] if allowed else [])


def test_join_video_announces_the_newcomer_to_the_others_only(sock, student, student2, instructor, seeded):
    videos = seeded.video_ids(0)
    teacher, learner, elsewhere = sock(instructor), sock(student), sock(student2)
    teacher.emit("join_video", {"video_id": videos[1]})
    elsewhere.emit("join_video", {"video_id": videos[0]})
    teacher.events(), elsewhere.events()

    learner.emit("join_video", {"video_id": videos[1]})
    assert learner.events() == [("joined_video", {"video_id": videos[1], "status": JOINED})]
    assert teacher.events() == [("user_joined_video", {"user_id": student.user["id"],
                                                       "user_email": accounts.STUDENT.email})]
    assert elsewhere.events() == []


@pytest.mark.parametrize("payload, fragment", [
    ({}, "video_id is required"),
    ({"video_id": "not-a-uuid"}, "Video not found"),
    ({"video_id": str(uuid.uuid4())}, "Video not found"),
])
def test_join_video_reports_a_missing_parameter_or_an_unknown_room(sock, student, payload, fragment):
    s = sock(student)
    s.emit("join_video", payload)
    assert fragment in error_of(s.events())


# --- video_progress ------------------------------------------------------------------------------


@pytest.fixture
def progress_rooms(sock, instructor, instructor2, student, seeded):
    """The instructor watching course 0's dashboard, the student in course 0's room, and instructor2
    on the dashboard of their own course."""
    teacher, learner, other = sock(instructor), sock(student), sock(instructor2)
    teacher.emit("join_course", {"course_id": seeded.enrolled_course})
    learner.emit("join_course", {"course_id": seeded.enrolled_course})
    other.emit("join_course", {"course_id": seeded.other_instructor_course})
    for s in (teacher, learner, other):
        assert [name for name, _ in s.events()] == ["joined_course"]
    return teacher, learner, other


@pytest.mark.parametrize("who, video", [("student", 1), ("instructor2", 0)], ids=["enrolled", "preview_viewer"])
def test_video_progress_reaches_the_instructor_room_only(progress_rooms, callers, seeded, who, video):
    teacher, learner, other = progress_rooms
    sender = {"student": learner, "instructor2": other}[who]
    video_id = seeded.video_ids(0)[video]
    sender.emit("video_progress", {"video_id": video_id, "course_id": seeded.enrolled_course,
                                   "progress": 42.5, "timestamp": 120})
    assert teacher.events() == [("student_progress", {"user_id": callers(who).user["id"], "video_id": video_id,
                                                      "progress": 42.5, "timestamp": 120})]
    assert learner.events() == [] and other.events() == []


def _progress(seeded, **changes) -> dict:
    body = {"video_id": seeded.video_ids(0)[1], "course_id": seeded.enrolled_course, "progress": 50, "timestamp": 30}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize("changes, fragment", [
    ({"video_id": _DROP}, "video_id is required"),
    ({"course_id": _DROP}, "course_id is required"),
    ({"progress": _DROP}, "progress is required"),
    ({"timestamp": _DROP}, "timestamp is required"),
    ({"progress": "50"}, "progress must be a number"),
    ({"progress": True}, "progress must be a number"),
    ({"progress": 100.5}, "progress must be a number"),
    ({"timestamp": -1}, "timestamp must be a number"),
    ({"video_id": str(uuid.uuid4())}, "Video not found"),
    ({"course_id": "open"}, "Video not found in this course"),
])
def test_video_progress_reports_bad_payloads_and_sends_nothing(progress_rooms, seeded, changes, fragment):
    teacher, learner, _ = progress_rooms
    if changes.get("course_id") == "open":
        changes = {"course_id": seeded.open_course}
    learner.emit("video_progress", _progress(seeded, **changes))
    assert fragment in error_of(learner.events())
    assert teacher.events() == []


def test_video_progress_from_an_outsider_is_refused(progress_rooms, seeded):
    teacher, _, outsider = progress_rooms  # instructor2: neither enrolled in nor owner of course 0
    outsider.emit("video_progress", _progress(seeded))
    assert "not enrolled" in error_of(outsider.events())
    assert teacher.events() == []


# --- send_chat_message ---------------------------------------------------------------------------


@pytest.fixture
def chat_room(sock, student, instructor, instructor2, seeded):
    """The student and the instructor in video 1 of course 0; instructor2 in a video of their own."""
    video_id = seeded.video_ids(0)[1]
    learner, teacher, other = sock(student), sock(instructor), sock(instructor2)
    learner.emit("join_video", {"video_id": video_id})
    teacher.emit("join_video", {"video_id": video_id})
    other.emit("join_video", {"video_id": seeded.video_ids(3)[1]})
    for s in (learner, teacher, other):
        s.events()
    return video_id, learner, teacher, other


def test_chat_message_reaches_everyone_in_the_video_room_sender_included(chat_room, student):
    video_id, learner, teacher, other = chat_room
    learner.emit("send_chat_message", {"video_id": video_id, "message": "What is a closure?",
                                       "timestamp": "2025-08-21T18:30:00Z"})
    expected = [("new_chat_message", {"user_id": student.user["id"], "user_email": accounts.STUDENT.email,
                                      "message": "What is a closure?", "timestamp": "2025-08-21T18:30:00Z"})]
    assert learner.events() == expected
    assert teacher.events() == expected
    assert other.events() == []


def test_chat_message_without_a_timestamp_gets_the_server_time(chat_room):
    video_id, learner, teacher, _ = chat_room
    before = datetime.now(timezone.utc).replace(microsecond=0)
    learner.emit("send_chat_message", {"video_id": video_id, "message": "hi"})
    (name, payload), = teacher.events()
    stamp = payload["timestamp"]
    assert name == "new_chat_message" and stamp.endswith("Z")
    assert before <= datetime.fromisoformat(stamp.replace("Z", "+00:00")) <= datetime.now(timezone.utc)


@pytest.mark.parametrize("changes, fragment", [
    ({"message": _DROP}, "message is required"),
    ({"message": "   "}, "message is required"),
    ({"video_id": _DROP}, "video_id is required"),
    ({"timestamp": 1724265000}, "timestamp must be an ISO-8601 string"),
    ({"video_id": "not-joined"}, "Join the video"),
])
def test_chat_message_reports_bad_payloads_and_sends_nothing(chat_room, seeded, changes, fragment):
    video_id, learner, teacher, other = chat_room
    if changes.get("video_id") == "not-joined":
        changes = {"video_id": seeded.video_ids(0)[2]}  # accessible, but never joined
    body = {"video_id": video_id, "message": "hello", "timestamp": "2025-08-21T18:30:00Z", **changes}
    learner.emit("send_chat_message", {k: v for k, v in body.items() if v is not _DROP})
    assert fragment in error_of(learner.events())
    assert teacher.events() == [] and other.events() == []


# --- REST writes reach the sockets and events leave no DB session behind -------------------------


def test_rest_enrollment_notifies_the_instructor_once(sock, student, instructor, instructor2, seeded):
    course_id = seeded.open_course
    teacher, other = sock(instructor), sock(instructor2)
    teacher.emit("join_course", {"course_id": course_id})  # owner: course_ and instructor_ rooms
    other.emit("join_course", {"course_id": seeded.other_instructor_course})
    teacher.events(), other.events()

    resp = student.post(f"/api/v1/student/courses/{course_id}/enroll", json={})
    assert resp.status_code == 200, resp.get_json()
    email = accounts.STUDENT.email
    assert teacher.events() == [("new_enrollment", {"user_id": student.user["id"], "user_email": email,
                                                    "message": f"{email} enrolled in the course"})]
    assert other.events() == []


def test_events_release_their_db_session(app, student, seeded):
    """Inside a long-lived app context no teardown runs between events; the handlers must still
    give their pooled connection back."""
    engine, registry = app.extensions["db_engine"], app.extensions["db_session"].registry
    with app.app_context():
        client = socketio.test_client(app, auth={"token": student.access_token})
        assert client.is_connected()
        assert engine.pool.checkedout() == 0 and not registry.has(), "connect"
        for event, payload in [("join_course", {"course_id": seeded.enrolled_course}),
                               ("join_video", {"video_id": seeded.video_ids(0)[1]}),
                               ("join_course", {"course_id": seeded.open_course})]:  # refused
            client.emit(event, payload)
            assert engine.pool.checkedout() == 0 and not registry.has(), event
        assert [p["name"] for p in client.get_received()] == ["connected", "joined_course", "joined_video", "error"]
        client.disconnect()
    assert engine.pool.checkedout() == 0
