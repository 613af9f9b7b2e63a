"""The reference app's Socket.IO channel (API.md §4) behaves as the legacy one: handshake auth on every
transport, room auth, the client events of §4.1 and the server events of §4.2, on both database engines.

The expectations are tests/socket_expectations.py, shared with tests/legacy_flask/test_sockets.py. The
app runs for real under uvicorn (reference_django.config.asgi); one server per module and engine, with
the callers logged in per test. Most tests run the Redis-backed server, so a test can emit into rooms
from outside (`probe`, as a Celery worker would); `memory_server` covers the single-process deployment,
where a sync REST view emits through the server's own event loop.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import sqlalchemy as sa

from harness.seed import accounts
from tests.conftest import ENGINES, Caller, flushed_redis, seeded_database
from tests.reference_django.live import LiveServer, LiveSock
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
    chat_body,
    error_of,
    handshake_id,
)

# The room names of API.md §4, spelled out here: the test must not borrow them from the app it checks.
course_room, instructor_room, video_room = "course_{}".format, "instructor_{}".format, "video_{}".format


@pytest.fixture(scope="module", params=ENGINES)
def redis_server(request, tmp_path_factory, worker_id) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("live")
    with seeded_database(request, request.param, workdir) as db_url, flushed_redis(worker_id) as redis_url:
        server = LiveServer(db_url, workdir, redis_url=redis_url)
        try:
            yield server
        finally:
            server.close()


@pytest.fixture(scope="module", params=ENGINES)
def memory_server(request, tmp_path_factory) -> Iterator[LiveServer]:
    """No REDIS_URL: one process holds every socket (the default deployment)."""
    workdir = tmp_path_factory.mktemp("live-memory")
    with seeded_database(request, request.param, workdir) as db_url:
        server = LiveServer(db_url, workdir)
        try:
            yield server
        finally:
            server.close()


@pytest.fixture
def app(redis_server) -> LiveServer:
    """The app of tests/conftest.py's callers and `db`: they log in over HTTP to the live server."""
    return redis_server


class Sockets:
    """The test's Socket.IO clients, disconnected when it ends."""

    def __init__(self) -> None:
        self.opened: list[LiveSock] = []

    def open(self, server: LiveServer, handshake: Handshake) -> LiveSock:
        self.opened.append(LiveSock(server))
        return self.opened[-1].connect(handshake)

    def logged_in(self, server: LiveServer, caller: Caller) -> LiveSock:
        """A connected client for a logged-in caller, its `connected` event already drained."""
        s = self.open(server, TRANSPORTS["auth_packet"](caller.access_token))
        assert s.events() == [CONNECTED]
        return s


@pytest.fixture
def sockets() -> Iterator[Sockets]:
    opened = Sockets()
    yield opened
    for s in opened.opened:
        s.close()


@pytest.fixture
def connect(app, sockets) -> Callable[..., LiveSock]:
    """connect(token, transport="auth_packet") or connect(handshake=Handshake(...)) -> LiveSock."""

    def _connect(token: str | None = None, transport: str = "auth_packet", *,
                 handshake: Handshake | None = None) -> LiveSock:
        return sockets.open(app, handshake or (TRANSPORTS[transport](token) if token is not None else Handshake()))

    return _connect


@pytest.fixture
def sock(app, sockets) -> Callable[[Caller], LiveSock]:
    """sock(caller) -> a connected LiveSock for a logged-in caller, its `connected` event already drained."""
    return lambda caller: sockets.logged_in(app, caller)


@pytest.fixture
def callers(request) -> Callable[[str], Caller]:
    return request.getfixturevalue


def probe(server: LiveServer, *rooms: str) -> None:
    """An emit to each of `rooms` from outside the server (through its message queue)."""
    for room in rooms:
        server.publish(f"probe:{room}", {}, room)


def expired_token(server: LiveServer, caller: Caller) -> str:
    now = datetime.now(UTC) - timedelta(hours=2)
    claims = {"sub": caller.user["id"], "sid": caller.session_id, "type": "access", "email": caller.user["email"],
              "roles": ["student"], "iat": int(now.timestamp()), "exp": int((now + timedelta(hours=1)).timestamp()),
              "jti": str(uuid.uuid4())}
    return jwt.encode(claims, server.jwt_secret, algorithm="HS256")


# --- connect -------------------------------------------------------------------------------------


def test_connect_accepts_the_cookie_jar_of_a_logged_in_browser(connect, student):
    s = connect(handshake=Handshake(headers={"Cookie": student.client.cookie_header()}))
    assert s.connected and s.events() == [CONNECTED]


@pytest.fixture
def reactivated(db, student) -> Iterator[None]:
    """The module's database outlives the test: a suspended student is made active again."""
    yield
    db.execute(sa.text("UPDATE users SET status = 'active' WHERE id = :id"), {"id": student.user["id"]})
    db.commit()


@pytest.mark.parametrize("handshake", REJECTED_HANDSHAKES, ids=handshake_id)
def test_connect_refuses_what_rest_would_reject(connect, student, db, reactivated, handshake):
    s = connect(handshake=handshake(student, db))
    assert not s.connected
    assert s.events() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connect_with_an_expired_token_gets_an_error_then_a_disconnect(app, connect, student, transport):
    s = connect(expired_token(app, student), transport)
    assert s.events() == [("error", {"message": "Token has expired"})]
    assert not s.connected


@pytest.mark.parametrize("auth_ok", [True, False], ids=["valid_packet_bad_header", "bad_packet_valid_header"])
def test_the_connect_packet_token_wins_over_the_header(connect, student, auth_ok):
    good, bad = student.access_token, "not-a-jwt"
    s = connect(handshake=Handshake(auth={"token": good if auth_ok else bad},
                                    headers={"Authorization": f"Bearer {bad if auth_ok else good}"}))
    assert s.connected is auth_ok


# --- join_course / leave_course ------------------------------------------------------------------


@pytest.mark.parametrize("who, course, instructor_room_too", COURSE_MEMBERS)
def test_join_course_puts_members_in_the_course_room_and_owners_in_the_instructor_room(
        app, sock, callers, seeded, who, course, instructor_room_too):
    course_id = getattr(seeded, course)
    s = sock(callers(who))
    s.emit("join_course", {"course_id": course_id})
    assert s.events() == [("joined_course", {"course_id": course_id, "status": JOINED})]
    probe(app, course_room(course_id), instructor_room(course_id))
    rooms = [course_room(course_id)] + ([instructor_room(course_id)] if instructor_room_too else [])
    assert [name for name, _ in s.events()] == [f"probe:{room}" for room in rooms]


@pytest.mark.parametrize("who, course", COURSE_OUTSIDERS)
def test_join_course_refuses_callers_without_enrollment_or_ownership(app, sock, callers, seeded, who, course):
    course_id = getattr(seeded, course)
    s = sock(callers(who))
    s.emit("join_course", {"course_id": course_id})
    assert "not enrolled" in error_of(s.events())
    probe(app, course_room(course_id), instructor_room(course_id))
    assert s.events() == []


def test_leave_course_leaves_the_course_and_instructor_rooms_without_an_ack(app, sock, instructor, seeded):
    course_id = seeded.enrolled_course
    s = sock(instructor)
    s.emit("join_course", {"course_id": course_id})
    s.events()
    s.emit("leave_course", {"course_id": course_id.upper()})
    assert s.events() == []
    probe(app, course_room(course_id), instructor_room(course_id))
    assert s.events() == []


# --- join_video ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who, course_index, video, allowed", VIDEO_ACCESS)
def test_join_video_room_auth(app, sock, callers, seeded, who, course_index, video, allowed):
    video_id = seeded.video_ids(course_index)[video]
    s = sock(callers(who))
    s.emit("join_video", {"video_id": video_id})
    if allowed:
        assert s.events() == [("joined_video", {"video_id": video_id, "status": JOINED})]
    else:
        assert "not enrolled" in error_of(s.events())
    probe(app, video_room(video_id))
    assert [name for name, _ in s.events()] == ([f"probe:{video_room(video_id)}"] if allowed else [])


# --- video_progress ------------------------------------------------------------------------------


# --- send_chat_message ---------------------------------------------------------------------------


# --- REST writes reach the sockets; events give their DB connection back -------------------------


def _enrollment_reaches_the_owner_once(server: LiveServer, sockets: Sockets, learner: Caller, owner: Caller,
                                       outsider: Caller, course_id: str, other_course_id: str) -> None:
    teacher, other = sockets.logged_in(server, owner), sockets.logged_in(server, outsider)
    teacher.emit("join_course", {"course_id": course_id})  # owner: course_ and instructor_ rooms
    other.emit("join_course", {"course_id": other_course_id})
    teacher.events(), other.events()

    resp = learner.post(f"/api/v1/student/courses/{course_id}/enroll", json={})
    assert resp.status_code == 200, resp.get_json()
    email = learner.user["email"]
    assert teacher.events() == [("new_enrollment", {"user_id": learner.user["id"], "user_email": email,
                                                    "message": f"{email} enrolled in the course"})]
    assert other.events() == []


def test_rest_enrollment_notifies_the_instructor_once(app, sockets, student2, instructor, instructor2, seeded):
    # student2, not student: the module's database outlives the test, and other tests rely on student
    # not being enrolled in the open course.
    _enrollment_reaches_the_owner_once(app, sockets, student2, instructor, instructor2, seeded.open_course,
                                       seeded.other_instructor_course)


def _login(server: LiveServer, account: accounts.Account) -> Caller:
    caller = Caller(server)
    caller.login(account.email, account.password)
    return caller


def test_without_redis_a_rest_write_reaches_the_room_from_the_server_process(memory_server, sockets, seeded):
    """The single-process deployment: the sync view hands its emit to the server's own event loop."""
    learner, owner, outsider = (_login(memory_server, a) for a in (accounts.STUDENT, accounts.INSTRUCTOR,
                                                                   accounts.INSTRUCTOR2))
    _enrollment_reaches_the_owner_once(memory_server, sockets, learner, owner, outsider, seeded.open_course,
                                       seeded.other_instructor_course)


def test_without_redis_the_client_events_reach_their_rooms(memory_server, sockets, seeded):
    video_id = seeded.video_ids(0)[1]
    learner, teacher = (sockets.logged_in(memory_server, _login(memory_server, a))
                        for a in (accounts.STUDENT, accounts.INSTRUCTOR))
    teacher.emit("join_video", {"video_id": video_id})
    learner.emit("join_video", {"video_id": video_id})
    assert learner.events() == [("joined_video", {"video_id": video_id, "status": JOINED})]
    assert [name for name, _ in teacher.events()] == ["joined_video", "user_joined_video"]
    learner.emit("send_chat_message", chat_body(seeded, video_id))
    assert [name for name, _ in teacher.events()] == [name for name, _ in learner.events()] == ["new_chat_message"]


def _server_connections(server: LiveServer) -> int:
    """Client connections to the test database other than the counting one: the live server's."""
    server.extensions["db_engine"].dispose()  # this process's pooled connections are not the server's
    counting = sa.create_engine(server.extensions["db_engine"].url, poolclass=sa.NullPool)
    with counting.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")).scalar_one()
    counting.dispose()
    return count


def test_events_give_their_db_connection_back(app, sock, student, seeded):
    """No request cycle closes a connection between socket events: the handlers must, or every event
    handled would keep one open (on PostgreSQL, a server slot each)."""
    if app.extensions["db_engine"].dialect.name != "postgresql":
        pytest.skip("SQLite has no server-side connections to count")
    s = sock(student)
    for event, payload in [("join_course", {"course_id": seeded.enrolled_course}),
                           ("join_video", {"video_id": seeded.video_ids(0)[1]}),
                           ("join_course", {"course_id": seeded.open_course})]:  # refused
        s.emit(event, payload)
    assert [name for name, _ in s.events()] == ["joined_course", "joined_video", "error"]
    deadline = time.monotonic() + 5  # an HTTP request's connection closes just after its response
    while _server_connections(app) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _server_connections(app) == 0
