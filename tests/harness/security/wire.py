"""The candidate in-process as a server on a TLS or plain listener would hand it a request, for the tests that
grade or scan its real answers without serving it.

    over(app, sent, scheme="https") -> Reply    `sent` with wsgi.url_scheme set as a TLS terminator sets it
    fetcher(app) -> fetch(url) -> Reply         one GET to an absolute loopback URL (the Observatory's session)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from harness.http import Reply, Sent
from harness.http.sides import wsgi_environ

Wsgi = Callable[..., Any]


def over(app: Wsgi, sent: Sent, scheme: str = "https") -> Reply:
    """`sent` handed to the app as the `scheme` listener's server hands it (a TLS terminator: wsgi.url_scheme)."""
    from werkzeug.test import run_wsgi_app

    environ = wsgi_environ(sent)
    environ["wsgi.url_scheme"] = scheme
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    try:
        body = b"".join(app_iter)
    finally:
        getattr(app_iter, "close", lambda: None)()
    return Reply(int(status.split(" ", 1)[0]), list(headers.items()), body)


def fetcher(app: Wsgi) -> Callable[[str], Reply]:
    """One GET as the Observatory's HTTP session sends it; only the loopback names reach the candidate."""
    def fetch(url: str) -> Reply:
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ConnectionRefusedError(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return over(app, Sent("GET", path or "/", [("Host", parts.netloc)]), parts.scheme)
    return fetch
