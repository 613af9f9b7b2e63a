"""A request reaches an in-process side (harness.http's WsgiSide) and a side behind a server (HttpSide), the sides
the fan-out sends through, as the same bytes: the same raw path (no dot-segment or slash normalisation), the same
headers (none added: no User-Agent, no Accept-Encoding), the same Host, the same peer address, the same body.
Otherwise a URL candidate compared with an in-process legacy differs on transport alone (a session's stored user
agent and IP, a redirect URL built from Host, `/./` routed)."""
from __future__ import annotations

import io
import json
import socketserver
import threading
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

import pytest

from harness.contract import exchange, fanout
from harness.contract.fanout import OperationResolver
from harness.http import HttpSide, Sent, WsgiSide

SEEN = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "REMOTE_ADDR", "HTTP_HOST", "HTTP_USER_AGENT",
        "HTTP_ACCEPT_ENCODING", "HTTP_COOKIE", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_X_TWICE")


def echo(environ, start_response):
    """Answers with what it was given."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    seen = {key: environ.get(key) or None for key in SEEN} | {"body": body.decode("latin-1")}
    out = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


class RawHandler(socketserver.StreamRequestHandler):
    """The request as it arrived on the socket, turned into a WSGI environ by the rules gunicorn and uvicorn follow
    (PATH_INFO: the raw path percent-decoded as latin-1, nothing collapsed; repeated headers joined with ","), then
    answered by `echo`. The standard library's servers would collapse a leading `//` first, so none is used."""

    def handle(self) -> None:
        method, target, _ = self.rfile.readline().decode("latin-1").split(" ", 2)
        path, _, query = target.partition("?")
        environ = {"REQUEST_METHOD": method, "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
                   "QUERY_STRING": query, "REMOTE_ADDR": self.client_address[0]}
        while (line := self.rfile.readline().decode("latin-1").rstrip("\r\n")):
            name, _, value = line.partition(":")
            key = name.strip().upper().replace("-", "_")
            key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"
            environ[key] = f"{environ[key]},{value.strip()}" if key in environ else value.strip()
        environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(environ.get("CONTENT_LENGTH") or 0)))
        status, headers = [], []
        body = b"".join(echo(environ, lambda s, h: (status.append(s), headers.extend(h))))
        head = f"HTTP/1.1 {status[0]}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "Connection: close\r\n\r\n"
        self.wfile.write(head.encode("latin-1") + body)


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RawHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("sent", [
    Sent("GET", "/health", [], b""),
    Sent("GET", "//health", [], b""),
    Sent("GET", "/api/v1/./user/../profile?a=1&a=2", [], b""),
    Sent("DELETE", "/api/v1//sessions", [("Cookie", "access_token=; access_token=x")], b""),
    Sent("POST", "/api/v1/auth/login", [("Content-Type", "application/json")], b'{"email": "a@b.c"}'),
    Sent("POST", "/api/v1/auth/logout", [], b""),
    Sent("GET", "/caf%C3%A9/%FF", [("Host", "example.test"), ("X-Twice", "1")], b""),
], ids=["plain", "leading-double-slash", "dot-segments", "empty-segment", "json-body", "empty-post",
        "encoded-bytes-and-host"])
def test_both_transports_deliver_the_same_request(served, sent):
    over_http = json.loads(HttpSide("candidate", served).send(sent).body)
    in_process = json.loads(WsgiSide("legacy", echo).send(sent).body)
    assert over_http == in_process
    assert over_http["REMOTE_ADDR"] == "127.0.0.1" and over_http["HTTP_USER_AGENT"] is None
    assert over_http["HTTP_HOST"] == dict(sent.headers).get("Host", "localhost")


def test_a_leading_double_slash_is_a_path_not_a_host():
    resolve = OperationResolver({"/health": {"get": {"x-api-id": "P52"}}})
    assert resolve("GET", "//health") == "unmatched GET //health"
    assert resolve("GET", "/health?x=1") == "P52 GET /health"


def test_the_fanout_sends_through_the_neutral_sides():
    assert (fanout.WsgiSide, fanout.HttpSide, exchange.Sent) == (WsgiSide, HttpSide, Sent)
