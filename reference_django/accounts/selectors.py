"""Reads of the auth and profile routes (P1-P15): each one query."""
from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from .models import Role, User, UserRole, UserSession
from .serializers import active_roles

__all__ = ["active_roles", "active_sessions", "email_taken", "held_roles", "live_user_by_email", "only_active",
           "other_active_sessions", "role_by_name", "username_taken"]


def email_taken(email: str) -> bool:
    """Any user, soft-deleted included (the email stays reserved), whatever the stored case."""
    return User.objects.alias(email_lower=Lower("email")).filter(email_lower=email).exists()


def live_user_by_email(email: str) -> User | None:
    """The not-deleted user with this (lower-cased) email, compared case-insensitively as legacy does."""
    return User.objects.alias(email_lower=Lower("email")).filter(email_lower=email, is_deleted=False).first()


def active_sessions(*, user_id: str) -> QuerySet[UserSession]:
    """P6: the user's live sessions whose refresh token has not expired, newest first."""
    return (UserSession.objects
            .filter(user_id=user_id, is_active=True, is_deleted=False, refresh_expires_at__gt=timezone.now())
            .order_by("-created_at", "-id"))


def other_active_sessions(*, user_id: str, current_id: str) -> list[UserSession]:
    """P8: every active session of the user but the current one (soft-deleted rows too, as legacy)."""
    return list(UserSession.objects.filter(user_id=user_id, is_active=True).exclude(id=current_id))


def role_by_name(name: str) -> Role | None:
    """A role that is not soft-deleted (an inactive one can still be assigned, as legacy allows)."""
    return Role.objects.filter(name=name, is_deleted=False).first()


def held_roles(user_id: str) -> list[Role]:
    """Every role linked to the user, inactive and soft-deleted ones included."""
    return list(Role.objects.filter(id__in=UserRole.objects.filter(user_id=user_id).values("role_id")))


def only_active(roles: list[Role]) -> list[Role]:
    """The live ones, in `active_roles` order (priority, then id)."""
    return sorted((r for r in roles if r.is_active and not r.is_deleted), key=lambda r: (r.priority, r.id))


def username_taken(username: str, *, by_other_than: str) -> bool:
    """Soft-deleted users keep their username reserved."""
    return User.objects.filter(username=username).exclude(id=by_other_than).exists()
