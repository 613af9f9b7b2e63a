"""A stand-in server on loopback that keeps every request exactly as it arrived on the socket."""
from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Arrived:
    method: str
    target: str  # the request line's path and query, as sent
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class _Recorder(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        method, target, _ = self.rfile.readline().decode("latin-1").split(" ", 2)
        arrived = Arrived(method, target)
        while (line := self.rfile.readline().decode("latin-1").rstrip("\r\n")):
            name, _, value = line.partition(":")
            arrived.headers.append((name.strip(), value.strip()))
        if (arrived.header("Expect") or "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        arrived.body = self.rfile.read(int(arrived.header("Content-Length") or 0))
        self.server.arrived.append(arrived)  # type: ignore[attr-defined]
        self.wfile.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")


class StandIn:
    def __init__(self, server: socketserver.ThreadingTCPServer) -> None:
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"

    def take(self) -> Arrived:
        """The one request that arrived since the last `take`."""
        arrived, self._server.arrived[:] = list(self._server.arrived), []  # type: ignore[attr-defined]
        assert len(arrived) == 1, arrived
        return arrived[0]


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    server.arrived = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield StandIn(server)
    server.shutdown()
    server.server_close()
