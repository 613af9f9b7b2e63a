"""The two ways a request reaches an implementation, built to deliver the same bytes: `WsgiSide` calls a WSGI app
in-process with the environ a server would build, `HttpSide` sends to a server with http.client and nothing added
(over TLS for an https base URL, trusting the CA its `ssl_context` names).

Both send what they are given: the path as given (no dot-segment or slash normalisation), the headers as given,
one Host for every side (`DEFAULT_HOST` when the request names none), the loopback peer address, and
`Content-Length: 0` on an empty POST, PUT or PATCH, as a client sends it. Neither keeps cookies.

The other direction is here too: `sent_from_environ` reads the request a WSGI server handed to an app, and
`respond` answers it with a `Reply`, so something that sends requests on (a fan-out) can sit behind a server.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from .message import Reply, Sent

#: What every side is sent when the caller sent no Host: one value for all, so absolute URLs a side builds
#: from it compare equal whether the side runs in-process or behind a server on some port.
DEFAULT_HOST = "localhost"
#: The peer address every side sees: a server on loopback sees this, and an in-process app is told the same.
PEER_ADDRESS = "127.0.0.1"
#: Methods a client sends a Content-Length with even when the body is empty.
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

#: Anything that answers a request: a side's `send`, a fan-out's, a test's stand-in.
Send = Callable[[Sent], Reply]


class Side(Protocol):
    name: str

    def send(self, sent: Sent) -> Reply: ...


class WsgiSide:
    """An in-process WSGI app, called without a cookie jar (the caller's Cookie header is forwarded as sent), with
    the environ a WSGI server would build from the same bytes on the wire: PATH_INFO is the raw path decoded
    (`//health` stays `//health`, `/a/./b` stays `/a/./b`), REMOTE_ADDR is loopback."""

    def __init__(self, name: str, app: Any) -> None:
        self.name, self.app = name, app

    def send(self, sent: Sent) -> Reply:
        from werkzeug.test import run_wsgi_app

        # The app is called with this environ as it stands (the test client would rebuild it from a URL and read
        # a leading `//` as a host).
        app_iter, status, response_headers = run_wsgi_app(self.app, wsgi_environ(sent), buffered=True)
        try:
            body = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        return Reply(int(status.split(" ", 1)[0]), list(response_headers.items()), body)


def wsgi_environ(sent: Sent) -> dict[str, Any]:
    """The environ a WSGI server builds from `sent` arriving on loopback."""
    from urllib.parse import unquote_to_bytes

    from werkzeug.test import EnvironBuilder

    path, _, query = sent.path.partition("?")
    headers = list(sent.headers)
    if sent.header("Host") is None:
        headers.append(("Host", DEFAULT_HOST))
    builder = EnvironBuilder(path="/", method=sent.method, query_string=query, headers=headers,
                             data=sent.body or None, environ_base={"REMOTE_ADDR": PEER_ADDRESS})
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["PATH_INFO"] = unquote_to_bytes(path or "/").decode("latin-1")
    if not sent.body and sent.method.upper() in WITH_BODY:
        environ["CONTENT_LENGTH"] = "0"  # what a client, and so HttpSide, sends with an empty POST
    environ["RAW_URI"] = environ["REQUEST_URI"] = sent.path or "/"
    return environ


class HttpSide:
    """A server reached over HTTP (spawned by the harness or external), sent exactly the request's bytes: the path
    as given (no dot-segment or slash normalisation, which HTTP libraries apply), the headers as given and nothing
    added (no User-Agent, no Accept-Encoding), the same Host as every other side. A server that cannot be reached
    raises what http.client raises (OSError, TimeoutError, http.client.HTTPException)."""

    WITH_BODY = WITH_BODY

    def __init__(self, name: str, base_url: str, timeout: float = 30.0, ssl_context: Any = None) -> None:
        parts = urlsplit(base_url)
        self.name, self.base_url, self.timeout = name, base_url.rstrip("/"), timeout
        self._tls = parts.scheme == "https"
        self._host, self._prefix = parts.hostname or "127.0.0.1", parts.path.rstrip("/")
        self._port = parts.port or (443 if self._tls else 80)
        self._context = ssl_context  # for https: the context that trusts the server's CA (None: the system's)

    def send(self, sent: Sent) -> Reply:
        import http.client

        if self._tls:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=self._context)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        try:
            conn.putrequest(sent.method, self._prefix + (sent.path or "/"), skip_host=True, skip_accept_encoding=True)
            headers = [(k, v) for k, v in sent.headers if k.lower() != "content-length"]
            if sent.header("Host") is None:
                headers.insert(0, ("Host", DEFAULT_HOST))
            for key, value in headers:
                conn.putheader(key, value)
            if sent.body or sent.method.upper() in WITH_BODY:
                conn.putheader("Content-Length", str(len(sent.body)))
            conn.endheaders(sent.body or None)
            resp = conn.getresponse()
            return Reply(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()


def sent_from_environ(environ: dict[str, Any]) -> Sent:
    """The request a WSGI server handed to an app: method, path and query, the HTTP_* headers and Content-Type
    (Content-Length is the body's own), the body."""
    from werkzeug.wsgi import get_input_stream

    path = environ.get("PATH_INFO", "") or "/"
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    headers = [(k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_")]
    if environ.get("CONTENT_TYPE"):
        headers.append(("Content-Type", environ["CONTENT_TYPE"]))
    body = get_input_stream(environ).read()
    return Sent(environ.get("REQUEST_METHOD", "GET").upper(), path, headers, body)


def respond(reply: Reply, start_response: Callable) -> list[bytes]:
    """Answer a WSGI server with `reply` (its body whole, so Content-Length is set and Transfer-Encoding dropped)."""
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "Unknown"
    headers = [(k, v) for k, v in reply.headers if k.lower() not in {"content-length", "transfer-encoding"}]
    headers.append(("Content-Length", str(len(reply.body))))
    start_response(f"{reply.status} {phrase}", headers)
    return [reply.body]
