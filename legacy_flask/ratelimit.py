"""Per-route rate limits (API.md §1.9) on the `limits` library: fixed windows, in memory or in Redis.

Keyed on the user id when a correctly signed token is presented, otherwise on the client IP.
Every limited response carries X-RateLimit-Limit/-Remaining/-Reset; a refusal is 429 RATE_LIMITED
with Retry-After. Switched off with RATELIMIT_ENABLED=0 (tests and load runs).
"""
from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, g, request
from limits import RateLimitItem, parse, storage, strategies

from .auth.identity import presented_token
from .auth.tokens import peek_subject
from .errors import RateLimited

DEFAULT_PUBLIC = "100/minute"
DEFAULT_AUTHENTICATED = "500/minute"


def init_rate_limiter(app: Flask) -> None:
    store = storage.storage_from_string(app.config["RATELIMIT_STORAGE_URL"])
    app.extensions["rate_limiter"] = strategies.FixedWindowRateLimiter(store)
    app.after_request(add_headers)


def _caller_key() -> tuple[str, bool]:
    token, _via = presented_token()
    sub = peek_subject(token) if token else None
    if sub:
        return f"user:{sub}", True
    return f"ip:{request.remote_addr or 'unknown'}", False


def check(endpoint: str, spec: str | None) -> None:
    """Count this request against its limit; its X-RateLimit-* headers go on whatever response the
    request ends with, errors included (see `add_headers`)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    limiter: strategies.FixedWindowRateLimiter = current_app.extensions["rate_limiter"]
    key, authed = _caller_key()
    item: RateLimitItem = parse(spec or (DEFAULT_AUTHENTICATED if authed else DEFAULT_PUBLIC))
    allowed = limiter.hit(item, endpoint, request.method, key)
    stats = limiter.get_window_stats(item, endpoint, request.method, key)
    reset = int(math.ceil(stats.reset_time))
    headers = {"X-RateLimit-Limit": str(item.amount), "X-RateLimit-Remaining": str(max(0, stats.remaining)),
               "X-RateLimit-Reset": str(reset)}
    g.rate_limit_headers = headers
    if not allowed:
        raise RateLimited("Rate limit exceeded", headers={"Retry-After": str(max(1, reset - int(time.time())))})


def add_headers(resp: Response) -> Response:
    """after_request: the counted request's rate-limit headers, on success and error responses alike."""
    for k, v in (getattr(g, "rate_limit_headers", None) or {}).items():
        resp.headers[k] = v
    return resp
