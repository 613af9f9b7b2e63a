"""ASGI entry point: `uvicorn reference_django.config.asgi:application`.

Django serves HTTP; the Socket.IO server (API.md §4, reference_django.realtime) answers `/socket.io/`
on the same origin, as the legacy Flask-SocketIO app does. Django is set up before the realtime
package is imported: its handlers use the ORM and its server reads the settings.
"""
from __future__ import annotations

import os

import socketio
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference_django.config.settings.base")
django_asgi_app = get_asgi_application()

from reference_django.realtime.server import sio  # noqa: E402  (needs the Django setup above)

application = socketio.ASGIApp(sio, other_asgi_app=django_asgi_app, socketio_path="socket.io")
