"""The traffic the passive rules read: every documented operation answered by a side, recorded as it crossed the
wire.

    Recorder(side, base_url, send)   a transport that sends and keeps each Exchange (named by its documented
                                     operation), for anything that sends: the replay, the crawl, the probes
    crawl(recorder, collection, accounts)   the real client's collection played end to end (harness/replay: 61
                                     requests over every flow, with their fixups), then each documented GET route
                                     anonymous and as each seeded role, its path parameters filled with the ids the
                                     replay saw

Nothing here reads a database: it runs against any target.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.api_doc import Route, routes
from harness.http import Reply, Sent, login
from harness.replay.postman import CollectionError
from harness.replay.unpuzzle_flow import UnpuzzleReplay

from .model import Exchange

Send = Callable[[Sent], Reply]
_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Operations:
    """Documented operations, matched by method and path: "GET /api/v1/courses/{course_id}"."""

    patterns: tuple[tuple[str, re.Pattern[str], str], ...]

    @classmethod
    def from_routes(cls, documented: Iterable[Route]) -> Operations:
        found = []
        for route in documented:
            regex = re.compile("^" + _PARAM.sub(r"[^/]+", re.escape(route.path).replace(r"\{", "{")
                                                .replace(r"\}", "}")) + "$")
            found.append((route.method, regex, f"{route.method} {route.path}"))
        # literal segments before parameters: /courses/recommended is not /courses/{course_id}
        found.sort(key=lambda item: item[2].count("{"))
        return cls(tuple(found))

    def name(self, method: str, path: str) -> str:
        bare = path.split("?", 1)[0]
        for wanted, regex, name in self.patterns:
            if wanted == method.upper() and regex.match(bare):
                return name
        return f"{method.upper()} {bare}"


@dataclass
class Recorder:
    """Sends through `send` and records each exchange; usable as the replay's transport (`base_url`, `send`)."""

    side: str
    base_url: str
    inner: Send
    operations: Operations = field(default_factory=lambda: Operations.from_routes(routes()))
    exchanges: list[Exchange] = field(default_factory=list)

    def send(self, sent: Sent) -> Reply:
        reply = self.inner(sent)
        self.exchanges.append(Exchange(self.side, self.operations.name(sent.method, sent.path),
                                       self.base_url.rstrip("/") + sent.path, sent, reply))
        return reply


@dataclass(frozen=True, slots=True)
class CrawlSummary:
    replayed: int
    replay_failures: list[str]
    crawled: int
    operations: int


def crawl(recorder: Recorder, collection: Path, *, admin: tuple[str, str],
          accounts: Sequence[tuple[str, str]]) -> CrawlSummary:
    """The collection replayed, then each documented GET route anonymous and as each of `accounts`."""
    try:
        replay = UnpuzzleReplay(recorder, collection, admin=admin, unique_user=True)
        report = replay.run()
        variables = dict(replay.vars)
        failures = [f"{step.rid} {step.name}: {step.status}" for step in report.failures]
    except CollectionError as exc:
        variables, failures = {}, [f"the collection could not be replayed: {exc}"]
    replayed = len(recorder.exchanges)
    tokens: list[str | None] = [None]
    for email, password in accounts:
        token = login(recorder.send, email, password)
        if token:
            tokens.append(token)
    for route in routes():
        path = _filled(route.path, variables)
        if route.method != "GET" or path is None:
            continue
        for token in tokens:
            headers = [("Authorization", f"Bearer {token}")] if token else []
            recorder.send(Sent("GET", path, [("Accept", "application/json"), *headers]))
    names = {exchange.operation for exchange in recorder.exchanges}
    return CrawlSummary(replayed, failures, len(recorder.exchanges) - replayed, len(names))


def _filled(path: str, variables: dict[str, str]) -> str | None:
    """The documented path with each parameter taken from the replay's variables; None when one is unknown."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = variables.get(match.group(1)) or ""
        missing = missing or not found
        return found

    filled = _PARAM.sub(value, path)
    return None if missing else filled
