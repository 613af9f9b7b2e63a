"""Auth-module response objects of API.md §2 (snake_case; Role's `displayName` excepted)."""
from __future__ import annotations

from typing import Any

from reference_django.common.serializers import iso

from .models import Role, User, UserRole, UserSession


def role(r: Role, *, with_description: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name, "displayName": r.display_name}
    if with_description:
        out["description"] = r.description
    return out


def active_roles(user_id: str) -> list[Role]:
    """The user's active roles, by priority (one query)."""
    return list(Role.objects.filter(id__in=UserRole.objects.filter(user_id=user_id).values("role_id"),
                                    is_active=True, is_deleted=False).order_by("priority", "id"))


def user(u: User, *, roles: list[Role] | None = None, permissions: frozenset[str] | None = None) -> dict[str, Any]:
    """The User object. Pass `roles`/`permissions` when the caller already holds them (saves queries)."""
    if roles is None:
        roles = active_roles(u.id)
    if permissions is None:
        from .authentication import grants

        permissions = grants(u.id)[1]
    return {
        "id": u.id, "email": u.email, "username": u.username, "full_name": u.full_name,
        "display_name": u.display_name, "avatar_url": u.avatar_url, "phone": u.phone, "bio": u.bio,
        "status": u.status, "email_verified": u.email_verified,
        "roles": [role(r) for r in roles], "permissions": sorted(permissions),
        "metadata": u.metadata or {}, "last_login_at": iso(u.last_login),
        "created_at": iso(u.created_at), "updated_at": iso(u.updated_at),
    }


def session(s: UserSession, *, current_id: str | None) -> dict[str, Any]:
    return {
        "id": s.id, "ip_address": s.ip_address, "user_agent": s.user_agent, "device_info": s.device_info or {},
        "is_active": s.is_active, "is_current": s.id == current_id, "created_at": iso(s.created_at),
        "last_activity": iso(s.last_activity), "expires_at": iso(s.expires_at),
    }
