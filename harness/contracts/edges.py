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
contract's when the path still resolves to it (a mangled path is "unmatched ...").

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


def plan(contract: dict[str, Any], fill: Callable[[str], str], token: str) -> list[Edge]:
    """Every edge request, in order. `token`: a valid access token of the caller (the primary side's)."""
    ops = operations(contract, fill)
    bearer = ("Authorization", f"Bearer {token}")
    edges: list[Edge] = []

    def add(kind: str, method: str, path: str, headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> None:
        edges.append(Edge(kind, Sent(method, path, list(headers or []), body)))

    def anon_body(op: Operation) -> tuple[list[tuple[str, str]], bytes]:
        return ([JSON], b"{}") if op.method in UNSAFE else ([], b"")

    gets = [o for o in ops if o.method == "GET"]
    # --- duplicate and split credentials: every GET, as a client whose jar holds two access tokens ------------
    for op in gets:
        add("cookie-dup-empty-first", "GET", op.path, [("Cookie", f"access_token=; access_token={token}")])
        add("cookie-dup-garbage-last", "GET", op.path, [("Cookie", f"access_token={token}; access_token={GARBAGE_TOKEN}")])
    for op in gets[::4]:
        add("cookie-dup-garbage-first", "GET", op.path,
            [("Cookie", f"access_token={STALE_TOKEN}; access_token={token}")])
        add("cookie-split", "GET", op.path, [("Cookie", f"access_token={token}"), ("Cookie", "access_token=")])
        add("authz-dup", "GET", op.path, [bearer, ("Authorization", f"Bearer {GARBAGE_TOKEN}")])
        add("bearer-and-cookie", "GET", op.path,
            [("Authorization", f"Bearer {GARBAGE_TOKEN}"), ("Cookie", f"access_token={token}")])
        add("header-dup", "GET", op.path, [bearer, ("Accept", "application/json"), ("Accept", "*/*"),
                                           ("X-Requested-With", "XMLHttpRequest"), ("X-Requested-With", "fetch")])
        add("accept-odd", "GET", op.path, [bearer, ("Accept", "application/xml")])
        add("accept-odd", "GET", op.path, [bearer, ("Accept", "text/html,application/xhtml+xml;q=0.9")])
    # --- query strings -----------------------------------------------------------------------------------
    for op in gets:
        for name in op.query:
            a, b = _sample_value(name)
            add("query-dup", "GET", f"{op.path}?{name}={a}&{name}={b}", [bearer])
        if op.query:
            add("query-bytes", "GET", f"{op.path}?{op.query[0]}=%FF%FEx", [bearer])
    for op in gets[::6]:
        add("query-empty", "GET", op.path + "?", [bearer])
        add("query-empty", "GET", op.path + "?=&&x", [bearer])
    # --- paths: every operation, anonymous (the router answers before any guard) -------------------------
    paths: list[Operation] = []  # the first operation of each path (the method does not change routing)
    for op in ops:
        headers, body = anon_body(op)
        head, _, last = op.path.rpartition("/")
        add("path-double-slash", op.method, f"{head}//{last}", headers, body)
        for path in _empty_vars(op.template, fill):
            add("path-empty-var", op.method, path, headers, body)
        if all(p.template != op.template for p in paths):
            paths.append(op)
    for i, op in enumerate(paths):
        headers, body = anon_body(op)
        add("options", "OPTIONS", op.path)
        if not any(o.template == op.template and o.method == "GET" for o in ops) and i % 3 == 0:
            add("head", "HEAD", op.path)  # a path without GET: 405 and its Allow
        if i % 3 == 0:
            add("path-leading-double-slash", op.method, "//" + op.path.lstrip("/"), headers, body)
            quoted = _quote_letter(op.path)
            if quoted:
                add("path-percent", op.method, quoted, headers, body)
        if i % 4 == 1:
            add("path-case", op.method, op.path.upper(), headers, body)
            add("path-double-trailing-slash", op.method, op.path + "//", headers, body)
        if "{" in op.template and i % 2 == 0:
            first = re.search(r"\{([^}]+)\}", op.template).group(1)
            add("path-bytes", op.method, fill(op.template.replace("{" + first + "}", "%FF%FE")), headers, body)
    for op in gets[::5]:
        head, _, last = op.path.rpartition("/")
        add("path-dot", "GET", f"{head}/./{last}", [bearer])
        add("path-dot", "GET", f"{head}/x/../{last}", [bearer])
    # --- methods -----------------------------------------------------------------------------------------
    for i, op in enumerate(gets):
        add("head", "HEAD", op.path, [bearer])
        if i % 2 == 0:
            add("path-trailing-slash", "GET", op.path + "/", [bearer])
    for op in gets[::8]:
        add("method-lowercase", "get", op.path, [bearer])
        add("method-unknown", "PROPFIND", op.path, [bearer])
    add("method-unknown", "TRACE", "/health")
    # --- bodies and their media types: the operations that take JSON, as a caller the body reaches -------
    bodied = [o for o in ops if o.body]
    for i, op in enumerate(bodied):
        auth = [] if op.api_id in {"P1", "P2"} else [bearer]
        if op.method == "DELETE":
            auth = []  # never run a deletion's handler; its guard still reads the body's media type
        add("body-empty", op.method, op.path, auth + [JSON])
        add("content-type-case", op.method, op.path, auth + [("Content-Type", "Application/JSON")], b"[]")
        if i % 2 == 0:
            add("content-type-charset", op.method, op.path,
                auth + [("Content-Type", "application/json; charset=utf-8")], b"[]")
        if i % 3 == 0:
            add("content-type-missing", op.method, op.path, auth, b"[]")
            add("body-not-json", op.method, op.path, auth + [JSON], b"{not json")
            add("body-bytes", op.method, op.path, auth + [JSON], b'{"x": "\xff\xfe"}')
    for op in bodied[::4]:
        auth = [] if op.api_id in {"P1", "P2"} or op.method == "DELETE" else [bearer]
        add("content-type-text", op.method, op.path, auth + [("Content-Type", "text/plain")], b"[]")
        add("content-type-params", op.method, op.path, auth + [("Content-Type", "application/json; v=1; charset=UTF-8")],
            b"[]")
        add("content-type-latin1", op.method, op.path, auth + [("Content-Type", "application/json; charset=latin-1")],
            b'["caf\xe9"]')
        add("body-oversized", op.method, op.path, auth + [JSON], json.dumps(["x" * JSON_BODY]).encode())
        add("form-oversized", op.method, op.path, auth + [("Content-Type", "application/x-www-form-urlencoded")],
            b"x=" + b"a" * FORM_FIELD)
    for op in gets[::4]:
        add("body-on-get", "GET", op.path, [bearer, JSON], b'{"unexpected": true}')
    # --- oversized header fields ----------------------------------------------------------------------------
    for op in gets[::8]:
        add("header-oversized", "GET", op.path, [bearer, ("X-Padding", "p" * HEADER_FIELD)])
        add("cookie-oversized", "GET", op.path, [("Cookie", f"big={'c' * (HEADER_FIELD // 3)}; access_token={token}")])
    return edges


def login(send: Callable[[Sent], Any], email: str, password: str) -> str | None:
    """Log in through the fan-out (each side mints its own token; the fan-out maps them); the primary's token."""
    reply = send(Sent("POST", "/api/v1/auth/login", [JSON], json.dumps({"email": email, "password": password}).encode()))
    try:
        return reply.json["data"]["access_token"]
    except (TypeError, KeyError):
        return None


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
