"""Each of the ten Observatory tests (harness/security/observatory.py) proved on the candidate's real wire: the
reference Django app in-process with production's HTTPS settings, its replies read as if over TLS, graded as the
harness grades them (the page, the chain from the plain-HTTP listener, the CORS preflight, the session's cookies).

For every case a flaw is injected into a copy of the candidate (tests/harness/contract/faults.py's
`ResponseRewriter`, or one setting for the redirect), and the grade of the flawed copy must show exactly the
results the Observatory's score table gives that flaw, each with its modifier, and the score they add up to; the
faithful candidate, on the same requests, grades A+ with that test passing.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest

from harness.http import Reply, Sent, json_request
from harness.security.observatory import CORS_ORIGIN, SCORES, Grade, grade, letter, redirect_chain, score_of
from harness.security.observatory_checks import PASSING
from harness.seed import accounts
from tests.harness.contract.faults import ResponseRewriter
from tests.harness.security.wire import fetcher, over

#: production.py's HTTPS settings, which the test settings leave out. Sessions are signed cookies because the
#: seeded database has no django_session table (the admin login answers 500 without this); Django's `sessionid`
#: is the candidate's only cookie the Observatory counts as a session cookie (a name holding "sess" or "login").
PRODUCTION = {"SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 63072000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
              "SECURE_HSTS_PRELOAD": True, "SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True,
              "SESSION_COOKIE_SAMESITE": "Lax", "CSRF_COOKIE_SECURE": True, "CSRF_COOKIE_HTTPONLY": True,
              "CSRF_COOKIE_SAMESITE": "Lax", "SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies"}
HTTP_HOST, HTTPS_HOST = "127.0.0.1:8080", "127.0.0.1:8443"  # standing for ports 80 and 443
API, ADMIN = "/api/v1/courses", "/admin/login/"
#: The faithful candidate: CSP without unsafe sources (+5), every cookie Secure/HttpOnly/SameSite (+5), Referrer-Policy
#: strict-origin-when-cross-origin (+5), frame-ancestors (+5), CORP same-origin (+10), nothing negative.
FAITHFUL_SCORE = 130

Wsgi = Callable[..., Any]


# -- the wire -----------------------------------------------------------------------------------------------------

def session_replies(app: Wsgi) -> list[Reply]:
    """The replies that set the session's cookies: the API login (access_token, refresh_token) and the admin's
    login (csrftoken, sessionid)."""
    host = [("Host", HTTPS_HOST)]
    api = over(app, json_request("POST", "/api/v1/auth/login",
                                 {"email": accounts.STUDENT.email, "password": accounts.STUDENT.password}, host))
    form = over(app, Sent("GET", ADMIN, host))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    assert api.status == 200 and token, (api.status, form.status)
    body = urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "username": accounts.ADMIN.email,
                      "password": accounts.ADMIN.password, "next": "/admin/"}).encode()
    admin = over(app, Sent("POST", ADMIN, [*host, ("Cookie", f"csrftoken={form.cookies['csrftoken']}"),
                                           ("Origin", f"https://{HTTPS_HOST}"),
                                           ("Content-Type", "application/x-www-form-urlencoded")], body))
    assert admin.status == 302 and "sessionid" in admin.cookies, admin.status
    return [api, admin]


def grade_wire(app: Wsgi, path: str) -> Grade:
    """What the harness grades: GET `path` over https, the chain from the http listener, the CORS preflight and
    the session's cookies."""
    host = [("Host", HTTPS_HOST)]
    page = over(app, Sent("GET", path, host))
    chain = redirect_chain(f"http://{HTTP_HOST}{path}", fetcher(app), {8080: 8443, 443: 8443})
    preflight = over(app, Sent("OPTIONS", path, [*host, ("Origin", CORS_ORIGIN),
                                                 ("Access-Control-Request-Method", "GET")]))
    return grade(page, f"https://{HTTPS_HOST}{path}", chain, cors_preflight=preflight,
                 cookie_replies=session_replies(app))


# -- the flaws ----------------------------------------------------------------------------------------------------

Rewrite = Callable[[dict, str, list, bytes], tuple[str, list, bytes]]


def rewriting(rewrite: Rewrite) -> Callable[[Wsgi], Wsgi]:
    return lambda app: ResponseRewriter(app, rewrite)


def edit_headers(edit: Callable[[dict, list[tuple[str, str]]], list[tuple[str, str]]]) -> Callable[[Wsgi], Wsgi]:
    return rewriting(lambda environ, status, headers, body: (status, edit(environ, headers), body))


def without(name: str) -> Callable[[Wsgi], Wsgi]:
    return edit_headers(lambda _environ, headers: [(k, v) for k, v in headers if k.lower() != name.lower()])


def setting(name: str, value: str) -> Callable[[Wsgi], Wsgi]:
    """The header `name` set to `value` on every reply (replacing the candidate's)."""
    return edit_headers(lambda _environ, headers: [*((k, v) for k, v in headers if k.lower() != name.lower()),
                                                   (name, value)])


def csp_edited(edit: Callable[[str], str]) -> Callable[[Wsgi], Wsgi]:
    return edit_headers(lambda _environ, headers: [(k, edit(v) if k.lower() == "content-security-policy" else v)
                                                   for k, v in headers])


def cookie_without(flag: str, names: tuple[str, ...] | None = None) -> Callable[[Wsgi], Wsgi]:
    """`flag` (Secure, HttpOnly, SameSite) dropped from the Set-Cookie of `names` (every cookie when None)."""
    pattern = re.compile(rf";\s*{flag}(=[^;]*)?(?=;|$)", re.IGNORECASE)

    def change(_environ: dict, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        def named(value: str) -> bool:
            return names is None or value.strip().split("=", 1)[0] in names
        return [(k, pattern.sub("", v) if k.lower() == "set-cookie" and named(v) else v) for k, v in headers]
    return edit_headers(change)


def reflecting_origin(environ: dict, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        return headers
    return [*headers, ("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]


def redirecting_off_host(environ: dict, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The plain-HTTP redirect sent to https on another host first (the canonical name, not the one asked for);
    `localhost` is another host to the Observatory and still the candidate, so the chain ends on its page."""
    if environ["wsgi.url_scheme"] != "http":
        return headers
    return [(k, re.sub(r"^https://[^/]+", "https://localhost", v) if k.lower() == "location" else v)
            for k, v in headers]


def script_injected(src: str) -> Callable[[Wsgi], Wsgi]:
    def rewrite(environ: dict, status: str, headers: list, body: bytes) -> tuple[str, list, bytes]:
        if environ["PATH_INFO"] == ADMIN and b"</head>" in body:
            body = body.replace(b"</head>", f'<script src="{src}"></script></head>'.encode(), 1)
        return status, headers, body
    return rewriting(rewrite)


def no_frame_ancestors(policy: str) -> str:
    return re.sub(r"\s*frame-ancestors[^;]*;?", "", policy).strip().rstrip(";")


# -- the cases ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    id: str
    test: str  # the Observatory test the flaw is for
    flaw: Callable[[Wsgi], Wsgi] | None  # None: the flaw is the settings alone
    changes: dict[str, str]  # test -> its result on the flawed copy, for every test whose result changes
    score: int  # the flawed copy's score
    path: str = API
    settings: dict[str, Any] = field(default_factory=dict)  # over production's, on the flawed copy only
    route: list[str] | None = None  # the URLs of the flawed copy's redirect chain, when the case is about it


CASES = [
    Case("faithful", "content-security-policy", rewriting(lambda e, s, h, b: (s, h, b)), {}, FAITHFUL_SCORE),
    Case("faithful-html", "subresource-integrity", rewriting(lambda e, s, h, b: (s, h, b)), {}, FAITHFUL_SCORE, ADMIN),
    # CSP gone: -25, and X-Frame-Options falls back on the header's DENY (0, no frame-ancestors bonus); 75 < 90
    # loses every bonus.
    Case("csp-removed", "content-security-policy", without("Content-Security-Policy"),
         {"content-security-policy": "csp-not-implemented", "x-frame-options": "x-frame-options-sameorigin-or-deny"},
         75),
    Case("csp-unsafe-inline", "content-security-policy",
         csp_edited(lambda v: v.replace("default-src 'self'", "default-src 'self' 'unsafe-inline'")),
         {"content-security-policy": "csp-implemented-with-unsafe-inline"}, 80),
    # sessionid without Secure is the worst of the Secure findings; HSTS passes, so "…-but-protected-by-hsts".
    Case("cookies-secure-dropped", "cookies", cookie_without("Secure"),
         {"cookies": "cookies-session-without-secure-flag-but-protected-by-hsts"}, 115),
    Case("cookies-secure-dropped-on-tokens", "cookies", cookie_without("Secure", ("access_token", "refresh_token")),
         {"cookies": "cookies-without-secure-flag-but-protected-by-hsts"}, 120),
    Case("cookies-httponly-dropped-on-sessionid", "cookies", cookie_without("HttpOnly", ("sessionid",)),
         {"cookies": "cookies-session-without-httponly-flag"}, 70),
    # The API's token cookies are not session cookies to the Observatory (their names): no change at all.
    Case("cookies-httponly-dropped-on-tokens", "cookies", cookie_without("HttpOnly", ("access_token", "refresh_token")),
         {}, FAITHFUL_SCORE),
    # csrftoken without SameSite is an anti-CSRF cookie without it: -20.
    Case("cookies-samesite-dropped", "cookies", cookie_without("SameSite"),
         {"cookies": "cookies-anticsrf-without-samesite-flag"}, 80),
    Case("cookies-samesite-dropped-on-tokens", "cookies", cookie_without("SameSite", ("access_token", "refresh_token")),
         {"cookies": "cookies-secure-with-httponly-sessions"}, 125),
    Case("cors-reflected-with-credentials", "cross-origin-resource-sharing", edit_headers(reflecting_origin),
         {"cross-origin-resource-sharing": "cross-origin-resource-sharing-implemented-with-universal-access"}, 50),
    Case("redirection-missing", "redirection", None, {"redirection": "redirection-missing"}, 80,
         settings={"SECURE_SSL_REDIRECT": False}, route=[f"http://{HTTP_HOST}{API}"]),
    Case("redirection-off-host", "redirection", edit_headers(redirecting_off_host),
         {"redirection": "redirection-off-host-from-http"}, 125,
         route=[f"http://{HTTP_HOST}{API}", f"https://localhost:8443{API}"]),
    Case("referrer-policy-removed", "referrer-policy", without("Referrer-Policy"),
         {"referrer-policy": "referrer-policy-not-implemented"}, 125),
    Case("referrer-policy-unsafe-url", "referrer-policy", setting("Referrer-Policy", "unsafe-url"),
         {"referrer-policy": "referrer-policy-unsafe"}, 120),
    Case("hsts-removed", "strict-transport-security", without("Strict-Transport-Security"),
         {"strict-transport-security": "hsts-not-implemented"}, 80),
    Case("hsts-under-six-months", "strict-transport-security",
         setting("Strict-Transport-Security", "max-age=15551999; includeSubDomains"),  # 180 days less one second
         {"strict-transport-security": "hsts-implemented-max-age-less-than-six-months"}, 120),
    Case("sri-external-script-without-integrity", "subresource-integrity", script_injected("https://cdn.example/x.js"),
         {"subresource-integrity": "sri-not-implemented-but-external-scripts-loaded-securely"}, 125, ADMIN),
    Case("sri-external-script-over-http", "subresource-integrity", script_injected("http://cdn.example/x.js"),
         {"subresource-integrity": "sri-not-implemented-and-external-scripts-not-loaded-securely"}, 50, ADMIN),
    Case("x-content-type-options-removed", "x-content-type-options", without("X-Content-Type-Options"),
         {"x-content-type-options": "x-content-type-options-not-implemented"}, 125),
    Case("x-frame-options-and-frame-ancestors-removed", "x-frame-options",
         lambda app: csp_edited(no_frame_ancestors)(without("X-Frame-Options")(app)),
         {"x-frame-options": "x-frame-options-not-implemented"}, 80),
    # Algorithm 4: X-Frame-Options DENY alone passes but earns no bonus.
    Case("frame-ancestors-removed-deny-kept", "x-frame-options", csp_edited(no_frame_ancestors),
         {"x-frame-options": "x-frame-options-sameorigin-or-deny"}, 125),
    Case("corp-removed", "cross-origin-resource-policy", without("Cross-Origin-Resource-Policy"),
         {"cross-origin-resource-policy": "corp-not-implemented"}, 120),
    Case("corp-cross-origin", "cross-origin-resource-policy", setting("Cross-Origin-Resource-Policy", "cross-origin"),
         {"cross-origin-resource-policy": "corp-implemented-with-cross-origin"}, 120),
]


@pytest.fixture
def production_candidate(candidate_app) -> Iterator[Wsgi]:
    """The candidate with production's HTTPS and cookie settings over the test settings."""
    from django.test.utils import override_settings

    candidate_app(COOKIE_SECURE=True)  # Django set up first, so that the override sits above the test settings
    with override_settings(**PRODUCTION):
        yield candidate_app(COOKIE_SECURE=True)


def assert_faithful(graded: Grade, case: Case) -> None:
    """A+ at the faithful score, every test passing, the four cookies of the session graded."""
    assert (graded.score, graded.grade) == (FAITHFUL_SCORE, "A+")
    assert all(test.passed for test in graded.tests), [t.result for t in graded.tests if not t.passed]
    assert graded.test(case.test).passed
    assert set(graded.test("cookies").data) == {"access_token", "refresh_token", "csrftoken", "sessionid"}
    assert graded.test("redirection").data == [f"http://{HTTP_HOST}{case.path}", f"https://{HTTPS_HOST}{case.path}"]


def assert_flawed(faithful: Grade, flawed: Grade, case: Case) -> None:
    """Exactly the case's results changed, each with the table's modifier and pass/fail, and the score they make."""
    before = {test.name: test.result for test in faithful.tests}
    assert {test.name: test.result for test in flawed.tests if test.result != before[test.name]} == case.changes
    assert {name: (flawed.test(name).modifier, flawed.test(name).passed) for name in case.changes} == \
        {name: (SCORES[result][0], result in PASSING[name]) for name, result in case.changes.items()}
    # The faithful modifiers with the changed ones replaced, the bonus counting only from 90.
    assert flawed.score == case.score == score_of(SCORES[test.result][0] for test in flawed.tests)
    assert flawed.grade == letter(case.score)
    if case.route is not None:
        assert flawed.test("redirection").data == case.route


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_observatory_test_on_the_candidates_wire(case: Case, production_candidate: Wsgi) -> None:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    faithful = grade_wire(production_candidate, case.path)
    assert_faithful(faithful, case)
    with override_settings(**case.settings):
        # A handler built under the settings: Django's middleware reads them when the handler loads it.
        copy = WSGIHandler() if case.settings else production_candidate
        flawed = grade_wire(case.flaw(copy) if case.flaw else copy, case.path)
    assert_flawed(faithful, flawed, case)
