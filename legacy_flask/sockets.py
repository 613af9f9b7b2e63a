"""Socket.IO handlers (API.md §4): the connect handshake, room auth and the client events of §4.1.

Payloads are snake_case (§1.2). Who is connected lives in the Socket.IO session of the client
(`user_id`, `email`, `session_id`, `via`); every event re-checks that session like a REST request
does (§1.6), so a logout or a suspension also ends the socket's rights.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from numbers import Real
from typing import Any

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, SocketIO, disconnect, emit, join_room, leave_room, rooms

from .access import can_access, course_or_404, is_owner, video_or_404
from .auth.identity import Identity, active_session, for_session, identify, presented_token
from .errors import ApiError, Forbidden, InvalidRequest, NotFound
from .events import course_room, instructor_room, video_room
from .models import Course, Video, utcnow
from .serializers import iso

JOINED = "Joined successfully"

Payload = dict[str, Any]
Handler = Callable[[Identity, Payload], None]


def register(socketio: SocketIO) -> None:
    """Binds the handlers to the server that create_app() just built for this app."""

    @socketio.on("connect")
    @_releases_db
    def on_connect(auth: Any = None) -> None:
        try:
            ident = identify(*_handshake_token(auth))
        except ApiError as exc:
            if exc.code == "TOKEN_EXPIRED":
                # The sid is still pending here, so python-socketio cannot disconnect it yet: the error
                # event goes out first and the refusal (CONNECT_ERROR) is the disconnect that follows.
                emit("error", {"message": exc.message})
            raise ConnectionRefusedError(exc.message) from None
        _remember(ident)
        emit("connected", {"status": "Connected successfully"})

    def event(name: str) -> Callable[[Handler], Handler]:
        """Registers a client event: the caller's identity is re-checked first (failure: `error`, then a
        disconnect); an ApiError from the handler becomes `error {message}` to the sender."""

        def decorate(func: Handler) -> Handler:
            @socketio.on(name)
            @_releases_db
            @functools.wraps(func)
            def handler(data: Any = None, *_extra: Any) -> None:
                try:
                    ident = _recall()
                except ApiError as exc:
                    emit("error", {"message": exc.message})
                    disconnect()
                    return
                try:
                    func(ident, data if isinstance(data, dict) else {})
                except ApiError as exc:
                    emit("error", {"message": exc.message})

            return func

        return decorate

    @event("join_course")
    def join_course(ident: Identity, data: Payload) -> None:
        course = course_or_404(_text(data, "course_id"))
        if not can_access(course, ident):
            raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")
        join_room(course_room(course.id))
        if is_owner(course, ident):
            join_room(instructor_room(course.id))
        emit("joined_course", {"course_id": course.id, "status": JOINED})

    @event("leave_course")
    def leave_course(ident: Identity, data: Payload) -> None:
        course_id = _text(data, "course_id").lower()
        leave_room(course_room(course_id))
        leave_room(instructor_room(course_id))

    @event("join_video")
    def join_video(ident: Identity, data: Payload) -> None:
        video, _ = _watchable(ident, _text(data, "video_id"))
        room = video_room(video.id)
        join_room(room)
        emit("joined_video", {"video_id": video.id, "status": JOINED})
        emit("user_joined_video", {"user_id": ident.user_id, "user_email": ident.user.email},
             to=room, include_self=False)

    @event("video_progress")
    def video_progress(ident: Identity, data: Payload) -> None:
        video_id, course_id = _text(data, "video_id"), _text(data, "course_id")
        progress = _number(data, "progress", maximum=100)
        timestamp = _number(data, "timestamp")
        video, course = _watchable(ident, video_id, course_id=course_id)
        emit("student_progress", {"user_id": ident.user_id, "video_id": video.id, "progress": progress,
                                  "timestamp": timestamp}, to=instructor_room(course.id))

    @event("send_chat_message")
    def send_chat_message(ident: Identity, data: Payload) -> None:
        video_id, message = _text(data, "video_id"), _text(data, "message")
        timestamp = data.get("timestamp")
        if timestamp is None:
            timestamp = iso(utcnow())
        elif not isinstance(timestamp, str):
            raise InvalidRequest("timestamp must be an ISO-8601 string")
        video, _ = _watchable(ident, video_id)
        room = video_room(video.id)
        if room not in rooms():
            raise Forbidden("Join the video before sending chat messages")
        emit("new_chat_message", {"user_id": ident.user_id, "user_email": ident.user.email, "message": message,
                                  "timestamp": timestamp}, to=room)


def _remember(ident: Identity) -> None:
    """Flask-SocketIO keeps `session` per Socket.IO client (manage_session), apart from the HTTP cookie session."""
    session.update({"user_id": ident.user_id, "email": ident.user.email, "session_id": ident.session.id,
                    "via": ident.via})


def _recall() -> Identity:
    """The connected caller, re-checked like every REST request (API.md §1.6)."""
    return for_session(active_session(session["session_id"]), session["via"])


def _releases_db(func: Callable[..., Any]) -> Callable[..., Any]:
    """Ends the request-scoped DB session after each Socket.IO event. Teardown does not do it when the
    event runs inside an app context that outlives it, which would keep a pooled connection checked out."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        try:
            return func(*args)
        finally:
            current_app.extensions["db_session"].remove()

    return wrapper


def _handshake_token(auth: Any) -> tuple[str | None, str]:
    """The token of the handshake, in API.md §4 order: connect packet `auth.token`, query `?token=`,
    then the REST transports (Bearer header over `access_token` cookie). Empty values count as absent."""
    if isinstance(auth, dict) and auth.get("token"):
        token = auth["token"]
        return (token if isinstance(token, str) else ""), "bearer"
    if request.args.get("token"):
        return request.args["token"], "bearer"
    token, via = presented_token()
    return token, via or "cookie"


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


def _watchable(ident: Identity, video_id: str, course_id: str | None = None) -> tuple[Video, Course]:
    """A video the caller may watch (API.md §4 room auth): access to its course, or a published
    preview of a published course. `course_id`, when given, must be the video's course."""
    video = video_or_404(video_id)
    if course_id is not None and course_id.lower() != video.course_id:
        raise NotFound("Video not found in this course")
    course = course_or_404(video.course_id)
    if can_access(course, ident) or (video.is_preview and video.is_published and course.is_published):
        return video, course
    raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")
