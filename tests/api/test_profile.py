"""User profile, P13–P15 (API.md §3.2): snake_case User, shallow metadata merge, account deletion."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.models import User, UserActivity, UserSession
from tests.conftest import USER_KEYS, data, error

PROFILE = "/api/v1/user/profile"


def user_row(db, user_id: str) -> User:
    db.expire_all()
    return db.get(User, user_id)


# --- P13 --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("via", ["cookie", "bearer"])
def test_get_profile_returns_the_callers_user(make_caller, seeded, via):
    caller = make_caller(accounts.STUDENT, via=via)
    user = data(caller.get(PROFILE))
    assert set(user) == USER_KEYS
    assert user["id"] == seeded.user_id(accounts.STUDENT)
    assert (user["email"], user["full_name"], user["status"]) == (accounts.STUDENT.email, "Sam Student", "active")
    assert user["roles"] == [{"name": "student", "displayName": "Student"}]
    assert user["permissions"] == ["course:enroll"]
    assert user["last_login_at"].endswith("Z")


def test_profile_requires_a_token(anon):
    for method in ("get", "put", "delete"):
        error(getattr(anon, method)(PROFILE, json={}), 401, "AUTH_REQUIRED")


def test_profile_routes_stay_under_ten_queries(student, count_sql):
    for method, body in (("get", None), ("put", {"full_name": "Q"}), ("delete", None)):  # delete last
        with count_sql() as sql:
            resp = getattr(student, method)(PROFILE, json=body) if body else getattr(student, method)(PROFILE)
        assert resp.status_code == 200, method
        assert len(sql) < 10, (method, sql.statements)


# --- P14 --------------------------------------------------------------------------------------------

def test_put_updates_the_profile_and_shallow_merges_metadata(student, db, seeded):
    uid = seeded.user_id(accounts.STUDENT)
    before = data(student.get(PROFILE))
    first = data(student.put(PROFILE, json={"metadata": {"bio": "Dev", "location": "SF", "skills": ["Py"]}}))
    assert first["metadata"] == {"bio": "Dev", "location": "SF", "skills": ["Py"]}
    assert first["updated_at"] != before["updated_at"]
    changes = {"full_name": "Sam Updated", "phone": "+1987654321", "display_name": "Sammy", "username": "sam_s",
               "bio": "Learner", "avatar_url": "https://cdn.example.test/a.png",
               "metadata": {"location": "NYC", "skills": ["Rust"], "new": None}, "unknown_field": "ignored"}
    user = data(student.put(PROFILE, json=changes))
    assert set(user) == USER_KEYS
    assert user["metadata"] == {"bio": "Dev", "location": "NYC", "skills": ["Rust"], "new": None}
    for key in ("full_name", "phone", "display_name", "username", "bio", "avatar_url"):
        assert user[key] == changes[key]
    assert data(student.get(PROFILE)) == user  # persisted
    row = user_row(db, uid)
    assert (row.full_name, row.username, row.metadata_["location"]) == ("Sam Updated", "sam_s", "NYC")
    assert db.scalar(sa.select(sa.func.count()).select_from(UserActivity).where(
        UserActivity.user_id == uid, UserActivity.activity_type == "profile_updated")) == 2


def test_put_with_no_fields_changes_nothing(student, db, seeded):
    before = data(student.get(PROFILE))
    version = user_row(db, seeded.user_id(accounts.STUDENT)).version
    assert data(student.put(PROFILE, json={})) == before
    assert user_row(db, seeded.user_id(accounts.STUDENT)).version == version


def test_put_can_clear_username_and_avatar(student):
    data(student.put(PROFILE, json={"username": "sam", "avatar_url": "https://x.test/a.png"}))
    user = data(student.put(PROFILE, json={"username": None, "avatar_url": None}))
    assert (user["username"], user["avatar_url"]) == (None, None)


def test_put_username_taken_by_another_user_is_409_and_writes_nothing(student, student2, db, seeded):
    data(student2.put(PROFILE, json={"username": "taken"}))
    err = error(student.put(PROFILE, json={"username": "taken", "full_name": "Not Saved"}), 409, "CONFLICT")
    assert "username" in err["message"].lower()
    row = user_row(db, seeded.user_id(accounts.STUDENT))
    assert (row.username, row.full_name) == (None, "Sam Student")


def test_put_keeping_ones_own_username_is_allowed(student):
    data(student.put(PROFILE, json={"username": "mine"}))
    assert data(student.put(PROFILE, json={"username": "mine", "bio": "b"}))["username"] == "mine"


INVALID_FIELDS = [
    ({"full_name": 5}, "full_name"),
    ({"full_name": None}, "full_name"),
    ({"full_name": "x" * 256}, "full_name"),
    ({"phone": "1" * 21}, "phone"),
    ({"metadata": ["not", "an", "object"]}, "metadata"),
    ({"metadata": "x"}, "metadata"),
    ({"username": ""}, "username"),
    ({"username": "u" * 101}, "username"),
    ({"display_name": False}, "display_name"),
    ({"bio": 1.5}, "bio"),
]
MALFORMED_BODIES = [("{not json", "application/json"), ('["a"]', "application/json"),
                    ('{"full_name": "x"}', "text/plain")]


def test_put_rejects_invalid_fields_and_malformed_bodies_without_writing(student, db, seeded):
    version = user_row(db, seeded.user_id(accounts.STUDENT)).version
    for body, field in INVALID_FIELDS:
        err = error(student.put(PROFILE, json={"bio": "should not be saved", **body}), 400, "INVALID_REQUEST")
        assert err["details"]["field"] == field, body
    for raw, content_type in MALFORMED_BODIES:
        err = error(student.put(PROFILE, data=raw, content_type=content_type), 400, "INVALID_REQUEST")
        assert err["details"]["field"] in {"body", "Content-Type"}, raw
    row = user_row(db, seeded.user_id(accounts.STUDENT))
    assert row.bio != "should not be saved" and row.version == version


def test_cookie_writes_need_the_csrf_header(student, db, seeded):
    for method in ("put", "delete"):
        error(getattr(student, method)(PROFILE, json={"full_name": "No Csrf"}, csrf=False), 403, "CSRF_INVALID")
    row = user_row(db, seeded.user_id(accounts.STUDENT))
    assert (row.full_name, row.is_deleted, row.status) == ("Sam Student", False, "active")


def test_bearer_writes_need_no_csrf_header(make_caller):
    bearer = make_caller(accounts.STUDENT, via="bearer")
    assert data(bearer.put(PROFILE, json={"full_name": "Via Bearer"}, csrf=False))["full_name"] == "Via Bearer"


# --- P15 --------------------------------------------------------------------------------------------

def test_delete_soft_deletes_the_user_revokes_every_session_and_clears_cookies(student, make_caller, anon, db, seeded):
    other_device = make_caller(accounts.STUDENT, via="bearer")
    resp = student.delete(PROFILE)
    assert set(data(resp)) == {"message"}
    cookies = [h for h in resp.headers.getlist("Set-Cookie")]
    for name in ("access_token", "refresh_token"):
        assert any(c.startswith(f"{name}=;") and "Max-Age=0" in c for c in cookies), cookies

    uid = seeded.user_id(accounts.STUDENT)
    row = user_row(db, uid)
    assert (row.is_deleted, row.status, row.email, row.deleted_by_id) == (True, "inactive", accounts.STUDENT.email, uid)
    assert row.deleted_at is not None
    sessions = db.scalars(sa.select(UserSession).where(UserSession.user_id == uid)).all()
    assert len(sessions) >= 2 and all(not s.is_active and s.revoked_at is not None for s in sessions)
    assert db.scalar(sa.select(sa.func.count()).select_from(UserActivity).where(
        UserActivity.user_id == uid, UserActivity.activity_type == "account_deleted")) == 1

    error(other_device.get(PROFILE), 401, "SESSION_REVOKED")
    login = {"email": accounts.STUDENT.email, "password": accounts.STUDENT.password}
    error(anon.post("/api/v1/auth/login", json=login), 401, "INVALID_CREDENTIALS")
    # The email stays reserved.
    error(anon.post("/api/v1/auth/signup", json={"email": accounts.STUDENT.email, "password": "Another123!"}),
          409, "CONFLICT")


def test_delete_leaves_other_users_alone(student, student2):
    data(student.delete(PROFILE))
    assert data(student2.get(PROFILE))["status"] == "active"


def test_delete_is_rate_limited_to_once_an_hour(app, make_caller):
    app.config["RATELIMIT_ENABLED"] = True
    bearer = make_caller(accounts.STUDENT2, via="bearer")
    first = bearer.delete(PROFILE)
    data(first)
    assert first.headers["X-RateLimit-Limit"] == "1"
    second = bearer.delete(PROFILE)
    error(second, 429, "RATE_LIMITED")
    assert second.headers["X-RateLimit-Remaining"] == "0" and int(second.headers["Retry-After"]) > 60
