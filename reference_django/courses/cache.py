"""Cached public course reads: the catalogue's course cards (P16), course detail (P17) and reviews (P18), in
Django's cache (django-redis when REDIS_URL is set, local memory otherwise), for settings.API_CACHE_TTL seconds.

The catalogue caches courses, not pages: which courses a page lists (filters, order, page, total) is
asked of the database every time, in one small query, and each listed course's CourseSummary (its
card) comes from the cache. Listings are never stale, a filter the cache has never seen still hits,
and a write to one course costs the cards of that course (and of its instructor's courses when their
counters change), not every page of the catalogue.

Keys carry generations instead of being deleted: a write replaces the generations it affects after it
commits and every entry built before it becomes unreachable at once, and a reader that was still building
from the old rows stores its answer under the old generation, where nobody looks. A generation is a random
63-bit number, so one evicted and re-created never meets its previous life. Each course has three, one per
kind of answer (card, detail, reviews), so a write costs only the answers that show what it changed:

- `invalidate_course(course_id, kinds)`: that course's answers of those kinds (all by default): its fields,
  rating, videos, quiz points, sections, publication; an enrolment costs its card and detail only.
- `invalidate_instructor(instructor_id)`: the card of every course of that instructor, whose InstructorRef
  carries their counters (published courses, students). A detail reads the counters afresh on every request,
  so an enrolment does not cost the details of the instructor's other courses.
- `invalidate_publication(course)`: a course listed or unlisted: both of the above.
- `invalidate_person(user_id)`: every answer showing that user's name or avatar: the cards and details of the
  courses they teach, the review pages of the courses they reviewed (a profile change).
- `invalidate_catalogue()`: everything (a change outside the API, e.g. by another app).

Hits and misses are counted in the cache too (`cache_stats()`), for the cache-hit-ratio metric, one
lookup per card, detail or review page, and per request inside `counting_lookups()` (the Server-Timing header,
common/server_timing.py). A broken cache never fails a request: it reads as a miss and the answer
comes from the database.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .models import Course

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFIX = "courses"
ALL_GENERATION = f"{PREFIX}:generation:all"
LOOKUPS, MISSES = f"{PREFIX}:stats:lookups", f"{PREFIX}:stats:misses"
#: Who sees which CourseDetail (API.md §2): everyone the same within a class.
View = Literal["public", "enrolled", "owner"]
#: What is cached per course, each kind under a generation of its own.
Kind = Literal["card", "detail", "reviews"]
KINDS: tuple[Kind, ...] = ("card", "detail", "reviews")


def enabled() -> bool:
    return settings.API_CACHE_TTL > 0


def _generation(kind: Kind, course_id: str) -> str:
    return f"{PREFIX}:generation:{kind}:{course_id.lower()}"


def _fresh() -> int:
    return secrets.randbits(63)


def _generations(keys: list[str]) -> dict[str, int]:
    """The current generation of each key, one round trip (two the first time a key is seen)."""
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        cache.add(key, _fresh(), timeout=None)  # whoever adds first wins ...
    if missing:
        found.update(cache.get_many(missing))  # ... and everyone reads the winner
    return found


def _bump(keys: list[str]) -> None:
    """New generations for `keys`, in one round trip."""
    if not keys:
        return
    try:
        cache.set_many({key: _fresh() for key in keys}, timeout=None)
    except Exception:  # pragma: no cover - a cache outage; entries expire after the TTL
        log.exception("cache invalidation of %s failed", keys)


def _keys(kind: Kind, course_ids: list[str], *parts: object) -> dict[str, str] | None:
    """{course id: the key of its answer of `kind`} under the current generations (None: cache off or down)."""
    if not enabled():
        return None
    own = {course_id: _generation(kind, course_id) for course_id in course_ids}
    try:
        generations = _generations([ALL_GENERATION, *own.values()])
    except Exception:  # pragma: no cover - a cache outage
        log.exception("cache unavailable")
        return None
    every = generations[ALL_GENERATION]
    return {course_id: ":".join([PREFIX, kind, course_id.lower(), *map(str, parts), str(every), str(generations[key])])
            for course_id, key in own.items()}


def card_keys(course_ids: list[str]) -> dict[str, str] | None:
    """{course id: the key of its card} (None when the cache is off or unreachable)."""
    return _keys("card", course_ids)


def _course_key(kind: Kind, course_id: str, *parts: object) -> str | None:
    keys = _keys(kind, [course_id], *parts)
    return None if keys is None else keys[course_id]


def detail_key(course_id: str, view: View) -> str | None:
    """The key of a course's detail as one visibility class sees it."""
    return _course_key("detail", course_id, view)


def reviews_key(course_id: str, page: int, limit: int) -> str | None:
    """The key of one page of a course's reviews (P18, the same for every caller who may see them)."""
    return _course_key("reviews", course_id, page, limit)


def _add(key: str, delta: int) -> None:
    try:
        cache.incr(key, delta)
    except ValueError:
        if not cache.add(key, delta, timeout=None):
            cache.incr(key, delta)


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


def _record(hits: int, misses: int) -> None:
    if hits + misses:  # one round trip for a request that hits: hits are lookups less misses
        _add(LOOKUPS, hits + misses)
    if misses:
        _add(MISSES, misses)
    counts = _request_lookups.get()
    if counts is not None:
        counts[0] += hits
        counts[1] += misses


def lookup_many(keys: Iterable[str]) -> dict[str, Any]:
    """{key: value} of the keys found, every key counted as a hit or a miss."""
    keys = list(keys)
    try:
        found = cache.get_many(keys)
        _record(len(found), len(keys) - len(found))
    except Exception:  # pragma: no cover - a cache outage
        log.exception("cache unavailable")
        return {}
    return found


def lookup(key: str | None) -> Any | None:
    """The cached value (None on a miss), counted as a hit or a miss."""
    return None if key is None else lookup_many([key]).get(key)


def store_many(values: dict[str, Any]) -> None:
    if not values:
        return
    try:
        cache.set_many(values, timeout=settings.API_CACHE_TTL)
    except Exception:  # pragma: no cover - a cache outage
        log.exception("cache unavailable")


def store(key: str | None, value: Any) -> None:
    if key is not None:
        store_many({key: value})


def remember(key: str | None, build: Callable[[], T]) -> T:
    """The cached value under `key`, else `build()` stored under it. Errors `build` raises are not cached."""
    value = lookup(key)
    if value is None:
        value = build()
        store(key, value)
    return value


def cards(course_ids: list[str], build: Callable[[list[str]], dict[str, T]]) -> list[T]:
    """The card of each course, in order: from the cache, the missing ones from one `build(ids)` (a dict by
    id) and stored. A course `build` no longer finds (deleted since it was listed) is left out."""
    keys = card_keys(course_ids)
    if keys is None:
        built = build(course_ids)
        return [built[course_id] for course_id in course_ids if course_id in built]
    found = lookup_many(keys.values())
    missing = [course_id for course_id in course_ids if keys[course_id] not in found]
    if missing:
        fresh = {keys[course_id]: card for course_id, card in build(missing).items() if course_id in keys}
        store_many(fresh)
        found.update(fresh)
    return [found[keys[course_id]] for course_id in course_ids if keys[course_id] in found]


def invalidate_catalogue() -> None:
    """Every cached answer of every course, once the current transaction commits."""
    transaction.on_commit(lambda: _bump([ALL_GENERATION]), robust=True)


def invalidate_course(course_id: str, kinds: tuple[Kind, ...] = KINDS) -> None:
    """The cached answers of one course (by default its card, detail in every visibility class and review
    pages), once the current transaction commits."""
    keys = [_generation(kind, course_id) for kind in kinds]
    transaction.on_commit(lambda: _bump(keys), robust=True)


def invalidate_instructor(instructor_id: str) -> None:
    """The card of every course of one instructor (their counters: published courses, students), once the
    current transaction commits. A detail reads the counters afresh (CourseDetailApi)."""
    def bump() -> None:
        ids = Course.objects.filter(instructor_id=instructor_id).values_list("id", flat=True)
        _bump([_generation("card", str(course_id)) for course_id in ids])

    transaction.on_commit(bump, robust=True)


def invalidate_publication(course: Course) -> None:
    """A course listed or unlisted (published, unpublished, deleted): its own answers, and its instructor's
    counters on the cards of their courses."""
    invalidate_course(course.id)
    invalidate_instructor(course.instructor_id)


def invalidate_person(user_id: str) -> None:
    """Every answer that shows this user's name or avatar: the cards and details of the courses they teach,
    the review pages of the courses they reviewed."""
    def bump() -> None:
        taught = Course.objects.filter(instructor_id=user_id).values_list("id", flat=True)
        reviewed = Course.objects.filter(reviews__user_id=user_id).values_list("id", flat=True)
        _bump([*(_generation(kind, str(i)) for i in taught for kind in ("card", "detail")),
               *(_generation("reviews", str(i)) for i in set(reviewed))])

    transaction.on_commit(bump, robust=True)


def cache_stats() -> dict[str, float | int | None]:
    """Lookups of the cached routes since the counters were last reset: hits, misses and their ratio."""
    counts = cache.get_many([LOOKUPS, MISSES])
    lookups, misses = int(counts.get(LOOKUPS, 0)), int(counts.get(MISSES, 0))
    hits = lookups - misses
    return {"hits": hits, "misses": misses, "lookups": lookups, "hit_ratio": hits / lookups if lookups else None}


def reset_cache_stats() -> None:
    cache.delete_many([LOOKUPS, MISSES])
