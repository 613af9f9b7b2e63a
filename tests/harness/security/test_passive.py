"""ZAP's passive rules as the harness applies them: each of the 21 rules raises its alert (ZAP's plugin id, alertRef,
risk, evidence) on a response with the flaw it exists for, stays silent on the clean response, and records why it
does not look at a response ZAP's rule skips. Then the same on the wire: a copy of the candidate with a flaw injected
(ResponseRewriter) is caught, the faithful candidate is not."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest

from harness.http import Reply, Sent, WsgiSide, json_request
from harness.security.model import Exchange
from harness.security.passive import RULES, SYSTEMIC_LIMIT, scan, site_of
from harness.seed import accounts
from tests.harness.contract.faults import ResponseRewriter

BASE = "https://127.0.0.1:8443"
PAGE = (b"<html><head><title>Courses</title></head><body><p>Hello</p>"
        b"<form method='post' action='/enrol'><input type='hidden' name='csrf_token' value='x'>"
        b"<input name='course'></form></body></html>")
POLICY = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
CLEAN: list[tuple[str, str]] = [
    ("Content-Type", "text/html; charset=utf-8"), ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"), ("Content-Security-Policy", POLICY),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Cache-Control", "no-cache, no-store, must-revalidate"), ("Permissions-Policy", "geolocation=()"),
    ("Cross-Origin-Resource-Policy", "same-origin"), ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Set-Cookie", "session=abc; Path=/; Secure; HttpOnly; SameSite=Strict"),
]


def exchange(*, drop: tuple[str, ...] = (), set_: dict[str, str] | None = None, add: tuple[tuple[str, str], ...] = (),
             body: bytes = PAGE, status: int = 200, url: str = BASE + "/courses", method: str = "GET",
             side: str = "candidate") -> Exchange:
    """The clean page, with headers dropped (by name), replaced or added, or another body, status, URL."""
    set_ = {k.lower(): v for k, v in (set_ or {}).items()}
    gone = {d.lower() for d in drop}
    headers = [(k, set_.pop(k.lower(), v)) for k, v in CLEAN if k.lower() not in gone]
    headers += list(set_.items()) + list(add)
    path = url.split("://", 1)[1].partition("/")[2]
    return Exchange(side, f"{method} /{path}", url, Sent(method, "/" + path, []), Reply(status, headers, body))


def found(ex: Exchange, plugin_id: int) -> list[tuple[str, int, str]]:
    """(alertRef, risk, evidence) of each instance the rule raises on `ex`, through scan() as the area runs it."""
    result = scan([ex], {plugin_id: RULES[plugin_id]})
    return [(a.variant.ref, a.risk if i.risk is None else i.risk, i.evidence) for a in result.alerts
            for i in a.instances]


def skipped(ex: Exchange, plugin_id: int) -> dict[str, int]:
    return dict(scan([ex], {plugin_id: RULES[plugin_id]}).coverage[ex.side][plugin_id].skipped)


NOW = str(int(time.time()))
JSON = {"Content-Type": "application/json"}

#: plugin id -> (the flawed response, (alertRef, risk, evidence) expected)
FLAWED: dict[str, tuple[dict[str, Any], tuple[str, int, str]]] = {
    "10010": ({"set_": {"Set-Cookie": "session=abc; Path=/; Secure; SameSite=Strict"}},
              ("10010", 1, "Set-Cookie: session")),
    "10011": ({"set_": {"Set-Cookie": "session=abc; Path=/; HttpOnly; SameSite=Strict"}},
              ("10011", 1, "Set-Cookie: session")),
    "10015": ({"set_": {"Cache-Control": "public, max-age=3600"}}, ("10015", 0, "public, max-age=3600")),
    "10019": ({"drop": ("Content-Type",)}, ("10019-1", 0, "")),
    "10020": ({"drop": ("X-Frame-Options",), "set_": {"Content-Security-Policy": "default-src 'self'"}},
              ("10020-1", 2, "")),
    "10021": ({"drop": ("X-Content-Type-Options",)}, ("10021", 1, "")),
    "10023": ({"body": PAGE.replace(b"Hello", b"PHP Warning: include(): failed")}, ("10023", 1, "PHP Warning")),
    "10035": ({"drop": ("Strict-Transport-Security",)}, ("10035-1", 1, "")),
    "10036": ({"add": (("Server", "Apache/2.4.1"),)}, ("10036-2", 1, "Apache/2.4.1")),
    "10037": ({"add": (("X-Powered-By", "PHP/5.4"),)}, ("10037", 1, "X-Powered-By: PHP/5.4")),
    "10038": ({"drop": ("Content-Security-Policy",)}, ("10038-1", 2, "")),
    "10054": ({"set_": {"Set-Cookie": "session=abc; Path=/; Secure; HttpOnly"}}, ("10054-1", 1, "Set-Cookie: session")),
    "10055": ({"set_": {"Content-Security-Policy": POLICY + "; script-src 'self' 'unsafe-inline'"}},
              ("10055-5", 2, POLICY + "; script-src 'self' 'unsafe-inline'")),
    "10062": ({"body": PAGE.replace(b"Hello", b"Card: 4111 1111 1111 1111")}, ("10062", 3, "4111 1111 1111 1111")),
    "10063": ({"drop": ("Permissions-Policy",)}, ("10063-1", 1, "")),
    "10096": ({"body": PAGE.replace(b"Hello", f"Updated {NOW}".encode())}, ("10096", 1, NOW)),
    "10098": ({"add": (("Access-Control-Allow-Origin", "*"),)}, ("10098", 2, "Access-Control-Allow-Origin: *")),
    "10202": ({"body": PAGE.replace(b"name='csrf_token'", b"name='ref'")},
              ("10202", 2, "<form method='post' action='/enrol'>")),
    "90004": ({"drop": ("Cross-Origin-Opener-Policy",)}, ("90004-3", 1, "")),
    "90022": ({"body": PAGE.replace(b"Hello", b"Traceback (most recent call last):\n  File \"app.py\", line 3")},
              ("90022", 2, "Traceback (most recent call last):")),
    "90033": ({"url": "https://app.example.test/courses",
               "set_": {"Set-Cookie": "session=abc; Domain=example.test; Secure; HttpOnly; SameSite=Strict"}},
              ("90033", 0, "Domain=example.test")),
}

#: plugin id -> (a response ZAP's rule does not look at, the reason recorded). The six rules ZAP applies to every
#: response (cookies, Server, X-Powered-By, CORS) have no such case: they are shown applying to JSON below.
NOT_APPLICABLE: dict[str, tuple[dict[str, Any], str]] = {
    "10011": ({"url": "http://127.0.0.1:8080/courses"},
              "not applicable: plain HTTP (the Secure flag matters over HTTPS)"),
    "10015": ({"status": 404}, "not applicable: status 404, an error page"),
    "10019": ({"body": b""}, "not applicable: empty body"),
    "10020": ({"set_": JSON, "body": b"{}"}, "not applicable: application/json, not HTML"),
    "10021": ({"status": 500}, "not applicable: status 500, an error page"),
    "10023": ({"set_": {"Content-Type": "image/png"}, "body": b"\x89PNG"}, "not applicable: image/png, not text"),
    "10035": ({"url": "http://127.0.0.1:8080/courses", "set_": JSON, "body": b"{}"},
              "not applicable: plain HTTP (HSTS applies over HTTPS)"),
    "10038": ({"set_": JSON, "body": b"{}"}, "not applicable: application/json, not HTML"),
    "10055": ({"set_": JSON, "body": b"{}"}, "not applicable: application/json, not HTML"),
    "10062": ({"set_": {"Content-Type": "text/css"}, "body": b"a{}"}, "not applicable: CSS or an image"),
    "10063": ({"set_": JSON, "body": b"{}"}, "not applicable: application/json, neither HTML nor JavaScript"),
    "10096": ({"set_": {"Content-Type": "font/woff2"}, "body": b"wOF2"}, "not applicable: a font"),
    "10202": ({"set_": JSON, "body": b"{}"}, "not applicable: application/json, not HTML"),
    "90004": ({"status": 404}, "not applicable: status 404, not a success"),
    "90022": ({"status": 404, "body": b"Internal Server Error"}, "not applicable: status 404, a not-found page"),
}
ALWAYS = ("10010", "10036", "10037", "10054", "10098", "90033")


def test_the_21_rules_carry_zaps_ids_names_and_defaults():
    assert sorted(RULES) == sorted(int(pid) for pid in FLAWED)
    assert RULES[10020].variants["10020-1"].name == "Missing Anti-clickjacking Header"
    assert RULES[10036].variants["10036-2"].name == (
        'Server Leaks Version Information via "Server" HTTP Response Header Field')
    assert RULES[10038].name == "Content Security Policy (CSP) Header Not Set"
    assert RULES[90004].name == "Insufficient Site Isolation Against Spectre Vulnerability"
    assert [RULES[90004].variants[f"90004-{n}"].name.split(" Header")[0] for n in (1, 2, 3)] == [
        "Cross-Origin-Resource-Policy", "Cross-Origin-Embedder-Policy", "Cross-Origin-Opener-Policy"]
    assert (RULES[10021].risk, RULES[10021].confidence, RULES[10021].cwe, RULES[10021].wasc) == (1, 2, 693, 15)
    assert (RULES[10202].risk, RULES[10202].confidence, RULES[10202].cwe, RULES[10202].wasc) == (2, 1, 352, 9)
    assert RULES[10062].risk == 3 and RULES[10015].risk == 0
    assert RULES[10010].solution == "Ensure that the HttpOnly flag is set for all cookies."
    assert RULES[10202].description.startswith("No Anti-CSRF tokens were found in a HTML submission form.\n")


def test_the_clean_page_raises_nothing():
    result = scan([exchange()])
    assert [a.to_dict() for a in result.alerts] == []
    assert result.coverage["candidate"][10020].skipped == {
        "not applicable: CSP frame-ancestors is set (it takes precedence)": 1}


@pytest.mark.parametrize("plugin_id", sorted(FLAWED))
def test_each_rule_catches_its_flaw(plugin_id):
    flaw, expected = FLAWED[plugin_id]
    assert expected in found(exchange(**flaw), int(plugin_id))


@pytest.mark.parametrize("plugin_id", sorted(FLAWED))
def test_each_rule_is_silent_on_the_clean_page(plugin_id):
    clean = exchange(url="https://app.example.test/courses") if plugin_id == "90033" else exchange()
    assert found(clean, int(plugin_id)) == []


@pytest.mark.parametrize("plugin_id", sorted(NOT_APPLICABLE))
def test_each_rule_records_why_it_does_not_apply(plugin_id):
    response, reason = NOT_APPLICABLE[plugin_id]
    ex = exchange(**response)
    assert RULES[int(plugin_id)].applies(ex) == reason
    assert skipped(ex, int(plugin_id)) == {reason: 1}
    assert RULES[int(plugin_id)].check(ex) == []


@pytest.mark.parametrize("plugin_id", ALWAYS)
def test_rules_zap_applies_to_every_response_apply_to_json_too(plugin_id):
    flaw, expected = FLAWED[plugin_id]
    ex = exchange(**{**flaw, "set_": {**flaw.get("set_", {}), **JSON}, "body": b'{"ok": true}'})
    assert RULES[int(plugin_id)].applies(ex) is None
    assert expected in found(ex, int(plugin_id))


@pytest.mark.parametrize(("flaw", "expected"), [
    ({"add": (("X-Frame-Options", "SAMEORIGIN"),)}, ("10020-2", 2, "")),
    ({"body": PAGE.replace(b"<title>", b"<meta http-equiv='X-Frame-Options' content='DENY'><title>")},
     ("10020-3", 2, "<meta http-equiv='X-Frame-Options' content='DENY'>")),
    ({"set_": {"X-Frame-Options": "ALLOW-FROM https://x.test"}}, ("10020-4", 2, "ALLOW-FROM https://x.test")),
])
def test_anti_clickjacking_alert_refs(flaw, expected):
    flaw["set_"] = {**flaw.get("set_", {}), "Content-Security-Policy": "default-src 'self'"}
    assert expected in found(exchange(**flaw), 10020)


@pytest.mark.parametrize(("hsts", "expected"), [
    ("max-age=0", ("10035-2", 1, "max-age=0")),
    ("includeSubDomains", ("10035-5", 1, "includeSubDomains")),
    ("\"max-age=84600\"", ("10035-7", 1, "\"max-age=84600\"")),
    ("max-age=31536000 \u201cpreload\u201d", ("10035-8", 1, "Strict-Transport-Security")),
])
def test_hsts_alert_refs(hsts, expected):
    assert found(exchange(set_={"Strict-Transport-Security": hsts}), 10035) == [expected]


def test_hsts_redirect_to_the_same_https_origin_is_not_asked_for_hsts():
    redirect = exchange(drop=("Strict-Transport-Security",), status=302, add=(("Location", "/login"),))
    elsewhere = exchange(drop=("Strict-Transport-Security",), status=302, add=(("Location", "http://x.test/"),))
    assert found(redirect, 10035) == [] and found(elsewhere, 10035) == [("10035-1", 1, "")]


@pytest.mark.parametrize(("cookie", "ref"), [("a=1; Secure; HttpOnly; SameSite=None", "10054-2"),
                                            ("a=1; Secure; HttpOnly; SameSite=Sometimes", "10054-3")])
def test_same_site_alert_refs(cookie, ref):
    assert [r for r, _, _ in found(exchange(set_={"Set-Cookie": cookie}), 10054)] == [ref]


def test_an_expired_cookie_is_not_reported():
    gone = exchange(set_={"Set-Cookie": "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"})
    assert found(gone, 10010) == [] and found(gone, 10054) == []


@pytest.mark.parametrize(("policy", "ref"), [
    ("default-src *; form-action 'self'; frame-ancestors 'none'", "10055-4"),
    ("default-src 'self'", "10055-13"),
    ("default-src 'self'; form-action 'self'; frame-ancestors 'none'; style-src 'unsafe-inline'", "10055-6"),
    (POLICY + "; script-src 'self' 'unsafe-eval'", "10055-10"),
    (POLICY + "; script-src 'unsafe-hashes' 'sha256-abc='", "10055-7"),
    ("default-src \u2018self\u2019", "10055-9"),
])
def test_csp_alert_refs(policy, ref):
    assert ref in [r for r, _, _ in found(exchange(set_={"Content-Security-Policy": policy}), 10055)]


def test_a_nonce_makes_unsafe_inline_harmless():
    policy = POLICY + "; script-src 'self' 'unsafe-inline' 'nonce-r4nd0m'"
    assert found(exchange(set_={"Content-Security-Policy": policy}), 10055) == []


def test_site_isolation_reads_corp_on_every_success_and_coep_coop_on_documents_only():
    api = exchange(set_=JSON, body=b"{}", drop=("Cross-Origin-Resource-Policy", "Cross-Origin-Opener-Policy"))
    assert found(api, 90004) == [("90004-1", 1, "")]
    assert found(exchange(set_={"Cross-Origin-Resource-Policy": "same-site"}), 90004) == [("90004-1", 1, "same-site")]
    cors = exchange(drop=("Cross-Origin-Resource-Policy",), add=(("Access-Control-Allow-Origin", "https://a.test"),))
    assert found(cors, 90004) == []


def test_application_error_on_a_500_names_the_status_line_at_low_risk():
    assert found(exchange(status=500), 90022) == [("90022", 1, "HTTP/1.1 500 Internal Server Error")]


def test_pii_skips_a_decimal_number_and_an_invalid_card():
    assert found(exchange(body=PAGE.replace(b"Hello", b"Total 4111111111111111.50")), 10062) == []
    assert found(exchange(body=PAGE.replace(b"Hello", b"Card 4111 1111 1111 1112")), 10062) == []


def test_pii_skips_a_card_shaped_run_inside_a_token_but_not_a_card_between_quotes():
    """The run that failed a scan: a random access token holding the Luhn-valid "4953368613259"."""
    token = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.QxkR4953368613259kZ"
    json_type = {"set_": {"Content-Type": "application/json"}}
    assert found(exchange(body=b'{"access_token": "' + token + b'"}', **json_type), 10062) == []
    assert found(exchange(body=b'{"id": "a9fc4953368613259e"}', **json_type), 10062) == []
    assert found(exchange(body=b'{"card": "4953368613259"}', **json_type), 10062) == [("10062", 3, "4953368613259")]


def test_timestamps_ignore_cache_headers_and_far_dates():
    assert found(exchange(add=(("ETag", NOW),)), 10096) == []
    assert found(exchange(body=PAGE.replace(b"Hello", b"1000000000")), 10096) == []  # 2001: over 10 years ago
    assert found(exchange(add=(("X-Generated", NOW),)), 10096) == [("10096", 1, NOW)]


def test_a_get_form_or_a_form_with_a_django_token_is_not_a_csrf_finding():
    get_form = PAGE.replace(b"method='post'", b"method='get'").replace(b"csrf_token", b"ref")
    django = PAGE.replace(b"csrf_token", b"csrfmiddlewaretoken")
    assert found(exchange(body=get_form), 10202) == [] and found(exchange(body=django), 10202) == []


def test_alerts_are_grouped_per_side_and_alert_ref_with_every_instance():
    flawed = [exchange(drop=("X-Content-Type-Options",), url=f"{BASE}/courses/{n}", side=side)
              for n in range(SYSTEMIC_LIMIT + 1) for side in ("legacy", "candidate")]
    result = scan(flawed + [exchange(side="candidate")])
    nosniff = [a for a in result.alerts if a.plugin_id == 10021]
    assert [(a.side, len(a.instances), a.systemic) for a in nosniff] == [
        ("candidate", SYSTEMIC_LIMIT + 1, True), ("legacy", SYSTEMIC_LIMIT + 1, True)]
    assert result.coverage["candidate"][10021].applied == SYSTEMIC_LIMIT + 2
    document = json.loads(json.dumps(result.to_dict()))
    first = document["alerts"][0]
    assert first["side"] == "candidate" and first["site"] == BASE
    assert set(first) >= {"pluginid", "alertRef", "name", "riskcode", "confidence", "instances", "systemic"}
    sites = result.sites("legacy")
    assert [s["name"] for s in sites] == [BASE] and all(a["side"] == "legacy" for a in sites[0]["alerts"])


def test_site_is_scheme_host_and_non_default_port():
    assert site_of("https://127.0.0.1:8443/a?b=1") == BASE
    assert site_of("https://example.test:443/a") == "https://example.test"


# -- on the wire: a copy of the candidate with one flaw injected -------------------------------------------------------

LOGIN = json_request("POST", "/api/v1/auth/login", {"email": accounts.STUDENT.email,
                                                    "password": accounts.STUDENT.password})
COURSES = Sent("GET", "/api/v1/courses", [])
STACK = (b"Internal Server Error: /api/v1/courses\nTraceback (most recent call last):\n"
         b'  File "/app/courses/views.py", line 42, in list_courses\nKeyError: \'page\'\n')


def _drop_nosniff(environ, status, headers, body):
    if environ["PATH_INFO"] == "/api/v1/courses":
        headers = [(k, v) for k, v in headers if k.lower() != "x-content-type-options"]
    return status, headers, body


def _drop_httponly(environ, status, headers, body):
    if environ["PATH_INFO"] == "/api/v1/auth/login":
        headers = [(k, v.replace("; HttpOnly", "")) if k.lower() == "set-cookie" else (k, v) for k, v in headers]
    return status, headers, body


def _server_version(environ, status, headers, body):
    return status, [*headers, ("Server", "Apache/2.4.1")], body


def _stack_trace(environ, status, headers, body):
    if environ["PATH_INFO"] == "/api/v1/courses":
        ctype = [("Content-Type", "text/plain; charset=utf-8")]
        return "500 Internal Server Error", [(k, v) for k, v in headers if k.lower() != "content-type"] + ctype, STACK
    return status, headers, body


WIRE_FAULTS = {
    "nosniff_dropped": (_drop_nosniff, 10021, "10021", COURSES),
    "httponly_dropped": (_drop_httponly, 10010, "10010", LOGIN),
    "server_version": (_server_version, 10036, "10036-2", COURSES),
    "stack_trace_on_500": (_stack_trace, 90022, "90022", COURSES),
}


def _wire(app) -> list[Exchange]:
    side = WsgiSide("candidate", app)
    return [Exchange("candidate", f"{s.method} {s.path}", BASE + s.path, s, side.send(s)) for s in (LOGIN, COURSES)]


@pytest.mark.parametrize("fault", sorted(WIRE_FAULTS))
def test_on_the_wire_the_injected_flaw_is_caught(candidate_app, fault):
    rewrite, plugin_id, ref, where = WIRE_FAULTS[fault]
    result = scan(_wire(ResponseRewriter(candidate_app(), rewrite)))
    hits = [(a.variant.ref, i.uri, i.method) for a in result.alerts if a.plugin_id == plugin_id for i in a.instances]
    assert (ref, BASE + where.path, where.method) in hits
    if fault == "httponly_dropped":
        cookie = next(a for a in result.alerts if a.plugin_id == 10010)
        assert {i.param for i in cookie.instances} == {"access_token", "refresh_token"}
    if fault == "stack_trace_on_500":
        assert any(a.plugin_id == 10023 and a.instances[0].evidence == "Internal Server Error" for a in result.alerts)


def test_on_the_wire_the_faithful_candidate_is_silent_for_those_rules(candidate_app):
    exchanges = _wire(candidate_app())
    assert [e.reply.status for e in exchanges] == [200, 200]
    result = scan(exchanges)
    assert [a.plugin_id for a in result.alerts if a.plugin_id in (10010, 10021, 10023, 10036, 90022)] == []
    json_reply = replace(exchanges[1], url="http://127.0.0.1:8080/api/v1/courses")
    assert RULES[10038].applies(json_reply) == "not applicable: application/json, not HTML"
