"""Route coverage: the routes each app really serves against the contract's operations, both ways.

An in-process Flask app is read from its url_map, a Django app from its URL resolver (the API views'
allowed methods); a server reached by URL, and an in-process app whose routes cannot be listed (a plain
WSGI callable), is probed (each documented operation must not be a 404/405 with the unknown-route body).
A probed operation that answers a 5xx or a status the contract does not document for it is `errored`: it
is not credited as served. Paths outside the API (the Django admin, the local storage bucket) are listed
but are not drift.
"""
from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .conformance import CONTRACT

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
API_PREFIXES = ("/api/", "/health")
_FLASK_ARG = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([A-Za-z_][A-Za-z0-9_]*)>")
_DJANGO_ARG = re.compile(r"<(?:[a-z_]+:)?([A-Za-z_][A-Za-z0-9_]*)>")


@dataclass(slots=True)
class RouteCoverage:
    side: str
    how: str  # url_map | resolver | probe
    routed: set[str] = field(default_factory=set)
    undocumented: set[str] = field(default_factory=set)
    unrouted: set[str] = field(default_factory=set)
    outside_api: set[str] = field(default_factory=set)
    #: routed operations that answered only a 5xx or an undocumented status ("METHOD /path" -> the statuses)
    errored: dict[str, set[int]] = field(default_factory=dict)


def documented(contract: dict[str, Any]) -> set[str]:
    return {f"{method.upper()} {path}" for path, item in contract["paths"].items() for method in item
            if method in HTTP_METHODS}


def load_contract(path=CONTRACT) -> dict[str, Any]:
    """The contract, parsed (libyaml's parser where PyYAML has it: ten times faster on the 5,000-line document);
    a fresh copy per call, parsed once per file state."""
    path = Path(path)
    stat = path.stat()
    return copy.deepcopy(_parsed(str(path.resolve()), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=4)
def _parsed(path: str, _mtime_ns: int, _size: int) -> dict[str, Any]:
    return yaml.load(Path(path).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _flask_routes(app: Any) -> set[str]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _FLASK_ARG.sub(r"{\1}", rule.rule)
        out |= {f"{m} {path}" for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return out


def _django_routes() -> set[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    out: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                path = "/" + _DJANGO_ARG.sub(r"{\1}", prefix + str(p.pattern)).lstrip("^").rstrip("$")
                view = getattr(p.callback, "view_class", None) or getattr(p.callback, "cls", None)
                if view is None:  # a function view (the admin): every method
                    out.add(f"* {path}")
                    continue
                for m in HTTP_METHODS:
                    if m in getattr(view, "http_method_names", HTTP_METHODS) and hasattr(view, m):
                        out.add(f"{m.upper()} {path}")

    walk(get_resolver().url_patterns, "")
    return out


def is_django(app: Any) -> bool:
    from importlib import import_module

    try:
        handler = import_module("django.core.handlers.wsgi").WSGIHandler
    except ImportError:  # pragma: no cover - Django is a dependency
        return False
    return isinstance(app, handler)


def routes_of(app: Any) -> tuple[str, set[str]]:
    if hasattr(app, "url_map"):
        return "url_map", _flask_routes(app)
    if is_django(app):
        return "resolver", _django_routes()
    raise TypeError(f"cannot list the routes of {type(app).__name__}; give the target as a URL to probe it")


def coverage(side: str, app: Any, contract: dict[str, Any], probe=None) -> RouteCoverage:
    """`probe()`: the fallback for an app whose routes cannot be listed (else such an app is a TypeError)."""
    try:
        how, routed = routes_of(app)
    except TypeError:
        if probe is None:
            raise
        return probe()
    api = {r for r in routed if r.split(" ", 1)[1].startswith(API_PREFIXES)}
    docs = documented(contract)
    return RouteCoverage(side, how, api, undocumented=api - docs, unrouted=docs - api, outside_api=routed - api)


def probe_coverage(side: str, send, contract: dict[str, Any], fill) -> RouteCoverage:
    """A URL target: each documented operation is sent once (path parameters filled by `fill`); a 404 whose
    body is the unknown-route envelope, or a 405, means the route is not there."""
    from .exchange import Sent

    cov = RouteCoverage(side, "probe")
    statuses = documented_statuses(contract)
    for op in sorted(documented(contract)):
        method, path = op.split(" ", 1)
        reply = send(Sent(method, fill(path), [("Content-Type", "application/json")], b"{}"))
        body = reply.json if reply.status in {404, 405} else None
        gone = reply.status == 405 or (reply.status == 404 and isinstance(body, dict)
                                       and (body.get("error") or {}).get("message") == "Resource not found")
        (cov.unrouted if gone else cov.routed).add(op)
        if not gone and (reply.status >= 500 or reply.status not in statuses.get(op, set())):
            cov.errored.setdefault(op, set()).add(reply.status)
    return cov


def documented_statuses(contract: dict[str, Any]) -> dict[str, set[int]]:
    """"METHOD /path" -> the response statuses the contract documents for it."""
    return {f"{method.upper()} {path}": {int(c) for c in op.get("responses", {}) if str(c).isdigit()}
            for path, item in contract["paths"].items() for method, op in item.items() if method in HTTP_METHODS}
