"""The Socket.IO behaviours both apps must show, written once: each app's socket test module imports these
tests and supplies the fixtures they use (`connect`, `sock`, `callers`, the logged-in callers, `seeded`) for
its own transport (Flask-SocketIO's test client for legacy, a live uvicorn for Django)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harness.seed import accounts
from tests.socket_expectations import (
    CHAT_BAD_CHANGES,
    CONNECTED,
    JOIN_COURSE_BAD_PAYLOADS,
    JOIN_VIDEO_BAD_PAYLOADS,
    JOINED,
    PROGRESS_BAD_CHANGES,
    TRANSPORTS,
    chat_body,
    error_of,
    progress_body,
)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connect_accepts_a_valid_token_on_every_transport(connect, student, seeded, transport):
    s = connect(student.access_token, transport)
    assert s.connected
    assert s.events() == [CONNECTED]
    s.emit("join_course", {"course_id": seeded.enrolled_course})  # the identity is the student's
    assert s.events() == [("joined_course", {"course_id": seeded.enrolled_course, "status": JOINED})]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connect_refuses_an_invalid_token_on_every_transport(connect, transport):
    s = connect("not-a-jwt", transport)
    assert not s.connected
    assert s.events() == []


def test_a_revoked_session_loses_the_socket_at_its_next_event(sock, student, seeded):
    s = sock(student)
    assert student.post("/api/v1/auth/logout").status_code == 200
    s.emit("join_course", {"course_id": seeded.enrolled_course})
    assert s.events() == [("error", {"message": "Session has been revoked"})]
    assert not s.connected


@pytest.mark.parametrize("payload, fragment", JOIN_COURSE_BAD_PAYLOADS)
def test_join_course_reports_a_missing_parameter_or_an_unknown_room(sock, student, payload, fragment):
    s = sock(student)
    s.emit("join_course", payload)
    assert fragment in error_of(s.events())
    assert s.connected


def test_leave_course_without_a_course_id_is_an_error(sock, student):
    s = sock(student)
    s.emit("leave_course", {})
    assert "course_id is required" in error_of(s.events())


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


@pytest.mark.parametrize("payload, fragment", JOIN_VIDEO_BAD_PAYLOADS)
def test_join_video_reports_a_missing_parameter_or_an_unknown_room(sock, student, payload, fragment):
    s = sock(student)
    s.emit("join_video", payload)
    assert fragment in error_of(s.events())


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


@pytest.mark.parametrize("changes, fragment", PROGRESS_BAD_CHANGES)
def test_video_progress_reports_bad_payloads_and_sends_nothing(progress_rooms, seeded, changes, fragment):
    teacher, learner, _ = progress_rooms
    learner.emit("video_progress", progress_body(seeded, **changes))
    assert fragment in error_of(learner.events())
    assert teacher.events() == []


def test_video_progress_from_an_outsider_is_refused(progress_rooms, seeded):
    teacher, _, outsider = progress_rooms  # instructor2: neither enrolled in nor owner of course 0
    outsider.emit("video_progress", progress_body(seeded))
    assert "not enrolled" in error_of(outsider.events())
    assert teacher.events() == []


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
    before = datetime.now(UTC).replace(microsecond=0)
    learner.emit("send_chat_message", {"video_id": video_id, "message": "hi"})
    (name, payload), = teacher.events()
    stamp = payload["timestamp"]
    assert name == "new_chat_message" and stamp.endswith("Z")
    assert before <= datetime.fromisoformat(stamp.replace("Z", "+00:00")) <= datetime.now(UTC)


@pytest.mark.parametrize("changes, fragment", CHAT_BAD_CHANGES)
def test_chat_message_reports_bad_payloads_and_sends_nothing(chat_room, seeded, changes, fragment):
    video_id, learner, teacher, other = chat_room
    learner.emit("send_chat_message", chat_body(seeded, video_id, **changes))
    assert fragment in error_of(learner.events())
    assert teacher.events() == [] and other.events() == []


