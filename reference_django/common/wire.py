"""The legacy app's answers to what HTTP leaves to the server (RFC 9110, RFC 6265), which live clients already
depend on. Django decides each of these differently by default; this middleware gives legacy's decision:

- Cookies: `Cookie: a=1; a=2` is read as werkzeug reads it, the FIRST value of a repeated name winning (Django
  keeps the last), and a pair werkzeug cannot parse (`a=1, a=2`, two Cookie fields a proxy joined) is skipped
  up to the next `;` as werkzeug skips it.
- Paths: leading slashes are one slash (`//health` is `/health`); a path with an empty segment (`//` inside)
  that only matches a route once its slashes are merged answers as werkzeug's router does: 405 with `Allow`
  when the route does not take the method, else 308 (legacy renders werkzeug's redirect through its error
  envelope: code INTERNAL_ERROR, the merged URL as the message). Legacy's 308 carries no Location, so no
  client can follow it; this one does (contracts/accepted-differences.yaml records why).
- HEAD: the GET's status and headers with no body, the body's Content-Length kept (werkzeug's HEAD).
- Accept is not negotiated: the API answers JSON whatever the client accepts (`IgnoreAccept`, set as DRF's
  content negotiation class), as Flask does, instead of DRF's 406.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from rest_framework.negotiation import BaseContentNegotiation

#: One `name[=value]` pair of a Cookie header, as the legacy app's parser accepts it: a name without blanks,
#: `=`, `"` or `;`; a value that is a quoted string (backslash escapes) or a run without blanks, `"` or `;`; blanks
#: around both; then `;` or the end. Anything else is skipped up to the next `;`.
_COOKIE = re.compile(r'[ \t]*([^ \t=";]+)(?:[ \t]*=[ \t]*("(?:[^\\"]|\\.)*"|[^ \t";]*))?[ \t]*(?:;|\Z)', re.ASCII)
_UNSLASH = re.compile(rb"\\([0-3][0-7]{2}|.)")
_REDIRECT_SAFE = "!$&'()*+,/:;=@"  # werkzeug's safe set for a redirect path (the URL spec's segment string)


def _unslash(m: re.Match[bytes]) -> bytes:
    v = m.group(1)
    return v if len(v) == 1 else int(v, 8).to_bytes(1, "big")


def parse_cookie(header: str) -> dict[str, str]:
    """The Cookie header as legacy reads it: werkzeug's grammar, the first of a repeated name wins."""
    out: dict[str, str] = {}
    pos, end = 0, len(header)
    while pos < end:
        m = _COOKIE.match(header, pos)
        if m is None:
            pos = header.find(";", pos) + 1
            if pos == 0:
                break
            continue
        key, value = m.groups()
        pos = m.end()
        value = value or ""
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            value = _UNSLASH.sub(_unslash, value[1:-1].encode()).decode(errors="replace")
        out.setdefault(key, value)
    return out


def allowed_methods(view: Callable[..., Any]) -> set[str] | None:
    """The methods werkzeug would route to `view`'s path (HEAD with GET, OPTIONS always); None for a view
    that is not one of the API's (the admin)."""
    from .views import ApiView

    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if cls is None or not issubclass(cls, ApiView):
        return None
    return cls.flask_methods()


def _routes(path: str) -> Any | None:
    try:
        return resolve(path)
    except Resolver404:
        return None


def _werkzeug_match(path: str) -> bool:
    """Does werkzeug's router match `path` (with its `//`) as it stands? Its converters never match an empty
    segment; a `path` converter matches a tail that does not start with a slash."""
    match = _routes(path)
    return match is not None and all(not str(v).startswith("/") and str(v) for v in match.kwargs.values())


def _merged_slashes(request: HttpRequest, path: str) -> HttpResponse | None:
    from .exceptions import error_response

    if _werkzeug_match(path):
        return None
    merged = re.sub("/{2,}", "/", path)
    match = _routes(merged)
    methods = allowed_methods(match.func) if match is not None else None
    if methods is None:
        return None  # the 404 envelope, as legacy
    if request.method not in methods:
        response = error_response(405, "METHOD_NOT_ALLOWED", "Method not allowed")
        response["Allow"] = ", ".join(sorted(methods))
        return response
    host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "localhost")
    url = f"{request.scheme}://{host.lower()}{quote(merged, safe=_REDIRECT_SAFE)}"
    query = request.META.get("QUERY_STRING", "")
    if query:
        url += f"?{query}"
    response = error_response(308, "INTERNAL_ERROR", url)
    response["Location"] = url
    return response


class LegacyWireMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.COOKIES = parse_cookie(request.META.get("HTTP_COOKIE", ""))
        response = self._route(request)
        if request.method == "HEAD":
            self._strip_body(response)
        return response

    def _route(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith("//"):  # werkzeug matches "/" + PATH_INFO.lstrip("/")
            path = "/" + path.lstrip("/")
            script = request.META.get("SCRIPT_NAME", "").rstrip("/")
            request.path_info, request.path = path, script + path
        if "//" in path:
            early = _merged_slashes(request, path)
            if early is not None:
                return early
        return self.get_response(request)

    @staticmethod
    def _strip_body(response: HttpResponse) -> None:
        """The body dropped, the Content-Length the GET would send kept (a view that answered HEAD itself,
        a file response, already set it)."""
        length = response.get("Content-Length")
        if getattr(response, "streaming", False):
            if getattr(response, "file_to_stream", None) is not None:
                response.file_to_stream.close()
            response.streaming_content = []
        elif response.content:
            length = length or str(len(response.content))
            response.content = b""
        if length is not None:
            response["Content-Length"] = length


class IgnoreAccept(BaseContentNegotiation):
    """The first renderer (JSON) whatever the Accept header says: Flask never answers 406."""

    def select_parser(self, request, parsers):
        from rest_framework.negotiation import DefaultContentNegotiation

        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
