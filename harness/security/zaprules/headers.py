"""ZAP's header rules: 10015, 10019, 10020, 10021, 10035, 10036, 10037, 10038, 10063, 10098, 90004."""
from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from ..model import Exchange
from .base import (
    Instance,
    empty,
    error_or_redirect,
    first_reason,
    has_type,
    header_line,
    hit,
    is_css,
    is_html,
    is_js,
    is_text,
    media,
    not_html,
    page,
)
from .texts import MESSAGES as _M

# -- headers --------------------------------------------------------------------------------------------------------


def cache_control_applies(ex: Exchange) -> str | None:
    if not ex.https:
        return "not applicable: plain HTTP"
    if ex.method == "POST":
        return "not applicable: a POST request"
    if has_type(ex, "image"):
        return "not applicable: an image"
    if not is_text(ex):
        return f"not applicable: {media(ex)}, not text"
    if is_js(ex) or is_css(ex):
        return "not applicable: JavaScript or CSS"
    return first_reason(empty(ex), error_or_redirect(ex))


def cache_control(ex: Exchange) -> list[Instance]:
    values = ", ".join(ex.reply.headers_named("Cache-Control")).lower()
    if all(directive in values for directive in ("no-store", "no-cache", "must-revalidate")):
        return []
    return [hit(ex, "10015", param="cache-control", evidence=values)]


def content_type(ex: Exchange) -> list[Instance]:
    values = ex.reply.headers_named("Content-Type")
    if not values:
        return [hit(ex, "10019-1", param="content-type")]
    return [hit(ex, "10019-2", param="content-type") for value in values if not value]


def clickjacking_applies(ex: Exchange) -> str | None:
    framed = any("frame-ancestors" in v for v in ex.reply.headers_named("Content-Security-Policy"))
    return first_reason(not_html(ex), empty(ex), error_or_redirect(ex),
                  "not applicable: CSP frame-ancestors is set (it takes precedence)" if framed else None)


def clickjacking(ex: Exchange) -> list[Instance]:
    values = ex.reply.headers_named("X-Frame-Options")
    found = [hit(ex, "10020-4", param="x-frame-options", evidence=v) for v in values
             if "deny" not in v.lower() and "sameorigin" not in v.lower()]
    if len(values) > 1:
        found.append(hit(ex, "10020-2", param="x-frame-options"))
    if not values:
        found.append(hit(ex, "10020-1", param="x-frame-options"))
    meta = page(ex).meta("x-frame-options")
    if meta is not None:
        found.append(hit(ex, "10020-3", param="x-frame-options", evidence=meta[1]))
    return found


def nosniff(ex: Exchange) -> list[Instance]:
    values = ex.reply.headers_named("X-Content-Type-Options")
    other = _M["xcontenttypeoptions.otherinfo"]
    if not values:
        return [hit(ex, "10021", param="x-content-type-options", otherinfo=other)]
    return [hit(ex, "10021", param="x-content-type-options", evidence=v, otherinfo=other)
            for v in values if "nosniff" not in v.lower()]


_HSTS_ZERO = re.compile(r"\bmax-age\s*=\s*'*\"*\s*0\s*\"*'*\s*", re.IGNORECASE)
_HSTS_AGE = re.compile(r"\bmax-age\s*=\s*'*\"*\s*\s*\d+\s*\"*'*\s*", re.IGNORECASE)
_HSTS_QUOTED = re.compile(r"['+|\"+]\s*max", re.IGNORECASE)
_PRINTABLE = re.compile(r"[\x20-\x7e]*")


def hsts_applies(ex: Exchange) -> str | None:
    # over plain HTTP the rule only looks for an HSTS META tag, which only HTML can carry
    return None if ex.https or is_html(ex) else "not applicable: plain HTTP (HSTS applies over HTTPS)"


def _redirect_stays_secure(ex: Exchange) -> bool:
    """A redirect to a relative URL, or to https on the same host and port: ZAP does not ask it for HSTS."""
    if not 300 <= ex.reply.status < 400:
        return False
    target = urlsplit(ex.reply.header("Location") or "")
    if not target.scheme:
        return True
    source = urlsplit(ex.url)
    return (target.scheme.lower() == "https" and target.hostname == source.hostname
            and (target.port or 443) == (source.port or 443))


def _hsts_value(ex: Exchange, value: str) -> list[Instance]:
    if not _PRINTABLE.fullmatch(value):
        return [hit(ex, "10035-8", evidence="Strict-Transport-Security")]
    zero = _HSTS_ZERO.search(value)
    if zero:
        return [hit(ex, "10035-2", evidence=zero.group())]
    if not _HSTS_AGE.search(value):
        return [hit(ex, "10035-5", evidence=value)]
    if _HSTS_QUOTED.search(value):
        return [hit(ex, "10035-7", evidence=value)]
    return []


def hsts(ex: Exchange) -> list[Instance]:
    values = ex.reply.headers_named("Strict-Transport-Security")
    found: list[Instance] = []
    if ex.https and not values and not _redirect_stays_secure(ex):
        found.append(hit(ex, "10035-1"))
    elif ex.https and len(values) > 1:
        found.append(hit(ex, "10035-3"))
    elif ex.https and values:
        found += _hsts_value(ex, values[0])
    meta = page(ex).meta("strict-transport-security") if is_html(ex) else None
    if meta is not None:
        found.append(hit(ex, "10035-6", evidence=meta[0]))
    return found


_VERSION = re.compile(r".*\d.*", re.DOTALL)


def server(ex: Exchange) -> list[Instance]:
    return [hit(ex, "10036-2", evidence=value) for value in ex.reply.headers_named("Server")
            if _VERSION.fullmatch(value)]


def powered_by(ex: Exchange) -> list[Instance]:
    lines = [f"{k}: {v}" for k, v in ex.reply.headers if k.lower().startswith("x-powered-by")]
    if not lines:
        return []
    other = _M["xpoweredbyheaderinfoleak.otherinfo.msg"] + "".join(f"{line}\r\n" for line in lines[1:])
    return [hit(ex, "10037", evidence=lines[0], otherinfo=other if len(lines) > 1 else "")]


def csp_missing_applies(ex: Exchange) -> str | None:
    status = ex.reply.status
    return first_reason(not_html(ex), f"not applicable: status {status}, a redirect" if 300 <= status < 400 else None)


def csp_missing(ex: Exchange) -> list[Instance]:
    headers = {k.lower() for k, _ in ex.reply.headers}
    found = []
    if "content-security-policy" not in headers and page(ex).meta("content-security-policy") is None:
        found.append(hit(ex, "10038-1"))
    if headers & {"x-content-security-policy", "x-webkit-csp"}:
        found.append(hit(ex, "10038-2"))
    if "content-security-policy-report-only" in headers:
        found.append(hit(ex, "10038-3"))
    return found


def cors(ex: Exchange) -> list[Instance]:
    if ex.reply.header("Access-Control-Allow-Origin") != "*":
        return []
    return [hit(ex, "10098", evidence=header_line(ex, "Access-Control-Allow-Origin"),
                 otherinfo=_M["crossdomain.extrainfo"])]


def permissions_applies(ex: Exchange) -> str | None:
    if not is_html(ex) and not is_js(ex):
        return f"not applicable: {media(ex)}, neither HTML nor JavaScript"
    status = ex.reply.status
    return f"not applicable: status {status}, a redirect" if 300 <= status < 400 else None


def permissions(ex: Exchange) -> list[Instance]:
    if ex.reply.headers_named("Feature-Policy"):
        return [hit(ex, "10063-2", evidence="Feature-Policy")]
    return [] if ex.reply.headers_named("Permissions-Policy") else [hit(ex, "10063-1")]


def site_isolation_applies(ex: Exchange) -> str | None:
    status = ex.reply.status
    return None if 200 <= status < 300 else f"not applicable: status {status}, not a success"


def _policy_tokens(values: list[str]) -> list[str]:
    return [token.strip() for value in values for token in value.split(";")
            if not token.strip().startswith("report-to")]


def _isolation_header(ex: Exchange, ref: str, header: str, good: Callable[[str], bool]) -> list[Instance]:
    values = ex.reply.headers_named(header)
    if not values:
        return [hit(ex, ref, param=header)]
    return [hit(ex, ref, param=header, evidence=token) for token in _policy_tokens(values) if not good(token)]


def site_isolation(ex: Exchange) -> list[Instance]:
    found = []
    if not any(k.lower().startswith("access-control-allow-") for k, _ in ex.reply.headers):
        found += _isolation_header(ex, "90004-1", "Cross-Origin-Resource-Policy",
                                   lambda t: t.lower() in ("same-origin", "cross-origin"))
    document = any(v.startswith(("text/html", "application/xml")) for v in ex.reply.headers_named("Content-Type"))
    if document:
        found += _isolation_header(ex, "90004-2", "Cross-Origin-Embedder-Policy",
                                   lambda t: t.lower() in ("require-corp", "credentialless"))
        found += _isolation_header(ex, "90004-3", "Cross-Origin-Opener-Policy", lambda t: t.lower() == "same-origin")
    return found
