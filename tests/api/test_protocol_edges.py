"""What HTTP leaves to the server, answered alike by both apps (legacy's answer is the contract): the first of
two equal cookies wins, `//` is merged as werkzeug merges it, HEAD has no body, Accept is not negotiated.
Each of these differed between the apps before reference_django/common/wire.py (issue 10, item 1)."""
from __future__ import annotations

import pytest
from werkzeug.test import Client

from harness.seed import accounts


@pytest.fixture
def token(make_caller) -> str:
    return make_caller(accounts.STUDENT, "bearer").access_token


def client(app) -> Client:
    """A client without a cookie jar: the Cookie header is sent exactly as written."""
    return Client(getattr(app, "wsgi", app), use_cookies=False)


def raw(app, method: str, path: str, headers: dict | None = None):
    """`path` exactly as PATH_INFO (the test client reads a leading `//` as a host)."""
    return client(app).open("/", method=method, headers=headers or {}, environ_overrides={"PATH_INFO": path})


@pytest.mark.parametrize("cookie, status", [("access_token=; access_token={t}", 401),
                                            ("access_token=garbage; access_token={t}", 401),
                                            ("access_token={t}; access_token=garbage", 200),
                                            ("access_token={t}; access_token=", 200)])
def test_the_first_of_two_access_token_cookies_wins(app, token, cookie, status):
    resp = client(app).get("/api/v1/user/profile", headers={"Cookie": cookie.format(t=token)})
    assert resp.status_code == status, resp.get_json()


def test_two_cookie_fields_joined_by_a_proxy_carry_no_token(app, token):
    resp = client(app).get("/api/v1/user/profile", headers=[("Cookie", f"access_token={token}"),
                                                                  ("Cookie", "access_token=")])
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "AUTH_REQUIRED"


def test_leading_slashes_are_one(app):
    resp = raw(app, "GET", "//health")
    assert resp.status_code == 200 and resp.get_json()["status"] == "healthy"


@pytest.mark.parametrize("method, path, allow", [
    ("POST", "/api/v1/media/media//process", "DELETE, GET, HEAD, OPTIONS"),
    ("DELETE", "/api/v1/auth//sessions", "GET, HEAD, OPTIONS"),
])
def test_an_empty_segment_is_merged_into_a_405_with_allow(app, method, path, allow):
    resp = raw(app, method, path)
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert sorted(m.strip() for m in resp.headers["Allow"].split(",")) == allow.split(", ")


def test_an_empty_segment_that_matches_once_merged_is_legacys_308(app):
    resp = raw(app, "GET", "/api/v1//courses")
    assert resp.status_code == 308
    assert resp.get_json()["error"] == {"code": "INTERNAL_ERROR", "message": "http://localhost/api/v1/courses",
                                        "details": None}


def test_an_empty_segment_matching_nothing_is_a_404(app):
    assert raw(app, "GET", "/api/v1/nothing//here").status_code == 404


def test_head_is_get_without_a_body(app, token):
    get = client(app).get("/api/v1/courses", headers={"Authorization": f"Bearer {token}"})
    head = client(app).head("/api/v1/courses", headers={"Authorization": f"Bearer {token}"})
    assert head.status_code == get.status_code == 200 and head.get_data() == b""
    assert head.headers["X-Total-Count"] == get.headers["X-Total-Count"]
    refused = client(app).head("/api/v1/auth/login")
    assert refused.status_code == 405 and refused.get_data() == b"" and "POST" in refused.headers["Allow"]


def test_accept_is_not_negotiated(app):
    resp = client(app).get("/api/v1/courses", headers={"Accept": "application/xml"})
    assert resp.status_code == 200 and resp.get_json()["ok"] is True


def test_the_candidate_reads_any_cookie_header_as_legacy_does():
    """Property: for any Cookie header built from the characters that decide its grammar (blanks, `=`, `;`, `,`,
    quotes, backslashes), the candidate's parser gives what legacy's (werkzeug's) gives, first value winning."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from werkzeug.http import parse_cookie as legacy_parse

    from reference_django.common.wire import parse_cookie

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(st.text(alphabet='ab1 \t=;,"\\', max_size=24))
    def same(header: str) -> None:
        assert parse_cookie(header) == legacy_parse(header).to_dict(), header

    same()
