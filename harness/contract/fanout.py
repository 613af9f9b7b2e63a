"""The fan-out: one WSGI app that forwards every request it receives to the primary side (legacy) and to
every other side (a second legacy instance for noise, the candidate), translating minted ids per side.

Case generators need not know about it: schemathesis (every phase, its stateful links included) and the
Postman replay drive it like any single app and see the primary's responses, while each exchange, with
what every side was sent and answered, goes to `sink` for comparison as it happens.

The sides (`WsgiSide`, `HttpSide`) are the neutral ones of `harness.http`, named here too for the contract
modules that import them from this module.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

from harness.http import DEFAULT_HOST, PEER_ADDRESS, HttpSide, Reply, Sent, Side, WsgiSide, respond, sent_from_environ

from .exchange import Exchange
from .idmap import IdMap

__all__ = ["DEFAULT_HOST", "PEER_ADDRESS", "FanOut", "HttpSide", "OperationResolver", "Side", "WsgiSide",
           "operation_label"]


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
        return respond(self.send(sent_from_environ(environ)), start_response)
