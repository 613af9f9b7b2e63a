"""Who is calling (API.md §1.6-1.8): SimpleJWT access tokens from the Bearer header (wins) or the
`access_token` cookie, checked against the server-side session as the legacy app does, and CSRF on
cookie-authenticated unsafe requests. A legacy-issued token is accepted here, and the other way round."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import connection
from django.utils import timezone
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication

from reference_django.common.exceptions import Forbidden, Unauthorized
from reference_django.common.models import unique_row

from . import tokens
from .models import User, UserSession

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Via = Literal["bearer", "cookie"]


@dataclass(slots=True)
class Identity:
    user: User
    session: UserSession
    via: Via
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


def presented_token(request: Request) -> tuple[str | None, Via | None]:
    """(token, transport): None when absent, "" when the Authorization header is malformed."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), "bearer"
        return "", "bearer"
    cookie = request.COOKIES.get("access_token")
    if cookie:
        return cookie, "cookie"
    return None, None


# Active role names and active permission names, via roles and granted directly, in one query.
_GRANTS_SQL = """
SELECT r.name, p.name
  FROM user_roles ur
  JOIN roles r ON r.id = ur.role_id AND r.is_active = %s AND r.is_deleted = %s
  LEFT JOIN role_permissions rp ON rp.role_id = r.id
  LEFT JOIN permissions p ON p.id = rp.permission_id AND p.is_active = %s AND p.is_deleted = %s
 WHERE ur.user_id = %s
UNION ALL
SELECT NULL, p.name
  FROM user_permissions up
  JOIN permissions p ON p.id = up.permission_id AND p.is_active = %s AND p.is_deleted = %s
 WHERE up.user_id = %s
"""


def grants(user_id: str) -> tuple[frozenset[str], frozenset[str]]:
    with connection.cursor() as cur:
        cur.execute(_GRANTS_SQL, [True, False, True, False, user_id, True, False, user_id])
        rows = cur.fetchall()
    return frozenset(r for r, _ in rows if r), frozenset(p for _, p in rows if p)


def active_session(session_id: str) -> UserSession:
    """The token's session with its user (one query), or 401 SESSION_REVOKED."""
    s = unique_row(UserSession.objects.select_related("user").filter(pk=session_id))
    if s is None or s.is_deleted or not s.is_active or s.revoked_at is not None:
        raise Unauthorized("Session has been revoked", code="SESSION_REVOKED")
    if s.refresh_expires_at < timezone.now():
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


def for_session(s: UserSession, via: Via) -> Identity:
    roles, permissions = grants(s.user_id)
    return Identity(user=check_user(s.user), session=s, via=via, roles=roles, permissions=permissions)


def identify(token: str | None, via: Via) -> Identity:
    """The §1.6 check of one presented access token (None: absent, "": malformed). Shared with Socket.IO."""
    if token is None:
        raise Unauthorized("Authentication required", code="AUTH_REQUIRED")
    if not token:
        raise Unauthorized("Token is invalid", code="TOKEN_INVALID")
    claims = tokens.decode(token, "access")
    s = active_session(str(claims["sid"]))
    if s.user_id != claims["sub"]:
        raise Unauthorized("Token is invalid", code="TOKEN_INVALID")
    return for_session(s, via)


def check_csrf(request: Request) -> None:
    ident: Identity = request.auth
    if ident.via == "cookie" and not tokens.csrf_matches(ident.session.id, request.META.get("HTTP_X_CSRF_TOKEN")):
        raise Forbidden("CSRF token missing or invalid", code="CSRF_INVALID")


class LegacyJWTAuthentication(JWTAuthentication):
    """SimpleJWT's authentication, reading the cookie too and checking the legacy session."""

    def authenticate(self, request: Request) -> tuple[User, Identity] | None:
        token, via = presented_token(request)
        if token is None:
            return None
        ident = identify(token, via or "cookie")
        return ident.user, ident

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
