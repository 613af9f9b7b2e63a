"""Access and refresh JWTs with SimpleJWT, byte-compatible with the legacy ones (API.md §1.6).

HS256 with the shared JWT_SECRET; claims sub (user id), sid (user_sessions.id), type, email, roles,
iat, exp, jti (SIMPLE_JWT maps USER_ID_CLAIM to `sub` and TOKEN_TYPE_CLAIM to `type`). A token either
app issues is accepted by the other for the whole blue-green window.
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from reference_django.common.exceptions import Unauthorized

KINDS: dict[str, type[Token]] = {"access": AccessToken, "refresh": RefreshToken}
REQUIRED_CLAIMS = ("sub", "sid", "type", "exp", "iat")


def lifetime(kind: str) -> timedelta:
    """Read per call, as the legacy app reads its config: ACCESS_TOKEN_TTL / REFRESH_TOKEN_TTL seconds."""
    return timedelta(seconds=settings.ACCESS_TOKEN_TTL if kind == "access" else settings.REFRESH_TOKEN_TTL)


def issue(user_id: str, session_id: str, email: str, roles: list[str], kind: str,
          now: datetime | None = None) -> tuple[str, datetime]:
    """A signed token of `kind` ('access' or 'refresh') and its expiry (`now` + lifetime, unrounded, as
    legacy stores it). One `now` for a pair keeps both tokens and `expires_in` consistent."""
    now = now or datetime.now(UTC)
    token = KINDS[kind]()
    token.set_iat(at_time=now)
    token.set_exp(from_time=now, lifetime=lifetime(kind))
    token["jti"] = str(uuid.uuid4())  # the legacy spelling (SimpleJWT writes uuid4().hex)
    token["sub"], token["sid"], token["email"], token["roles"] = user_id, session_id, email, roles
    return str(token), now + lifetime(kind)


def decode(raw: str, kind: str) -> dict[str, Any]:
    """Verified claims, or 401 TOKEN_EXPIRED / TOKEN_INVALID (wrong signature, type or missing claims)."""
    try:
        token = KINDS[kind](raw)
    except ExpiredTokenError:
        raise Unauthorized("Token has expired", code="TOKEN_EXPIRED") from None
    except TokenError as exc:
        wrong_type = "wrong type" in str(exc)
        raise Unauthorized("Wrong token type" if wrong_type else "Token is invalid", code="TOKEN_INVALID") from None
    claims = dict(token.payload)
    if any(name not in claims for name in REQUIRED_CLAIMS):
        raise Unauthorized("Token is invalid", code="TOKEN_INVALID")
    return claims


def peek_subject(raw: str) -> str | None:
    """The `sub` of a correctly signed token without any session check (rate-limit keying only)."""
    try:
        return jwt.decode(raw, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"]).get("sub")
    except jwt.PyJWTError:
        return None


def csrf_token(session_id: str) -> str:
    """Hex HMAC-SHA256(secret, session id): stable for the session, unchanged by refresh (API.md §1.7)."""
    return hmac.new(settings.JWT_SECRET.encode(), session_id.encode(), hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(session_id), presented or "")
