"""The app's surface as a whole: exactly API.md's routes, each guarded and rate-limited as documented,
no redirects, and the error envelope for unknown paths and methods."""
from __future__ import annotations

import re

import pytest

from tests.route_surface import ROUTES, concrete, surface_drift

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def surface(tmp_path_factory):
    """One app for the engine-independent checks of routing (the url_map is the same on any database)."""
    from legacy_flask import create_app

    path = tmp_path_factory.mktemp("surface") / "db.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "TESTING": True, "RATELIMIT_ENABLED": False})
    yield app
    app.extensions["db_engine"].dispose()


def served(app) -> dict[tuple[str, str], object]:
    """(method, rule) -> view class for every route the app serves (Socket.IO is not in url_map)."""
    out = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        for method in rule.methods & METHODS:
            out[(method, re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule))] = getattr(view, "view_class", view)
    return out


def test_url_map_is_exactly_the_documented_routes(surface):
    assert len(ROUTES) == 70
    assert surface_drift(served(surface)) == {"undocumented": set(), "missing": set()}


def test_every_handler_declares_its_guard(surface):
    unguarded = [f"{m} {rule}" for (m, rule), view in served(surface).items()
                 if not getattr(getattr(view, m.lower(), None), "guarded", False)]
    assert unguarded == []


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.rid)
def test_rate_limit_is_the_documented_one(surface, route):
    view = served(surface)[(route.method, route.flask_rule)]
    assert view.rate_limits.get(route.method.lower()) == route.limit


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.rid)
def test_slash_suffixed_path_is_404_never_a_redirect(surface, route):
    resp = surface.test_client().open(concrete(route.path) + "/", method=route.method)
    assert resp.status_code == 404
    assert "Location" not in resp.headers
    assert resp.get_json()["error"]["code"] == "NOT_FOUND"


def test_unknown_path_is_the_404_envelope(surface):
    resp = surface.test_client().get("/api/v1/no-such-thing")
    assert resp.status_code == 404
    assert resp.get_json() == {"ok": False, "success": False,
                               "error": {"code": "NOT_FOUND", "message": "Resource not found", "details": None}}


def test_wrong_method_is_405_with_allow(surface):
    resp = surface.test_client().patch("/api/v1/courses")
    assert resp.status_code == 405
    assert resp.get_json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in resp.headers["Allow"]


def test_health_reports_the_database(anon):
    resp = anon.get("/health")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "healthy" and body["database"] == "ok"
    assert set(body) == {"status", "version", "timestamp", "database"}


def test_health_is_503_when_the_database_is_unreachable(app_config):
    from legacy_flask import create_app

    broken = create_app({**app_config, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                         "CREATE_SCHEMA": False})
    resp = broken.test_client().get("/health")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "unhealthy"
