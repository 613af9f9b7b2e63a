"""The blue-green cut-over (issue 4): the legacy Flask app and the Django port on ONE database, each
honouring what the other wrote: accounts and password hashes, access tokens (Bearer and cookie), cookie
sessions with their CSRF token, refresh rotation, logout, and the re-hash of a weaker legacy hash."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from harness.seed import accounts
from tests.apps import build_app, close_app
from tests.conftest import Caller, data, error

#: (the app that starts, the app that continues): every must-show runs both ways.
DIRECTIONS = [pytest.param(("flask", "django"), id="flask-to-django"),
              pytest.param(("django", "flask"), id="django-to-flask")]
PROFILE = "/api/v1/user/profile"


@pytest.fixture
def both(app_config):
    """The two apps on the test's database (one DjangoApp per process: closed at the end)."""
    apps = {"flask": build_app("flask", app_config)}
    apps["django"] = build_app("django", app_config)
    yield apps
    close_app(apps["django"])
    close_app(apps["flask"])


@pytest.fixture(params=DIRECTIONS)
def pair(request, both) -> SimpleNamespace:
    first, then = request.param
    return SimpleNamespace(first=both[first], then=both[then])


def login(app, account: accounts.Account = accounts.STUDENT, via: str = "cookie") -> Caller:
    caller = Caller(app, via)
    caller.login(account.email, account.password)
    return caller


def carried_over(caller: Caller, app) -> Caller:
    """A client of `app` holding what `caller` got from the other app: its cookies, CSRF token and token."""
    other = Caller(app, caller.via)
    other.csrf, other.access_token, other.session_id, other.user = (
        caller.csrf, caller.access_token, caller.session_id, caller.user)
    for name in ("access_token", "refresh_token"):
        cookie = caller.client.get_cookie(name)
        if cookie is not None:
            other.client.set_cookie(name, cookie.value)
    return other


def stored_hash(app, email: str) -> tuple[str, int]:
    with app.extensions["db_engine"].connect() as conn:
        row = conn.execute(sa.text("SELECT password_hash, version FROM users WHERE email = :e"), {"e": email}).one()
    return row.password_hash, row.version


# --- accounts ---------------------------------------------------------------------------------------

def test_a_user_signed_up_on_one_app_logs_in_on_the_other(pair):
    body = {"email": "crossover@example.com", "password": "same-password-1", "metadata": {"full_name": "Cross Over"}}
    created = data(Caller(pair.first).post("/api/v1/auth/signup", json=body), 201)["user"]
    caller = Caller(pair.then)
    logged_in = data(caller.post("/api/v1/auth/login", json={"email": body["email"], "password": body["password"]}))
    assert logged_in["user"]["id"] == created["id"] and logged_in["user"]["full_name"] == "Cross Over"
    error(caller.post("/api/v1/auth/login", json={"email": body["email"], "password": "another-password"}),
          401, "INVALID_CREDENTIALS")


# --- tokens and sessions -----------------------------------------------------------------------------

@pytest.mark.parametrize("via", ["bearer", "cookie"])
def test_an_access_token_from_one_app_is_accepted_by_the_other(pair, via):
    caller = login(pair.first, via=via)
    other = carried_over(caller, pair.then)
    profile = data(other.get(PROFILE))
    assert profile["id"] == caller.user["id"]
    roles = data(other.get("/api/v1/auth/roles"))
    assert [r["name"] for r in roles["roles"]] == ["student"]


def test_a_cookie_session_started_on_one_app_works_on_the_other(pair):
    caller = login(pair.first)
    other = carried_over(caller, pair.then)
    # The CSRF token the first app handed out is the one the second app expects for this session.
    assert data(other.get("/api/v1/auth/csrf-token"))["csrf_token"] == caller.csrf
    error(other.put(PROFILE, json={"full_name": "No Token"}, csrf=False), 403, "CSRF_INVALID")
    assert data(other.put(PROFILE, json={"full_name": "Across Apps"}))["full_name"] == "Across Apps"
    assert data(caller.get(PROFILE))["full_name"] == "Across Apps"


def test_a_refresh_on_one_app_rotates_cookies_that_the_other_accepts(pair):
    caller = login(pair.first)
    old_refresh = caller.client.get_cookie("refresh_token").value
    refresher = carried_over(caller, pair.then)
    refreshed = data(refresher.post("/api/v1/auth/refresh", csrf=False))
    assert refreshed["csrf_token"] == caller.csrf, "the CSRF token is stable across refreshes, on either app"
    rotated = carried_over(refresher, pair.first)
    assert rotated.client.get_cookie("refresh_token").value != old_refresh
    assert data(rotated.get(PROFILE))["id"] == caller.user["id"]
    assert data(rotated.post("/api/v1/auth/check-role", json={"role": "student"}))["has_role"] is True
    # The first app honours the rotation the second one did: the old refresh token is spent.
    error(Caller(pair.first).post("/api/v1/auth/refresh", json={"refresh_token": old_refresh}), 401, "TOKEN_INVALID")
    data(rotated.post("/api/v1/auth/refresh", csrf=False))


def test_logout_on_one_app_revokes_the_session_on_the_other(pair):
    caller = login(pair.first)
    bystander = login(pair.first, accounts.STUDENT2)
    data(carried_over(caller, pair.then).post("/api/v1/auth/logout"))
    error(caller.get(PROFILE), 401, "SESSION_REVOKED")
    bearer = Caller(pair.first, "bearer")
    bearer.access_token = caller.access_token
    error(bearer.get(PROFILE), 401, "SESSION_REVOKED")
    assert data(bystander.get(PROFILE))["email"] == accounts.STUDENT2.email


# --- password hashes ----------------------------------------------------------------------------------

def test_a_weaker_legacy_hash_is_rehashed_by_a_django_login_and_flask_still_verifies_it(both, app_config):
    email, password = accounts.STUDENT.email, accounts.STUDENT.password
    weak = generate_password_hash(password, method="pbkdf2:sha256:1000")
    with both["flask"].extensions["db_engine"].begin() as conn:
        conn.execute(sa.text("UPDATE users SET password_hash = :h WHERE email = :e"), {"h": weak, "e": email})
    _, version = stored_hash(both["flask"], email)

    login(both["django"])
    rehashed, after = stored_hash(both["flask"], email)
    assert rehashed != weak and rehashed.startswith(app_config["PASSWORD_HASH_METHOD"] + "$")
    assert after == version + 1, "the new hash is written by the login's one UPDATE of the user"
    assert check_password_hash(rehashed, password)
    login(both["flask"])

    login(both["django"])  # a hash at the configured cost is left alone
    assert stored_hash(both["flask"], email)[0] == rehashed
