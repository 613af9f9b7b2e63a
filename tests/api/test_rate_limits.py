"""Rate limits (API.md §1.9): a refused request is 429 RATE_LIMITED with the X-RateLimit-* and Retry-After
headers, on in-memory and Redis storage; limits are kept per user once authenticated; every answer, errors
included, carries the headers."""
from __future__ import annotations

import time

import pytest

from harness.seed import accounts
from tests.conftest import error


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_rate_limit_refuses_with_429_and_headers(request, make_app, storage):
    store = request.getfixturevalue("redis_url") if storage == "redis" else "memory://"
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URL=store)
    client = app.test_client()
    codes = []
    for i in range(6):
        resp = client.post("/api/v1/auth/signup", json={"email": f"rl{i}@example.com", "password": "longenough1"})
        codes.append(resp.status_code)
    assert codes == [201] * 5 + [429]
    error(resp, 429, "RATE_LIMITED")
    assert resp.headers["X-RateLimit-Limit"] == "5" and resp.headers["X-RateLimit-Remaining"] == "0"
    assert int(resp.headers["X-RateLimit-Reset"]) > time.time() and int(resp.headers["Retry-After"]) >= 1


def test_rate_limits_are_keyed_per_user_when_authenticated(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    callers = []
    for account in (accounts.STUDENT, accounts.STUDENT2):
        client = app.test_client()
        client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
        callers.append(client)
    # P13 allows 60/minute per user: one user's burst does not use up the other's budget.
    statuses = [callers[0].get("/api/v1/user/profile").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    assert callers[1].get("/api/v1/user/profile").status_code == 200


def test_rate_limit_headers_are_on_error_responses_too(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    resp = app.test_client().post("/api/v1/auth/login", json={"email": "nobody@unpuzzle.test", "password": "wrong-one"})
    assert resp.status_code == 401
    assert resp.headers["X-RateLimit-Limit"] == "10" and resp.headers["X-RateLimit-Remaining"] == "9"
