"""The fan-out: one WSGI app that forwards every request it receives to the primary side (legacy) and to
every other side (a second legacy instance for noise, the candidate), translating minted ids per side.

Case generators need not know about it: schemathesis (every phase, its stateful links included) and the
Postman replay drive it like any single app and see the primary's responses, while each exchange, with
what every side was sent and answered, goes to `sink` for comparison as it happens.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import urlsplit

from .exchange import Exchange, Reply, Sent
from .idmap import IdMap


class Side(Protocol):
    name: str

    def send(self, sent: Sent) -> Reply: ...


#: What every side is sent when the case generator sent no Host: one value for all, so absolute URLs a side builds
#: from it compare equal whether the side runs in-process or behind a server on some port.
DEFAULT_HOST = "localhost"
#: The peer address every side sees: a server on loopback sees this, and an in-process app is told the same.
PEER_ADDRESS = "127.0.0.1"


class WsgiSide:
    """An in-process WSGI app, called without a cookie jar (the caller's Cookie header is forwarded as sent), with
    the environ a WSGI server would build from the same bytes on the wire: PATH_INFO is the raw path decoded
    (`//health` stays `//health`, `/a/./b` stays `/a/./b`), REMOTE_ADDR is loopback."""

    def __init__(self, name: str, app: Any) -> None:
        self.name, self.app = name, app

    def send(self, sent: Sent) -> Reply:
        from urllib.parse import unquote_to_bytes

        from werkzeug.test import EnvironBuilder, run_wsgi_app

        path, _, query = sent.path.partition("?")
        headers = list(sent.headers)
        if not any(k.lower() == "host" for k, _ in headers):
            headers.append(("Host", DEFAULT_HOST))
        builder = EnvironBuilder(path="/", method=sent.method, query_string=query, headers=headers,
                                 data=sent.body or None, environ_base={"REMOTE_ADDR": PEER_ADDRESS})
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        environ["PATH_INFO"] = unquote_to_bytes(path or "/").decode("latin-1")
        if not sent.body and sent.method.upper() in HttpSide.WITH_BODY:
            environ["CONTENT_LENGTH"] = "0"  # what a client, and so HttpSide, sends with an empty POST
        environ["RAW_URI"] = environ["REQUEST_URI"] = sent.path or "/"
        # The app is called with this environ as it stands (the test client would rebuild it from a URL and read
        # a leading `//` as a host).
        app_iter, status, response_headers = run_wsgi_app(self.app, environ, buffered=True)
        try:
            body = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        return Reply(int(status.split(" ", 1)[0]), list(response_headers.items()), body)


class HttpSide:
    """A server reached over HTTP (spawned by the harness or external), sent exactly the request's bytes: the path
    as given (no dot-segment or slash normalisation, which HTTP libraries apply), the headers as given and nothing
    added (no User-Agent, no Accept-Encoding), the same Host as every other side."""

    WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

    def __init__(self, name: str, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.name, self.base_url, self.timeout = name, base_url.rstrip("/"), timeout
        self._host, self._port, self._prefix = parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/")

    def send(self, sent: Sent) -> Reply:
        import http.client

        conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        try:
            conn.putrequest(sent.method, self._prefix + (sent.path or "/"), skip_host=True, skip_accept_encoding=True)
            headers = [(k, v) for k, v in sent.headers if k.lower() != "content-length"]
            if not any(k.lower() == "host" for k, _ in headers):
                headers.insert(0, ("Host", DEFAULT_HOST))
            for key, value in headers:
                conn.putheader(key, value)
            if sent.body or sent.method.upper() in self.WITH_BODY:
                conn.putheader("Content-Length", str(len(sent.body)))
            conn.endheaders(sent.body or None)
            resp = conn.getresponse()
            return Reply(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()


def operation_label(op: dict[str, Any], method: str, template: str) -> str:
    """How findings name an operation: "P17 GET /api/v1/courses/{course_id}" (the contract's x-api-id first)."""
    return f"{op.get('x-api-id', op.get('operationId', '?'))} {method.upper()} {template}"


class OperationResolver:
    """"METHOD /concrete/path" -> the contract's "P17 GET /api/v1/courses/{course_id}" (literal paths win)."""

    def __init__(self, paths: dict[str, dict[str, Any]]) -> None:
        routes = []
        for template, item in paths.items():
            for method, op in item.items():
                if method not in {"get", "put", "post", "delete", "patch"}:
                    continue
                regex = re.compile("^" + re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(template)) + "$")
                routes.append((template.count("{"), regex, method.upper(), operation_label(op, method, template)))
        self._routes = sorted(routes, key=lambda r: r[0])

    def __call__(self, method: str, path: str) -> str:
        bare = path.split("?", 1)[0].split("#", 1)[0]  # not urlsplit: a leading `//` is a path here, not a host
        for _, regex, m, label in self._routes:
            if m == method.upper() and regex.match(bare):
                return label
        if bare.endswith("/") and len(bare) > 1:
            inner = self(method, bare.rstrip("/"))
            if not inner.startswith("unmatched"):
                return inner + " (trailing slash)"
        return f"unmatched {method.upper()} {bare}"


def _sent_from_environ(environ: dict[str, Any]) -> Sent:
    from werkzeug.wsgi import get_input_stream

    path = environ.get("PATH_INFO", "") or "/"
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    headers = [(k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_")]
    if environ.get("CONTENT_TYPE"):
        headers.append(("Content-Type", environ["CONTENT_TYPE"]))
    body = get_input_stream(environ).read()
    return Sent(environ.get("REQUEST_METHOD", "GET").upper(), path, headers, body)


class FanOut:
    """A WSGI app: the primary's response goes back to the caller; every exchange goes to `sink`."""

    def __init__(self, primary: Side, others: Iterable[Side], resolve: Callable[[str, str], str],
                 sink: Callable[[Exchange, dict[str, IdMap]], None], *, concurrent: bool | None = None) -> None:
        self.primary, self.others = primary, list(others)
        self.resolve, self.sink = resolve, sink
        self.maps = {side.name: IdMap() for side in self.others}
        self.source = "unnamed"
        self._seq = itertools.count(1)
        self.exchanges = 0
        # Sides that are servers answer in parallel: a request's translation depends only on earlier replies,
        # so all sides can receive it at once. In-process apps share this interpreter and gain nothing.
        if concurrent is None:
            concurrent = all(isinstance(s, HttpSide) for s in (self.primary, *self.others))
        self._pool = None
        self._queue = None
        self._sink_error: Exception | None = None
        if concurrent:
            import queue
            import threading
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1 + len(self.others), thread_name_prefix="fanout")
            # The comparison of one exchange overlaps the servers' work on the next: the sink runs on a thread
            # of its own, in order. Ids are still learned here, before the next request is translated.
            self._queue = queue.Queue(maxsize=256)
            threading.Thread(target=self._drain_forever, name="fanout-sink", daemon=True).start()

    def send(self, sent: Sent) -> Reply:
        """Fan one request out (also used directly, without WSGI)."""
        ex = Exchange(next(self._seq), self.resolve(sent.method, sent.path), self.source)
        outgoing = {self.primary.name: sent} | {s.name: self.maps[s.name].translate(sent) for s in self.others}
        sides = (self.primary, *self.others)
        if self._pool is not None:
            futures = {s.name: self._pool.submit(s.send, outgoing[s.name]) for s in sides}
            replies = {name: f.result() for name, f in futures.items()}
        else:
            replies = {s.name: s.send(outgoing[s.name]) for s in sides}
        primary_reply = replies[self.primary.name]
        for side in self.others:
            self.maps[side.name].learn_replies(primary_reply, replies[side.name])
        ex.sent, ex.replies = outgoing, replies
        self.exchanges += 1
        if self._queue is not None:
            self._queue.put(ex)
        else:
            self.sink(ex, self.maps)
        return primary_reply

    def _drain_forever(self) -> None:
        while True:
            ex = self._queue.get()
            try:
                self.sink(ex, self.maps)
            except Exception as exc:  # noqa: BLE001 - kept and raised by drain(), never lost
                self._sink_error = exc
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Wait until every exchange sent so far has been compared (a no-op when the sink runs inline)."""
        if self._queue is not None:
            self._queue.join()
        if self._sink_error is not None:
            raise self._sink_error

    def close(self) -> None:
        self.drain()
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        from http import HTTPStatus

        reply = self.send(_sent_from_environ(environ))
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Unknown"
        headers = [(k, v) for k, v in reply.headers if k.lower() not in {"content-length", "transfer-encoding"}]
        headers.append(("Content-Length", str(len(reply.body))))
        start_response(f"{reply.status} {phrase}", headers)
        return [reply.body]
