"""The access_token / refresh_token cookies (API.md §1.6): Path=/; HttpOnly; SameSite=Lax; Secure outside dev.

Written byte for byte as the legacy app (werkzeug's `dump_cookie`) writes them: `name=value; Expires=...;
Max-Age=...; [Secure; ]HttpOnly; Path=/; SameSite=Lax`, an empty value as `name=` (the standard library
quotes it as `name=""`), and no leading space in the header value (Django's WSGI handler asks for the
header text with `output(header="")`, which the standard Morsel prefixes with a space).
"""
from __future__ import annotations

import time
from http.cookies import Morsel

from django.conf import settings
from django.http import HttpResponseBase
from django.utils.http import http_date

#: werkzeug's attribute order and spelling.
_ATTRIBUTES = (("expires", "Expires"), ("max-age", "Max-Age"), ("secure", "Secure"), ("httponly", "HttpOnly"),
               ("path", "Path"), ("samesite", "SameSite"))


class LegacyCookie(Morsel):
    def OutputString(self, attrs: list[str] | None = None) -> str:  # noqa: N802 - the Morsel hook's name
        parts = [f"{self.key}={self.coded_value}"]
        for key, label in _ATTRIBUTES:
            value = self[key]
            if value is True:
                parts.append(label)
            elif value is not False and value is not None and value != "":  # Max-Age=0 is written
                parts.append(f"{label}={value}")
        return "; ".join(parts)

    def output(self, attrs: list[str] | None = None, header: str = "Set-Cookie:") -> str:
        text = self.OutputString(attrs)
        return f"{header} {text}" if header else text


def _set(resp: HttpResponseBase, name: str, value: str, max_age: int) -> None:
    cookie = LegacyCookie()
    cookie.set(name, value, value)  # JWTs hold only cookie-safe characters: no quoting, as werkzeug
    cookie.update({"expires": http_date(time.time() + max_age) if max_age else http_date(0), "max-age": max_age,
                   "secure": bool(settings.COOKIE_SECURE), "httponly": True, "path": "/", "samesite": "Lax"})
    resp.cookies[name] = cookie


def set_auth_cookies(resp: HttpResponseBase, access: str, refresh: str) -> HttpResponseBase:
    _set(resp, "access_token", access, settings.ACCESS_TOKEN_TTL)
    _set(resp, "refresh_token", refresh, settings.REFRESH_TOKEN_TTL)
    return resp


def clear_auth_cookies(resp: HttpResponseBase) -> HttpResponseBase:
    for name in ("access_token", "refresh_token"):
        _set(resp, name, "", 0)
    return resp
