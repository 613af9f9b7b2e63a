"""ZAP's cookie rules 10010 (HttpOnly), 10011 (Secure), 10054 (SameSite), 90033 (loosely scoped), with ZAP's
CookieUtils reading of a Set-Cookie value."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from ..model import Exchange
from .base import (
    Instance,
    hit,
)
from .texts import MESSAGES as _M

# -- cookies (ZAP's CookieUtils) -----------------------------------------------------------------------------------


def _cookies(ex: Exchange) -> list[tuple[str, str]]:
    """(header name as written, value) of every Set-Cookie and Set-Cookie2."""
    return [(k, v) for k, v in ex.reply.headers if k.lower() in ("set-cookie", "set-cookie2")]


def _cookie_name(value: str) -> str:
    head = value.split(";", 1)[0]
    return head.split("=", 1)[0].strip() if "=" in head else ""


def _cookie_attribute(value: str, name: str) -> tuple[bool, str | None]:
    """Whether the Set-Cookie value has attribute `name`, and its value (None when it has none)."""
    elements = value.split(";")
    if len(elements) == 1 or not _cookie_name(value):
        return False, None
    for element in elements[1:]:
        key, _, attr = element.partition("=")
        if key.strip().lower() == name.lower():
            return True, attr.strip() if "=" in element else None
    return False, None


def _expired(value: str) -> bool:
    _, expires = _cookie_attribute(value, "expires")
    if not expires:
        return False
    try:
        when = parsedate_to_datetime(expires.replace("-", " "))
    except (TypeError, ValueError):
        return False
    return when.astimezone(UTC) < datetime.now(UTC) if when.tzinfo else when < datetime.now()


def cookies_lacking(ex: Exchange, ref: str, attribute: str) -> list[Instance]:
    return [hit(ex, ref, param=_cookie_name(value), evidence=f"{header}: {_cookie_name(value)}")
            for header, value in _cookies(ex)
            if _cookie_name(value) and not _cookie_attribute(value, attribute)[0] and not _expired(value)]


def same_site(ex: Exchange) -> list[Instance]:
    found = []
    for header, value in _cookies(ex):
        name = _cookie_name(value)
        if not name or _expired(value):
            continue
        same_site = _cookie_attribute(value, "SameSite")[1]
        ref = ("10054-1" if same_site is None else "10054-2" if same_site.lower() == "none"
               else None if same_site.lower() in ("strict", "lax") else "10054-3")
        if ref:
            found.append(hit(ex, ref, param=name, evidence=f"{header}: {name}"))
    return found


_DOMAIN = re.compile(r"\bdomain\b\s*=\s*[^;]+", re.IGNORECASE)


def loosely_scoped(ex: Exchange) -> list[Instance]:
    host = (urlsplit(ex.url).hostname or "").lower()
    loose: list[tuple[str, str]] = []  # (cookie name, evidence)
    for _, value in _cookies(ex):
        domain = (_cookie_attribute(value, "domain")[1] or "").lower().removeprefix(".")
        if domain and domain != host and len(domain) <= len(host) and host.endswith("." + domain):
            evidence = next((m.group() for m in _DOMAIN.finditer(value) if domain in m.group().lower()), "")
            loose.append((_cookie_name(value), evidence))
    if not loose:
        return []
    names = "".join(_M["cookielooselyscoped.extrainfo.cookie"].replace("{0}", name) for name, _ in loose)
    other = _M["cookielooselyscoped.extrainfo"].replace("{0}", host).replace("{1}", names)
    return [hit(ex, "90033", evidence=loose[0][1], otherinfo=other)]


