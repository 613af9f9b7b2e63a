"""P1-P15. The url names are the legacy Flask endpoint names: rate-limit counters are keyed on them."""
from __future__ import annotations

from django.urls import path, register_converter
from django.urls.converters import UUIDConverter

from . import apis


class AnyCaseUUIDConverter(UUIDConverter):
    """werkzeug's `<uuid:...>`: hex digits of either case (Django's own converter takes lowercase only)."""

    regex = "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"


register_converter(AnyCaseUUIDConverter, "anycase_uuid")

urlpatterns = [
    path("api/v1/auth/signup", apis.SignupApi.as_view(), name="auth_signup"),
    path("api/v1/auth/login", apis.LoginApi.as_view(), name="auth_login"),
    path("api/v1/auth/logout", apis.LogoutApi.as_view(), name="auth_logout"),
    path("api/v1/auth/refresh", apis.RefreshApi.as_view(), name="auth_refresh"),
    path("api/v1/auth/csrf-token", apis.CsrfTokenApi.as_view(), name="auth_csrf_token"),
    path("api/v1/auth/sessions", apis.SessionsApi.as_view(), name="auth_sessions"),
    # The literal revoke-all before the parametrised path (API.md §6 D3); UUIDs only there, so the
    # literal path answers only POST (405 otherwise), as on the legacy app.
    path("api/v1/auth/sessions/revoke-all", apis.RevokeAllSessionsApi.as_view(), name="auth_sessions_revoke_all"),
    path("api/v1/auth/sessions/<anycase_uuid:session_id>", apis.SessionDetailApi.as_view(),
         name="auth_session_detail"),
    path("api/v1/auth/roles", apis.RolesApi.as_view(), name="auth_roles"),
    path("api/v1/auth/users/<str:user_id>/roles", apis.AssignRoleApi.as_view(), name="auth_assign_role"),
    path("api/v1/auth/check-permission", apis.CheckPermissionApi.as_view(), name="auth_check_permission"),
    path("api/v1/auth/check-role", apis.CheckRoleApi.as_view(), name="auth_check_role"),
    path("api/v1/user/profile", apis.ProfileApi.as_view(), name="user_profile"),
]
