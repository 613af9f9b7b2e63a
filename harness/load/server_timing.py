"""The W3C `Server-Timing` header as the apps send it under load (harness/load/__init__.py has the format):

    >>> parse("app;dur=12.5, db;dur=3.2;count=4, cache;hit=1;miss=0")
    ServerTiming(app_ms=12.5, db_ms=3.2, queries=4, cache_hits=1, cache_misses=0)

Several headers are joined by commas first (RFC 9110 list rules). Metrics other than app, db and cache are
ignored, as browsers ignore them; a value that is not a number leaves that figure unknown (None) rather than
failing the request's sample. Pure: the recorder (inside locust) and the harness both use it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerTiming:
    app_ms: float | None = None
    db_ms: float | None = None
    queries: int | None = None
    cache_hits: int | None = None
    cache_misses: int | None = None

    @property
    def looked_up_cache(self) -> bool:
        return bool((self.cache_hits or 0) + (self.cache_misses or 0))


def parse(headers: str | Iterable[str] | None) -> ServerTiming | None:
    """The figures in one response's Server-Timing header(s); None when there is none."""
    if headers is None:
        return None
    text = headers if isinstance(headers, str) else ", ".join(headers)
    if not text.strip():
        return None
    metrics = dict(_metrics(text))
    app, db, cache = metrics.get("app", {}), metrics.get("db", {}), metrics.get("cache", {})
    return ServerTiming(app_ms=_number(app.get("dur")), db_ms=_number(db.get("dur")),
                        queries=_count(db.get("count")), cache_hits=_count(cache.get("hit")),
                        cache_misses=_count(cache.get("miss")))


def _metrics(text: str) -> Iterable[tuple[str, dict[str, str]]]:
    for entry in text.split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        if not name:
            continue
        values: dict[str, str] = {}
        for param in params:
            key, _, value = param.partition("=")
            values[key.strip().lower()] = value.strip().strip('"')
        yield name.lower(), values


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _count(value: str | None) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number >= 0 else None


def header(app_ms: float, db_ms: float, queries: int, cache_hits: int = 0, cache_misses: int = 0) -> str:
    """The header value in the harness's format (for test servers that play an app)."""
    value = f"app;dur={app_ms:.3f}, db;dur={db_ms:.3f};count={queries}"
    if cache_hits or cache_misses:
        value += f", cache;hit={cache_hits};miss={cache_misses}"
    return value
