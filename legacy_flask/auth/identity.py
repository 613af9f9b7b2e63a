"""Who is calling: resolve the token (Bearer header wins over the cookie), check the session,
enforce CSRF on cookie-authenticated unsafe requests, and the role/permission guards (API.md §1.6–1.8)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from flask import g, request

from .. import db
from ..errors import ApiError, Forbidden, Unauthorized
from ..models import Permission, Role, RolePermission, User, UserPermission, UserRole, UserSession
from . import tokens

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(slots=True)
class Identity:
    user: User
    session: UserSession
    via: Literal["bearer", "cookie"]
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()

    @property
    def user_id(self) -> str:
        return self.user.id

    def has_role(self, name: str) -> bool:
        return name in self.roles

    def has_permission(self, name: str) -> bool:
        return name in self.permissions

    @property
    def is_admin(self) -> bool:
        return self.has_role("admin")

    @property
    def is_instructor(self) -> bool:
        return self.has_role("instructor") or self.is_admin


def presented_token() -> tuple[str | None, Literal["bearer", "cookie"] | None]:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), "bearer"
        return "", "bearer"  # a malformed Authorization header is a bad token, not an absent one
    cookie = request.cookies.get("access_token")
    if cookie:
        return cookie, "cookie"
    return None, None


def grants(user_id: str) -> tuple[frozenset[str], frozenset[str]]:
    """The user's active role names and permission names (role grants and direct grants), in one query.

    The same rule as User.role_names / User.permission_names, without loading the ORM collections.
    """
    live_perm = sa.and_(Permission.is_active.is_(True), Permission.is_deleted.is_(False))
    via_roles = (sa.select(Role.name.label("role"), Permission.name.label("permission"))
                 .select_from(UserRole)
                 .join(Role, sa.and_(Role.id == UserRole.role_id, Role.is_active.is_(True), Role.is_deleted.is_(False)))
                 .outerjoin(RolePermission, RolePermission.role_id == Role.id)
                 .outerjoin(Permission, sa.and_(Permission.id == RolePermission.permission_id, live_perm))
                 .where(UserRole.user_id == user_id))
    direct = (sa.select(sa.null().label("role"), Permission.name.label("permission"))
              .select_from(UserPermission)
              .join(Permission, sa.and_(Permission.id == UserPermission.permission_id, live_perm))
              .where(UserPermission.user_id == user_id))
    rows = db.session().execute(sa.union_all(via_roles, direct)).all()
    return frozenset(r.role for r in rows if r.role), frozenset(r.permission for r in rows if r.permission)


def active_session(session_id: str) -> UserSession:
    s = db.session().get(UserSession, session_id)
    now = datetime.now(UTC)
    if s is None or s.is_deleted or not s.is_active or s.revoked_at is not None:
        raise Unauthorized("Session has been revoked", code="SESSION_REVOKED")
    refresh_exp = s.refresh_expires_at if s.refresh_expires_at.tzinfo else s.refresh_expires_at.replace(tzinfo=UTC)
    if refresh_exp < now:
        raise Unauthorized("Session has expired", code="SESSION_REVOKED")
    return s


def check_user(user: User | None) -> User:
    if user is None or user.is_deleted:
        raise Unauthorized("Session has been revoked", code="SESSION_REVOKED")
    if user.status in ("suspended", "inactive"):
        raise Forbidden("Account is disabled", code="ACCOUNT_DISABLED")
    if user.status != "active":
        raise Unauthorized("Email address is not confirmed", code="EMAIL_NOT_CONFIRMED")
    return user


def resolve() -> Identity:
    token, via = presented_token()
    return identify(token, via or "cookie")


def identify(token: str | None, via: Literal["bearer", "cookie"]) -> Identity:
    """The §1.6 check of one presented access token (None: absent, "": malformed). Shared with Socket.IO."""
    if token is None:
        raise Unauthorized("Authentication required", code="AUTH_REQUIRED")
    if not token:
        raise Unauthorized("Token is invalid", code="TOKEN_INVALID")
    claims = tokens.decode(token, "access")
    s = active_session(str(claims["sid"]))
    if s.user_id != claims["sub"]:
        raise Unauthorized("Token is invalid", code="TOKEN_INVALID")
    return for_session(s, via or "cookie")


def for_session(s: UserSession, via: Literal["bearer", "cookie"]) -> Identity:
    """The caller behind an active session: its user (checked) and grants."""
    roles, permissions = grants(s.user_id)
    return Identity(user=check_user(s.user), session=s, via=via, roles=roles, permissions=permissions)


def current() -> Identity:
    return g.identity


def current_or_none() -> Identity | None:
    return getattr(g, "identity", None)


def authenticated(_func: Callable | None = None, *, csrf: bool = True, optional: bool = False):
    """Guard `auth` (or `optional`). csrf=False marks the CSRF-exempt routes (API.md §1.7)."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            g.identity = None
            if optional:
                try:
                    g.identity = resolve()
                except ApiError:
                    g.identity = None  # an absent, invalid or expired token means anonymous
            else:
                ident = resolve()
                if csrf and ident.via == "cookie" and request.method in UNSAFE_METHODS:
                    if not tokens.csrf_matches(ident.session.id, request.headers.get("X-CSRF-Token")):
                        raise Forbidden("CSRF token missing or invalid", code="CSRF_INVALID")
                g.identity = ident
            return func(*args, **kwargs)

        wrapper.guarded = True  # type: ignore[attr-defined]
        return wrapper

    return decorate(_func) if _func is not None else decorate


def public(func: Callable) -> Callable:
    """Guard `public`: no token needed (marks the route as deliberately unguarded)."""
    func.guarded = True  # type: ignore[attr-defined]
    return func


def require_instructor() -> Identity:
    ident = current()
    if not ident.is_instructor:
        raise Forbidden("Instructor role required")
    return ident


def require_admin() -> Identity:
    ident = current()
    if not ident.has_permission("user:manage_roles"):
        raise Forbidden("Administrator permission required")
    return ident
