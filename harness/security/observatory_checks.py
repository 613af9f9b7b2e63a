"""The Observatory's other nine tests over a `Page` (observatory_csp.py), each as the MDN source's
src/analyzer/tests/<name>.js decides it, and each test's passing results.

    CHECKS              test name -> check(page) -> (result string, what it read)
    PASSING             test name -> the results that pass it
    parse_set_cookie    one Set-Cookie as the scanner's cookie jar (tough-cookie) keeps it
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from .observatory_csp import CSP_PASSING, Page, content_security_policy, csp_reading, header

#: HSTS "six months": the source's 15552000 (180 days), not 15768000.
SIX_MONTHS = 15552000

PASSING: dict[str, frozenset[str]] = {
    "content-security-policy": CSP_PASSING,
    "cookies": frozenset({"cookies-not-found", "cookies-secure-with-httponly-sessions-and-samesite",
                          "cookies-secure-with-httponly-sessions"}),
    "cross-origin-resource-sharing": frozenset({
        "cross-origin-resource-sharing-not-implemented", "cross-origin-resource-sharing-implemented-with-public-access",
        "cross-origin-resource-sharing-implemented-with-restricted-access"}),
    "redirection": frozenset({"redirection-not-needed-no-http", "redirection-all-redirects-preloaded",
                              "redirection-to-https"}),
    "referrer-policy": frozenset({"referrer-policy-private", "referrer-policy-not-implemented"}),
    "strict-transport-security": frozenset({"hsts-implemented-max-age-at-least-six-months", "hsts-preloaded"}),
    "subresource-integrity": frozenset({
        "sri-implemented-and-all-scripts-loaded-securely", "sri-implemented-and-external-scripts-loaded-securely",
        "sri-not-implemented-response-not-html", "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        "sri-not-implemented-but-no-scripts-loaded"}),
    "x-content-type-options": frozenset({"x-content-type-options-nosniff"}),
    "x-frame-options": frozenset({"x-frame-options-allow-from-origin", "x-frame-options-sameorigin-or-deny",
                                  "x-frame-options-implemented-via-csp"}),
    "cross-origin-resource-policy": frozenset({
        "corp-not-implemented", "corp-implemented-with-same-site", "corp-implemented-with-same-origin",
        "corp-implemented-with-cross-origin"}),
}


# -- cookies ------------------------------------------------------------------------------------------------------

COOKIE_ORDER = ("cookies-without-secure-flag-but-protected-by-hsts", "cookies-without-secure-flag",
                "cookies-session-without-secure-flag-but-protected-by-hsts", "cookies-samesite-flag-invalid",
                "cookies-anticsrf-without-samesite-flag", "cookies-session-without-httponly-flag",
                "cookies-session-without-secure-flag")  # best to worst: a worse finding replaces a better one
_IGNORED_COOKIES = ("heroku-session-affinity",)


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    secure: bool
    httponly: bool
    samesite: str | None  # "strict", "lax", "none" or None (missing or not one of those)
    session: bool  # the source's session cookie: a name containing "login" or "sess"
    anticsrf: bool  # a name containing "csrf"
    domain: str = ""  # the Domain attribute ("": host-only)
    path: str = "/"  # the Path attribute, or the default path of the request


def parse_set_cookie(raw: str, host: str, request_path: str = "/") -> Cookie | None:
    """One Set-Cookie, received from `host` for `request_path`, as tough-cookie's jar keeps it, or None when the
    jar would refuse it."""
    pair, *attributes = raw.split(";")
    name, equals, _value = pair.partition("=")
    name = name.strip()
    if not equals or not name or name in _IGNORED_COOKIES:
        return None
    seen: dict[str, str] = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        seen[key.strip().lower()] = value.strip()
    secure, domain = "secure" in seen, seen.get("domain", "").lstrip(".").lower()
    path = seen.get("path", "")
    path = path if path.startswith("/") else _default_path(request_path)
    if (domain and not _domain_match(host, domain)) or not _prefix_kept(name, secure, domain, path):
        return None
    samesite = seen.get("samesite", "").lower()
    lowered = name.lower()
    return Cookie(name, secure, "httponly" in seen, samesite if samesite in ("strict", "lax", "none") else None,
                  "login" in lowered or "sess" in lowered, "csrf" in lowered, domain, path)


def _prefix_kept(name: str, secure: bool, domain: str, path: str) -> bool:
    """A `__Secure-` cookie needs Secure; a `__Host-` one Secure, no Domain and the path "/"."""
    if name.startswith("__Secure-"):
        return secure
    return not name.startswith("__Host-") or (secure and not domain and path == "/")


def _default_path(request_path: str) -> str:
    """RFC 6265's default path: the request path up to its last "/" (not included), "/" at the top."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[:request_path.rindex("/")]


def _domain_match(host: str, domain: str) -> bool:
    if host == domain:
        return True
    return host.endswith("." + domain) and not _is_ip(host)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _samesite_malformed(raw: str) -> bool:
    for part in raw.strip().split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "samesite":
            value = value.split("=")[0].strip().lower()
            if value not in ("lax", "strict", "none"):
                return True
    return False


def _worse(new: str, old: str | None) -> str:
    if old is None or COOKIE_ORDER.index(new) > (COOKIE_ORDER.index(old) if old in COOKIE_ORDER else -1):
        return new
    return old


def _jar(page: Page) -> dict[tuple[str, str, str], Cookie]:
    """The cookies of the graded reply and of the other replies, the last of a name, domain and path winning."""
    jar: dict[tuple[str, str, str], Cookie] = {}
    for reply in (page.reply, *page.cookie_replies):
        for raw in reply.headers_named("Set-Cookie"):
            cookie = parse_set_cookie(raw, page.url.hostname or "", page.url.path or "/")
            if cookie is not None:
                jar[cookie.name, cookie.domain, cookie.path] = cookie
    return jar


def cookies(page: Page) -> tuple[str, Any]:
    # The source reads a malformed SameSite on the graded reply's raw headers only.
    malformed = any(_samesite_malformed(raw) for raw in page.reply.headers_named("Set-Cookie"))
    result = "cookies-samesite-flag-invalid" if malformed else None
    jar = _jar(page)
    if not jar:
        return "cookies-not-found", None
    hsts = strict_transport_security(page)[0] in PASSING["strict-transport-security"]
    missing_samesite = False
    for cookie in jar.values():
        for finding in _cookie_findings(cookie, hsts):
            result = _worse(finding, result)
        missing_samesite = missing_samesite or cookie.samesite is None
    if result is None:
        result = ("cookies-secure-with-httponly-sessions" if missing_samesite
                  else "cookies-secure-with-httponly-sessions-and-samesite")
    return result, {cookie.name: asdict(cookie) for cookie in jar.values()}


def _cookie_findings(cookie: Cookie, hsts: bool) -> list[str]:
    found = []
    if not cookie.secure and cookie.samesite == "none":
        found.append("cookies-samesite-flag-invalid")
    if not cookie.secure:
        found.append("cookies-without-secure-flag-but-protected-by-hsts" if hsts else "cookies-without-secure-flag")
    if cookie.anticsrf and cookie.samesite is None:
        found.append("cookies-anticsrf-without-samesite-flag")
    if cookie.session and not cookie.secure:
        found.append("cookies-session-without-secure-flag-but-protected-by-hsts" if hsts
                     else "cookies-session-without-secure-flag")
    if cookie.session and not cookie.httponly:
        found.append("cookies-session-without-httponly-flag")
    return found


# -- the header tests ---------------------------------------------------------------------------------------------

def cross_origin_resource_sharing(page: Page) -> tuple[str, Any]:
    allow = header(page.cors, "Access-Control-Allow-Origin")
    if page.cors is None or not allow:
        return "cross-origin-resource-sharing-not-implemented", None
    data = allow[:256].strip().lower()
    credentials = (header(page.cors, "Access-Control-Allow-Credentials") or "").strip().lower()
    if data == "*":
        return "cross-origin-resource-sharing-implemented-with-public-access", data
    if allow == page.cors_origin and credentials == "true":
        return "cross-origin-resource-sharing-implemented-with-universal-access", data
    return "cross-origin-resource-sharing-implemented-with-restricted-access", data


def redirection(page: Page) -> tuple[str, Any]:
    route = [urlsplit(hop.url) for hop in page.redirects]
    data = [hop.url for hop in page.redirects]
    if not route:
        return "redirection-not-needed-no-http", data
    if not all(hop.verified for hop in page.redirects):
        return "redirection-invalid-cert", data
    if len(route) == 1:
        return "redirection-missing", data
    if route[-1].scheme != "https":
        return "redirection-not-to-https", data
    if route[1].scheme == "http":
        return "redirection-not-to-https-on-initial-redirection", data
    if route[0].scheme == "http" and route[1].scheme == "https" and route[1].hostname != route[0].hostname:
        return "redirection-off-host-from-http", data
    return "redirection-to-https", data


REFERRER_PRIVATE = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
REFERRER_UNSAFE = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")


def referrer_policy(page: Page) -> tuple[str, Any]:
    values = [v for v in (header(page.reply, "Referrer-Policy"),) if v is not None]
    values += page.equiv.get("referrer-policy", [])
    if not values:
        return "referrer-policy-not-implemented", None
    data = ", ".join(values)
    valid = [token.strip().lower() for token in data.split(",")
             if token.strip().lower() in REFERRER_PRIVATE + REFERRER_UNSAFE]
    policy = valid[-1] if valid else ""  # the last policy a browser knows is the one it applies
    if policy in REFERRER_PRIVATE:
        return "referrer-policy-private", data
    return ("referrer-policy-unsafe" if policy else "referrer-policy-header-invalid"), data


def strict_transport_security(page: Page) -> tuple[str, Any]:
    if not page.https:
        return "hsts-not-implemented-no-https", None
    value = header(page.reply, "Strict-Transport-Security")
    if value is None:
        return "hsts-not-implemented", None
    data = value[:1024]
    if "," in data:
        return "hsts-header-invalid", data  # set more than once
    max_age: int | None = None
    seen = False
    for parameter in (p.strip().lower() for p in data.split(";")):
        if parameter.startswith("max-age="):
            seen, max_age = True, _parse_int(parameter[8:128])
    if not seen:
        return "hsts-header-invalid", data
    # The source compares JavaScript's parseInt: a max-age it cannot read (NaN) is not "less than six months".
    if max_age is not None and max_age < SIX_MONTHS:
        return "hsts-implemented-max-age-less-than-six-months", data
    return "hsts-implemented-max-age-at-least-six-months", data


def _parse_int(text: str) -> int | None:
    """JavaScript's parseInt(text, 10): leading blanks, a sign, then ASCII digits; None for NaN."""
    match = _LEADING_INT.match(text)
    return int(match.group(1)) if match else None


_LEADING_INT = re.compile(r"\s*([+-]?[0-9]+)")


def subresource_integrity(page: Page) -> tuple[str, Any]:
    if page.scripts is None:
        return "sri-not-implemented-response-not-html", None
    if not page.scripts:
        return "sri-not-implemented-but-no-scripts-loaded", None
    result: str | None = None
    foreign = False
    data: dict[str, dict[str, str | None]] = {}
    for script in page.scripts:
        src = script.get("src", "")
        if not src:
            continue
        outcome, secure_origin = _script(src, bool(script.get("integrity")), page)
        if not secure_origin:
            foreign = True
            data[src] = {"crossorigin": script.get("crossorigin"), "integrity": script.get("integrity")}
        result = _worse_sri(outcome, result) if outcome else result
    if result is None:
        result = ("sri-implemented-and-external-scripts-loaded-securely" if foreign
                  else "sri-not-implemented-but-all-scripts-loaded-from-secure-origin")
    return result, data


SRI_ORDER = ("sri-implemented-and-all-scripts-loaded-securely", "sri-implemented-and-external-scripts-loaded-securely",
             "sri-implemented-but-external-scripts-not-loaded-securely",
             "sri-not-implemented-but-external-scripts-loaded-securely",
             "sri-not-implemented-and-external-scripts-not-loaded-securely", "sri-not-implemented-response-not-html")


def _worse_sri(new: str, old: str | None) -> str:
    if old is None:
        return new
    if new == "sri-implemented-and-all-scripts-loaded-securely":
        return old  # the same-origin bonus is granted only while nothing else was found
    return new if SRI_ORDER.index(new) > SRI_ORDER.index(old) else old


def _script(src: str, integrity: bool, page: Page) -> tuple[str | None, bool]:
    """One <script src>: what it adds to the result, and whether it comes from the page's own site."""
    secure_origin, secure_scheme = _origin_and_scheme(src.strip(), page)
    if secure_origin:
        return ("sri-implemented-and-all-scripts-loaded-securely" if integrity and secure_scheme else None), True
    if integrity:
        return (None if secure_scheme else "sri-implemented-but-external-scripts-not-loaded-securely"), False
    return ("sri-not-implemented-but-external-scripts-loaded-securely" if secure_scheme
            else "sri-not-implemented-and-external-scripts-not-loaded-securely"), False


def _origin_and_scheme(src: str, page: Page) -> tuple[bool, bool]:
    """Whether a script comes from the page's own site, and over HTTPS: a protocol-relative `//host/…` is neither
    (whatever its host, as the source decides), a full URL is by its site and scheme, anything else (a path, a
    `data:` URL) is the page's own, secure when the page is."""
    if len(src) > 2 and src.startswith("//") and src[2] != "/":
        return False, False
    lowered = src.lower()
    if lowered.startswith(("http://", "https://")):
        return _site(urlsplit(src).hostname) == _site(page.url.hostname), lowered.startswith("https:")
    return True, page.https


def _site(host: str | None) -> str:
    """The registrable domain, approximated without the Public Suffix List: an address itself, else the last two
    labels of the name."""
    host = (host or "").lower()
    return host if _is_ip(host) else ".".join(host.split(".")[-2:])


def x_content_type_options(page: Page) -> tuple[str, Any]:
    value = header(page.reply, "X-Content-Type-Options")
    if not value:
        return "x-content-type-options-not-implemented", None
    data = value[:256]
    if data.strip().lower() == "nosniff":
        return "x-content-type-options-nosniff", data
    return "x-content-type-options-header-invalid", data


def x_frame_options(page: Page) -> tuple[str, Any]:
    value = header(page.reply, "X-Frame-Options")
    data = value[:1024] if value else None
    policy = csp_reading(page).policy
    if policy is not None and "frame-ancestors" in policy:
        return "x-frame-options-implemented-via-csp", data
    if not data:
        return "x-frame-options-not-implemented", None
    xfo = data.strip().lower()
    if xfo in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny", data
    return ("x-frame-options-allow-from-origin" if xfo.startswith("allow-from")
            else "x-frame-options-header-invalid"), data


def cross_origin_resource_policy(page: Page) -> tuple[str, Any]:
    value = header(page.reply, "Cross-Origin-Resource-Policy")
    if not value:
        return "corp-not-implemented", None
    data = value[:256].strip().lower()
    known = {"same-site": "corp-implemented-with-same-site", "same-origin": "corp-implemented-with-same-origin",
             "cross-origin": "corp-implemented-with-cross-origin"}
    return known.get(data, "corp-header-invalid"), data


CHECKS: dict[str, Callable[[Page], tuple[str, Any]]] = {
    "content-security-policy": content_security_policy, "cookies": cookies,
    "cross-origin-resource-sharing": cross_origin_resource_sharing, "redirection": redirection,
    "referrer-policy": referrer_policy, "strict-transport-security": strict_transport_security,
    "subresource-integrity": subresource_integrity, "x-content-type-options": x_content_type_options,
    "x-frame-options": x_frame_options, "cross-origin-resource-policy": cross_origin_resource_policy,
}


