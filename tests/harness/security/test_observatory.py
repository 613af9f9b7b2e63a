"""The Observatory grade computed locally (harness/security/observatory.py): each of the ten tests on a flawed and a
clean reply (the MDN source's result string and score modifier), the scoring and the letter chart at their edges,
the redirect chain from the HTTP listener, and the real candidate graded over "https" in-process, with a flaw
injected into a copy of it (a header removed, a cookie flag dropped) lowering the grade by the documented modifier.
"""
from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator

import pytest

from harness.core.errors import ConfigError, TargetError
from harness.http import Reply, Sent, json_request
from harness.report.observatory import grade_html, grade_lines
from harness.security.observatory import (
    CORS_ORIGIN,
    SCORES,
    Grade,
    Hop,
    grade,
    letter,
    redirect_chain,
    score_of,
)
from tests.harness.contract.faults import ResponseRewriter
from tests.harness.security.wire import fetcher, over

URL = "https://127.0.0.1:8443/api/v1/courses"
#: The HTTP listener (standing for port 80) redirecting to HTTPS on the same host (standing for 443).
SAME_HOST = [Hop("http://127.0.0.1:8080/api/v1/courses", 301, "https://127.0.0.1:8080/api/v1/courses"),
             Hop(URL, 200)]
CLEAN = [("Content-Type", "application/json"),
         ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
         ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"), ("X-Content-Type-Options", "nosniff"),
         ("Referrer-Policy", "no-referrer"), ("Cross-Origin-Resource-Policy", "same-origin"),
         ("X-Frame-Options", "DENY")]
CLEAN_RESULTS = {
    "content-security-policy": ("csp-implemented-with-no-unsafe-default-src-none", 10),
    "cookies": ("cookies-not-found", 0),
    "cross-origin-resource-sharing": ("cross-origin-resource-sharing-not-implemented", 0),
    "redirection": ("redirection-to-https", 0),
    "referrer-policy": ("referrer-policy-private", 5),
    "strict-transport-security": ("hsts-implemented-max-age-at-least-six-months", 0),
    "subresource-integrity": ("sri-not-implemented-response-not-html", 0),
    "x-content-type-options": ("x-content-type-options-nosniff", 0),
    "x-frame-options": ("x-frame-options-implemented-via-csp", 5),
    "cross-origin-resource-policy": ("corp-implemented-with-same-origin", 10),
}


def reply(*, drop: tuple[str, ...] = (), add: tuple[tuple[str, str], ...] = (), body: bytes = b"{}",
          **replace: str) -> Reply:
    """The clean reply with headers dropped, replaced (`Some_Header="v"`) or added (repeated lines)."""
    replaced = {name.replace("_", "-").lower(): value for name, value in replace.items()}
    gone = {name.lower() for name in drop} | set(replaced)
    headers = [(k, v) for k, v in CLEAN if k.lower() not in gone]
    headers += [(name.replace("_", "-"), value) for name, value in replace.items()] + list(add)
    return Reply(200, headers, body)


def result_of(graded: Grade, test: str) -> tuple[str, int]:
    found = graded.test(test)
    assert found.modifier == SCORES[found.result][0]
    return found.result, found.modifier


def html_reply(markup: str, **replace: str) -> Reply:
    return reply(body=markup.encode(), Content_Type="text/html; charset=utf-8", **replace)


# -- the clean reply ----------------------------------------------------------------------------------------------

def test_the_clean_reply_passes_every_test_with_its_bonus_and_grades_a_plus() -> None:
    graded = grade(reply(), URL, SAME_HOST)
    assert {t.name: (t.result, t.modifier) for t in graded.tests} == CLEAN_RESULTS
    assert all(t.passed for t in graded.tests)
    assert (graded.score, graded.grade) == (130, "A+")
    assert graded.to_a_plus.points_missing == 0 and graded.to_a_plus.steps == []


# -- each test on a flawed variant --------------------------------------------------------------------------------

FLAWS = [
    # content-security-policy
    ("content-security-policy", {"drop": ("Content-Security-Policy",)}, "csp-not-implemented", -25),
    ("content-security-policy", {"drop": ("Content-Security-Policy",),
                                 "add": (("Content-Security-Policy-Report-Only", "default-src 'none'"),)},
     "csp-not-implemented-but-reporting-enabled", -25),
    ("content-security-policy", {"Content_Security_Policy": "default-src 'none'; default-src 'self'"},
     "csp-header-invalid", -25),
    ("content-security-policy", {"Content_Security_Policy": "default-src 'none'; script-src 'strict-dynamic'"},
     "csp-header-invalid", -25),
    ("content-security-policy", {"Content_Security_Policy": "default-src 'self' 'unsafe-inline'"},
     "csp-implemented-with-unsafe-inline", -20),
    ("content-security-policy", {"Content_Security_Policy": "default-src 'none'; script-src data:"},
     "csp-implemented-with-unsafe-inline", -20),
    ("content-security-policy", {"Content_Security_Policy": "default-src 'none'; object-src https:"},
     "csp-implemented-with-unsafe-inline", -20),
    ("content-security-policy", {"Content_Security_Policy": "frame-ancestors 'none'"},
     "csp-implemented-with-unsafe-inline", -20),  # script-src and object-src left open
    ("content-security-policy", {"Content_Security_Policy": "default-src 'self'; connect-src http://api.test"},
     "csp-implemented-with-insecure-scheme", -20),
    ("content-security-policy", {"Content_Security_Policy": "default-src 'self'; script-src 'self' 'unsafe-eval'"},
     "csp-implemented-with-unsafe-eval", -10),
    ("content-security-policy", {"Content_Security_Policy": "default-src 'self'; img-src http:"},
     "csp-implemented-with-insecure-scheme-in-passive-content-only", -10),
    ("content-security-policy", {"Content_Security_Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'"},
     "csp-implemented-with-unsafe-inline-in-style-src-only", 0),
    ("content-security-policy", {"Content_Security_Policy": "default-src 'self'"}, "csp-implemented-with-no-unsafe", 5),
    # two CSP lines reach the scanner as one value joined by ", ": one policy, and default-src is no longer 'none'
    ("content-security-policy", {"drop": ("Content-Security-Policy",),
                                 "add": (("Content-Security-Policy", "default-src 'none'"),
                                         ("Content-Security-Policy", "frame-ancestors 'none'"))},
     "csp-implemented-with-no-unsafe", 5),
    # cross-origin-resource-sharing is graded from the preflight (below); redirection from the chain (below)
    # referrer-policy
    ("referrer-policy", {"drop": ("Referrer-Policy",)}, "referrer-policy-not-implemented", 0),
    ("referrer-policy", {"Referrer_Policy": "unsafe-url"}, "referrer-policy-unsafe", -5),
    ("referrer-policy", {"Referrer_Policy": "no-referrer, no-referrer-when-downgrade"}, "referrer-policy-unsafe", -5),
    ("referrer-policy", {"Referrer_Policy": "no-referrer-ever"}, "referrer-policy-header-invalid", -5),
    ("referrer-policy", {"Referrer_Policy": "unsafe-url, strict-origin-when-cross-origin, bogus"},
     "referrer-policy-private", 5),  # the last policy a browser knows wins
    # strict-transport-security
    ("strict-transport-security", {"drop": ("Strict-Transport-Security",)}, "hsts-not-implemented", -20),
    ("strict-transport-security", {"Strict_Transport_Security": "max-age=15551999"},
     "hsts-implemented-max-age-less-than-six-months", -10),
    ("strict-transport-security", {"Strict_Transport_Security": "max-age=15552000"},
     "hsts-implemented-max-age-at-least-six-months", 0),
    ("strict-transport-security", {"Strict_Transport_Security": "includeSubDomains; preload"},
     "hsts-header-invalid", -20),
    ("strict-transport-security", {"add": (("Strict-Transport-Security", "max-age=63072000"),)},
     "hsts-header-invalid", -20),  # set twice
    # x-content-type-options
    ("x-content-type-options", {"drop": ("X-Content-Type-Options",)}, "x-content-type-options-not-implemented", -5),
    ("x-content-type-options", {"X_Content_Type_Options": "sniff-not"}, "x-content-type-options-header-invalid", -5),
    ("x-content-type-options", {"add": (("X-Content-Type-Options", "nosniff"),)},
     "x-content-type-options-header-invalid", -5),
    # x-frame-options: CSP frame-ancestors earns the bonus; the header alone scores 0 in algorithm 4
    ("x-frame-options", {"Content_Security_Policy": "default-src 'none'"}, "x-frame-options-sameorigin-or-deny", 0),
    ("x-frame-options", {"Content_Security_Policy": "default-src 'none'", "drop": ("X-Frame-Options",)},
     "x-frame-options-not-implemented", -20),
    ("x-frame-options", {"Content_Security_Policy": "default-src 'none'", "X_Frame_Options": "ALLOW-FROM https://a.test"},
     "x-frame-options-allow-from-origin", 0),
    ("x-frame-options", {"Content_Security_Policy": "default-src 'none'", "X_Frame_Options": "ALLOWALL"},
     "x-frame-options-header-invalid", -20),
    ("x-frame-options", {"drop": ("Content-Security-Policy", "X-Frame-Options")}, "x-frame-options-not-implemented",
     -20),
    # cross-origin-resource-policy
    ("cross-origin-resource-policy", {"drop": ("Cross-Origin-Resource-Policy",)}, "corp-not-implemented", 0),
    ("cross-origin-resource-policy", {"Cross_Origin_Resource_Policy": "same-site"}, "corp-implemented-with-same-site",
     10),
    ("cross-origin-resource-policy", {"Cross_Origin_Resource_Policy": "cross-origin"},
     "corp-implemented-with-cross-origin", 0),
    ("cross-origin-resource-policy", {"Cross_Origin_Resource_Policy": "same-origins"}, "corp-header-invalid", -5),
]


@pytest.mark.parametrize(("test", "change", "result", "modifier"), FLAWS,
                         ids=[f"{t}:{r}" for t, _, r, _ in FLAWS])
def test_each_header_test_reads_the_variant_as_the_source_does(test, change, result, modifier) -> None:
    change = dict(change)
    graded = grade(reply(drop=change.pop("drop", ()), add=change.pop("add", ()), **change), URL, SAME_HOST)
    assert result_of(graded, test) == (result, modifier)
    assert graded.test(test).passed == (result in {
        "csp-implemented-with-unsafe-inline-in-style-src-only", "csp-implemented-with-no-unsafe",
        "csp-implemented-with-insecure-scheme-in-passive-content-only", "referrer-policy-not-implemented",
        "referrer-policy-private", "hsts-implemented-max-age-at-least-six-months", "x-frame-options-sameorigin-or-deny",
        "x-frame-options-allow-from-origin", "corp-not-implemented", "corp-implemented-with-same-site",
        "corp-implemented-with-cross-origin"})


def test_hsts_over_plain_http_is_not_implemented() -> None:
    graded = grade(reply(), "http://127.0.0.1:8080/api/v1/courses", [])
    assert result_of(graded, "strict-transport-security") == ("hsts-not-implemented-no-https", -20)


def test_csp_details_nonce_strict_dynamic_duplicate_report_uri() -> None:
    nonce = "default-src 'none'; script-src 'nonce-abc' 'unsafe-inline'"
    dynamic = "default-src 'none'; script-src 'strict-dynamic' 'nonce-abc' https: 'self'"
    duplicated = "default-src 'none'; report-uri /a; report-uri /b"
    assert result_of(grade(reply(Content_Security_Policy=nonce), URL, SAME_HOST), "content-security-policy") == \
        ("csp-implemented-with-no-unsafe-default-src-none", 10)  # 'unsafe-inline' is ignored beside a nonce
    assert result_of(grade(reply(Content_Security_Policy=dynamic), URL, SAME_HOST), "content-security-policy") == \
        ("csp-implemented-with-no-unsafe-default-src-none", 10)  # https: is ignored under 'strict-dynamic'
    assert result_of(grade(reply(Content_Security_Policy=duplicated), URL, SAME_HOST), "content-security-policy") == \
        ("csp-implemented-but-duplicate-directives", 0)


def test_a_meta_csp_counts_for_html_but_cannot_carry_frame_ancestors() -> None:
    page = ('<!doctype html><html><head><meta http-equiv="Content-Security-Policy" '
            'content="default-src \'none\'; frame-ancestors \'none\'"></head><body></body></html>')
    graded = grade(html_reply(page, drop=("Content-Security-Policy", "X-Frame-Options")), URL, SAME_HOST)
    assert result_of(graded, "content-security-policy") == ("csp-implemented-with-no-unsafe-default-src-none", 10)
    # The source's X-Frame-Options test reads the merged policy, meta included, as it does.
    assert result_of(graded, "x-frame-options") == ("x-frame-options-implemented-via-csp", 5)
    as_json = grade(reply(body=page.encode(), drop=("Content-Security-Policy",)), URL, SAME_HOST)
    assert result_of(as_json, "content-security-policy") == ("csp-not-implemented", -25)


def test_a_meta_referrer_counts_for_html() -> None:
    page = '<html><head><meta name="referrer" content="unsafe-url"></head></html>'
    graded = grade(html_reply(page, drop=("Referrer-Policy",)), URL, SAME_HOST)
    assert result_of(graded, "referrer-policy") == ("referrer-policy-unsafe", -5)


# -- cookies ------------------------------------------------------------------------------------------------------

COOKIES = [
    ("sessionid=s; Path=/; Secure; HttpOnly; SameSite=Lax", True, "cookies-secure-with-httponly-sessions-and-samesite",
     5),
    ("sessionid=s; Path=/; Secure; HttpOnly", True, "cookies-secure-with-httponly-sessions", 0),
    ("pref=1; Path=/; SameSite=Lax", True, "cookies-without-secure-flag-but-protected-by-hsts", -5),
    ("pref=1; Path=/; SameSite=Lax", False, "cookies-without-secure-flag", -20),
    ("sessionid=s; Path=/; HttpOnly; SameSite=Lax", True, "cookies-session-without-secure-flag-but-protected-by-hsts",
     -10),
    ("sessionid=s; Path=/; HttpOnly; SameSite=Lax", False, "cookies-session-without-secure-flag", -40),
    ("sessionid=s; Path=/; Secure; SameSite=Lax", True, "cookies-session-without-httponly-flag", -30),
    ("login_state=1; Path=/; Secure; SameSite=Lax", True, "cookies-session-without-httponly-flag", -30),
    ("csrftoken=t; Path=/; Secure", True, "cookies-anticsrf-without-samesite-flag", -20),
    ("pref=1; Path=/; Secure; SameSite=Sometimes", True, "cookies-samesite-flag-invalid", -20),
    ("pref=1; Path=/; Secure; SameSite", True, "cookies-samesite-flag-invalid", -20),
    ("pref=1; Path=/; SameSite=None", True, "cookies-samesite-flag-invalid", -20),
    # the jar drops a __Host- cookie that breaks the prefix's rules, and one for another domain
    ("__Host-pref=1; Path=/; SameSite=Lax", False, "cookies-not-found", 0),
    ("pref=1; Domain=example.test; Path=/", False, "cookies-not-found", 0),
]


@pytest.mark.parametrize(("set_cookie", "hsts", "result", "modifier"), COOKIES, ids=[c[2] for c in COOKIES])
def test_cookies(set_cookie, hsts, result, modifier) -> None:
    drop = () if hsts else ("Strict-Transport-Security",)
    graded = grade(reply(drop=drop, add=(("Set-Cookie", set_cookie),)), URL, SAME_HOST)
    assert result_of(graded, "cookies") == (result, modifier)


def test_a_session_cookie_is_one_named_login_or_sess_so_a_token_cookie_without_httponly_passes() -> None:
    """The source decides what a session cookie is by its name; `access_token` is not one (ZAP rule 10010 is what
    flags a cookie without HttpOnly whatever its name)."""
    graded = grade(reply(add=(("Set-Cookie", "access_token=t; Path=/; Secure; SameSite=Lax"),)), URL, SAME_HOST)
    assert result_of(graded, "cookies") == ("cookies-secure-with-httponly-sessions-and-samesite", 5)


def test_cookies_of_the_other_session_replies_count_and_the_worst_finding_wins() -> None:
    login = Reply(200, [("Set-Cookie", "sessionid=s; Path=/; Secure; SameSite=Lax"),
                        ("Set-Cookie", "pref=1; Path=/; Secure; HttpOnly; SameSite=Lax")], b"{}")
    graded = grade(reply(add=(("Set-Cookie", "theme=dark; Path=/; SameSite=Lax"),)), URL, SAME_HOST,
                   cookie_replies=[login])
    assert result_of(graded, "cookies") == ("cookies-session-without-httponly-flag", -30)
    assert sorted(graded.test("cookies").data) == ["pref", "sessionid", "theme"]


# -- CORS ---------------------------------------------------------------------------------------------------------

def preflight(*headers: tuple[str, str]) -> Reply:
    return Reply(200, [("Content-Length", "0"), *headers], b"")


@pytest.mark.parametrize(("answer", "result", "modifier"), [
    (None, "cross-origin-resource-sharing-not-implemented", 0),
    (preflight(), "cross-origin-resource-sharing-not-implemented", 0),
    (preflight(("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")),
     "cross-origin-resource-sharing-implemented-with-public-access", 0),
    (preflight(("Access-Control-Allow-Origin", "https://app.example.test"),
               ("Access-Control-Allow-Credentials", "true")),
     "cross-origin-resource-sharing-implemented-with-restricted-access", 0),
    (preflight(("Access-Control-Allow-Origin", CORS_ORIGIN)),
     "cross-origin-resource-sharing-implemented-with-restricted-access", 0),
    (preflight(("Access-Control-Allow-Origin", CORS_ORIGIN), ("Access-Control-Allow-Credentials", "true")),
     "cross-origin-resource-sharing-implemented-with-universal-access", -50),
], ids=["none", "no-acao", "star", "listed", "reflected-no-credentials", "reflected-with-credentials"])
def test_cors_reads_the_preflight(answer, result, modifier) -> None:
    graded = grade(reply(), URL, SAME_HOST, cors_preflight=answer)
    assert result_of(graded, "cross-origin-resource-sharing") == (result, modifier)
    assert graded.test("cross-origin-resource-sharing").passed == (modifier == 0)


# -- subresource integrity ----------------------------------------------------------------------------------------

SRI = [
    ('<script src="https://cdn.other.test/a.js"></script>',
     "sri-not-implemented-but-external-scripts-loaded-securely", -5),
    ('<script src="http://cdn.other.test/a.js"></script>',
     "sri-not-implemented-and-external-scripts-not-loaded-securely", -50),
    ('<script src="//cdn.other.test/a.js"></script>', "sri-not-implemented-and-external-scripts-not-loaded-securely",
     -50),
    ('<script src="http://cdn.other.test/a.js" integrity="sha384-x"></script>',
     "sri-implemented-but-external-scripts-not-loaded-securely", -20),
    ('<script src="https://cdn.other.test/a.js" integrity="sha384-x" crossorigin="anonymous"></script>',
     "sri-implemented-and-external-scripts-loaded-securely", 5),
    ('<script src="/static/app.js" integrity="sha384-x"></script>', "sri-implemented-and-all-scripts-loaded-securely",
     5),
    ('<script src="/static/app.js"></script><script>inline()</script>',
     "sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0),
    ("<p>no scripts</p>", "sri-not-implemented-but-no-scripts-loaded", 0),
    ('<script src="/static/app.js" integrity="sha384-x"></script><script src="http://cdn.other.test/b.js"></script>',
     "sri-not-implemented-and-external-scripts-not-loaded-securely", -50),
]


@pytest.mark.parametrize(("markup", "result", "modifier"), SRI, ids=[f"{i}:{s[1]}" for i, s in enumerate(SRI)])
def test_subresource_integrity_reads_the_scripts_of_html(markup, result, modifier) -> None:
    graded = grade(html_reply(f"<html><head>{markup}</head></html>"), URL, SAME_HOST)
    assert result_of(graded, "subresource-integrity") == (result, modifier)


# -- redirection and the chain ------------------------------------------------------------------------------------

CHAINS = [
    ([], "redirection-not-needed-no-http", 0),
    ([Hop("http://127.0.0.1:8080/", 200)], "redirection-missing", -20),
    ([Hop("http://127.0.0.1:8080/", 301, "http://127.0.0.1:8080/home"), Hop("http://127.0.0.1:8080/home", 200)],
     "redirection-not-to-https", -20),
    ([Hop("http://127.0.0.1:8080/", 301, "http://localhost:8080/"), Hop("http://localhost:8080/", 301, "https://x/"),
      Hop("https://localhost:8443/", 200)], "redirection-not-to-https-on-initial-redirection", -10),
    ([Hop("http://127.0.0.1:8080/", 301, "https://localhost/"), Hop("https://localhost:8443/", 200)],
     "redirection-off-host-from-http", -5),
    ([Hop("http://127.0.0.1:8080/", 301, "https://127.0.0.1/"), Hop("https://127.0.0.1:8443/", 0, verified=False)],
     "redirection-invalid-cert", -20),
    (SAME_HOST, "redirection-to-https", 0),
]


@pytest.mark.parametrize(("chain", "result", "modifier"), CHAINS, ids=[c[1] for c in CHAINS])
def test_redirection_reads_the_chain(chain, result, modifier) -> None:
    assert result_of(grade(reply(), URL, chain), "redirection") == (result, modifier)


def stub(routes: dict[str, Reply | Exception]) -> tuple[Callable[[str], Reply], list[str]]:
    fetched: list[str] = []

    def fetch(url: str) -> Reply:
        fetched.append(url)
        answer = routes[url]
        if isinstance(answer, Exception):
            raise answer
        return answer
    return fetch, fetched


def moved(location: str, status: int = 301) -> Reply:
    return Reply(status, [("Location", location)], b"")


def test_the_chain_follows_the_same_host_to_the_tls_port_the_http_port_stands_for() -> None:
    fetch, fetched = stub({"http://127.0.0.1:8080/api": moved("https://127.0.0.1:8080/api"),
                           "https://127.0.0.1:8443/api": moved("/api/v1/courses", 302),
                           "https://127.0.0.1:8443/api/v1/courses": Reply(200, [], b"{}")})
    chain = redirect_chain("http://127.0.0.1:8080/api", fetch, {8080: 8443})
    assert fetched == ["http://127.0.0.1:8080/api", "https://127.0.0.1:8443/api",
                       "https://127.0.0.1:8443/api/v1/courses"]
    assert [(h.status, h.location) for h in chain] == [(301, "https://127.0.0.1:8080/api"), (302, "/api/v1/courses"),
                                                       (200, None)]
    assert result_of(grade(reply(), URL, chain), "redirection") == ("redirection-to-https", 0)


def test_the_chain_maps_the_default_https_port_when_asked() -> None:
    fetch, fetched = stub({"http://127.0.0.1:8080/": moved("https://127.0.0.1/"),
                           "https://127.0.0.1:8443/": Reply(200, [], b"")})
    redirect_chain("http://127.0.0.1:8080/", fetch, {8080: 8443, 443: 8443})
    assert fetched[-1] == "https://127.0.0.1:8443/"


def test_a_chain_that_leaves_the_host_before_https_fails_redirection() -> None:
    fetch, _ = stub({"http://127.0.0.1:8080/": moved("https://www.example.test/"),
                     "https://www.example.test/": Reply(200, [], b"")})
    chain = redirect_chain("http://127.0.0.1:8080/", fetch, {8080: 8443})
    assert result_of(grade(reply(), URL, chain), "redirection") == ("redirection-off-host-from-http", -5)


def test_the_chain_stops_after_the_limit_of_redirects() -> None:
    fetch, fetched = stub({"http://127.0.0.1:8080/loop": moved("/loop", 302)})
    assert len(redirect_chain("http://127.0.0.1:8080/loop", fetch, {})) == 11  # the first URL and 10 redirects
    assert len(fetched) == 11
    assert len(redirect_chain("http://127.0.0.1:8080/loop", fetch, {}, limit=2)) == 3


def test_the_chain_without_an_http_listener_or_with_a_bad_certificate() -> None:
    fetch, _ = stub({"http://127.0.0.1:8080/": ConnectionRefusedError()})
    assert redirect_chain("http://127.0.0.1:8080/", fetch, {8080: 8443}) == []
    fetch, _ = stub({"http://127.0.0.1:8080/": moved("https://127.0.0.1:8080/"),
                     "https://127.0.0.1:8443/": ssl.SSLCertVerificationError("self-signed")})
    chain = redirect_chain("http://127.0.0.1:8080/", fetch, {8080: 8443})
    assert chain[-1] == Hop("https://127.0.0.1:8443/", 0, None, verified=False)
    fetch, _ = stub({"http://127.0.0.1:8080/": moved("https://127.0.0.1:8080/"),
                     "https://127.0.0.1:8443/": ConnectionResetError()})
    assert redirect_chain("http://127.0.0.1:8080/", fetch, {8080: 8443})[-1] == Hop("https://127.0.0.1:8443/", 0)


# -- scoring ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("modifiers", "score"), [
    ([10, 5, -10], 105),  # the penalties leave 90: the bonus counts
    ([10, 5, -5, -5], 105),
    ([10, 5, -15], 85),  # the penalties leave 85: the bonus is ignored
    ([30, -20], 80),
    ([-50, -40, -25], 0),  # never below 0
    ([], 100),
])
def test_score_counts_the_bonus_only_from_90(modifiers, score) -> None:
    assert score_of(modifiers) == score


@pytest.mark.parametrize(("score", "expected"), [
    (135, "A+"), (100, "A+"), (99, "A"), (95, "A"), (90, "A"), (89, "A-"), (85, "A-"), (84, "B+"), (80, "B+"),
    (79, "B"), (75, "B"), (70, "B"), (69, "B-"), (65, "B-"), (64, "C+"), (60, "C+"), (59, "C"), (50, "C"), (49, "C-"),
    (45, "C-"), (44, "D+"), (40, "D+"), (39, "D"), (30, "D"), (29, "D-"), (25, "D-"), (24, "F"), (0, "F"), (-5, "F"),
])
def test_the_grade_chart(score, expected) -> None:
    assert letter(score) == expected


def test_a_plus_needs_the_bonus_and_the_bonus_needs_90() -> None:
    nearly = grade(reply(drop=("X-Content-Type-Options",)), URL, SAME_HOST)  # 95 before the bonus
    assert (nearly.score, nearly.grade) == (125, "A+")
    no_bonus = grade(reply(drop=("Strict-Transport-Security",)), URL, SAME_HOST)  # 80 before the bonus
    assert (no_bonus.score, no_bonus.grade) == (80, "B+")
    plain = grade(reply(Content_Security_Policy="default-src 'self'; frame-ancestors 'none'", drop=(
        "Referrer-Policy", "Cross-Origin-Resource-Policy", "X-Content-Type-Options")), URL, SAME_HOST)
    assert (plain.score, plain.grade) == (105, "A+")  # 95 + CSP 5 + frame-ancestors 5


def test_to_a_plus_names_the_headers_that_earn_the_missing_points() -> None:
    graded = grade(reply(drop=("Strict-Transport-Security", "Cross-Origin-Resource-Policy"),
                         Content_Security_Policy="default-src 'self'",
                         add=(("Set-Cookie", "sessionid=s; Path=/; Secure; HttpOnly"),)), URL, SAME_HOST)
    assert (graded.score, graded.grade) == (80, "B+")
    plan = graded.to_a_plus
    assert plan.points_missing == 20
    steps = {step.test: step for step in plan.steps}
    assert set(steps) == {"strict-transport-security", "cross-origin-resource-policy", "content-security-policy",
                          "cookies", "x-frame-options"}
    assert "frame-ancestors 'none'" in steps["x-frame-options"].advice  # X-Frame-Options: DENY scores 0 here
    assert steps["strict-transport-security"].gain == 20
    assert steps["strict-transport-security"].advice.startswith("Strict-Transport-Security: max-age=")
    assert steps["cross-origin-resource-policy"].advice == "Cross-Origin-Resource-Policy: same-origin"
    assert "sessionid=" in steps["cookies"].advice and "SameSite=Lax" in steps["cookies"].advice
    assert plan.score_after >= 100
    assert grade(reply(), URL, SAME_HOST).to_a_plus.steps == []


def test_what_the_scanner_refuses_to_grade() -> None:
    with pytest.raises(TargetError, match="500"):
        grade(Reply(500, [], b""), URL, SAME_HOST)
    with pytest.raises(ConfigError, match="absolute"):
        grade(reply(), "/api/v1/courses", SAME_HOST)
    assert grade(Reply(401, CLEAN, b"{}"), URL, SAME_HOST).grade == "A+"


def test_the_report_shows_each_side_and_escapes_what_it_read() -> None:
    hostile = grade(reply(Referrer_Policy="<script>alert(1)</script>"), URL, SAME_HOST).to_dict()
    grades = {"legacy": grade(Reply(200, [("Content-Type", "application/json")], b"{}"), URL, []).to_dict(),
              "candidate": hostile}
    lines = grade_lines(grades)
    assert lines[0].startswith("  legacy: D (30/100)")
    assert any("FAIL  -25 content-security-policy" in line and "csp-not-implemented" in line for line in lines)
    assert any("Cross-Origin-Resource-Policy: same-origin" in line for line in lines)
    page = grade_html(grades)
    assert "<script>alert(1)</script>" not in page and page.count("<table>") == 2
    assert "referrer-policy-header-invalid" in page and "To reach A+" in page


# -- the real candidate, in-process, read as if over https --------------------------------------------------------

HTTPS_SETTINGS = {"SECURE_HSTS_SECONDS": 63072000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
                  "SECURE_SSL_REDIRECT": True}  # production.py's, which the test settings leave out
LOGIN = {"email": "student@unpuzzle.test", "password": "Student123!"}
HTTP_HOST, HTTPS_HOST = "127.0.0.1:8080", "127.0.0.1:8443"


def grade_app(app, path: str = "/api/v1/courses") -> Grade:
    """What the harness grades: GET `path` over https, the chain from the http listener, the CORS preflight, and the
    login's cookies."""
    host = [("Host", HTTPS_HOST)]
    page = over(app, Sent("GET", path, host))
    chain = redirect_chain(f"http://{HTTP_HOST}{path}", fetcher(app), {8080: 8443})
    cors = over(app, Sent("OPTIONS", path, [*host, ("Origin", CORS_ORIGIN), ("Access-Control-Request-Method", "GET")]))
    login = over(app, json_request("POST", "/api/v1/auth/login", LOGIN, host))
    assert login.status == 200, login.body
    return grade(page, f"https://{HTTPS_HOST}{path}", chain, cors_preflight=cors, cookie_replies=[login])


@pytest.fixture
def https_candidate(candidate_app) -> Iterator[Callable[..., object]]:
    """`https_candidate(wrap=None)`: the candidate with production's HTTPS settings (HSTS, the redirect to https)
    and secure cookies, optionally wrapped in a flaw."""
    from django.test.utils import override_settings

    candidate_app(COOKIE_SECURE=True)  # Django set up, so that the override sits above the test settings
    with override_settings(**HTTPS_SETTINGS):
        app = candidate_app(COOKIE_SECURE=True)
        yield lambda wrap=None: wrap(app) if wrap else app


def dropping(header_name: str):
    def rewrite(environ, status, headers, body):
        return status, [(k, v) for k, v in headers if k.lower() != header_name.lower()], body
    return lambda app: ResponseRewriter(app, rewrite)


def cookie_without(flag: str):
    def rewrite(environ, status, headers, body):
        return status, [(k, v.replace(f"; {flag}", "") if k.lower() == "set-cookie" else v) for k, v in headers], body
    return lambda app: ResponseRewriter(app, rewrite)


def test_the_candidate_with_the_test_settings_lacks_hsts_and_the_redirect(candidate_app) -> None:
    """The test settings leave out production's HTTPS settings: the same app grades lower without them."""
    plain = grade_app(candidate_app(COOKIE_SECURE=True))
    print("\nObservatory grade of the in-process candidate with the test settings:")
    print("\n".join(grade_lines({"candidate (test settings)": plain.to_dict()})))
    assert result_of(plain, "strict-transport-security") == ("hsts-not-implemented", -20)
    assert result_of(plain, "redirection") == ("redirection-missing", -20)
    assert (plain.score, plain.grade) == (60, "C+")  # 100 - 40, and no bonus below 90


def test_the_candidate_over_https_and_a_copy_without_csp(https_candidate) -> None:
    clean = grade_app(https_candidate())
    flawed = grade_app(https_candidate(dropping("Content-Security-Policy")))
    print("\nObservatory grade of the in-process candidate with production's HTTPS settings:")
    print("\n".join(grade_lines({"candidate": clean.to_dict(), "candidate without CSP": flawed.to_dict()})))
    before = clean.test("content-security-policy")
    assert before.result.startswith("csp-implemented") and before.passed
    assert result_of(flawed, "content-security-policy") == ("csp-not-implemented", -25)
    assert result_of(flawed, "x-frame-options") == ("x-frame-options-sameorigin-or-deny", 0)  # its DENY remains
    assert flawed.score == score_of(t.modifier for t in flawed.tests) < clean.score
    assert flawed.score <= 75  # 100 - 25 and no bonus below 90
    assert any(step.test == "content-security-policy" for step in flawed.to_a_plus.steps)


def test_the_candidate_cookies_and_a_copy_that_drops_secure(https_candidate) -> None:
    clean = grade_app(https_candidate())
    assert result_of(clean, "cookies") == ("cookies-secure-with-httponly-sessions-and-samesite", 5)
    insecure = grade_app(https_candidate(cookie_without("Secure")))
    hsts = clean.test("strict-transport-security").passed
    expected = "cookies-without-secure-flag-but-protected-by-hsts" if hsts else "cookies-without-secure-flag"
    assert result_of(insecure, "cookies") == (expected, SCORES[expected][0])
    assert insecure.score < clean.score


def test_the_candidate_cookie_without_httponly_is_not_a_session_cookie_to_the_observatory(https_candidate) -> None:
    clean = grade_app(https_candidate())
    no_httponly = grade_app(https_candidate(cookie_without("HttpOnly")))
    assert {"access_token", "refresh_token"} <= set(no_httponly.test("cookies").data)
    assert not no_httponly.test("cookies").data["access_token"]["httponly"]
    assert result_of(no_httponly, "cookies") == result_of(clean, "cookies")


def test_a_host_cookie_takes_the_default_path_of_the_request() -> None:
    at_root = grade(reply(add=(("Set-Cookie", "__Host-sess=s; Secure; HttpOnly; SameSite=Lax"),)),
                    "https://127.0.0.1:8443/", SAME_HOST)
    assert result_of(at_root, "cookies") == ("cookies-secure-with-httponly-sessions-and-samesite", 5)
    deeper = grade(reply(add=(("Set-Cookie", "__Host-sess=s; Secure; HttpOnly; SameSite=Lax"),)), URL, SAME_HOST)
    assert result_of(deeper, "cookies") == ("cookies-not-found", 0)  # default path /api/v1: the jar refuses it
