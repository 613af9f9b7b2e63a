"""The reference app served for real: uvicorn on `reference_django.config.asgi:application` in a subprocess,
an HTTP client with the werkzeug-client face the `Caller` fixtures use, and a Socket.IO client that reads
what the server sent in order.

Socket.IO needs a real server (the Django app has no in-process Socket.IO test client), so the tests talk
to it over 127.0.0.1 like a browser: python-socketio's `Client` on the long-polling transport (requests;
the websocket transport would need websocket-client, which is not a dependency).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import engineio
import requests
import socketio
import sqlalchemy as sa

from tests.socket_expectations import Handshake

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10.0  # seconds: a loaded 2-core machine, never a hang


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving the reference app (HTTP and Socket.IO) on `database_url`. With `redis_url`, the
    Socket.IO server shares rooms and emits through Redis on a channel of its own, and `publish` emits
    into it from outside (as a Celery worker or another host would)."""

    kind = "django"

    def __init__(self, database_url: str, workdir: Path, redis_url: str | None = None) -> None:
        self.base_url = f"http://127.0.0.1:{free_port()}"
        self.channel = f"socketio-test-{uuid.uuid4().hex[:8]}"
        self.jwt_secret = f"live-server-secret-{uuid.uuid4().hex}"
        self.redis_url = redis_url
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reference_django.config.settings.test",
               "DATABASE_URL": database_url, "UPLOAD_ROOT": str(workdir / "uploads"), "REDIS_URL": redis_url or "",
               "SOCKETIO_CHANNEL": self.channel, "JWT_SECRET": self.jwt_secret, "PYTHONPATH": str(ROOT)}
        self.log = (workdir / "uvicorn.log").open("w")
        port = self.base_url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "reference_django.config.asgi:application", "--host", "127.0.0.1",
             "--port", port, "--lifespan", "off", "--log-level", "warning",
             "--timeout-graceful-shutdown", "1"],  # pending long-polls would hold a graceful stop
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.extensions = {"db_engine": sa.create_engine(database_url)}
        self._publisher = socketio.RedisManager(redis_url, channel=self.channel, write_only=True) if redis_url else None
        self._wait_until_serving(workdir / "uvicorn.log")

    def _wait_until_serving(self, log: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited ({self.process.returncode}):\n{log.read_text()}")
            try:
                if requests.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"uvicorn did not serve /health within 60 s:\n{log.read_text()}")

    def test_client(self) -> HttpClient:
        return HttpClient(self.base_url)

    def publish(self, event: str, payload: Any, room: str) -> None:
        """An emit from outside the server process, through the message queue."""
        assert self._publisher is not None, "publishing needs the Redis-backed server"
        self._publisher.emit(event, payload, namespace="/", room=room)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.extensions["db_engine"].dispose()


class HttpResponse:
    def __init__(self, resp: requests.Response) -> None:
        self.raw = resp
        self.status_code = resp.status_code
        self.headers = resp.headers

    def get_json(self) -> Any:
        return self.raw.json()


class HttpClient:
    """requests with the part of werkzeug's test-client API that tests/conftest.py's `Caller` uses."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def open(self, path: str, method: str = "GET", headers: dict | None = None, json: Any = None) -> HttpResponse:
        return HttpResponse(self.session.request(method, self.base_url + path, headers=headers, json=json,
                                                 allow_redirects=False, timeout=TIMEOUT))

    def get(self, path: str, **kw: Any) -> HttpResponse:
        return self.open(path, method="GET", **kw)

    def post(self, path: str, **kw: Any) -> HttpResponse:
        return self.open(path, method="POST", **kw)

    def get_cookie(self, name: str) -> SimpleNamespace | None:
        value = self.session.cookies.get(name)
        return None if value is None else SimpleNamespace(value=value)

    def delete_cookie(self, name: str) -> None:
        self.session.cookies.set(name, None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)


class _InOrderEngineIO(engineio.Client):
    """engineio hands each received message to a new thread; here it is handled in the reading thread, so
    the events are recorded in the order the server sent them (what the assertions compare)."""

    def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)

    def disconnect(self, abort: bool = False, reason: Any = None) -> None:
        # Never waits for the reading thread (a daemon): it may be the caller (a server-side disconnect,
        # handled in order), and on long-polling it sits in a GET the server answers at the next ping.
        super().disconnect(abort=True, reason=reason)


class _RecordingClient(socketio.Client):
    def _engineio_client_class(self) -> type[engineio.Client]:
        return _InOrderEngineIO


class LiveSock:
    """One Socket.IO client of the live server, with the face of the legacy tests' `Sock`: `emit` returns
    once the server has handled the event, `events()` drains what the server sent up to now as
    (name, payload) pairs."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.client = _RecordingClient(reconnection=False, handle_sigint=False)
        self._received: list[tuple[str, Any]] = []
        self._arrived = threading.Condition()
        self.client.on("*", self._record)

    def _record(self, event: str, *args: Any) -> None:
        with self._arrived:
            self._received.append((event, args[0] if args else None))
            self._arrived.notify_all()

    def connect(self, handshake: Handshake) -> LiveSock:
        url = self.server.base_url + (f"?{handshake.query}" if handshake.query else "")
        try:
            self.client.connect(url, headers=handshake.headers, auth=handshake.auth, transports=["polling"],
                                wait_timeout=TIMEOUT)
        except socketio.exceptions.ConnectionError:
            pass  # refused: `connected` says so, `events()` shows what came before the refusal
        return self

    @property
    def connected(self) -> bool:
        return self.client.connected

    def emit(self, event: str, *args: Any) -> None:
        """Sends the event and waits for the server's acknowledgement: the handler has run, and what it
        sent this client precedes the ack. A handler that drops the client sends no ack."""
        handled = threading.Event()
        self.client.emit(event, args[0] if args else None, callback=lambda *_: handled.set())
        deadline = time.monotonic() + TIMEOUT
        while not handled.wait(0.02) and self.connected:
            assert time.monotonic() < deadline, f"no acknowledgement of {event}"

    def events(self) -> list[tuple[str, Any]]:
        self._settle()
        with self._arrived:
            out, self._received = self._received, []
        return out

    def _settle(self) -> None:
        """Waits until everything the server sent this client so far has arrived: a marker sent after it
        on the same path (through the message queue, which every emit of the server crosses, or as the
        ack of a no-op event when there is no queue) comes back last."""
        if not self.connected:
            return  # the disconnect came after everything else
        if self.server.redis_url is None:
            self.emit("leave_course", {"course_id": str(uuid.uuid4())})  # no room of that id: no effect
            return
        marker = ("settled", {"marker": uuid.uuid4().hex})
        self.server.publish(*marker, room=self.client.get_sid())
        with self._arrived:
            assert self._arrived.wait_for(lambda: marker in self._received, TIMEOUT), "the marker never came back"
            self._received.remove(marker)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()
