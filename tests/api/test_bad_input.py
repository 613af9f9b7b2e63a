"""Bad input on every documented route: unknown and non-UUID ids, malformed JSON, a non-JSON content
type, expired and forged tokens. Each gets its documented status and the error envelope — never a 500 —
and leaves the database exactly as it was."""
from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import jwt
import pytest

from harness.api_doc import routes
from harness.replay.postman import load_collection
from harness.seed.ids import seeded_uuid
from tests.conftest import db_state

ROUTES = routes()
COLLECTION = Path(__file__).resolve().parents[2].parent / "shared" / "legacy-api" / "unpuzzle-postman-collection.json"
BODIES = {r.rid: r.body["raw"] for r in load_collection(COLLECTION) if (r.body or {}).get("mode") == "raw"}
X_BODIES = {"X2": '{"title": "Week 1"}', "X3": '{"title": "Week 1b"}', "X5": '{"mediaFileId": "{{media_file_id}}"}',
            "X7": '{"mediaOrder": []}'}
JSON_ROUTES = [r for r in ROUTES if r.rid in BODIES or r.rid in X_BODIES]
PROTECTED = [r for r in ROUTES if r.rid not in {"P1", "P2", "P4", "P16", "P17", "P18", "P51", "P52"}]
WITH_IDS = [r for r in ROUTES if "{" in r.path and r.rid != "P51"]


@pytest.fixture
def ids(seeded, admin):
    """A real id for every path parameter of API.md, all reachable by the admin."""
    return {"course_id": seeded.enrolled_course, "video_id": seeded.video_ids(0)[0], "quiz_id": seeded.quiz_id(0, 0),
            "session_id": admin.session_id, "user_id": seeded.user_id(__import__("harness.seed", fromlist=["accounts"]).accounts.STUDENT),
            "media_file_id": seeded.media_ids(0)[0], "section_id": seeded.section_ids(0)[0],
            "session_key": seeded_uuid(0, "upload_sessions", 0), "category": "videos", "filename": "x.mp4"}


def fill(path: str, ids: dict[str, str], **override: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: override.get(m.group(1), ids[m.group(1)]), path)


def body_for(route, ids) -> str:
    raw = BODIES.get(route.rid) or X_BODIES[route.rid]
    return re.sub(r"\{\{(\w+)\}\}", lambda m: ids.get(m.group(1), ""), raw)


def assert_error(resp, status: int, code: str | None = None) -> None:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["ok"] is False and body["success"] is False and set(body["error"]) == {"code", "message", "details"}
    if code:
        assert body["error"]["code"] == code


@pytest.mark.parametrize("kind", ["not-a-uuid", "unknown"])
@pytest.mark.parametrize("route", WITH_IDS, ids=lambda r: r.rid)
def test_unknown_and_malformed_ids_are_404(admin, db, ids, route, kind):
    params = re.findall(r"\{(\w+)\}", route.path)
    before = db_state(db)
    for param in params:
        bad = "not-a-uuid" if kind == "not-a-uuid" else str(uuid.uuid4())
        path = fill(route.path, ids, **{param: bad})
        data = body_for(route, ids) if route.rid in BODIES or route.rid in X_BODIES else None
        resp = admin.request(route.method, path, data=data, content_type="application/json" if data else None)
        assert_error(resp, 404, "NOT_FOUND")
    assert db_state(db) == before


@pytest.mark.parametrize("route", JSON_ROUTES, ids=lambda r: r.rid)
@pytest.mark.parametrize("payload, content_type", [('{"unterminated": ', "application/json"),
                                                   ('{"a": 1}', "text/plain")], ids=["malformed", "content-type"])
def test_malformed_json_and_wrong_content_type_are_400(admin, db, ids, route, payload, content_type):
    before = db_state(db)
    resp = admin.request(route.method, fill(route.path, ids), data=payload, content_type=content_type)
    assert_error(resp, 400, "INVALID_REQUEST")
    assert db_state(db) == before


def _tokens(app, admin) -> dict[str, str]:
    claims = jwt.decode(admin.access_token, options={"verify_signature": False})
    now = int(time.time())
    return {
        "TOKEN_EXPIRED": jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, app.config["JWT_SECRET"], "HS256"),
        "TOKEN_INVALID": jwt.encode(claims, "a-forged-secret-that-is-long-enough-to-sign-0123", "HS256"),
    }


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.rid)
def test_expired_and_forged_tokens_are_401_on_every_protected_route(app, admin, db, ids, route):
    before = db_state(db)
    for code, token in _tokens(app, admin).items():
        data = body_for(route, ids) if route.rid in BODIES or route.rid in X_BODIES else None
        resp = admin.client.open(fill(route.path, ids), method=route.method, data=data,
                                 content_type="application/json" if data else None,
                                 headers={"Authorization": f"Bearer {token}"})
        assert_error(resp, 401, code)
    assert db_state(db) == before


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.rid)
def test_anonymous_calls_to_protected_routes_are_401(anon, ids, route):
    resp = anon.client.open(fill(route.path, ids), method=route.method)
    assert_error(resp, 401, "AUTH_REQUIRED")


# --- values no column can hold -----------------------------------------------------------------------

@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("route, field, value", [
    ("P14", "full_name", "nul\x00byte"),
    ("P14", "metadata", {"bio": "nul\x00byte"}),
    ("P25", "watchedSeconds", 10**12),
    ("P31", "duration", 2**31),
    ("P37", "order", -(2**31) - 1),
], ids=["nul-string", "nul-in-json", "int-overflow-progress", "int-overflow-duration", "int-underflow-order"])
def test_values_beyond_the_columns_are_400_not_500(admin, db, ids, route, field, value):
    """PostgreSQL refuses NUL characters and 32-bit overflows; the API must say 400 before the database does."""
    spec = next(r for r in ROUTES if r.rid == route)
    body = {**json.loads(body_for(spec, ids)), field: value}
    before = db_state(db)
    resp = admin.request(spec.method, fill(spec.path, ids), json=body)
    assert_error(resp, 400, "INVALID_REQUEST")
    assert resp.get_json()["error"]["details"]["field"] == field
    assert db_state(db) == before


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("path", ["/api/v1/courses?search=a%00b", "/api/v1/media/upload/progress/%00"])
def test_nul_in_query_or_path_is_not_a_500(admin, path):
    assert admin.get(path).status_code in (400, 404)
