"""The Socket.IO server (protocol v5, as legacy Flask-SocketIO 5) and the emit path of the sync REST views.

`sio` is a `socketio.AsyncServer` that config/asgi.py mounts beside Django's ASGI app under `/socket.io/`.
Its handlers run on uvicorn's event loop; the REST views that emit (common/events.py) are sync Django
code running in asgiref's worker thread, where `sio.emit` is a coroutine of another thread's loop. So sync
code emits through `emit_from_sync`, which picks the path that is reliable for the deployment:

- REDIS_URL set: the server's client manager is an `AsyncRedisManager`, so every uvicorn worker and host
  shares the rooms through one Redis channel, and sync code publishes with a write-only
  `socketio.RedisManager` on that channel: a plain blocking PUBLISH that works from any thread or process
  (views, Celery workers, management commands) and never touches an event loop it does not own.
- No REDIS_URL: one process holds every socket; asgiref's `async_to_sync` runs `sio.emit` on the server's
  loop (a sync view served over ASGI knows that loop) and waits for it, so the packets are queued before
  the response leaves. Outside an ASGI server (WSGI, tests, shell) no socket is connected to the process,
  and the emit reaches nobody, as it would with Flask-SocketIO without a message queue.

The default channel is Flask-SocketIO's (`flask-socketio`), so during the blue-green window both fleets
behave as one Socket.IO cluster: a REST write on either app reaches sockets connected to either.
"""
from __future__ import annotations

import functools
from typing import Any

import socketio
from asgiref.sync import async_to_sync
from django.conf import settings

from . import handlers


def _client_manager() -> socketio.AsyncManager:
    if settings.REDIS_URL:
        return socketio.AsyncRedisManager(settings.REDIS_URL, channel=settings.SOCKETIO_CHANNEL)
    return socketio.AsyncManager()


# cors_allowed_origins=[] as legacy: no CORS handling (the API is same-origin); loggers off as legacy.
sio = socketio.AsyncServer(async_mode="asgi", client_manager=_client_manager(), cors_allowed_origins=[],
                           logger=False, engineio_logger=False)
handlers.register(sio)


@functools.lru_cache(maxsize=4)
def _publisher(redis_url: str, channel: str) -> socketio.RedisManager:
    """One write-only publisher per queue (it keeps its Redis connection between emits)."""
    return socketio.RedisManager(redis_url, channel=channel, write_only=True)


def emit_from_sync(event: str, payload: dict[str, Any], rooms: list[str]) -> None:
    """`sio.emit(event, payload, to=rooms)` for sync code: a client in several rooms gets it once."""
    if settings.REDIS_URL:
        _publisher(settings.REDIS_URL, settings.SOCKETIO_CHANNEL).emit(event, payload, namespace="/", room=rooms)
    else:
        async_to_sync(sio.emit)(event, payload, to=rooms)
