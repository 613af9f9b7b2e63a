"""User management tables (SCHEMA.md §2.1–2.6): users, roles, permissions, their links, sessions, activity.

Conventions of every app's models (SCHEMA.md is the authority, the legacy DDL the reference):
- Names given by SCHEMA.md are kept verbatim; the others follow `ix_<table>__<cols>` / `uq_<table>__<cols>`.
- Uniques are `UniqueConstraint`s in Meta, never `unique=True` (which adds a `_like` index on PostgreSQL).
- Foreign keys carry no Django index (`db_index=False`); each FK column's plain index is declared in
  `Meta.indexes` under its legacy name. The ON DELETE clauses are written by the `*_legacy_ddl`
  migrations (common/migration_ops.py): Django 5.2 emulates `on_delete` in Python only.
- Every DB default is a `db_default` (with the same Python `default`). A float or decimal column's DB
  default and check bounds are integer `Value`s, because the legacy DDL says `DEFAULT 0` / `score >= 0`,
  where the field itself would render `0.0` (PostgreSQL) or `'0'` (SQLite); timestamps default to
  `TransactionNow()` (`now()`).
- JSON, float and decimal columns use common/model_fields.py: Django's fields on PostgreSQL, the legacy
  type names (JSON, DOUBLE, NUMERIC(10, 2)) on SQLite.
"""
from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models, transaction
from django.utils import timezone

from reference_django.common.model_fields import JSONField
from reference_django.common.models import BaseModel, IdModel, LiveManager, TransactionNow

from . import hashers

ADMIN_ROLE = "admin"


class UserManager(BaseUserManager["User"]):
    """`create_user` / `create_superuser` for `manage.py createsuperuser`: an admin is a user holding
    the `admin` role (created with the seed's display name if the database has none yet)."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).strip().lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    @transaction.atomic
    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.create_user(email, password, **fields)
        role, _ = Role.objects.using(self._db).get_or_create(
            name=ADMIN_ROLE, defaults={"display_name": "Administrator", "priority": 100})
        UserRole.objects.using(self._db).create(user=user, role=role)
        return user


class User(AbstractBaseUser, BaseModel):
    email = models.CharField(max_length=255)
    username = models.CharField(max_length=100, null=True, blank=True)
    # Django's two auth columns, mapped onto the legacy names (SCHEMA.md §2.1). Hashing lives in hashers.py.
    password = models.CharField(max_length=255, null=True, blank=True, db_column="password_hash")
    last_login = models.DateTimeField(null=True, blank=True, db_column="last_login_at")
    full_name = models.CharField(max_length=255, blank=True, default="", db_default="")
    display_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    avatar_url = models.TextField(null=True, blank=True)
    phone = models.CharField(max_length=20, blank=True, default="", db_default="")
    bio = models.TextField(blank=True, default="", db_default="")
    status = models.CharField(max_length=20, default="active", db_default="active")
    email_verified = models.BooleanField(default=False, db_default=False)
    phone_verified = models.BooleanField(default=False, db_default=False)
    two_factor_enabled = models.BooleanField(default=False, db_default=False)
    metadata = JSONField(blank=True, default=dict, db_default={})
    preferences = JSONField(blank=True, default=dict, db_default={})
    last_login_ip = models.CharField(max_length=45, null=True, blank=True)
    last_login_device = models.TextField(blank=True, default="", db_default="")

    roles = models.ManyToManyField("Role", through="UserRole", through_fields=("user", "role"),
                                   related_name="users", blank=True)
    direct_permissions = models.ManyToManyField("Permission", through="UserPermission",
                                                through_fields=("user", "permission"),
                                                related_name="direct_users", blank=True)

    objects = UserManager()
    live = LiveManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    # Werkzeug-format hashes (hashers.py): Django's registry cannot identify them, so both go direct.
    def set_password(self, raw_password: str) -> None:
        self.password = hashers.hash_password(raw_password)
        self._password = raw_password

    def check_password(self, raw_password: str) -> bool:
        return hashers.verify(self.password, raw_password)

    class Meta:
        db_table = "users"
        constraints = [
            models.UniqueConstraint(fields=["email"], name="uq_users__email"),
            models.UniqueConstraint(fields=["username"], name="uq_users__username"),
        ]
        indexes = [
            models.Index(fields=["email", "status"], name="idx_user_email_status"),
            models.Index(fields=["username", "status"], name="ix_users__username_status"),
            models.Index(fields=["-created_at"], name="idx_user_created_at"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def last_login_at(self):  # the legacy attribute name of Django's `last_login`
        return self.last_login

    @last_login_at.setter
    def last_login_at(self, value) -> None:
        self.last_login = value

    # --- what Django's auth and admin ask of a user --------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.status == "active" and not self.is_deleted

    @cached_property
    def is_admin(self) -> bool:
        """Holds the live `admin` role. Cached per instance: the admin asks once per model per page."""
        return self.user_roles.filter(role__name=ADMIN_ROLE, role__is_active=True, role__is_deleted=False).exists()

    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_admin

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff

    # --- the legacy model's read helpers ------------------------------------------------------------
    @property
    def role_names(self) -> list[str]:
        live_roles = self.roles.filter(is_active=True, is_deleted=False).order_by("priority")
        return list(live_roles.values_list("name", flat=True))

    @property
    def permission_names(self) -> list[str]:
        live = {"is_active": True, "is_deleted": False}
        via_roles = Permission.objects.filter(**live, roles__in=self.roles.filter(**live))
        direct = self.direct_permissions.filter(**live)
        return sorted(set(via_roles.values_list("name", flat=True)) | set(direct.values_list("name", flat=True)))


class Role(BaseModel):
    name = models.CharField(max_length=50)
    display_name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="", db_default="")
    is_active = models.BooleanField(default=True, db_default=True)
    priority = models.IntegerField(default=0, db_default=0)

    permissions = models.ManyToManyField("Permission", through="RolePermission", related_name="roles", blank=True)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "roles"
        constraints = [models.UniqueConstraint(fields=["name"], name="uq_roles__name")]

    def __str__(self) -> str:
        return self.name


class Permission(BaseModel):
    name = models.CharField(max_length=100)
    display_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    description = models.TextField(blank=True, default="", db_default="")
    resource = models.CharField(max_length=50)
    action = models.CharField(max_length=50)
    is_active = models.BooleanField(default=True, db_default=True)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "permissions"
        constraints = [
            models.UniqueConstraint(fields=["name"], name="uq_permissions__name"),
            models.UniqueConstraint(fields=["resource", "action"], name="uq_permissions__resource_action"),
        ]

    def __str__(self) -> str:
        return self.name


class UserRole(IdModel):
    user = models.ForeignKey(User, models.CASCADE, db_column="user_id", db_index=False, related_name="user_roles")
    role = models.ForeignKey(Role, models.CASCADE, db_column="role_id", db_index=False, related_name="user_roles")
    assigned_at = models.DateTimeField(default=timezone.now, db_default=TransactionNow())
    assigned_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, db_column="assigned_by_id",
                                    db_index=False, related_name="+")

    class Meta:
        db_table = "user_roles"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="uq_user_roles__user_role")]
        indexes = [
            models.Index(fields=["assigned_by"], name="ix_user_roles__assigned_by_id"),
            models.Index(fields=["role"], name="ix_user_roles__role_id"),
            models.Index(fields=["user"], name="ix_user_roles__user_id"),
        ]


class RolePermission(IdModel):
    role = models.ForeignKey(Role, models.CASCADE, db_column="role_id", db_index=False,
                             related_name="role_permissions")
    permission = models.ForeignKey(Permission, models.CASCADE, db_column="permission_id", db_index=False,
                                   related_name="role_permissions")
    created_at = models.DateTimeField(default=timezone.now, db_default=TransactionNow())

    class Meta:
        db_table = "role_permissions"
        constraints = [models.UniqueConstraint(fields=["role", "permission"], name="uq_role_permissions__role_perm")]
        indexes = [
            models.Index(fields=["permission"], name="ix_role_permissions__permission_id"),
            models.Index(fields=["role"], name="ix_role_permissions__role_id"),
        ]


class UserPermission(IdModel):
    user = models.ForeignKey(User, models.CASCADE, db_column="user_id", db_index=False,
                             related_name="user_permissions")
    permission = models.ForeignKey(Permission, models.CASCADE, db_column="permission_id", db_index=False,
                                   related_name="user_permissions")
    granted_at = models.DateTimeField(default=timezone.now, db_default=TransactionNow())
    granted_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, db_column="granted_by_id",
                                   db_index=False, related_name="+")

    class Meta:
        db_table = "user_permissions"
        constraints = [
            models.UniqueConstraint(fields=["user", "permission"], name="uq_user_permissions__user_perm"),
        ]
        indexes = [
            models.Index(fields=["granted_by"], name="ix_user_permissions__granted_by_id"),
            models.Index(fields=["permission"], name="ix_user_permissions__permission_id"),
            models.Index(fields=["user"], name="ix_user_permissions__user_id"),
        ]


class UserSession(BaseModel):
    user = models.ForeignKey(User, models.CASCADE, db_column="user_id", db_index=False, related_name="sessions")
    session_token = models.TextField()  # JWTs exceed 255 characters
    refresh_token = models.TextField()
    ip_address = models.CharField(max_length=45, null=True, blank=True)
    user_agent = models.TextField(blank=True, default="", db_default="")
    device_info = JSONField(blank=True, default=dict, db_default={})
    expires_at = models.DateTimeField()
    refresh_expires_at = models.DateTimeField()
    is_active = models.BooleanField(default=True, db_default=True)
    last_activity = models.DateTimeField(default=timezone.now, db_default=TransactionNow())
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "user_sessions"
        indexes = [
            models.Index(fields=["expires_at"], name="ix_user_sessions__expires_at"),
            models.Index(fields=["user", "is_active"], name="ix_user_sessions__user_active"),
            models.Index(fields=["user"], name="ix_user_sessions__user_id"),
        ]


class UserActivity(BaseModel):
    user = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, db_column="user_id", db_index=False,
                             related_name="activities")
    session = models.ForeignKey(UserSession, models.SET_NULL, null=True, blank=True, db_column="session_id",
                                db_index=False, related_name="activities")
    activity_type = models.CharField(max_length=50)
    description = models.TextField(blank=True, default="", db_default="")
    resource_type = models.CharField(max_length=50, null=True, blank=True)
    resource_id = models.CharField(max_length=36, null=True, blank=True)
    ip_address = models.CharField(max_length=45, null=True, blank=True)
    user_agent = models.TextField(blank=True, default="", db_default="")
    metadata = JSONField(blank=True, default=dict, db_default={})

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "user_activities"
        indexes = [
            models.Index(fields=["activity_type", "created_at"], name="ix_user_activities__activity_type_created_at"),
            models.Index(fields=["session"], name="ix_user_activities__session_id"),
            models.Index(fields=["user"], name="ix_user_activities__user_id"),
            models.Index(fields=["user", "created_at"], name="ix_user_activities__user_id_created_at"),
        ]
