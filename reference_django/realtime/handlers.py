"""Socket.IO handlers (API.md §4): the connect handshake, room auth and the client events of §4.1, as legacy.

Payloads are snake_case (§1.2). Who is connected lives in the Socket.IO session of the client
(`user_id`, `email`, `session_id`, `via`); every event re-checks that session like a REST request does
(§1.6), so a logout or a suspension also ends the socket's rights. The checks are sync Django code run
through `_database` (asgiref's sync_to_async, closing the connection afterwards as a request would);
the room changes and emits stay on the server's event loop.
"""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from numbers import Real
from types import SimpleNamespace
from typing import Any, TypeVar
from urllib.parse import parse_qs

import socketio
from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.utils import timezone
from socketio.exceptions import ConnectionRefusedError as ConnectionRefused

from reference_django.accounts.authentication import (
    Identity,
    Via,
    active_session,
    for_session,
    identify,
    presented_token,
)
from reference_django.common.access import can_access, course_or_404, is_owner, video_or_404
from reference_django.common.events import course_room, instructor_room, video_room
from reference_django.common.exceptions import ApiError, Forbidden, InvalidRequest, NotFound
from reference_django.common.serializers import iso
from reference_django.common.wire import parse_cookie

JOINED = "Joined successfully"

Payload = dict[str, Any]
Handler = Callable[[str, Identity, Payload], Awaitable[None]]
T = TypeVar("T")


def _database(func: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """Runs sync ORM code off the event loop, and gives its connection back afterwards: no request
    cycle closes it between socket events (the same job as legacy's `_releases_db`)."""

    @functools.wraps(func)
    def closing(*args: Any) -> T:
        close_old_connections()
        try:
            return func(*args)
        finally:
            close_old_connections()

    return sync_to_async(closing, thread_sensitive=True)


def register(sio: socketio.AsyncServer) -> None:
    """Binds the connect handler and the client events to `sio`."""

    async def to_sender(sid: str, event: str, payload: Payload) -> None:
        await sio.emit(event, payload, to=sid)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            ident = await _identify(*_handshake_token(environ, auth))
        except ApiError as exc:
            if exc.code == "TOKEN_EXPIRED":
                # The sid is still pending, so it cannot be disconnected yet: the error event goes
                # out first and the refusal (CONNECT_ERROR) is the disconnect that follows.
                await to_sender(sid, "error", {"message": exc.message})
            raise ConnectionRefused(exc.message) from None
        await sio.save_session(sid, {"user_id": ident.user_id, "email": ident.user.email,
                                     "session_id": ident.session.id, "via": ident.via})
        await to_sender(sid, "connected", {"status": "Connected successfully"})

    def event(name: str) -> Callable[[Handler], Handler]:
        """Registers a client event: the caller's identity is re-checked first (failure: `error`, then a
        disconnect); an ApiError from the handler becomes `error {message}` to the sender."""

        def decorate(func: Handler) -> Handler:
            async def handler(sid: str, data: Any = None, *_extra: Any) -> None:
                try:
                    ident = await _recall(await sio.get_session(sid))
                except ApiError as exc:
                    await to_sender(sid, "error", {"message": exc.message})
                    await sio.disconnect(sid)
                    return
                try:
                    await func(sid, ident, data if isinstance(data, dict) else {})
                except ApiError as exc:
                    await to_sender(sid, "error", {"message": exc.message})

            sio.on(name, handler)
            return func

        return decorate

    @event("join_course")
    async def join_course(sid: str, ident: Identity, data: Payload) -> None:
        course_id, owner = await _joinable_course(ident, _text(data, "course_id"))
        await sio.enter_room(sid, course_room(course_id))
        if owner:
            await sio.enter_room(sid, instructor_room(course_id))
        await to_sender(sid, "joined_course", {"course_id": course_id, "status": JOINED})

    @event("leave_course")
    async def leave_course(sid: str, ident: Identity, data: Payload) -> None:
        course_id = _text(data, "course_id").lower()
        await sio.leave_room(sid, course_room(course_id))
        await sio.leave_room(sid, instructor_room(course_id))

    @event("join_video")
    async def join_video(sid: str, ident: Identity, data: Payload) -> None:
        video_id, _ = await _watchable(ident, _text(data, "video_id"))
        room = video_room(video_id)
        await sio.enter_room(sid, room)
        await to_sender(sid, "joined_video", {"video_id": video_id, "status": JOINED})
        await sio.emit("user_joined_video", {"user_id": ident.user_id, "user_email": ident.user.email},
                       to=room, skip_sid=sid)

    @event("video_progress")
    async def video_progress(sid: str, ident: Identity, data: Payload) -> None:
        video_id, course_id = _text(data, "video_id"), _text(data, "course_id")
        progress = _number(data, "progress", maximum=100)
        timestamp = _number(data, "timestamp")
        video_id, course_id = await _watchable(ident, video_id, course_id)
        await sio.emit("student_progress", {"user_id": ident.user_id, "video_id": video_id, "progress": progress,
                                            "timestamp": timestamp}, to=instructor_room(course_id))

    @event("send_chat_message")
    async def send_chat_message(sid: str, ident: Identity, data: Payload) -> None:
        video_id, message = _text(data, "video_id"), _text(data, "message")
        timestamp = data.get("timestamp")
        if timestamp is None:
            timestamp = iso(timezone.now())
        elif not isinstance(timestamp, str):
            raise InvalidRequest("timestamp must be an ISO-8601 string")
        video_id, _ = await _watchable(ident, video_id)
        room = video_room(video_id)
        if room not in sio.rooms(sid):
            raise Forbidden("Join the video before sending chat messages")
        await sio.emit("new_chat_message", {"user_id": ident.user_id, "user_email": ident.user.email,
                                            "message": message, "timestamp": timestamp}, to=room)


def _handshake_token(environ: dict[str, Any], auth: Any) -> tuple[str | None, Via]:
    """The token of the handshake, in API.md §4 order: connect packet `auth.token`, query `?token=`,
    then the REST transports (Bearer header over `access_token` cookie). Empty values count as absent."""
    if isinstance(auth, dict) and auth.get("token"):
        token = auth["token"]
        return (token if isinstance(token, str) else ""), "bearer"
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if query.get("token", [""])[0]:
        return query["token"][0], "bearer"
    # The REST reader looks at `META` and `COOKIES` only: the handshake's environ is both.
    handshake = SimpleNamespace(META=environ, COOKIES=parse_cookie(environ.get("HTTP_COOKIE", "")))
    token, via = presented_token(handshake)  # type: ignore[arg-type]
    return token, via or "cookie"


@_database
def _identify(token: str | None, via: Via) -> Identity:
    return identify(token, via)


@_database
def _recall(session: dict[str, Any]) -> Identity:
    """The connected caller, re-checked like every REST request (API.md §1.6)."""
    return for_session(active_session(session["session_id"]), session["via"])


@_database
def _joinable_course(ident: Identity, course_id: str) -> tuple[str, bool]:
    """(course id, caller owns it) for a course the caller may follow (API.md §4 room auth)."""
    course = course_or_404(course_id)
    if not can_access(course, ident):
        raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")
    return course.id, is_owner(course, ident)


@_database
def _watchable(ident: Identity, video_id: str, course_id: str | None = None) -> tuple[str, str]:
    """(video id, course id) of a video the caller may watch (API.md §4 room auth): access to its course,
    or a published preview of a published course. `course_id`, when given, must be the video's course."""
    video = video_or_404(video_id)
    if course_id is not None and course_id.lower() != video.course_id:
        raise NotFound("Video not found in this course")
    course = video.course
    if can_access(course, ident) or (video.is_preview and video.is_published and course.is_published):
        return video.id, course.id
    raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")


def _text(data: Payload, name: str) -> str:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidRequest(f"{name} is required")
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string")
    return value


def _number(data: Payload, name: str, maximum: float | None = None) -> float | int:
    value = data.get(name)
    if value is None:
        raise InvalidRequest(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, Real) or value < 0 or (maximum is not None and value > maximum):
        bound = f"between 0 and {maximum:g}" if maximum is not None else "0 or more"
        raise InvalidRequest(f"{name} must be a number {bound}")
    return value
