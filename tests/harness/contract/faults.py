"""Drift injected into a copy of the candidate, one fault at a time, for the contract gate's tests.

Each fault is WSGI middleware around the candidate app (or, for routes, a change to the app itself):
it changes exactly one thing a client could notice, on exactly one operation.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

Environ = dict[str, Any]


class ResponseRewriter:
    """Calls the wrapped app, then lets `rewrite(environ, status, headers, body)` change the response."""

    def __init__(self, app: Any, rewrite: Callable[[Environ, str, list, bytes], tuple[str, list, bytes]]) -> None:
        self.app, self.rewrite = app, rewrite
        if hasattr(app, "url_map"):
            self.url_map = app.url_map  # route coverage still reads the wrapped app's routes

    def __call__(self, environ: Environ, start_response: Callable) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        chunks = self.app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        status, headers, body = self.rewrite(environ, captured["status"], list(captured["headers"]), body)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]


def _json_edit(path: str, method: str, edit: Callable[[Any], None]):
    def rewrite(environ, status, headers, body):
        if environ["PATH_INFO"] == path and environ["REQUEST_METHOD"] == method and status.startswith("2"):
            doc = json.loads(body)
            edit(doc)
            body = json.dumps(doc).encode()
        return status, headers, body
    return rewrite


def renamed_field(app):
    def edit(doc):
        doc["data"]["emailAddress"] = doc["data"].pop("email")
    return ResponseRewriter(app, _json_edit("/api/v1/user/profile", "GET", edit))


def changed_type(app):
    def edit(doc):
        for c in doc["data"]["courses"]:
            c["enrollmentCount"] = str(c["enrollmentCount"])
    return ResponseRewriter(app, _json_edit("/api/v1/courses", "GET", edit))


def list_order(app):
    return ResponseRewriter(app, _json_edit("/api/v1/courses", "GET", lambda doc: doc["data"]["courses"].reverse()))


def changed_status(app):
    def rewrite(environ, status, headers, body):
        if environ["PATH_INFO"] == "/api/v1/auth/signup" and status.startswith("201"):
            status = "200 OK"
        return status, headers, body
    return ResponseRewriter(app, rewrite)


def error_envelope(app):
    def rewrite(environ, status, headers, body):
        if environ["PATH_INFO"].startswith("/api/v1/courses/") and status.startswith("404"):
            doc = json.loads(body)
            body = json.dumps({"ok": False, "success": False, "error": doc["error"]["message"]}).encode()
        return status, headers, body
    return ResponseRewriter(app, rewrite)


def missing_header(app):
    def rewrite(environ, status, headers, body):
        if environ["PATH_INFO"] == "/api/v1/courses":
            headers = [(k, v) for k, v in headers if k.lower() != "x-total-count"]
        return status, headers, body
    return ResponseRewriter(app, rewrite)


def cookie_attribute(app):
    def rewrite(environ, status, headers, body):
        if environ["PATH_INFO"] == "/api/v1/auth/login":
            headers = [(k, v.replace("; HttpOnly", "")) if k.lower() == "set-cookie" else (k, v) for k, v in headers]
        return status, headers, body
    return ResponseRewriter(app, rewrite)


def trailing_slash_redirect(app):
    """What APPEND_SLASH-style routing does: a slash-suffixed path redirects instead of 404."""
    def wrapped(environ, start_response):
        path = environ["PATH_INFO"]
        if path.endswith("/") and len(path) > 1:
            start_response("301 Moved Permanently", [("Location", path.rstrip("/")), ("Content-Length", "0")])
            return [b""]
        return app(environ, start_response)
    if hasattr(app, "url_map"):
        wrapped.url_map = app.url_map  # type: ignore[attr-defined]
    return wrapped


def removed_auth_check(app):
    """The profile answers without a token (as if its guard were gone)."""
    def rewrite(environ, status, headers, body):
        anonymous = not environ.get("HTTP_AUTHORIZATION") and "access_token" not in environ.get("HTTP_COOKIE", "")
        if environ["PATH_INFO"] == "/api/v1/user/profile" and environ["REQUEST_METHOD"] == "GET" and anonymous:
            status = "200 OK"
            body = json.dumps({"ok": True, "success": True, "data": {"id": "anonymous"}}).encode()
        return status, headers, body
    return ResponseRewriter(app, rewrite)


def extra_route(app):
    """An undocumented route added to the app itself (a Flask app here; route coverage reads its url_map)."""
    app.add_url_rule("/api/v1/debug/routes", "debug_routes", lambda: {"ok": True})
    return app


#: fault -> (operation the finding must name, field or check it must name)
def _resigned(app, change: Callable[[dict], None]):
    """The access token of every login and refresh re-signed (with the app's own secret, so the candidate still
    accepts it) after `change` edits its claims, in the body and in the cookie alike; nothing else changes."""
    import jwt

    secret = app.config["JWT_SECRET"]

    def resign(token: str) -> str:
        claims = jwt.decode(token, secret, algorithms=["HS256"])
        change(claims)
        return jwt.encode(claims, secret, algorithm="HS256")

    def rewrite(environ, status, headers, body):
        if environ["PATH_INFO"] not in ("/api/v1/auth/login", "/api/v1/auth/refresh") or not status.startswith("2"):
            return status, headers, body
        doc = json.loads(body)
        old = doc["data"]["access_token"]
        new = resign(old)
        doc["data"]["access_token"] = new
        headers = [(k, v.replace(old, new) if k.lower() == "set-cookie" else v) for k, v in headers]
        return status, headers, json.dumps(doc).encode()
    return ResponseRewriter(app, rewrite)


def token_outlives_its_reply(app):
    """The access token expires an hour later than `expires_in` and the cookie's Max-Age say."""
    return _resigned(app, lambda claims: claims.update(exp=claims["exp"] + 3600))


def token_extra_claim(app):
    """The access token carries a claim legacy's does not."""
    return _resigned(app, lambda claims: claims.update(scope="api"))


FAULTS: dict[str, tuple[Callable, str, str]] = {
    "renamed_field": (renamed_field, "P13 GET /api/v1/user/profile", "body.data.email"),
    "changed_type": (changed_type, "P16 GET /api/v1/courses", "body.data.courses[*].enrollmentCount"),
    "changed_status": (changed_status, "P1 POST /api/v1/auth/signup", "status"),
    "trailing_slash_redirect": (trailing_slash_redirect, "(trailing slash)", "status"),
    "error_envelope": (error_envelope, "P17 GET /api/v1/courses/{course_id}", "body.error"),
    "missing_header": (missing_header, "P16 GET /api/v1/courses", "header:x-total-count"),
    "cookie_attribute": (cookie_attribute, "P2 POST /api/v1/auth/login", "cookie:access_token.httponly"),
    "list_order": (list_order, "P16 GET /api/v1/courses", "body.data.courses"),
    "removed_auth_check": (removed_auth_check, "P13 GET /api/v1/user/profile", "status"),
    "extra_route": (extra_route, "GET /api/v1/debug/routes", "undocumented_route"),
    "token_outlives_its_reply": (token_outlives_its_reply, "P2 POST /api/v1/auth/login", "token_declared"),
    "token_extra_claim": (token_extra_claim, "P2 POST /api/v1/auth/login", "token_claims"),
}


def _faulty_legacy(fault: str):
    """A factory for `harness.toml`: the legacy app with one fault injected (a drifting candidate)."""
    def factory(config):
        from legacy_flask import create_app

        return FAULTS[fault][0](create_app(config))
    factory.__name__ = f"{fault}_app"
    return factory


renamed_field_app = _faulty_legacy("renamed_field")


def csrf_not_required(app, path_suffix: str = "/review", method: str = "POST"):
    """One cookie write no longer needs its CSRF header: the middleware supplies the right one when a cookie
    session sends none (as a port that forgot the check on that view would accept the request)."""
    import jwt

    from legacy_flask.auth import tokens

    def middleware(environ, start_response):
        cookie = environ.get("HTTP_COOKIE", "")
        if (environ["REQUEST_METHOD"] == method and environ["PATH_INFO"].endswith(path_suffix)
                and "access_token=" in cookie and "HTTP_X_CSRF_TOKEN" not in environ):
            token = cookie.split("access_token=", 1)[1].split(";", 1)[0]
            try:
                session = jwt.decode(token, app.config["JWT_SECRET"], algorithms=["HS256"])["sid"]
                with app.app_context():
                    environ["HTTP_X_CSRF_TOKEN"] = tokens.csrf_token(session)
            except jwt.PyJWTError:
                pass
        return app(environ, start_response)

    middleware.url_map = app.url_map  # route coverage still reads the wrapped app's routes
    return middleware



def ownership_removed(app, path_prefix: str = "/api/v1/media/media/", method: str = "GET"):
    """One read no longer checks who owns the row: where the app refuses a signed-in caller with 403, the
    middleware answers what the admin (who passes every owner check) is answered, as a port that forgot the
    owner check on that view would."""
    from harness.http import WsgiSide, login
    from harness.seed import accounts

    admin: dict[str, str | None] = {}

    def as_admin(environ: Environ) -> Environ:
        if "token" not in admin:
            admin["token"] = login(WsgiSide("fault", app).send, accounts.ADMIN.email, accounts.ADMIN.password)
        out = {k: v for k, v in environ.items() if k not in ("HTTP_COOKIE", "HTTP_X_CSRF_TOKEN")}
        out["HTTP_AUTHORIZATION"] = f"Bearer {admin['token']}"
        return out

    def middleware(environ, start_response):
        if environ["REQUEST_METHOD"] != method or not environ["PATH_INFO"].startswith(path_prefix):
            return app(environ, start_response)
        captured: dict[str, Any] = {}
        chunks = app(environ, lambda status, headers, exc_info=None: captured.update(status=status, headers=headers))
        body = b"".join(chunks)
        if captured["status"].startswith("403"):
            return app(as_admin(environ), start_response)
        start_response(captured["status"], captured["headers"])
        return [body]

    middleware.url_map = app.url_map  # route coverage still reads the wrapped app's routes
    return middleware
