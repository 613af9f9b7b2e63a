"""Socket.IO handlers (API.md §4)."""
from __future__ import annotations

from flask_socketio import SocketIO


def register(socketio: SocketIO) -> None:
    pass
