"""Per-route rate limits (API.md §1.9) on the `limits` library, as the legacy app counts them: fixed
windows in memory or in Redis, keyed on the user id when a correctly signed token is presented, else on
the client IP. Every counted response carries X-RateLimit-*; a refusal is 429 with Retry-After."""
from __future__ import annotations

import math
import time
from functools import lru_cache

from django.conf import settings
from limits import parse, storage, strategies
from rest_framework.request import Request

from .exceptions import RateLimited

DEFAULT_PUBLIC = "100/minute"
DEFAULT_AUTHENTICATED = "500/minute"


@lru_cache(maxsize=4)
def _limiter(url: str) -> strategies.FixedWindowRateLimiter:
    return strategies.FixedWindowRateLimiter(storage.storage_from_string(url))


def reset_all() -> None:
    """Forget every counter (tests switch storage or start from zero)."""
    for url in list(_cached_urls):
        _limiter(url).storage.reset()


_cached_urls: set[str] = set()


def check(request: Request, endpoint: str, spec: str | None) -> dict[str, str] | None:
    """Count this request against its limit and return its X-RateLimit-* headers (None when off)."""
    if not settings.RATELIMIT_ENABLED:
        return None
    from reference_django.accounts.authentication import presented_token
    from reference_django.accounts.tokens import peek_subject

    token, _via = presented_token(request)
    sub = peek_subject(token) if token else None
    key = f"user:{sub}" if sub else f"ip:{request.META.get('REMOTE_ADDR') or 'unknown'}"
    item = parse(spec or (DEFAULT_AUTHENTICATED if sub else DEFAULT_PUBLIC))
    url = settings.RATELIMIT_STORAGE_URL
    _cached_urls.add(url)
    limiter = _limiter(url)
    allowed = limiter.hit(item, endpoint, request.method, key)
    stats = limiter.get_window_stats(item, endpoint, request.method, key)
    reset = int(math.ceil(stats.reset_time))
    headers = {"X-RateLimit-Limit": str(item.amount), "X-RateLimit-Remaining": str(max(0, stats.remaining)),
               "X-RateLimit-Reset": str(reset)}
    if not allowed:
        raise RateLimited("Rate limit exceeded",
                          headers={**headers, "Retry-After": str(max(1, reset - int(time.time())))})
    return headers
