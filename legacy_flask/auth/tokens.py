"""Access and refresh JWTs (API.md §1.6): HS256, claims sub/sid/type/email/roles/iat/exp/jti."""
from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from flask import current_app

from ..errors import Unauthorized

ALGORITHM = "HS256"


def _secret() -> str:
    return current_app.config["JWT_SECRET"]


def issue(user_id: str, session_id: str, email: str, roles: list[str], kind: str,
          now: datetime | None = None) -> tuple[str, datetime]:
    """A signed token of `kind` ('access' or 'refresh') and its expiry."""
    now = now or datetime.now(UTC)
    ttl = current_app.config["ACCESS_TOKEN_TTL" if kind == "access" else "REFRESH_TOKEN_TTL"]
    exp = now + timedelta(seconds=ttl)
    claims = {"sub": user_id, "sid": session_id, "type": kind, "email": email, "roles": roles,
              "iat": int(now.timestamp()), "exp": int(exp.timestamp()), "jti": str(uuid.uuid4())}
    return jwt.encode(claims, _secret(), algorithm=ALGORITHM), exp


def decode(token: str, kind: str) -> dict[str, Any]:
    """Verified claims, or 401 TOKEN_EXPIRED / TOKEN_INVALID."""
    try:
        claims = jwt.decode(token, _secret(), algorithms=[ALGORITHM],
                            options={"require": ["sub", "sid", "type", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token has expired", code="TOKEN_EXPIRED") from None
    except jwt.PyJWTError:
        raise Unauthorized("Token is invalid", code="TOKEN_INVALID") from None
    if claims.get("type") != kind:
        raise Unauthorized("Wrong token type", code="TOKEN_INVALID")
    return claims


def peek_subject(token: str) -> str | None:
    """The `sub` of a correctly signed token without any session check (rate-limit keying only)."""
    try:
        return jwt.decode(token, _secret(), algorithms=[ALGORITHM]).get("sub")
    except jwt.PyJWTError:
        return None


def csrf_token(session_id: str) -> str:
    """Hex HMAC-SHA256(secret, session id): stable for the session, unchanged by refresh (API.md §1.7)."""
    return hmac.new(_secret().encode(), session_id.encode(), hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(session_id), presented or "")
