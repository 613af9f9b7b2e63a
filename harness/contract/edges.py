"""The `edges` case source: requests no OpenAPI schema describes, which real clients send anyway.

RFC 9110 and RFC 6265 leave many details of a request to the server (which of two equal cookies wins, what
an empty path segment means, how HEAD and OPTIONS are answered, whether a media type's casing matters, ...).
Two frameworks decide them differently, and a client that depends on the legacy decision breaks on the
candidate while every schema-driven case passes. This source sends, for every operation of the contract, a
small fixed set of such requests through the fan-out, so each is compared field by field like any other case.

Deterministic: the same contract, seed ids and account give the same requests in the same order (only the
token the login mints differs per run, and the fan-out maps it across sides). The requests are safe for the
rest of the run: authenticated ones are GETs, HEADs and bodies no handler accepts (empty, not JSON, not
UTF-8, oversized); every other method is sent anonymously, so nothing seeded is changed or deleted.

Each exchange's `source` is "edges:<kind>" (the finding's evidence names the edge), and the operation is the
contract's when the path still resolves to it (a mangled path is "unmatched ..."). `plan` draws the requests
from `FAMILIES`, one generator per family of edges, in that order.

Kinds:
- `cookie-dup-empty-first`, `cookie-dup-garbage-last`, `cookie-dup-garbage-first`: `access_token` twice in one
  Cookie header (RFC 6265 §5.4 leaves the choice to the server; legacy reads the first);
- `cookie-split`: the two cookies in two Cookie header fields (a proxy joins them with ", ");
- `authz-dup`: two Authorization fields (joined "valid, garbage"); `bearer-and-cookie`: garbage bearer + valid
  cookie (the header wins);
- `header-dup`: X-Requested-With / Accept twice; `accept-odd`: Accept: application/xml and text/html;
- `query-dup`: every documented query parameter twice (a valid value, then another); `query-empty`: `?` and
  `?=&&`; `query-bytes`: a percent-encoded non-UTF-8 byte in a query value;
- `path-double-slash` (`//` inside the path), `path-leading-double-slash` (`//` at the start, sent
  as is: every side gets the raw path, fanout.py), `path-empty-var` (each path variable
  empty), `path-percent` (one unreserved letter percent-encoded), `path-case` (upper-cased), `path-dot`
  (`/./` and `/x/../`), `path-bytes` (a non-UTF-8 byte in a path variable), `path-trailing-slash`
  (authenticated; the anonymous one is in `probes`), `path-double-trailing-slash`;
- `head` (every GET, authenticated; every other path anonymously), `options` (every path), `method-lowercase`,
  `method-unknown`;
- `content-type-charset`, `content-type-case`, `content-type-missing`, `content-type-text`,
  `content-type-params` (an unknown parameter), `content-type-latin1`: a JSON body with those Content-Types;
- `body-empty` (Content-Length 0 on an operation that takes a body), `body-not-json`, `body-bytes` (non-UTF-8
  in a JSON string), `body-on-get`, `body-oversized` (1 MiB JSON), `form-oversized` (a 600 kB form field);
- `header-oversized` (a 16 kB header field), `cookie-oversized` (a 6 kB cookie beside the token).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from harness.http import login

from .exchange import Sent

JSON = ("Content-Type", "application/json")
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
#: Body-taking methods: sent anonymously (no handler body runs) unless the operation is listed as safe below.
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
GARBAGE_TOKEN = "garbage"
#: A well-formed JWT signed with another key: "stale" to every server (what a cookie jar keeps after a rotation).
STALE_TOKEN = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdGFsZSIsInR5cGUiOiJhY2Nlc3MifQ."
               "c3RhbGUtc2lnbmF0dXJlLW5vdC12YWxpZC1hbnl3aGVyZQ")
#: Sizes: a body past Flask's 500 kB form-field limit, a JSON body of 1 MiB, and a header field twice the
#: 8 kB most servers and proxies accept by default.
FORM_FIELD = 600 * 1024
JSON_BODY = 1024 * 1024
HEADER_FIELD = 16 * 1024


@dataclass(frozen=True, slots=True)
class Edge:
    kind: str
    sent: Sent


@dataclass(frozen=True, slots=True)
class Operation:
    api_id: str
    method: str
    template: str
    path: str  # filled with the seeded ids
    query: tuple[str, ...]  # documented query parameter names
    body: bool  # documented JSON request body


def operations(contract: dict[str, Any], fill: Callable[[str], str]) -> list[Operation]:
    out = []
    for template, item in contract["paths"].items():
        shared = [p for p in item.get("parameters", []) if isinstance(p, dict)]
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            params = shared + [p for p in op.get("parameters", []) if isinstance(p, dict)]
            content = op.get("requestBody", {}).get("content", {})
            out.append(Operation(str(op.get("x-api-id", op.get("operationId", "?"))), method.upper(), template,
                                 fill(template), tuple(p["name"] for p in params if p.get("in") == "query"),
                                 "application/json" in content))
    return sorted(out, key=lambda o: (o.template, o.method))


def _quote_letter(path: str) -> str | None:
    """The path with its last unreserved letter percent-encoded (`/health` -> `/healt%68`)."""
    for i in range(len(path) - 1, -1, -1):
        if path[i].isalpha():
            return f"{path[:i]}%{ord(path[i]):02X}{path[i + 1:]}"
    return None


def _empty_vars(template: str, fill: Callable[[str], str]) -> Iterator[str]:
    for name in re.findall(r"\{([^}]+)\}", template):
        yield fill(template.replace("{" + name + "}", ""))


def _sample_value(name: str) -> tuple[str, str]:
    """Two values of a query parameter: one every server accepts, then another."""
    numbers = {"limit", "page", "per_page", "minRating"}
    return ("2", "5") if name in numbers else ("a", "b")


def _edge(kind: str, method: str, path: str, headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> Edge:
    return Edge(kind, Sent(method, path, list(headers or []), body))


def _anonymous_body(op: Operation) -> tuple[list[tuple[str, str]], bytes]:
    """What an anonymous request to `op` carries: an empty JSON object on a body-taking method."""
    return ([JSON], b"{}") if op.method in UNSAFE else ([], b"")


def _split_path(op: Operation) -> tuple[str, str]:
    head, _, last = op.path.rpartition("/")
    return head, last


@dataclass(frozen=True, slots=True)
class Plan:
    """What every family of edges draws on: the operations (and the subsets the families walk) and the caller."""

    ops: list[Operation]
    fill: Callable[[str], str]
    token: str

    @property
    def bearer(self) -> tuple[str, str]:
        return ("Authorization", f"Bearer {self.token}")

    @property
    def gets(self) -> list[Operation]:
        return [o for o in self.ops if o.method == "GET"]

    @property
    def bodied(self) -> list[Operation]:
        """The operations that take a JSON body."""
        return [o for o in self.ops if o.body]

    @property
    def paths(self) -> list[Operation]:
        """The first operation of each path (the method does not change routing)."""
        first: dict[str, Operation] = {}
        for op in self.ops:
            first.setdefault(op.template, op)
        return list(first.values())

    def body_auth(self, op: Operation) -> list[tuple[str, str]]:
        """The credentials a body edge carries: none on the login/signup operations, nor on a deletion (its
        handler never runs; its guard still reads the body's media type)."""
        return [] if op.api_id in {"P1", "P2"} or op.method == "DELETE" else [self.bearer]


# --- the families, in the order they are sent ---------------------------------------------------------------

def duplicate_cookies(p: Plan) -> Iterator[Edge]:
    """Every GET, as a client whose jar holds two access tokens."""
    for op in p.gets:
        yield _edge("cookie-dup-empty-first", "GET", op.path, [("Cookie", f"access_token=; access_token={p.token}")])
        yield _edge("cookie-dup-garbage-last", "GET", op.path,
                    [("Cookie", f"access_token={p.token}; access_token={GARBAGE_TOKEN}")])


def duplicate_credentials_and_headers(p: Plan) -> Iterator[Edge]:
    """Every fourth GET: a stale token first, split Cookie fields, two Authorization fields, a bearer beside a
    cookie, repeated plain headers and unusual Accept values."""
    garbage_bearer = ("Authorization", f"Bearer {GARBAGE_TOKEN}")
    for op in p.gets[::4]:
        yield _edge("cookie-dup-garbage-first", "GET", op.path,
                    [("Cookie", f"access_token={STALE_TOKEN}; access_token={p.token}")])
        yield _edge("cookie-split", "GET", op.path,
                    [("Cookie", f"access_token={p.token}"), ("Cookie", "access_token=")])
        yield _edge("authz-dup", "GET", op.path, [p.bearer, garbage_bearer])
        yield _edge("bearer-and-cookie", "GET", op.path, [garbage_bearer, ("Cookie", f"access_token={p.token}")])
        yield _edge("header-dup", "GET", op.path, [p.bearer, ("Accept", "application/json"), ("Accept", "*/*"),
                                                   ("X-Requested-With", "XMLHttpRequest"),
                                                   ("X-Requested-With", "fetch")])
        yield _edge("accept-odd", "GET", op.path, [p.bearer, ("Accept", "application/xml")])
        yield _edge("accept-odd", "GET", op.path, [p.bearer, ("Accept", "text/html,application/xhtml+xml;q=0.9")])


def query_strings(p: Plan) -> Iterator[Edge]:
    """Every documented query parameter twice and a non-UTF-8 byte in one; empty query strings."""
    for op in p.gets:
        for name in op.query:
            a, b = _sample_value(name)
            yield _edge("query-dup", "GET", f"{op.path}?{name}={a}&{name}={b}", [p.bearer])
        if op.query:
            yield _edge("query-bytes", "GET", f"{op.path}?{op.query[0]}=%FF%FEx", [p.bearer])
    for op in p.gets[::6]:
        yield _edge("query-empty", "GET", op.path + "?", [p.bearer])
        yield _edge("query-empty", "GET", op.path + "?=&&x", [p.bearer])


def empty_segments(p: Plan) -> Iterator[Edge]:
    """Every operation, anonymous (the router answers before any guard): `//` inside the path, each variable
    empty."""
    for op in p.ops:
        headers, body = _anonymous_body(op)
        head, last = _split_path(op)
        yield _edge("path-double-slash", op.method, f"{head}//{last}", headers, body)
        for path in _empty_vars(op.template, p.fill):
            yield _edge("path-empty-var", op.method, path, headers, body)


def mangled_paths(p: Plan) -> Iterator[Edge]:
    """Each path once, anonymous: OPTIONS, and on a share of the paths HEAD without a GET, a leading `//`, a
    percent-encoded letter, upper case, a double trailing slash and a non-UTF-8 byte in a variable."""
    with_get = {o.template for o in p.ops if o.method == "GET"}
    for i, op in enumerate(p.paths):
        headers, body = _anonymous_body(op)
        yield _edge("options", "OPTIONS", op.path)
        if op.template not in with_get and i % 3 == 0:
            yield _edge("head", "HEAD", op.path)  # a path without GET: 405 and its Allow
        if i % 3 == 0:
            yield _edge("path-leading-double-slash", op.method, "//" + op.path.lstrip("/"), headers, body)
            quoted = _quote_letter(op.path)
            if quoted:
                yield _edge("path-percent", op.method, quoted, headers, body)
        if i % 4 == 1:
            yield _edge("path-case", op.method, op.path.upper(), headers, body)
            yield _edge("path-double-trailing-slash", op.method, op.path + "//", headers, body)
        if "{" in op.template and i % 2 == 0:
            first = re.search(r"\{([^}]+)\}", op.template).group(1)
            path = p.fill(op.template.replace("{" + first + "}", "%FF%FE"))
            yield _edge("path-bytes", op.method, path, headers, body)


def dot_segments(p: Plan) -> Iterator[Edge]:
    for op in p.gets[::5]:
        head, last = _split_path(op)
        yield _edge("path-dot", "GET", f"{head}/./{last}", [p.bearer])
        yield _edge("path-dot", "GET", f"{head}/x/../{last}", [p.bearer])


def methods(p: Plan) -> Iterator[Edge]:
    """HEAD on every GET (and half of them with a trailing slash); a lower-case and an unknown method; TRACE."""
    for i, op in enumerate(p.gets):
        yield _edge("head", "HEAD", op.path, [p.bearer])
        if i % 2 == 0:
            yield _edge("path-trailing-slash", "GET", op.path + "/", [p.bearer])
    for op in p.gets[::8]:
        yield _edge("method-lowercase", "get", op.path, [p.bearer])
        yield _edge("method-unknown", "PROPFIND", op.path, [p.bearer])
    yield _edge("method-unknown", "TRACE", "/health")


def bodies(p: Plan) -> Iterator[Edge]:
    """The operations that take JSON, as a caller the body reaches: an empty body, odd media type spellings, a
    missing Content-Type, a body that is not JSON or not UTF-8."""
    for i, op in enumerate(p.bodied):
        auth = p.body_auth(op)
        yield _edge("body-empty", op.method, op.path, auth + [JSON])
        yield _edge("content-type-case", op.method, op.path, auth + [("Content-Type", "Application/JSON")], b"[]")
        if i % 2 == 0:
            yield _edge("content-type-charset", op.method, op.path,
                        auth + [("Content-Type", "application/json; charset=utf-8")], b"[]")
        if i % 3 == 0:
            yield _edge("content-type-missing", op.method, op.path, auth, b"[]")
            yield _edge("body-not-json", op.method, op.path, auth + [JSON], b"{not json")
            yield _edge("body-bytes", op.method, op.path, auth + [JSON], b'{"x": "\xff\xfe"}')


def media_types_and_sizes(p: Plan) -> Iterator[Edge]:
    """Every fourth operation that takes JSON: other media types, and bodies past the size limits."""
    for op in p.bodied[::4]:
        auth = p.body_auth(op)
        yield _edge("content-type-text", op.method, op.path, auth + [("Content-Type", "text/plain")], b"[]")
        yield _edge("content-type-params", op.method, op.path,
                    auth + [("Content-Type", "application/json; v=1; charset=UTF-8")], b"[]")
        yield _edge("content-type-latin1", op.method, op.path,
                    auth + [("Content-Type", "application/json; charset=latin-1")], b'["caf\xe9"]')
        yield _edge("body-oversized", op.method, op.path, auth + [JSON], json.dumps(["x" * JSON_BODY]).encode())
        yield _edge("form-oversized", op.method, op.path,
                    auth + [("Content-Type", "application/x-www-form-urlencoded")], b"x=" + b"a" * FORM_FIELD)


def bodies_on_get(p: Plan) -> Iterator[Edge]:
    for op in p.gets[::4]:
        yield _edge("body-on-get", "GET", op.path, [p.bearer, JSON], b'{"unexpected": true}')


def oversized_headers(p: Plan) -> Iterator[Edge]:
    for op in p.gets[::8]:
        yield _edge("header-oversized", "GET", op.path, [p.bearer, ("X-Padding", "p" * HEADER_FIELD)])
        yield _edge("cookie-oversized", "GET", op.path,
                    [("Cookie", f"big={'c' * (HEADER_FIELD // 3)}; access_token={p.token}")])


#: Every family of edges, in the order the requests are sent.
FAMILIES: tuple[Callable[[Plan], Iterator[Edge]], ...] = (
    duplicate_cookies, duplicate_credentials_and_headers, query_strings, empty_segments, mangled_paths,
    dot_segments, methods, bodies, media_types_and_sizes, bodies_on_get, oversized_headers,
)


def plan(contract: dict[str, Any], fill: Callable[[str], str], token: str) -> list[Edge]:
    """Every edge request, in order. `token`: a valid access token of the caller (the primary side's)."""
    p = Plan(operations(contract, fill), fill, token)
    return [edge for family in FAMILIES for edge in family(p)]


def run(fan: Any, contract: dict[str, Any], fill: Callable[[str], str], email: str, password: str) -> Counter:
    """Send every edge through `fan` (a FanOut); how many of each kind. The exchanges' source names the kind."""
    base = fan.source
    counts: Counter = Counter()
    token = login(fan.send, email, password) or GARBAGE_TOKEN
    try:
        for edge in plan(contract, fill, token):
            fan.source = f"{base}:{edge.kind}"
            fan.send(edge.sent)
            counts[edge.kind] += 1
    finally:
        fan.source = base
    return counts
