"""Cached public course reads: the catalogue (P16) and course detail (P17), in Django's cache
(django-redis when REDIS_URL is set, local memory otherwise), for settings.API_CACHE_TTL seconds.

Keys carry generation counters instead of being deleted: a write bumps a counter after it commits
and every entry built before it becomes unreachable at once (however many catalogue pages exist),
and a reader that was still building from the old rows stores its answer under the old generation,
where nobody looks. A counter starts at the clock in nanoseconds, so one evicted and re-created can
never meet entries of its previous life.

- `invalidate_catalogue()`: anything a CourseSummary shows or which courses are listed (course
  fields, publication, deletion, enrollment counters, rating, the instructor's profile). Also every
  course detail, which embeds the summary and its instructor's counters.
- `invalidate_course(course_id)`: that course's detail only (its videos, quiz points, sections).

Hits and misses are counted in the cache too (`cache_stats()`), for the cache-hit-ratio metric, and
per request inside `counting_lookups()` (the Server-Timing header, common/server_timing.py).
A broken cache never fails a request: it reads as a miss and the answer comes from the database.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFIX = "courses"
CATALOGUE_GENERATION = f"{PREFIX}:generation:catalogue"
HITS, MISSES = f"{PREFIX}:stats:hits", f"{PREFIX}:stats:misses"
#: Who sees which CourseDetail (API.md §2): everyone the same within a class.
View = Literal["public", "enrolled", "owner"]


def enabled() -> bool:
    return settings.API_CACHE_TTL > 0


def _course_generation(course_id: str) -> str:
    return f"{PREFIX}:generation:course:{course_id}"


def _generations(*keys: str) -> list[int]:
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, time.time_ns(), timeout=None)
            found[key] = cache.get(key, time.time_ns())  # whoever added first wins
    return [found[key] for key in keys]


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # never read yet, or evicted: a fresh start is a new generation too
        cache.add(key, time.time_ns(), timeout=None)
    except Exception:  # pragma: no cover - a cache outage; entries expire after the TTL
        log.exception("cache invalidation of %s failed", key)


def catalogue_key(params: dict[str, Any]) -> str | None:
    """The key of one catalogue page: the validated filters and page, whoever asks (P16 is the same
    answer for every caller)."""
    if not enabled():
        return None
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:32]
    try:
        (generation,) = _generations(CATALOGUE_GENERATION)
    except Exception:  # pragma: no cover - a cache outage
        log.exception("cache unavailable")
        return None
    return f"{PREFIX}:catalogue:{generation}:{digest}"


def detail_key(course_id: str, view: View) -> str | None:
    """The key of a course's detail as one visibility class sees it."""
    if not enabled():
        return None
    course_id = course_id.lower()
    try:
        catalogue, course = _generations(CATALOGUE_GENERATION, _course_generation(course_id))
    except Exception:  # pragma: no cover - a cache outage
        log.exception("cache unavailable")
        return None
    return f"{PREFIX}:detail:{course_id}:{view}:{catalogue}:{course}"


def _count(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        if not cache.add(key, 1, timeout=None):
            cache.incr(key)


#: This request's [hits, misses] while `counting_lookups()` runs; None outside it.
_request_lookups: ContextVar[list[int] | None] = ContextVar("courses_cache_request_lookups", default=None)


@contextmanager
def counting_lookups() -> Iterator[list[int]]:
    """[hits, misses]: the lookups made inside the block (in this context), counted as they happen."""
    counts = [0, 0]
    token = _request_lookups.set(counts)
    try:
        yield counts
    finally:
        _request_lookups.reset(token)


def lookup(key: str | None) -> Any | None:
    """The cached value (None on a miss), counted as a hit or a miss."""
    if key is None:
        return None
    try:
        value = cache.get(key)
        _count(MISSES if value is None else HITS)
        counts = _request_lookups.get()
        if counts is not None:
            counts[value is None] += 1
    except Exception:  # pragma: no cover - a cache outage
        log.exception("cache unavailable")
        return None
    return value


def store(key: str | None, value: Any) -> None:
    if key is None:
        return
    try:
        cache.set(key, value, timeout=settings.API_CACHE_TTL)
    except Exception:  # pragma: no cover - a cache outage
        log.exception("cache unavailable")


def remember(key: str | None, build: Callable[[], T]) -> T:
    """The cached value under `key`, else `build()` stored under it. Errors `build` raises are not cached."""
    value = lookup(key)
    if value is None:
        value = build()
        store(key, value)
    return value


def invalidate_catalogue() -> None:
    """Every catalogue page and every course detail, once the current transaction commits."""
    transaction.on_commit(lambda: _bump(CATALOGUE_GENERATION), robust=True)


def invalidate_course(course_id: str) -> None:
    """The detail of one course (every visibility class), once the current transaction commits."""
    key = _course_generation(course_id.lower())
    transaction.on_commit(lambda: _bump(key), robust=True)


def cache_stats() -> dict[str, float | int | None]:
    """Lookups of the cached routes since the counters were last reset: hits, misses and their ratio."""
    counts = cache.get_many([HITS, MISSES])
    hits, misses = int(counts.get(HITS, 0)), int(counts.get(MISSES, 0))
    lookups = hits + misses
    return {"hits": hits, "misses": misses, "lookups": lookups, "hit_ratio": hits / lookups if lookups else None}


def reset_cache_stats() -> None:
    cache.delete_many([HITS, MISSES])
