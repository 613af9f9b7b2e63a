"""Writes of the auth, session, RBAC and profile routes (P1-P15), in the legacy order of checks.

Every UPDATE goes through `save_versioned` (or an F("version") + 1 bulk update) so the rows carry the
same version / updated_at bumps the legacy SQLAlchemy mapper writes, and each request's writes commit
together: the session row, the user's login columns (and a re-hashed password) and the activity row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone as dj_timezone

from reference_django.common.access import record_activity
from reference_django.common.exceptions import Conflict, InvalidRequest, Unauthorized
from reference_django.common.models import new_id
from reference_django.courses import cache as course_cache

from . import hashers, selectors, tokens
from .authentication import Identity, active_session, check_user, grants
from .models import Role, User, UserActivity, UserRole, UserSession

STUDENT_ROLE = "student"


@dataclass(frozen=True, slots=True)
class Client:
    """Who sent the request, as the activity log and the session row record it."""

    ip: str | None
    user_agent: str


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: str
    access_expires: datetime
    refresh: str
    refresh_expires: datetime
    issued_at: datetime

    @property
    def expires_in(self) -> int:
        return int(self.access_expires.timestamp() - self.issued_at.timestamp())


@dataclass(frozen=True, slots=True)
class Login:
    user: User
    session: UserSession
    tokens: TokenPair
    roles: list[Role]
    permissions: frozenset[str]


def token_pair(user: User, session_id: str, role_names: list[str]) -> TokenPair:
    now = datetime.now(UTC)
    access, access_exp = tokens.issue(user.id, session_id, user.email, role_names, "access", now)
    refresh, refresh_exp = tokens.issue(user.id, session_id, user.email, role_names, "refresh", now)
    return TokenPair(access, access_exp, refresh, refresh_exp, now)


# --- P1 signup ------------------------------------------------------------------------------------

def _profile_string(meta: dict[str, Any], key: str, max_len: int) -> str:
    value = meta.pop(key, "")
    if not isinstance(value, str) or len(value) > max_len:
        raise InvalidRequest(f"Invalid {key}", details={"field": f"metadata.{key}",
                                                        "reason": f"must be a string of at most {max_len} characters"})
    return value


@transaction.atomic
def user_signup(*, email: str, password: str, metadata: dict[str, Any]) -> User:
    """A new active student. `full_name` and `phone` move out of metadata into their columns."""
    meta = dict(metadata)
    full_name = _profile_string(meta, "full_name", 255)
    phone = _profile_string(meta, "phone", 20)
    if selectors.email_taken(email):
        raise Conflict("Email is already registered")
    user = User(email=email, full_name=full_name, display_name=(full_name.split(" ")[0] if full_name else "")[:100],
                phone=phone, metadata=meta, status="active", email_verified=False)
    user.set_password(password)
    user.save(force_insert=True)
    student = Role.objects.filter(name=STUDENT_ROLE).first()
    if student is not None:
        UserRole.objects.create(user=user, role=student)
    return user


# --- P2 login, P3 logout, P4 refresh, P7 revoke ----------------------------------------------------

def user_login(*, email: str, password: str, client: Client) -> Login:
    """Checks the credentials, then opens a session. A failure is logged (and kept) before the 401."""
    user = selectors.live_user_by_email(email)
    if user is None or not user.check_password(password):
        record_activity("login_failed", user_id=user.id if user else None, ip=client.ip,
                        user_agent=client.user_agent, metadata={"email": email})
        raise Unauthorized("Invalid email or password", code="INVALID_CREDENTIALS")
    check_user(user)
    return session_start(user=user, password=password, client=client)


@transaction.atomic
def session_start(*, user: User, password: str, client: Client) -> Login:
    """The session row, the login columns (and a stronger hash when the stored one is weaker): one commit."""
    roles = selectors.active_roles(user.id)
    permissions = grants(user.id)[1]
    sid = new_id()
    pair = token_pair(user, sid, [r.name for r in roles])
    now = pair.issued_at
    session = UserSession.objects.create(
        id=sid, user=user, session_token=pair.access, refresh_token=pair.refresh, ip_address=client.ip,
        user_agent=client.user_agent, device_info={"user_agent": client.user_agent},
        expires_at=pair.access_expires, refresh_expires_at=pair.refresh_expires, is_active=True, last_activity=now)
    user.last_login, user.last_login_ip, user.last_login_device = now, client.ip, client.user_agent[:1000]
    changed = ["last_login", "last_login_ip", "last_login_device"]
    if hashers.needs_rehash(user.password):
        user.set_password(password)
        changed.append("password")
    user.save_versioned(changed)
    record_activity("login_success", user_id=user.id, session_id=sid, ip=client.ip, user_agent=client.user_agent)
    return Login(user, session, pair, roles, permissions)


@transaction.atomic
def session_end(*, session: UserSession, activity: str, client: Client) -> None:
    session.is_active = False
    session.revoked_at = dj_timezone.now()
    session.save_versioned(["is_active", "revoked_at"])
    record_activity(activity, user_id=session.user_id, session_id=session.id, ip=client.ip,
                    user_agent=client.user_agent)


@transaction.atomic
def session_refresh(*, token: str, client: Client) -> tuple[UserSession, TokenPair]:
    """Rotates both tokens of the refresh token's session; a refresh token that is not the latest one
    issued for its session (a replayed, stolen one) is refused."""
    claims = tokens.decode(token, "refresh")
    session = active_session(str(claims["sid"]))
    if session.refresh_token != token or session.user_id != claims["sub"]:
        raise Unauthorized("Refresh token has been rotated", code="TOKEN_INVALID")
    user = check_user(session.user)
    pair = token_pair(user, session.id, [r.name for r in selectors.active_roles(user.id)])
    session.session_token, session.refresh_token = pair.access, pair.refresh
    session.expires_at, session.refresh_expires_at, session.last_activity = (
        pair.access_expires, pair.refresh_expires, pair.issued_at)
    session.save_versioned(["session_token", "refresh_token", "expires_at", "refresh_expires_at", "last_activity"])
    record_activity("token_refreshed", user_id=user.id, session_id=session.id, ip=client.ip,
                    user_agent=client.user_agent)
    return session, pair


def _revoke(sessions: list[UserSession], *, activity: str, user_id: str, client: Client) -> None:
    """Ends many sessions in two statements (one UPDATE, one INSERT) whatever their number."""
    if not sessions:
        return
    now = dj_timezone.now()
    ids = [s.id for s in sessions]
    UserSession.objects.filter(id__in=ids).update(is_active=False, revoked_at=now, updated_at=now,
                                                  version=F("version") + 1)
    UserActivity.objects.bulk_create([
        UserActivity(user_id=user_id, session_id=sid, activity_type=activity, ip_address=client.ip,
                     user_agent=client.user_agent[:1000], metadata={}) for sid in ids])


@transaction.atomic
def sessions_revoke_others(*, ident: Identity, client: Client) -> int:
    """P8: every session of the caller's but the current one."""
    others = selectors.other_active_sessions(user_id=ident.user_id, current_id=ident.session.id)
    _revoke(others, activity="session_revoked", user_id=ident.user_id, client=client)
    return len(others)


# --- P10 RBAC ---------------------------------------------------------------------------------------

@transaction.atomic
def user_role_assign(*, admin: Identity, user: User, role: Role, client: Client) -> list[Role]:
    """Idempotent: a role the user holds already writes nothing. Returns the user's active roles after."""
    held = selectors.held_roles(user.id)
    if role.id not in {r.id for r in held}:
        UserRole.objects.create(user=user, role=role, assigned_by_id=admin.user_id)
        record_activity("role_assigned", user_id=admin.user_id, session_id=admin.session.id, resource_type="user",
                        resource_id=user.id, metadata={"role": role.name}, ip=client.ip,
                        user_agent=client.user_agent)
        held.append(role)
    return selectors.only_active(held)


# --- P14, P15 profile -------------------------------------------------------------------------------

def _profile_activity(kind: str, ident: Identity, client: Client, **extra: Any) -> None:
    record_activity(kind, user_id=ident.user_id, session_id=ident.session.id, resource_type="user",
                    resource_id=ident.user_id, ip=client.ip, user_agent=client.user_agent, **extra)


#: User fields shown in the InstructorRef of course payloads (API.md §2).
INSTRUCTOR_REF_FIELDS = frozenset({"full_name", "display_name", "email", "avatar_url", "bio", "metadata"})


@transaction.atomic
def profile_update(*, ident: Identity, changes: dict[str, Any], client: Client) -> User:
    """Writes the sent fields that differ; `metadata` is shallow-merged into the stored one."""
    user = ident.user
    username = changes.get("username")
    if username is not None and username != user.username and selectors.username_taken(username,
                                                                                        by_other_than=user.id):
        raise Conflict("Username is already taken")
    if "metadata" in changes:
        # Shallow merge: top-level keys sent replace stored ones, the others are kept.
        changes = {**changes, "metadata": {**(user.metadata or {}), **changes["metadata"]}}
    changed = sorted(name for name, value in changes.items() if getattr(user, name) != value)
    for name in changed:
        setattr(user, name, changes[name])
    if changed:
        user.save_versioned(changed, by=user.id)
        _profile_activity("profile_updated", ident, client, metadata={"fields": changed})
        if set(changed) & INSTRUCTOR_REF_FIELDS:
            # An instructor's name, avatar, bio and expertise are in the cached summary of each of their courses,
            # a reviewer's name and avatar in the cached reviews of the courses they reviewed.
            course_cache.invalidate_person(user.id)
    return user


@transaction.atomic
def profile_delete(*, ident: Identity, client: Client) -> None:
    """Soft-deletes the caller (status inactive; the row, and so the email, stay) and ends every session."""
    user, now = ident.user, dj_timezone.now()
    user.status, user.is_deleted, user.deleted_at, user.deleted_by_id = "inactive", True, now, user.id
    user.save_versioned(["status", "is_deleted", "deleted_at", "deleted_by_id"])
    _profile_activity("account_deleted", ident, client)
    UserSession.objects.filter(user_id=user.id, is_active=True).update(
        is_active=False, revoked_at=now, updated_at=now, version=F("version") + 1)
