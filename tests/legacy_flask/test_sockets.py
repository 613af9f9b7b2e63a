"""The Socket.IO channel (API.md §4): handshake auth on every transport, room auth, the client events
of §4.1 and the server events of §4.2, on both database engines."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from harness.seed import accounts
from legacy_flask.auth import tokens
from legacy_flask.events import course_room, instructor_room, video_room
from legacy_flask.events import emit as server_emit
from legacy_flask.extensions import socketio
from tests.socket_behaviour import (  # noqa: F401 - the shared behaviours, collected here with this module's fixtures
    chat_room,
    progress_rooms,
    test_a_revoked_session_loses_the_socket_at_its_next_event,
    test_chat_message_reaches_everyone_in_the_video_room_sender_included,
    test_chat_message_reports_bad_payloads_and_sends_nothing,
    test_chat_message_without_a_timestamp_gets_the_server_time,
    test_connect_accepts_a_valid_token_on_every_transport,
    test_connect_refuses_an_invalid_token_on_every_transport,
    test_join_course_reports_a_missing_parameter_or_an_unknown_room,
    test_join_video_announces_the_newcomer_to_the_others_only,
    test_join_video_reports_a_missing_parameter_or_an_unknown_room,
    test_leave_course_without_a_course_id_is_an_error,
    test_video_progress_from_an_outsider_is_refused,
    test_video_progress_reaches_the_instructor_room_only,
    test_video_progress_reports_bad_payloads_and_sends_nothing,
)
from tests.socket_expectations import (
    CONNECTED,
    COURSE_MEMBERS,
    COURSE_OUTSIDERS,
    JOINED,
    REJECTED_HANDSHAKES,
    TRANSPORTS,
    VIDEO_ACCESS,
    Handshake,
    error_of,
    handshake_id,
)


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


def flask_client_kwargs(handshake: Handshake) -> dict[str, Any]:
    return {"auth": handshake.auth, "query_string": handshake.query or None, "headers": handshake.headers or None}


@pytest.fixture
def db_url(recycled_db_url):
    """The seeded database, PostgreSQL recycled between tests (these tests change rows, never the schema)."""
    return recycled_db_url


@pytest.fixture
def connect(app):
    """connect(token, transport="auth_packet", **kwargs of socketio.test_client) -> Sock."""
    opened: list = []

    def _connect(token: str | None = None, transport: str = "auth_packet", **kw: Any) -> Sock:
        if token is not None:
            kw.update(flask_client_kwargs(TRANSPORTS[transport](token)))
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
                                kind, now=datetime.now(UTC) - age)
    return token


def probe(*rooms: str) -> None:
    """A server-side emit to `rooms`, the path REST writes use (legacy_flask.events)."""
    for room in rooms:
        server_emit(f"probe:{room}", {}, room)


# --- connect -------------------------------------------------------------------------------------


def test_connect_accepts_the_cookie_jar_of_a_logged_in_browser(connect, student):
    s = connect(flask_test_client=student.client)
    assert s.connected and s.events() == [CONNECTED]


@pytest.mark.parametrize("handshake", REJECTED_HANDSHAKES, ids=handshake_id)
def test_connect_refuses_what_rest_would_reject(connect, student, db, handshake):
    s = connect(**flask_client_kwargs(handshake(student, db)))
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


# --- join_course / leave_course ------------------------------------------------------------------


@pytest.mark.parametrize("who, course, instructor_room_too", COURSE_MEMBERS)
def test_join_course_puts_members_in_the_course_room_and_owners_in_the_instructor_room(
        sock, callers, seeded, who, course, instructor_room_too):
    course_id = getattr(seeded, course)
    s = sock(callers(who))
    s.emit("join_course", {"course_id": course_id})
    assert s.events() == [("joined_course", {"course_id": course_id, "status": JOINED})]
    probe(course_room(course_id), instructor_room(course_id))
    rooms = [course_room(course_id)] + ([instructor_room(course_id)] if instructor_room_too else [])
    assert [name for name, _ in s.events()] == [f"probe:{room}" for room in rooms]


@pytest.mark.parametrize("who, course", COURSE_OUTSIDERS)
def test_join_course_refuses_callers_without_enrollment_or_ownership(sock, callers, seeded, who, course):
    course_id = getattr(seeded, course)
    s = sock(callers(who))
    s.emit("join_course", {"course_id": course_id})
    assert "not enrolled" in error_of(s.events())
    probe(course_room(course_id), instructor_room(course_id))
    assert s.events() == []


def test_leave_course_leaves_the_course_and_instructor_rooms_without_an_ack(sock, instructor, seeded):
    course_id = seeded.enrolled_course
    s = sock(instructor)
    s.emit("join_course", {"course_id": course_id})
    s.events()
    s.emit("leave_course", {"course_id": course_id.upper()})
    assert s.events() == []
    probe(course_room(course_id), instructor_room(course_id))
    assert s.events() == []


# --- join_video ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who, course_index, video, allowed", VIDEO_ACCESS)
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


# --- video_progress ------------------------------------------------------------------------------


# --- send_chat_message ---------------------------------------------------------------------------


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
