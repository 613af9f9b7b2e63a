"""User management tables (SCHEMA.md §2.1–2.6): users, roles, permissions, their links, sessions, activity."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from . import columns as c
from .base import Base, IdMixin, ModelMixin


class User(ModelMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = c.string(255)
    username: Mapped[str | None] = c.string(100, nullable=True)
    password_hash: Mapped[str | None] = c.string(255, nullable=True)
    full_name: Mapped[str] = c.string(255, default="")
    display_name: Mapped[str] = c.string(100, default="")
    avatar_url: Mapped[str | None] = c.text(nullable=True)
    phone: Mapped[str] = c.string(20, default="")
    bio: Mapped[str] = c.text(default="")
    status: Mapped[str] = c.string(20, default="active")
    email_verified: Mapped[bool] = c.boolean(False)
    phone_verified: Mapped[bool] = c.boolean(False)
    two_factor_enabled: Mapped[bool] = c.boolean(False)
    metadata_: Mapped[dict] = c.json("{}", name="metadata")
    preferences: Mapped[dict] = c.json("{}")
    last_login_at: Mapped[datetime | None] = c.timestamp()
    last_login_ip: Mapped[str | None] = c.string(45, nullable=True)
    last_login_device: Mapped[str] = c.text(default="")

    roles: Mapped[list[Role]] = relationship(
        secondary="user_roles", primaryjoin="User.id == UserRole.user_id",
        secondaryjoin="Role.id == UserRole.role_id", viewonly=True, order_by="Role.priority")
    direct_permissions: Mapped[list[Permission]] = relationship(
        secondary="user_permissions", primaryjoin="User.id == UserPermission.user_id",
        secondaryjoin="Permission.id == UserPermission.permission_id", viewonly=True)

    __table_args__ = (
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("username"),
        sa.Index("idx_user_email_status", "email", "status"),
        sa.Index(None, "username", "status"),
        sa.Index("idx_user_created_at", sa.text("created_at DESC")),
    )

    @property
    def role_names(self) -> list[str]:
        return [r.name for r in self.roles if r.is_active and not r.is_deleted]

    @property
    def permission_names(self) -> list[str]:
        names = {p.name for r in self.roles if r.is_active and not r.is_deleted
                 for p in r.permissions if p.is_active and not p.is_deleted}
        names |= {p.name for p in self.direct_permissions if p.is_active and not p.is_deleted}
        return sorted(names)



class Role(ModelMixin, Base):
    __tablename__ = "roles"

    name: Mapped[str] = c.string(50)
    display_name: Mapped[str] = c.string(100)
    description: Mapped[str] = c.text(default="")
    is_active: Mapped[bool] = c.boolean(True)
    priority: Mapped[int] = c.integer(0)

    permissions: Mapped[list[Permission]] = relationship(
        secondary="role_permissions", primaryjoin="Role.id == RolePermission.role_id",
        secondaryjoin="Permission.id == RolePermission.permission_id", viewonly=True, lazy="selectin")

    __table_args__ = (sa.UniqueConstraint("name"),)


class Permission(ModelMixin, Base):
    __tablename__ = "permissions"

    name: Mapped[str] = c.string(100)
    display_name: Mapped[str] = c.string(100, default="")
    description: Mapped[str] = c.text(default="")
    resource: Mapped[str] = c.string(50)
    action: Mapped[str] = c.string(50)
    is_active: Mapped[bool] = c.boolean(True)

    __table_args__ = (
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("resource", "action", name="uq_permissions__resource_action"),
    )


class UserRole(IdMixin, Base):
    __tablename__ = "user_roles"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    role_id: Mapped[str] = c.foreign_key("roles.id", "CASCADE")
    assigned_at: Mapped[datetime] = c.timestamp(nullable=False, now=True)
    assigned_by_id: Mapped[str | None] = c.foreign_key("users.id", "SET NULL", nullable=True)

    __table_args__ = (sa.UniqueConstraint("user_id", "role_id", name="uq_user_roles__user_role"),)


class RolePermission(IdMixin, Base):
    __tablename__ = "role_permissions"

    role_id: Mapped[str] = c.foreign_key("roles.id", "CASCADE")
    permission_id: Mapped[str] = c.foreign_key("permissions.id", "CASCADE")
    created_at: Mapped[datetime] = c.timestamp(nullable=False, now=True)

    __table_args__ = (sa.UniqueConstraint("role_id", "permission_id", name="uq_role_permissions__role_perm"),)


class UserPermission(IdMixin, Base):
    __tablename__ = "user_permissions"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    permission_id: Mapped[str] = c.foreign_key("permissions.id", "CASCADE")
    granted_at: Mapped[datetime] = c.timestamp(nullable=False, now=True)
    granted_by_id: Mapped[str | None] = c.foreign_key("users.id", "SET NULL", nullable=True)

    __table_args__ = (sa.UniqueConstraint("user_id", "permission_id", name="uq_user_permissions__user_perm"),)


class UserSession(ModelMixin, Base):
    __tablename__ = "user_sessions"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    session_token: Mapped[str] = c.text()
    refresh_token: Mapped[str] = c.text()
    ip_address: Mapped[str | None] = c.string(45, nullable=True)
    user_agent: Mapped[str] = c.text(default="")
    device_info: Mapped[dict] = c.json("{}")
    expires_at: Mapped[datetime] = c.timestamp(nullable=False)
    refresh_expires_at: Mapped[datetime] = c.timestamp(nullable=False)
    is_active: Mapped[bool] = c.boolean(True)
    last_activity: Mapped[datetime] = c.timestamp(nullable=False, now=True)
    revoked_at: Mapped[datetime | None] = c.timestamp()

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        sa.Index("ix_user_sessions__user_active", "user_id", "is_active"),
        sa.Index(None, "expires_at"),
    )


class UserActivity(ModelMixin, Base):
    __tablename__ = "user_activities"

    user_id: Mapped[str | None] = c.foreign_key("users.id", "SET NULL", nullable=True)
    session_id: Mapped[str | None] = c.foreign_key("user_sessions.id", "SET NULL", nullable=True)
    activity_type: Mapped[str] = c.string(50)
    description: Mapped[str] = c.text(default="")
    resource_type: Mapped[str | None] = c.string(50, nullable=True)
    resource_id: Mapped[str | None] = c.string(36, nullable=True)
    ip_address: Mapped[str | None] = c.string(45, nullable=True)
    user_agent: Mapped[str] = c.text(default="")
    metadata_: Mapped[dict] = c.json("{}", name="metadata")

    __table_args__ = (
        sa.Index(None, "user_id", "created_at"),
        sa.Index(None, "activity_type", "created_at"),
    )

