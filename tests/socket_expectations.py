"""What both apps' Socket.IO tests expect (API.md §4): the handshakes, the room-auth matrices and the bad
payloads with the error each one gets, so tests/legacy_flask/test_sockets.py and
tests/reference_django/test_sockets.py assert the same behaviour through their own clients."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import sqlalchemy as sa

CONNECTED = ("connected", {"status": "Connected successfully"})
JOINED = "Joined successfully"


@dataclass(frozen=True)
class Handshake:
    """What a client sends when it connects: the connect packet's `auth`, the URL's query, HTTP headers."""

    auth: dict[str, Any] | None = None
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)


#: How each handshake transport of API.md §4 carries a token.
TRANSPORTS: dict[str, Callable[[str], Handshake]] = {
    "auth_packet": lambda token: Handshake(auth={"token": token}),
    "query": lambda token: Handshake(query=f"token={token}"),
    "bearer_header": lambda token: Handshake(headers={"Authorization": f"Bearer {token}"}),
    "cookie": lambda token: Handshake(headers={"Cookie": f"access_token={token}"}),
}


# --- handshakes REST would reject: each takes (student caller, SQLAlchemy session on the test DB) ------------

def _foreign_signature(student, db) -> Handshake:
    now = datetime.now(UTC)
    claims = {"sub": student.user["id"], "sid": student.session_id, "type": "access", "email": student.user["email"],
              "roles": ["student"], "iat": int(now.timestamp()), "exp": int((now + timedelta(hours=1)).timestamp())}
    return Handshake(auth={"token": jwt.encode(claims, "another-secret-another-secret-0123456789", algorithm="HS256")})


def _refresh_token(student, db) -> Handshake:
    return Handshake(auth={"token": student.client.get_cookie("refresh_token").value})


def _revoked_session(student, db) -> Handshake:
    assert student.post("/api/v1/auth/logout").status_code == 200
    return Handshake(auth={"token": student.access_token})


def _disabled_account(student, db) -> Handshake:
    db.execute(sa.text("UPDATE users SET status = 'suspended' WHERE id = :id"), {"id": student.user["id"]})
    db.commit()
    return Handshake(auth={"token": student.access_token})


def _no_token(student, db) -> Handshake:
    return Handshake()


def _malformed_header(student, db) -> Handshake:
    return Handshake(headers={"Authorization": f"Basic {student.access_token}"})


REJECTED_HANDSHAKES = [_no_token, _malformed_header, _foreign_signature, _refresh_token, _revoked_session,
                       _disabled_account]


def handshake_id(func: Callable[..., Handshake]) -> str:
    return func.__name__.strip("_")


# --- room auth: (who, seeded course attribute or (course index, video index), ...) ------------------------

#: join_course accepted: who, course, also put in instructor_{id}.
COURSE_MEMBERS = [
    ("student", "enrolled_course", False),
    ("instructor", "enrolled_course", True),
    ("instructor", "draft_course", True),
    ("admin", "other_instructor_course", True),
]
#: join_course refused (NOT_ENROLLED): who, course.
COURSE_OUTSIDERS = [
    ("student", "open_course"),            # published, not enrolled
    ("student", "draft_course"),
    ("instructor2", "enrolled_course"),    # another instructor's course
]
#: join_video: who, course index, video index, allowed.
VIDEO_ACCESS = [
    ("student", 1, 0, True),       # a preview of a published course: anyone signed in
    ("student", 1, 1, False),      # not a preview, not enrolled
    ("student", 0, 1, True),       # enrolled
    ("student", 2, 0, False),      # a preview of a draft course stays closed
    ("instructor", 2, 1, True),    # the owner, draft or not
    ("admin", 3, 1, True),
]

# --- bad payloads: (payload or changes, a fragment of the `error` message) -----------------------------------

JOIN_COURSE_BAD_PAYLOADS = [
    ({}, "course_id is required"),
    ({"course_id": ""}, "course_id is required"),
    (None, "course_id is required"),
    ("just text", "course_id is required"),
    ({"course_id": 5}, "course_id must be a string"),
    ({"course_id": "not-a-uuid"}, "Course not found"),
    ({"course_id": str(uuid.uuid4())}, "Course not found"),
]
JOIN_VIDEO_BAD_PAYLOADS = [
    ({}, "video_id is required"),
    ({"video_id": "not-a-uuid"}, "Video not found"),
    ({"video_id": str(uuid.uuid4())}, "Video not found"),
]

DROP = object()  # a change that removes the key
OPEN_COURSE = object()  # a change to the id of a course the video is not in
UNJOINED_VIDEO = object()  # a change to an accessible video the sender never joined

PROGRESS_BAD_CHANGES = [
    ({"video_id": DROP}, "video_id is required"),
    ({"course_id": DROP}, "course_id is required"),
    ({"progress": DROP}, "progress is required"),
    ({"timestamp": DROP}, "timestamp is required"),
    ({"progress": "50"}, "progress must be a number"),
    ({"progress": True}, "progress must be a number"),
    ({"progress": 100.5}, "progress must be a number"),
    ({"timestamp": -1}, "timestamp must be a number"),
    ({"video_id": str(uuid.uuid4())}, "Video not found"),
    ({"course_id": OPEN_COURSE}, "Video not found in this course"),
]
CHAT_BAD_CHANGES = [
    ({"message": DROP}, "message is required"),
    ({"message": "   "}, "message is required"),
    ({"video_id": DROP}, "video_id is required"),
    ({"timestamp": 1724265000}, "timestamp must be an ISO-8601 string"),
    ({"video_id": UNJOINED_VIDEO}, "Join the video"),
]


def progress_body(seeded, **changes: Any) -> dict[str, Any]:
    """A valid video_progress payload for video 1 of the enrolled course, with `changes` applied."""
    body = {"video_id": seeded.video_ids(0)[1], "course_id": seeded.enrolled_course, "progress": 50, "timestamp": 30}
    return apply(seeded, body, changes)


def chat_body(seeded, joined_video_id: str, **changes: Any) -> dict[str, Any]:
    """A valid send_chat_message payload for the video the sender joined, with `changes` applied."""
    body = {"video_id": joined_video_id, "message": "hello", "timestamp": "2025-08-21T18:30:00Z"}
    return apply(seeded, body, changes)


def apply(seeded, body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`body` with `changes`: DROP removes a key, the other markers become seeded ids."""

    def real(value: Any) -> Any:
        if value is OPEN_COURSE:
            return seeded.open_course
        if value is UNJOINED_VIDEO:
            return seeded.video_ids(0)[2]
        return value

    merged = {**body, **{key: real(value) for key, value in changes.items()}}
    return {key: value for key, value in merged.items() if value is not DROP}


def error_of(events: list[tuple[str, Any]]) -> str:
    """The message of the one `error` event in `events` (API.md §4.2: `{message}`, nothing else)."""
    assert len(events) == 1 and events[0][0] == "error", events
    payload = events[0][1]
    assert set(payload) == {"message"} and isinstance(payload["message"], str) and payload["message"]
    return payload["message"]
