"""Auth, sessions, RBAC (API.md §3.1, P1-P12) and the user profile (§3.2, P13-P15). snake_case.

Input fields mirror the legacy `parse_body` specs field by field (same order, same options), so the
first failing field and its reason read the same on both apps.
"""
from __future__ import annotations

import uuid

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reference_django.common import parsing
from reference_django.common.access import get_or_404
from reference_django.common.envelope import ok
from reference_django.common.exceptions import InvalidRequest, NotFound, Unauthorized
from reference_django.common.fields import Email, Obj, Str
from reference_django.common.views import ApiView

from . import selectors, services, tokens
from .cookies import clear_auth_cookies, set_auth_cookies
from .models import User, UserSession
from .serializers import role as role_out
from .serializers import session as session_out
from .serializers import user as user_out

MIN_PASSWORD_LENGTH = 8
ROLE_NAMES = ("student", "instructor", "admin")


def client_of(request: Request) -> services.Client:
    ip = request.META.get("REMOTE_ADDR") or None
    return services.Client(ip=ip[:45] if ip else None, user_agent=request.META.get("HTTP_USER_AGENT", ""))


def token_data(pair: services.TokenPair) -> dict:
    return {"access_token": pair.access, "token_type": "Bearer", "expires_in": pair.expires_in}


# --- P1-P5 ----------------------------------------------------------------------------------------

class SignupApi(ApiView):
    guard = "public"
    rate_limits = {"post": "5/minute"}

    class InputSerializer(serializers.Serializer):
        email = Email(required=True)
        password = Str(required=True, min_len=MIN_PASSWORD_LENGTH, max_len=128)
        metadata = Obj(default=dict)

    def post(self, request: Request) -> Response:
        body = parsing.body(request, self.InputSerializer)
        user = services.user_signup(email=body["email"], password=body["password"], metadata=body["metadata"])
        return ok({"user": user_out(user)}, 201)


class LoginApi(ApiView):
    guard = "public"
    rate_limits = {"post": "10/minute"}

    class InputSerializer(serializers.Serializer):
        email = Email(required=True)
        password = Str(required=True, min_len=1, max_len=128)

    def post(self, request: Request) -> Response:
        body = parsing.body(request, self.InputSerializer)
        login = services.user_login(email=body["email"], password=body["password"], client=client_of(request))
        data = {"user": user_out(login.user, roles=login.roles, permissions=login.permissions),
                "session_id": login.session.id, "csrf_token": tokens.csrf_token(login.session.id),
                **token_data(login.tokens)}
        return set_auth_cookies(ok(data), login.tokens.access, login.tokens.refresh)


class LogoutApi(ApiView):
    csrf = False

    def post(self, request: Request) -> Response:
        services.session_end(session=self.identity.session, activity="logout", client=client_of(request))
        return clear_auth_cookies(ok({"message": "Logged out successfully"}))


class RefreshApi(ApiView):
    guard = "public"
    rate_limits = {"post": "30/minute"}

    def post(self, request: Request) -> Response:
        token = request.COOKIES.get("refresh_token")
        if not token:
            body = parsing.json_body(request, allow_empty=True)
            token = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        if not token:
            raise Unauthorized("Refresh token required", code="AUTH_REQUIRED")
        session, pair = services.session_refresh(token=token, client=client_of(request))
        data = {**token_data(pair), "csrf_token": tokens.csrf_token(session.id)}
        return set_auth_cookies(ok(data), pair.access, pair.refresh)


class CsrfTokenApi(ApiView):
    def get(self, request: Request) -> Response:
        return ok({"csrf_token": tokens.csrf_token(self.identity.session.id)})


# --- P6-P8 sessions -------------------------------------------------------------------------------

class SessionsApi(ApiView):
    def get(self, request: Request) -> Response:
        ident = self.identity
        rows = selectors.active_sessions(user_id=ident.user_id)
        return ok({"sessions": [session_out(r, current_id=ident.session.id) for r in rows]})


class SessionDetailApi(ApiView):
    def delete(self, request: Request, session_id: uuid.UUID) -> Response:
        ident = self.identity
        target = get_or_404(UserSession, str(session_id), "Session")
        if target.user_id != ident.user_id or not target.is_active:
            raise NotFound("Session not found")  # another user's session is indistinguishable from none
        services.session_end(session=target, activity="session_revoked", client=client_of(request))
        resp = ok({"session_id": target.id, "message": "Session revoked successfully"})
        return clear_auth_cookies(resp) if target.id == ident.session.id else resp


class RevokeAllSessionsApi(ApiView):
    def post(self, request: Request) -> Response:
        count = services.sessions_revoke_others(ident=self.identity, client=client_of(request))
        return ok({"revoked_count": count, "message": f"Revoked {count} session(s)"})


# --- P9-P12 RBAC ----------------------------------------------------------------------------------

class RolesApi(ApiView):
    def get(self, request: Request) -> Response:
        ident = self.identity
        return ok({"roles": [role_out(r, with_description=True) for r in selectors.active_roles(ident.user_id)],
                   "permissions": sorted(ident.permissions)})


class AssignRoleApi(ApiView):
    class InputSerializer(serializers.Serializer):
        role = Str(required=True, choices=ROLE_NAMES)

    def post(self, request: Request, user_id: str) -> Response:
        admin = self.require_admin()
        body = parsing.body(request, self.InputSerializer)
        target = get_or_404(User, user_id, "User")
        role = selectors.role_by_name(body["role"])
        if role is None:
            raise InvalidRequest("Unknown role", details={"field": "role", "reason": "is not a known role"})
        roles = services.user_role_assign(admin=admin, user=target, role=role, client=client_of(request))
        return ok({"user_id": target.id, "roles": [role_out(r) for r in roles],
                   "message": f"Role '{role.name}' assigned"})


class CheckPermissionApi(ApiView):
    csrf = False

    class InputSerializer(serializers.Serializer):
        permission = Str(required=True, min_len=1, max_len=100)

    def post(self, request: Request) -> Response:
        name = parsing.body(request, self.InputSerializer)["permission"]
        return ok({"permission": name, "has_permission": self.identity.has_permission(name)})


class CheckRoleApi(ApiView):
    csrf = False

    class InputSerializer(serializers.Serializer):
        role = Str(required=True, min_len=1, max_len=50)

    def post(self, request: Request) -> Response:
        name = parsing.body(request, self.InputSerializer)["role"]
        return ok({"role": name, "has_role": self.identity.has_role(name)})


# --- P13-P15 profile ------------------------------------------------------------------------------

class ProfileApi(ApiView):
    rate_limits = {"get": "60/minute", "put": "10/minute", "delete": "1/hour"}

    class InputSerializer(serializers.Serializer):
        """P14's fields: the documented three plus the Proposed extras, each mapped 1:1 onto a users column."""

        full_name = Str(max_len=255)
        phone = Str(max_len=20)
        display_name = Str(max_len=100)
        username = Str(min_len=1, max_len=100, allow_null=True)
        bio = Str()
        avatar_url = Str(max_len=2048, allow_null=True)
        metadata = Obj()

    def get(self, request: Request) -> Response:
        return ok(user_out(self.identity.user, permissions=self.identity.permissions))

    def put(self, request: Request) -> Response:
        changes = parsing.body(request, self.InputSerializer, partial=True)
        user = services.profile_update(ident=self.identity, changes=changes, client=client_of(request))
        return ok(user_out(user, permissions=self.identity.permissions))

    def delete(self, request: Request) -> Response:
        services.profile_delete(ident=self.identity, client=client_of(request))
        return clear_auth_cookies(ok({"message": "Account deleted successfully"}))
