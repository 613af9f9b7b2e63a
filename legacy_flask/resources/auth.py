"""Auth, sessions and RBAC (API.md §3.1, P1–P12). snake_case."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import request

from .. import db, serializers
from ..access import get_or_404, record_activity
from ..api import Api, ApiResource
from ..auth import tokens
from ..auth.cookies import clear_auth_cookies, set_auth_cookies
from ..auth.identity import active_session, authenticated, check_user, current, public, require_admin
from ..auth.passwords import MIN_LENGTH, hash_password, verify_password
from ..envelope import ok
from ..errors import Conflict, InvalidRequest, NotFound, Unauthorized
from ..models import Role, User, UserRole, UserSession, new_id, utcnow
from ..validation import Email, Obj, Str, json_body, parse_body

ROLE_NAMES = ("student", "instructor", "admin")


def _client_ip() -> str | None:
    return (request.remote_addr or None) and request.remote_addr[:45]


def _user_agent() -> str:
    return request.headers.get("User-Agent", "")


def _token_pair(user: User, session_id: str, now: datetime) -> tuple[str, datetime, str, datetime]:
    access, access_exp = tokens.issue(user.id, session_id, user.email, user.role_names, "access", now)
    refresh, refresh_exp = tokens.issue(user.id, session_id, user.email, user.role_names, "refresh", now)
    return access, access_exp, refresh, refresh_exp


class Signup(ApiResource):
    rate_limits = {"post": "5/minute"}

    @public
    def post(self):
        body = parse_body({"email": Email(required=True),
                           "password": Str(required=True, min_len=MIN_LENGTH, max_len=128),
                           "metadata": Obj(default=dict)})
        meta = dict(body["metadata"])
        full_name, phone = meta.pop("full_name", ""), meta.pop("phone", "")
        if not isinstance(full_name, str) or len(full_name) > 255:
            raise InvalidRequest("Invalid full_name", details={
                "field": "metadata.full_name", "reason": "must be a string of at most 255 characters"})
        if not isinstance(phone, str) or len(phone) > 20:
            raise InvalidRequest("Invalid phone", details={
                "field": "metadata.phone", "reason": "must be a string of at most 20 characters"})
        s = db.session()
        if s.scalar(sa.select(User.id).where(sa.func.lower(User.email) == body["email"])):
            raise Conflict("Email is already registered")
        user = User(id=new_id(), email=body["email"], password_hash=hash_password(body["password"]),
                    full_name=full_name, display_name=(full_name.split(" ")[0] if full_name else "")[:100],
                    phone=phone, metadata_=meta, status="active", email_verified=False)
        s.add(user)
        student = s.scalar(sa.select(Role).where(Role.name == "student"))
        if student is not None:
            s.add(UserRole(user_id=user.id, role_id=student.id))
        s.commit()
        s.refresh(user)
        return ok({"user": serializers.user(user)}, 201)


class Login(ApiResource):
    rate_limits = {"post": "10/minute"}

    @public
    def post(self):
        body = parse_body({"email": Email(required=True), "password": Str(required=True, min_len=1, max_len=128)})
        s = db.session()
        user = s.scalar(sa.select(User).where(sa.func.lower(User.email) == body["email"], User.is_deleted.is_(False)))
        if user is None or not verify_password(user.password_hash, body["password"]):
            record_activity("login_failed", user_id=user.id if user else None, ip=_client_ip(),
                            user_agent=_user_agent(), metadata={"email": body["email"]})
            s.commit()
            raise Unauthorized("Invalid email or password", code="INVALID_CREDENTIALS")
        check_user(user)
        now = utcnow()
        sid = new_id()
        access, access_exp, refresh, refresh_exp = _token_pair(user, sid, now)
        session = UserSession(id=sid, user_id=user.id, session_token=access, refresh_token=refresh,
                              ip_address=_client_ip(), user_agent=_user_agent(),
                              device_info={"user_agent": _user_agent()}, expires_at=access_exp,
                              refresh_expires_at=refresh_exp, is_active=True, last_activity=now)
        s.add(session)
        s.flush()  # the activity row below references the session
        user.last_login_at, user.last_login_ip, user.last_login_device = now, _client_ip(), _user_agent()[:1000]
        record_activity("login_success", user_id=user.id, session_id=sid, ip=_client_ip(), user_agent=_user_agent())
        s.commit()
        data = {"user": serializers.user(user), "session_id": sid, "csrf_token": tokens.csrf_token(sid),
                "access_token": access, "token_type": "Bearer",
                "expires_in": int(access_exp.timestamp() - now.timestamp())}
        return set_auth_cookies(ok(data), access, refresh)


def _end_session(session: UserSession, activity: str) -> None:
    session.is_active = False
    session.revoked_at = utcnow()
    record_activity(activity, user_id=session.user_id, session_id=session.id, ip=_client_ip(), user_agent=_user_agent())


class Logout(ApiResource):
    @authenticated(csrf=False)
    def post(self):
        ident = current()
        _end_session(ident.session, "logout")
        db.session().commit()
        return clear_auth_cookies(ok({"message": "Logged out successfully"}))


class Refresh(ApiResource):
    rate_limits = {"post": "30/minute"}

    @public
    def post(self):
        token = request.cookies.get("refresh_token")
        if not token:
            body = json_body(allow_empty=True)
            token = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        if not token:
            raise Unauthorized("Refresh token required", code="AUTH_REQUIRED")
        claims = tokens.decode(token, "refresh")
        session = active_session(str(claims["sid"]))
        if session.refresh_token != token or session.user_id != claims["sub"]:
            # Not the latest refresh token issued for this session: a replayed (stolen) token.
            raise Unauthorized("Refresh token has been rotated", code="TOKEN_INVALID")
        user = check_user(session.user)
        now = utcnow()
        access, access_exp, refresh, refresh_exp = _token_pair(user, session.id, now)
        session.session_token, session.refresh_token = access, refresh
        session.expires_at, session.refresh_expires_at, session.last_activity = access_exp, refresh_exp, now
        record_activity("token_refreshed", user_id=user.id, session_id=session.id, ip=_client_ip(),
                        user_agent=_user_agent())
        db.session().commit()
        data = {"access_token": access, "token_type": "Bearer",
                "expires_in": int(access_exp.timestamp() - now.timestamp()),
                "csrf_token": tokens.csrf_token(session.id)}
        return set_auth_cookies(ok(data), access, refresh)


class CsrfToken(ApiResource):
    @authenticated
    def get(self):
        return ok({"csrf_token": tokens.csrf_token(current().session.id)})


class Sessions(ApiResource):
    @authenticated
    def get(self):
        ident = current()
        now = datetime.now(UTC)
        rows = db.session().scalars(sa.select(UserSession).where(
            UserSession.user_id == ident.user_id, UserSession.is_active.is_(True), UserSession.is_deleted.is_(False),
            UserSession.refresh_expires_at > now,
        ).order_by(UserSession.created_at.desc(), UserSession.id.desc()))
        return ok({"sessions": [serializers.session(r, current_id=ident.session.id) for r in rows]})


class SessionDetail(ApiResource):
    @authenticated
    def delete(self, session_id: uuid.UUID):
        ident = current()
        try:
            target = get_or_404(UserSession, str(session_id), "Session")
        except NotFound:
            raise NotFound("Session not found") from None
        if target.user_id != ident.user_id or not target.is_active:
            raise NotFound("Session not found")  # another user's session is indistinguishable from none
        _end_session(target, "session_revoked")
        db.session().commit()
        resp = ok({"session_id": target.id, "message": "Session revoked successfully"})
        return clear_auth_cookies(resp) if target.id == ident.session.id else resp


class RevokeAllSessions(ApiResource):
    @authenticated
    def post(self):
        ident = current()
        s = db.session()
        others = list(s.scalars(sa.select(UserSession).where(
            UserSession.user_id == ident.user_id, UserSession.is_active.is_(True), UserSession.id != ident.session.id)))
        for other in others:
            _end_session(other, "session_revoked")
        s.commit()
        return ok({"revoked_count": len(others), "message": f"Revoked {len(others)} session(s)"})


class Roles(ApiResource):
    @authenticated
    def get(self):
        user = current().user
        return ok({"roles": [serializers.role(r, with_description=True) for r in serializers.active_roles(user)],
                   "permissions": user.permission_names})


class AssignRole(ApiResource):
    @authenticated
    def post(self, user_id: str):
        admin = require_admin()
        body = parse_body({"role": Str(required=True, choices=ROLE_NAMES)})
        s = db.session()
        target = get_or_404(User, user_id, "User")
        role = s.scalar(sa.select(Role).where(Role.name == body["role"], Role.is_deleted.is_(False)))
        if role is None:
            raise InvalidRequest("Unknown role", details={"field": "role", "reason": "is not a known role"})
        exists = s.scalar(sa.select(UserRole.id).where(UserRole.user_id == target.id, UserRole.role_id == role.id))
        if not exists:
            s.add(UserRole(user_id=target.id, role_id=role.id, assigned_by_id=admin.user_id))
            record_activity("role_assigned", user_id=admin.user_id, session_id=admin.session.id, resource_type="user",
                            resource_id=target.id, metadata={"role": role.name}, ip=_client_ip(),
                            user_agent=_user_agent())
            s.commit()
            s.expire(target)
        return ok({"user_id": target.id, "roles": [serializers.role(r) for r in serializers.active_roles(target)],
                   "message": f"Role '{role.name}' assigned"})


class CheckPermission(ApiResource):
    @authenticated(csrf=False)
    def post(self):
        body = parse_body({"permission": Str(required=True, min_len=1, max_len=100)})
        return ok({"permission": body["permission"], "has_permission": current().has_permission(body["permission"])})


class CheckRole(ApiResource):
    @authenticated(csrf=False)
    def post(self):
        body = parse_body({"role": Str(required=True, min_len=1, max_len=50)})
        return ok({"role": body["role"], "has_role": current().has_role(body["role"])})


def register(api: Api) -> None:
    api.add_resource(Signup, "/api/v1/auth/signup", endpoint="auth_signup")
    api.add_resource(Login, "/api/v1/auth/login", endpoint="auth_login")
    api.add_resource(Logout, "/api/v1/auth/logout", endpoint="auth_logout")
    api.add_resource(Refresh, "/api/v1/auth/refresh", endpoint="auth_refresh")
    api.add_resource(CsrfToken, "/api/v1/auth/csrf-token", endpoint="auth_csrf_token")
    api.add_resource(Sessions, "/api/v1/auth/sessions", endpoint="auth_sessions")
    # The literal revoke-all is registered before the parametrised session path (API.md §6 D3).
    api.add_resource(RevokeAllSessions, "/api/v1/auth/sessions/revoke-all", endpoint="auth_sessions_revoke_all")
    # A UUID converter: `revoke-all` is then no session id, so the literal path answers only POST (405 otherwise).
    api.add_resource(SessionDetail, "/api/v1/auth/sessions/<uuid:session_id>", endpoint="auth_session_detail")
    api.add_resource(Roles, "/api/v1/auth/roles", endpoint="auth_roles")
    api.add_resource(AssignRole, "/api/v1/auth/users/<user_id>/roles", endpoint="auth_assign_role")
    api.add_resource(CheckPermission, "/api/v1/auth/check-permission", endpoint="auth_check_permission")
    api.add_resource(CheckRole, "/api/v1/auth/check-role", endpoint="auth_check_role")



