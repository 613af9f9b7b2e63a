"""Roles and permissions, P9–P12 (API.md §3.1): the caller's roles and permissions (role grants and direct
ones), an admin assigning a role, and the role and permission checks."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.models import Permission, User, UserPermission


def test_roles_union_of_role_and_direct_grants(student, db, seeded):
    perm = db.scalar(sa.select(Permission).where(Permission.name == "content:moderate"))
    db.add(UserPermission(user_id=seeded.user_id(accounts.STUDENT), permission_id=perm.id))
    db.commit()
    data = student.get("/api/v1/auth/roles").get_json()["data"]
    assert data["roles"] == [{"name": "student", "displayName": "Student", "description": "Student role"}]
    assert data["permissions"] == ["content:moderate", "course:enroll"]


def test_admin_assigns_a_role_idempotently(admin, student, seeded):
    uid = seeded.user_id(accounts.STUDENT)
    for _ in range(2):
        resp = admin.post(f"/api/v1/auth/users/{uid}/roles", json={"role": "instructor"})
        assert resp.status_code == 200
        data = resp.get_json()["data"]
        assert data["user_id"] == uid
        assert sorted(r["name"] for r in data["roles"]) == ["instructor", "student"]
    check = student.post("/api/v1/auth/check-role", json={"role": "instructor"})
    assert check.get_json()["data"] == {"role": "instructor", "has_role": True}
    perm = student.post("/api/v1/auth/check-permission", json={"permission": "course:create"})
    assert perm.get_json()["data"] == {"permission": "course:create", "has_permission": True}


@pytest.mark.parametrize("caller, user, body, status", [
    ("instructor", "student", {"role": "admin"}, 403),
    ("admin", "unknown", {"role": "admin"}, 404),
    ("admin", "not-a-uuid", {"role": "admin"}, 404),
    ("admin", "student", {"role": "superuser"}, 400),
    ("admin", "student", {}, 400),
    ("admin", "student", {"role": 3}, 400),
])
def test_assign_role_errors(request, seeded, db, caller, user, body, status):
    uid = {"student": seeded.user_id(accounts.STUDENT), "unknown": str(uuid.uuid4()), "not-a-uuid": "x1"}[user]
    resp = request.getfixturevalue(caller).post(f"/api/v1/auth/users/{uid}/roles", json=body)
    assert resp.status_code == status
    roles = db.scalar(sa.select(User).where(User.email == accounts.STUDENT.email)).role_names
    assert roles == ["student"]


def test_check_permission_and_role_false_and_invalid(student):
    permission = student.post("/api/v1/auth/check-permission", json={"permission": "user:manage"})
    assert permission.get_json()["data"]["has_permission"] is False
    assert student.post("/api/v1/auth/check-role", json={"role": "admin"}).get_json()["data"]["has_role"] is False
    assert student.post("/api/v1/auth/check-role", json={}).status_code == 400
    assert student.post("/api/v1/auth/check-permission", json={"permission": None}).status_code == 400
