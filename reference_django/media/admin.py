"""Admin of the storage tables."""
from __future__ import annotations

from django.contrib import admin

from reference_django.common.admin import VersionedModelAdmin

from .models import MediaFile, UploadSession


@admin.register(MediaFile)
class MediaFileAdmin(VersionedModelAdmin):
    list_display = ("original_filename", "user", "file_type", "processing_status", "file_size",
                    "storage_provider", "course", "created_at", "is_deleted")
    list_filter = ("file_type", "processing_status", "storage_provider", "is_published", "is_deleted")
    list_select_related = ("user", "course")
    search_fields = ("original_filename", "filename", "title", "storage_key", "checksum", "user__email")
    raw_id_fields = ("user", "course", "course_section")
    date_hierarchy = "created_at"


@admin.register(UploadSession)
class UploadSessionAdmin(VersionedModelAdmin):
    list_display = ("session_key", "user", "filename", "status", "upload_progress", "started_at", "expires_at")
    list_filter = ("status", "is_deleted")
    list_select_related = ("user",)
    search_fields = ("session_key", "filename", "storage_key", "user__email")
    raw_id_fields = ("user", "course", "media_file")
    date_hierarchy = "started_at"
