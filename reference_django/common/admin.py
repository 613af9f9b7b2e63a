"""Admin base classes shared by every app's admin.py (the apps register their own models)."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest

from .exceptions import VersionConflict

AUDIT_FIELDS = ("id", "version", "created_at", "updated_at", "created_by_id", "updated_by_id", "deleted_by_id")


class VersionedModelAdmin(admin.ModelAdmin):
    """A +M table: key and audit columns read-only; an edit is the API's versioned UPDATE.

    Saving through `save_versioned` bumps `version` like every legacy UPDATE, so an API client still
    holding the old version gets 409 VERSION_CONFLICT instead of silently overwriting the admin's edit.
    """

    readonly_fields: tuple[str, ...] = AUDIT_FIELDS
    list_per_page = 50
    actions = ["soft_delete_selected"]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        if not change:
            obj.created_by_id = obj.updated_by_id = request.user.pk
            obj.save()
            return
        concrete = {f.name for f in obj._meta.concrete_fields}
        changed = [name for name in form.changed_data if name in concrete]
        if changed:
            obj.save_versioned(changed, by=request.user.pk)

    @admin.action(description="Soft-delete the selected rows")
    def soft_delete_selected(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        done = 0
        for obj in queryset.filter(is_deleted=False):
            try:
                obj.soft_delete(by=request.user.pk)
                done += 1
            except VersionConflict:
                self.message_user(request, f"{obj} changed meanwhile; not deleted", messages.WARNING)
        self.message_user(request, f"Soft-deleted {done} row(s).")


class LinkModelAdmin(admin.ModelAdmin):
    """An association table (no +M columns): only the key is read-only."""

    readonly_fields: tuple[str, ...] = ("id",)
    list_per_page = 50
