"""Server-side Socket.IO emits used by the REST views (API.md §4.2), the legacy rooms and payloads.

Rooms: course_{id}, video_{id}, instructor_{id}. Emitting never fails a REST request: a broken message
queue is logged, the write has already been committed.
"""
from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def emit(event: str, payload: dict[str, Any], *rooms: str) -> None:
    """One emit to the union of `rooms` (a client in several of them gets the event once)."""
    if not rooms:
        return  # an empty `to` would broadcast to every client
    try:
        from reference_django.realtime.server import emit_from_sync

        emit_from_sync(event, payload, list(rooms))
    except Exception:  # pragma: no cover - depends on the message queue
        log.exception("socket emit %s to %s failed", event, rooms)


def course_room(course_id: str) -> str:
    return f"course_{course_id}"


def instructor_room(course_id: str) -> str:
    return f"instructor_{course_id}"


def video_room(video_id: str) -> str:
    return f"video_{video_id}"
