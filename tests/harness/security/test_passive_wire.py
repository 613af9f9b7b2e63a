"""Every one of the 21 passive ZAP rules (harness/security/passive.py) on the real candidate's wire: for each rule,
a copy of the in-process candidate with the rule's flaw injected (ResponseRewriter) is sent the real request
through WsgiSide and the rule fires (its plugin id and alertRef); the faithful candidate, sent the same request,
leaves it silent. Then the faithful candidate on a set of real requests (the course list, the student's login,
their profile with the bearer token, the admin's HTML login page): with production's TLS and cookie settings no
FAIL-level rule of scenarios/zap-rules.tsv fires; with the test settings exactly the three that production's
settings exist for do (HSTS, and the admin's csrftoken cookie without Secure and HttpOnly).

The candidate runs with production's settings of reference_django/config/settings/production.py (HSTS, secure
and HttpOnly Django cookies, the proxy's X-Forwarded-Proto) over the test settings, and every request carries
`X-Forwarded-Proto: https` as the TLS terminator in front of it would: the Exchange's URL is https, so the
request must reach the app as https too.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.http import Reply, Sent, WsgiSide, json_request, login
from harness.security.model import Exchange
from harness.security.passive import RULES, PassiveScan, scan
from harness.security.zap import load_rules_file
from harness.seed import accounts
from tests.harness.contract.faults import ResponseRewriter

BASE = "https://127.0.0.1:8443"
RULES_FILE = Path(__file__).resolve().parents[3] / "scenarios" / "zap-rules.tsv"
#: production.py's TLS and cookie settings, which the test settings leave out (COOKIE_SECURE is passed to the app).
PRODUCTION = {"SECURE_SSL_REDIRECT": True, "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
              "SECURE_HSTS_SECONDS": 63072000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
              "SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
              "CSRF_COOKIE_SECURE": True, "CSRF_COOKIE_HTTPONLY": True, "CSRF_COOKIE_SAMESITE": "Lax"}
TLS = [("X-Forwarded-Proto", "https")]  # what the TLS terminator adds (production's SECURE_PROXY_SSL_HEADER)

COURSES = Sent("GET", "/api/v1/courses", TLS)
LOGIN = json_request("POST", "/api/v1/auth/login", {"email": accounts.STUDENT.email,
                                                    "password": accounts.STUDENT.password}, TLS)
ADMIN_LOGIN = Sent("GET", "/admin/login/", TLS)  # Django's admin: the candidate's only HTML, with a POST form

Headers = list[tuple[str, str]]
Rewrite = Callable[[str, Headers, bytes], tuple[str, Headers, bytes]]


# -- the flaws, as rewrites of one response ------------------------------------------------------------------------

def dropping(*names: str) -> Rewrite:
    gone = {n.lower() for n in names}
    return lambda status, headers, body: (status, [(k, v) for k, v in headers if k.lower() not in gone], body)


def adding(name: str, value: str) -> Rewrite:
    return lambda status, headers, body: (status, [*headers, (name, value)], body)


def setting(name: str, value: str) -> Rewrite:
    return lambda status, headers, body: (status, [*dropping(name)(status, headers, body)[1], (name, value)], body)


def cookies(change: Callable[[str], str]) -> Rewrite:
    """Every Set-Cookie value changed by `change` (the login sets access_token and refresh_token)."""
    return lambda status, headers, body: (
        status, [(k, change(v)) if k.lower() == "set-cookie" else (k, v) for k, v in headers], body)


def cookie_without(attribute: str) -> Rewrite:
    return cookies(lambda value: re.sub(rf";\s*{attribute}(=[^;]*)?", "", value, flags=re.IGNORECASE))


def first_course(edit: Callable[[dict[str, Any]], None]) -> Rewrite:
    """The course list's first course edited (still JSON, still 200)."""
    def rewrite(status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        doc = json.loads(body)
        edit(doc["data"]["courses"][0])
        return status, headers, json.dumps(doc).encode()
    return rewrite


def csp_without_frame_ancestors(status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
    headers = [(k, re.sub(r"\s*frame-ancestors[^;]*;?", "", v) if k.lower() == "content-security-policy" else v)
               for k, v in headers if k.lower() != "x-frame-options"]
    return status, headers, body


def form_without_csrf_token(status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
    flawed = re.sub(rb'<input[^>]*name="csrfmiddlewaretoken"[^>]*>', b"", body)
    assert flawed != body, "the admin's login form carries no csrfmiddlewaretoken to remove"
    return status, headers, flawed


TRACEBACK = ('Traceback (most recent call last):\n  File "/app/reference_django/courses/views.py", line 42, in '
             "list_courses\n    page = int(request.GET['page'])\nKeyError: 'page'\n")


def server_error_with_traceback(status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
    """What a server with DEBUG-style error pages answers: a 500 whose plain-text body is the stack trace."""
    headers = [*dropping("Content-Type")(status, headers, body)[1], ("Content-Type", "text/plain; charset=utf-8")]
    return "500 Internal Server Error", headers, TRACEBACK.encode()


def only_on(path: str, rewrite: Rewrite) -> Callable[[dict[str, Any], str, list, bytes], tuple[str, list, bytes]]:
    """The rewrite as ResponseRewriter calls it, on one path only (a copy with one flaw on one operation)."""
    def on(environ: dict[str, Any], status: str, headers: list, body: bytes) -> tuple[str, list, bytes]:
        return rewrite(status, headers, body) if environ["PATH_INFO"] == path else (status, headers, body)
    return on


# -- the cases: one per rule, one per alertRef where the rule has several named in issue 14 ------------------------

@dataclass(frozen=True)
class Case:
    request: Sent
    rewrite: Rewrite
    plugin_id: int
    ref: str
    evidence: str | None = None  # what an instance must show as its evidence, where the rule records one


NOW = int(time.time())
CARD = "4111111111111111"  # the Visa test number (passes Luhn)
CASES: dict[str, Case] = {
    "10010 HttpOnly dropped from the login's cookies": Case(LOGIN, cookie_without("HttpOnly"), 10010, "10010",
                                                             "Set-Cookie: access_token"),
    "10011 Secure dropped from the login's cookies": Case(LOGIN, cookie_without("Secure"), 10011, "10011",
                                                           "Set-Cookie: access_token"),
    # 10015 on the admin page: the candidate's JSON answers (the authenticated profile too) carry no Cache-Control
    # at all, as legacy's do not, so 10015 already fires on them; the admin page has Django's never_cache.
    "10015 Cache-Control public on the admin page": Case(ADMIN_LOGIN, setting("Cache-Control", "public, max-age=3600"),
                                                          10015, "10015", "public, max-age=3600"),
    "10019 Content-Type removed from the course list": Case(COURSES, dropping("Content-Type"), 10019, "10019-1"),
    "10020 X-Frame-Options and frame-ancestors removed on HTML": Case(ADMIN_LOGIN, csp_without_frame_ancestors,
                                                                      10020, "10020-1"),
    "10021 X-Content-Type-Options removed": Case(COURSES, dropping("X-Content-Type-Options"), 10021, "10021"),
    "10023 a debug error message in the body": Case(
        COURSES, first_course(lambda c: c.update(description="Internal Server Error: /api/v1/courses")), 10023,
        "10023", "Internal Server Error"),
    "10035 HSTS removed": Case(COURSES, dropping("Strict-Transport-Security"), 10035, "10035-1"),
    "10036 Server: Apache/2.4.1": Case(COURSES, adding("Server", "Apache/2.4.1"), 10036, "10036-2", "Apache/2.4.1"),
    "10037 X-Powered-By: PHP/8.1": Case(COURSES, adding("X-Powered-By", "PHP/8.1"), 10037, "10037",
                                        "X-Powered-By: PHP/8.1"),
    "10038 CSP removed on HTML": Case(ADMIN_LOGIN, dropping("Content-Security-Policy"), 10038, "10038-1"),
    "10054 SameSite dropped from the login's cookies": Case(LOGIN, cookie_without("SameSite"), 10054, "10054-1",
                                                             "Set-Cookie: access_token"),
    "10055 a wildcard CSP on HTML": Case(ADMIN_LOGIN, setting("Content-Security-Policy", "default-src *"), 10055,
                                         "10055-4", "default-src *"),
    "10062 a card number in a course": Case(COURSES, first_course(lambda c: c.update(description=f"Card {CARD}")),
                                            10062, "10062", CARD),
    "10063 Permissions-Policy removed on HTML": Case(ADMIN_LOGIN, dropping("Permissions-Policy"), 10063, "10063-1"),
    "10096 a Unix timestamp in a course": Case(COURSES, first_course(lambda c: c.update(updatedAt=NOW)), 10096,
                                               "10096", str(NOW)),
    "10098 Access-Control-Allow-Origin: *": Case(COURSES, adding("Access-Control-Allow-Origin", "*"), 10098, "10098",
                                                 "Access-Control-Allow-Origin: *"),
    "10202 the admin's form without its CSRF token": Case(ADMIN_LOGIN, form_without_csrf_token, 10202, "10202"),
    "90004-1 CORP removed": Case(ADMIN_LOGIN, dropping("Cross-Origin-Resource-Policy"), 90004, "90004-1"),
    "90004-2 COEP removed": Case(ADMIN_LOGIN, dropping("Cross-Origin-Embedder-Policy"), 90004, "90004-2"),
    "90004-3 COOP removed": Case(ADMIN_LOGIN, dropping("Cross-Origin-Opener-Policy"), 90004, "90004-3"),
    "90022 a stack trace in a 500": Case(COURSES, server_error_with_traceback, 90022, "90022",
                                         "HTTP/1.1 500 Internal Server Error"),
    "90022 a stack trace in a 200 body": Case(COURSES, first_course(lambda c: c.update(description=TRACEBACK)), 90022,
                                              "90022", "Traceback (most recent call last):"),
    # 90033 reads the Domain against the URL's host, 127.0.0.1 here: "0.0.1" is its parent as ZAP counts (a browser
    # refuses a Domain on an IP host, but the rule reads what the server sent).
    "90033 a cookie scoped to a parent domain": Case(LOGIN, cookies(lambda v: f"{v}; Domain=0.0.1"), 90033, "90033",
                                                     "Domain=0.0.1"),
}


# -- the candidate, as production runs it, over the wire -----------------------------------------------------------

@pytest.fixture
def production(candidate_app) -> Iterator[Any]:
    """The candidate's WSGI handler with production's TLS and cookie settings over the test settings."""
    from django.test.utils import override_settings

    candidate_app(COOKIE_SECURE=True)  # Django set up, so that the override sits above the test settings
    with override_settings(**PRODUCTION):
        yield candidate_app(COOKIE_SECURE=True)


def exchange(app: Any, sent: Sent) -> Exchange:
    reply = WsgiSide("candidate", app).send(sent)
    return Exchange("candidate", f"{sent.method} {sent.path}", BASE + sent.path, sent, reply)


def fired(result: PassiveScan, plugin_id: int) -> list[tuple[str, str]]:
    """(alertRef, evidence) of each instance the rule raised."""
    return [(a.variant.ref, i.evidence) for a in result.alerts if a.plugin_id == plugin_id for i in a.instances]


def test_the_cases_cover_every_rule_and_every_site_isolation_alert() -> None:
    assert {case.plugin_id for case in CASES.values()} == set(RULES)
    for case in CASES.values():
        assert case.ref in RULES[case.plugin_id].variants


@pytest.mark.parametrize("name", list(CASES))
def test_the_rule_catches_its_flaw_on_the_wire_and_is_silent_on_the_faithful_candidate(production, name) -> None:
    case = CASES[name]
    faithful = exchange(production, case.request)
    flawed = exchange(ResponseRewriter(production, only_on(case.request.path, case.rewrite)), case.request)
    assert faithful.reply.status == 200, faithful.reply.body[:300]

    assert fired(scan([faithful]), case.plugin_id) == []
    caught = fired(scan([flawed]), case.plugin_id)
    assert case.ref in {ref for ref, _ in caught}, caught
    if case.evidence is not None:
        assert (case.ref, case.evidence) in caught


# -- the faithful candidate on a set of real requests --------------------------------------------------------------

def real_exchanges(app: Any) -> list[Exchange]:
    """GET the course list, the student's login, their profile with the bearer token, the admin's HTML login."""
    side = WsgiSide("candidate", app)
    token = login(side.send, accounts.STUDENT.email, accounts.STUDENT.password, TLS)
    assert token, "the seeded student cannot log in"
    profile = Sent("GET", "/api/v1/user/profile", [*TLS, ("Authorization", f"Bearer {token}")])
    exchanges = [exchange(app, sent) for sent in (COURSES, LOGIN, profile, ADMIN_LOGIN)]
    assert [e.reply.status for e in exchanges] == [200, 200, 200, 200]
    assert exchanges[3].media_type == "text/html"
    return exchanges


def by_level(result: PassiveScan, level: str) -> set[tuple[int, str, str, str]]:
    """(plugin id, alertRef, path, param) of each instance whose rule has `level` in scenarios/zap-rules.tsv."""
    rules = load_rules_file(RULES_FILE)
    return {(a.plugin_id, a.variant.ref, i.uri.removeprefix(BASE), i.param) for a in result.alerts
            if rules.level(a.plugin_id) == level for i in a.instances}


def test_the_faithful_candidate_with_production_settings_fails_no_rule(production) -> None:
    result = scan(real_exchanges(production))
    assert by_level(result, "FAIL") == set()
    # WARN-level, and the candidate's own choice: its JSON answers carry no Cache-Control at all, the profile
    # (an authenticated answer) included; the admin's HTML has Django's never_cache directives.
    assert by_level(result, "WARN") == {(10015, "10015", "/api/v1/courses", "cache-control"),
                                        (10015, "10015", "/api/v1/user/profile", "cache-control")}


def test_the_faithful_candidate_with_the_test_settings_fails_only_what_production_settings_fix(candidate_app) -> None:
    """Without production's settings, requests still marked https by the proxy header (which the test settings
    ignore, so Django sees plain HTTP): no HSTS anywhere, and Django's csrftoken cookie (set by the admin's login
    page) without Secure and HttpOnly. Nothing else."""
    result = scan(real_exchanges(candidate_app(COOKIE_SECURE=True)))
    paths = ("/api/v1/courses", "/api/v1/auth/login", "/api/v1/user/profile", "/admin/login/")
    assert by_level(result, "FAIL") == {(10035, "10035-1", path, "") for path in paths} | {
        (10010, "10010", "/admin/login/", "csrftoken"), (10011, "10011", "/admin/login/", "csrftoken")}


def test_the_production_candidate_answers_plain_http_with_a_redirect_to_https(production) -> None:
    """Why every request carries the proxy's header: without it production's settings redirect, so the wire the
    rules read would be a redirect, not the answer."""
    reply: Reply = WsgiSide("candidate", production).send(Sent("GET", "/api/v1/courses", []))
    assert reply.status == 301 and (reply.header("Location") or "").startswith("https://")
