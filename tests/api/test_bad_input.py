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
from harness.seed import accounts
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
            "session_id": admin.session_id, "user_id": seeded.user_id(accounts.STUDENT),
            "media_file_id": seeded.media_ids(0)[0], "section_id": seeded.section_ids(0)[0],
            "session_key": seeded_uuid(0, "upload_sessions", 0), "category": "videos", "filename": "x.mp4"}


def fill(path: str, ids: dict[str, str], **override: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: override.get(m.group(1), ids[m.group(1)]), path)


def body_for(route, ids) -> str:
    raw = BODIES.get(route.rid) or X_BODIES[route.rid]
    return re.sub(r"\{\{(\w+)\}\}", lambda m: ids.get(m.group(1), ""), raw)


def assert_error(resp, status: int, code: str | None = None) -> None:
    problem = error_problem(resp, status, code)
    assert problem is None, problem


def error_problem(resp, status: int, code: str | None = None) -> str | None:
    """None when `resp` is the error envelope with this status (and code); otherwise what is wrong."""
    body = resp.get_json(silent=True)
    if resp.status_code != status:
        return f"status {resp.status_code}, want {status}: {resp.get_data(as_text=True)[:200]}"
    if not (isinstance(body, dict) and body.get("ok") is False and body.get("success") is False
            and isinstance(body.get("error"), dict) and set(body["error"]) == {"code", "message", "details"}):
        return f"not the error envelope: {resp.get_data(as_text=True)[:200]}"
    if code and body["error"]["code"] != code:
        return f"code {body['error']['code']}, want {code}"
    return None


class Sweep:
    """Every route of a matrix in one test (one fresh database per app and engine, not one per route): each
    route's problem is collected under its row id, and the database must not change on any of them."""

    def __init__(self, db) -> None:
        self.db, self.before, self.problems = db, db_state(db), {}

    def check(self, route, resp, status: int, code: str | None = None) -> None:
        problem = error_problem(resp, status, code)
        if problem is None and db_state(self.db) != self.before:
            problem = "changed the database"
            self.before = db_state(self.db)
        if problem:
            self.problems.setdefault(route.rid, problem)

    def verdict(self) -> None:
        assert not self.problems, self.problems


@pytest.mark.parametrize("kind", ["not-a-uuid", "unknown"])
def test_unknown_and_malformed_ids_are_404(admin, db, ids, kind):
    sweep = Sweep(db)
    for route in WITH_IDS:
        for param in re.findall(r"\{(\w+)\}", route.path):
            bad = "not-a-uuid" if kind == "not-a-uuid" else str(uuid.uuid4())
            path = fill(route.path, ids, **{param: bad})
            data = body_for(route, ids) if route.rid in BODIES or route.rid in X_BODIES else None
            resp = admin.request(route.method, path, data=data, content_type="application/json" if data else None)
            sweep.check(route, resp, 404, "NOT_FOUND")
    assert len(WITH_IDS) == 39
    sweep.verdict()


@pytest.mark.parametrize("payload, content_type", [('{"unterminated": ', "application/json"),
                                                   ('{"a": 1}', "text/plain")], ids=["malformed", "content-type"])
def test_malformed_json_and_wrong_content_type_are_400(admin, db, ids, payload, content_type):
    sweep = Sweep(db)
    for route in JSON_ROUTES:
        resp = admin.request(route.method, fill(route.path, ids), data=payload, content_type=content_type)
        sweep.check(route, resp, 400, "INVALID_REQUEST")
    assert len(JSON_ROUTES) == 25
    sweep.verdict()


def _tokens(app, admin) -> dict[str, str]:
    claims = jwt.decode(admin.access_token, options={"verify_signature": False})
    now = int(time.time())
    expired = {**claims, "iat": now - 7200, "exp": now - 3600}
    return {
        "TOKEN_EXPIRED": jwt.encode(expired, app.config["JWT_SECRET"], "HS256"),
        "TOKEN_INVALID": jwt.encode(claims, "a-forged-secret-that-is-long-enough-to-sign-0123", "HS256"),
    }


def test_expired_and_forged_tokens_are_401_on_every_protected_route(app, admin, db, ids):
    sweep = Sweep(db)
    for route in PROTECTED:
        for code, token in _tokens(app, admin).items():
            data = body_for(route, ids) if route.rid in BODIES or route.rid in X_BODIES else None
            resp = admin.client.open(fill(route.path, ids), method=route.method, data=data,
                                     content_type="application/json" if data else None,
                                     headers={"Authorization": f"Bearer {token}"})
            sweep.check(route, resp, 401, code)
    assert len(PROTECTED) == len(ROUTES) - 8
    sweep.verdict()


def test_anonymous_calls_to_protected_routes_are_401(anon, db, ids):
    sweep = Sweep(db)
    for route in PROTECTED:
        sweep.check(route, anon.client.open(fill(route.path, ids), method=route.method), 401, "AUTH_REQUIRED")
    sweep.verdict()


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
