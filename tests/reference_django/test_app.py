"""The reference app's surface as a whole: exactly API.md's routes (plus the admin), each declaring the
documented guard, CSRF rule and rate limit under the legacy endpoint name, no redirects, and production
settings that pass `check --deploy` and send the security headers."""
from __future__ import annotations

import importlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.api_doc import Route
from harness.seed import accounts
from tests.apps import DjangoApp, DjangoClient
from tests.conftest import seeded_database
from tests.route_surface import CSRF_EXEMPT, ROUTES, concrete, pattern, surface_drift

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def django_app(request, tmp_path_factory) -> Iterator[DjangoApp]:
    """One reference app for the engine-independent checks (routing is the same on any database)."""
    workdir = tmp_path_factory.mktemp("surface")
    with seeded_database(request, "sqlite", workdir) as db_url:
        app = DjangoApp({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False, "REDIS_URL": None,
                         "UPLOAD_ROOT": str(workdir / "uploads"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000"})
        try:
            yield app
        finally:
            app.close()


@dataclass(frozen=True)
class Served:
    method: str
    rule: str  # "/api/v1/courses/<str:course_id>"
    view: type
    name: str | None


def served_routes() -> tuple[dict[tuple[str, str], Served], set[str]]:
    """((method, pattern) -> Served) for every route of the URL resolver, and the prefixes of the
    included apps it does not describe method by method (the admin)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    routes: dict[tuple[str, str], Served] = {}
    outside: set[str] = set()

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver) and entry.namespace == "admin":
                outside.add("/" + prefix + str(entry.pattern))
            elif isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                rule = "/" + prefix + str(entry.pattern)
                view = getattr(entry.callback, "view_class", None) or getattr(entry.callback, "cls", None)
                if view is None:
                    outside.add(rule)  # a function view: not an API route
                    continue
                for method in METHODS:
                    if hasattr(view, method):
                        routes[(method.upper(), pattern(rule))] = Served(method.upper(), rule, view, entry.name)

    walk(get_resolver().url_patterns, "")
    return routes, outside


@pytest.fixture(scope="module")
def served(django_app) -> dict[tuple[str, str], Served]:
    return served_routes()[0]


def documented_guard(route: Route) -> str:
    """API.md's Auth column as an ApiView guard: `public`, `optional`, or `auth` for every role,
    ownership and enrollment guard (those are checked inside the handler, after the 401)."""
    # Worded otherwise in the table: P4 needs only the refresh cookie, no access token; P51 serves
    # thumbnails to anyone and the other categories to callers it recognises; P18 reads "public" but
    # §1.6 lists P16-P18 as the optional-auth routes (and so does the legacy app).
    worded_otherwise = {"P4": "public", "P51": "optional", "P18": "optional"}
    if route.rid in worded_otherwise:
        return worded_otherwise[route.rid]
    return next((guard for guard in ("public", "optional") if route.auth.startswith(guard)), "auth")


def test_resolver_serves_exactly_the_documented_routes(served):
    assert len(ROUTES) == 70
    assert surface_drift((s.method, s.rule) for s in served.values()) == {"undocumented": set(), "missing": set()}


def test_only_the_admin_lives_outside_the_api(django_app):
    _, outside = served_routes()
    assert outside == {"/admin/"}


def test_append_slash_is_off(django_app):
    from django.conf import settings

    assert settings.APPEND_SLASH is False


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.rid)
def test_every_view_declares_the_documented_guard_csrf_and_rate_limit(served, route):
    from reference_django.common.views import ApiView

    view = served[(route.method, route.pattern)].view
    guard = documented_guard(route)
    assert issubclass(view, ApiView)
    # CSRF is checked after an `auth` guard only (§1.7): a public row's `csrf` is never read.
    checks_csrf = view.guard == "auth" and view.csrf
    assert (view.guard, checks_csrf, view.rate_limits.get(route.method.lower())) == (
        guard, guard == "auth" and route.rid not in CSRF_EXEMPT, route.limit)


@pytest.fixture(scope="module")
def legacy_endpoints(django_app) -> dict[tuple[str, str], str]:
    """(method, pattern) -> the legacy Flask endpoint name, on the same database file."""
    from legacy_flask import create_app

    legacy = create_app({"DATABASE_URL": django_app.config["DATABASE_URL"], "TESTING": True, "CREATE_SCHEMA": False})
    try:
        return {(m, pattern(rule.rule)): rule.endpoint for rule in legacy.url_map.iter_rules()
                for m in rule.methods or () if m.lower() in METHODS}
    finally:
        legacy.extensions["db_engine"].dispose()


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.rid)
def test_url_name_is_the_legacy_endpoint_name(served, legacy_endpoints, route):
    """Rate-limit counters are keyed on it: the same name counts a caller alike on both apps."""
    assert served[(route.method, route.pattern)].name == legacy_endpoints[(route.method, route.pattern)]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.rid)
def test_slash_suffixed_path_is_404_never_a_redirect(django_app, route):
    resp = django_app.test_client().open(concrete(route.path) + "/", method=route.method)
    assert resp.status_code == 404
    assert "Location" not in resp.headers
    assert resp.get_json()["error"]["code"] == "NOT_FOUND"


# --- production settings ---------------------------------------------------------------------------------


def secret_key() -> str:
    return secrets.token_urlsafe(50)  # 67 characters, high entropy: what check --deploy asks of a key


def test_check_deploy_is_clean_with_the_production_settings():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reference_django.config.settings.production",
           "DJANGO_SECRET_KEY": secret_key(), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "reference_django.manage", "check", "--deploy", "--fail-level",
                             "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_production_settings_refuse_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "too-short")
    sys.modules.pop("reference_django.config.settings.production", None)
    with pytest.raises(RuntimeError, match="50 characters"):
        importlib.import_module("reference_django.config.settings.production")


def production_module(monkeypatch):
    """The production settings module, freshly imported with a valid secret (and not left in sys.modules)."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", secret_key())
    sys.modules.pop("reference_django.config.settings.production", None)
    module = importlib.import_module("reference_django.config.settings.production")
    sys.modules.pop(module.__name__, None)
    return module


@pytest.fixture
def production(monkeypatch) -> dict[str, Any]:
    """The settings the production module sets on top of base (read from the module itself)."""
    from reference_django.config.settings import base

    # DATABASES is left out: the tests keep their own database (its persistence is tested on its own below)
    return {name: value for name, value in vars(production_module(monkeypatch)).items()
            if name.isupper() and name != "DATABASES" and getattr(base, name, None) != value}


def test_production_keeps_database_connections_and_checks_them_before_reuse(monkeypatch):
    from reference_django.config.settings import base

    default = production_module(monkeypatch).DATABASES["default"]
    assert default["CONN_MAX_AGE"] == 60 and default["CONN_HEALTH_CHECKS"] is True
    assert default["NAME"] == base.DATABASES["default"]["NAME"]
    assert base.DATABASES["default"].get("CONN_MAX_AGE", 0) == 0  # development and tests: one per request


#: Behind the TLS-terminating proxy that SECURE_PROXY_SSL_HEADER trusts.
OVER_TLS = {"X-Forwarded-Proto": "https"}


@contextmanager
def production_client(production: dict[str, Any]) -> Iterator[DjangoClient]:
    """A client of the app under the production settings: a handler built inside them (middleware such
    as SecurityMiddleware reads its settings once, when the handler loads it)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    with override_settings(**production):
        yield DjangoClient(WSGIHandler())


def test_production_responses_carry_the_security_headers(django_app, production):
    with production_client(production) as client:
        resp = client.get("/health", headers=OVER_TLS)
    assert resp.status_code == 200
    headers = resp.headers
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert headers["Permissions-Policy"].startswith("camera=()")
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_production_plain_http_is_sent_to_https(django_app, production):
    with production_client(production) as client:
        resp = client.get("/health")
    assert resp.status_code == 301 and resp.headers["Location"].startswith("https://")


def test_production_cookies_are_secure_httponly_and_samesite(django_app, production):
    from django.conf import settings

    with production_client(production) as client:
        resp = client.post("/api/v1/auth/login", headers=OVER_TLS,
                           json={"email": accounts.STUDENT.email, "password": accounts.STUDENT.password})
        session_and_csrf = (settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_SAMESITE,
                            settings.CSRF_COOKIE_SECURE, settings.CSRF_COOKIE_SAMESITE)
    assert resp.status_code == 200, resp.get_json()
    cookies = resp.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"access_token", "refresh_token"}
    for cookie in cookies:
        attributes = {a.strip().split("=")[0] for a in cookie.split(";")[1:]}
        assert {"Secure", "HttpOnly", "SameSite"} <= attributes, cookie
    # Django's own cookies (the admin's session and CSRF) follow the same rule.
    assert session_and_csrf == (True, "Lax", True, "Lax")
