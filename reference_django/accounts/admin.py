"""Admin of the user-management tables. Passwords are not editable here (hashes live in hashers.py)."""
from __future__ import annotations

from django.contrib import admin

from reference_django.common.admin import AUDIT_FIELDS, LinkModelAdmin, VersionedModelAdmin

from .models import Permission, Role, RolePermission, User, UserActivity, UserPermission, UserRole, UserSession


class UserRoleInline(admin.TabularInline):
    model = UserRole
    fk_name = "user"
    extra = 0
    raw_id_fields = ("role", "assigned_by")
    readonly_fields = ("assigned_at",)


class UserPermissionInline(admin.TabularInline):
    model = UserPermission
    fk_name = "user"
    extra = 0
    raw_id_fields = ("permission", "granted_by")
    readonly_fields = ("granted_at",)


class RolePermissionInline(admin.TabularInline):
    model = RolePermission
    extra = 0
    raw_id_fields = ("permission",)
    readonly_fields = ("created_at",)


@admin.register(User)
class UserAdmin(VersionedModelAdmin):
    list_display = ("email", "username", "full_name", "status", "email_verified", "is_deleted", "created_at")
    list_filter = ("status", "email_verified", "two_factor_enabled", "is_deleted")
    search_fields = ("email", "username", "full_name", "display_name")
    ordering = ("email",)
    exclude = ("password",)
    readonly_fields = AUDIT_FIELDS + ("last_login", "last_login_ip", "last_login_device")
    inlines = (UserRoleInline, UserPermissionInline)


@admin.register(Role)
class RoleAdmin(VersionedModelAdmin):
    list_display = ("name", "display_name", "priority", "is_active", "is_deleted")
    list_filter = ("is_active", "is_deleted")
    search_fields = ("name", "display_name")
    ordering = ("priority", "name")
    inlines = (RolePermissionInline,)


@admin.register(Permission)
class PermissionAdmin(VersionedModelAdmin):
    list_display = ("name", "resource", "action", "is_active", "is_deleted")
    list_filter = ("resource", "is_active", "is_deleted")
    search_fields = ("name", "display_name", "resource", "action")
    ordering = ("name",)


@admin.register(UserRole)
class UserRoleAdmin(LinkModelAdmin):
    list_display = ("user", "role", "assigned_at", "assigned_by")
    list_filter = ("role",)
    list_select_related = ("user", "role", "assigned_by")
    search_fields = ("user__email", "role__name")
    raw_id_fields = ("user", "role", "assigned_by")


@admin.register(RolePermission)
class RolePermissionAdmin(LinkModelAdmin):
    list_display = ("role", "permission", "created_at")
    list_filter = ("role",)
    list_select_related = ("role", "permission")
    search_fields = ("role__name", "permission__name")
    raw_id_fields = ("role", "permission")


@admin.register(UserPermission)
class UserPermissionAdmin(LinkModelAdmin):
    list_display = ("user", "permission", "granted_at", "granted_by")
    list_select_related = ("user", "permission", "granted_by")
    search_fields = ("user__email", "permission__name")
    raw_id_fields = ("user", "permission", "granted_by")


@admin.register(UserSession)
class UserSessionAdmin(VersionedModelAdmin):
    list_display = ("id", "user", "ip_address", "is_active", "last_activity", "expires_at", "revoked_at")
    list_filter = ("is_active", "is_deleted")
    list_select_related = ("user",)
    search_fields = ("id", "user__email", "ip_address", "user_agent")
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"


@admin.register(UserActivity)
class UserActivityAdmin(VersionedModelAdmin):
    list_display = ("created_at", "activity_type", "user", "resource_type", "resource_id", "ip_address")
    list_filter = ("activity_type", "resource_type")
    list_select_related = ("user",)
    search_fields = ("user__email", "activity_type", "description", "resource_id", "ip_address")
    raw_id_fields = ("user", "session")
    date_hierarchy = "created_at"
