"""Storage tables (SCHEMA.md §2.18–2.19): media files (Backblaze or local) and presigned-upload sessions.

Mapped exactly onto the legacy DDL (see accounts/models.py for the conventions). The owner FK keeps
its SCHEMA.md name `fk_media_file_user` (set by this app's migrations) and its plain index is
`idx_media_user_id`, under the name the sources give.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.utils import timezone

from reference_django.common.model_fields import FloatField, JSONField
from reference_django.common.models import BaseModel, LiveManager, TransactionNow

USER = settings.AUTH_USER_MODEL


class MediaFile(BaseModel):
    user = models.ForeignKey(USER, models.CASCADE, db_column="user_id", db_index=False, related_name="media_files")
    course = models.ForeignKey("courses.Course", models.SET_NULL, null=True, blank=True, db_column="course_id",
                               db_index=False, related_name="media_files")
    course_section = models.ForeignKey("courses.CourseSection", models.SET_NULL, null=True, blank=True,
                                       db_column="course_section_id", db_index=False, related_name="media_files")
    title = models.CharField(max_length=255, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    order_in_section = models.IntegerField(null=True, blank=True)
    is_preview = models.BooleanField(default=False, db_default=False)
    is_published = models.BooleanField(default=True, db_default=True)
    filename = models.CharField(max_length=255)
    original_filename = models.CharField(max_length=255)
    file_path = models.TextField()
    file_type = models.CharField(max_length=50)
    mime_type = models.CharField(max_length=100)
    storage_provider = models.CharField(max_length=50, default="backblaze", db_default="backblaze")
    bucket_name = models.CharField(max_length=100)
    storage_key = models.TextField()
    storage_url = models.TextField()
    cdn_url = models.TextField(null=True, blank=True)
    thumbnail_url = models.TextField(null=True, blank=True)
    file_size = models.BigIntegerField()  # bytes
    checksum = models.CharField(max_length=64, null=True, blank=True)
    processing_status = models.CharField(max_length=50, default="pending", db_default="pending")
    upload_progress = FloatField(default=0.0, db_default=Value(0))
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processing_completed_at = models.DateTimeField(null=True, blank=True)
    processing_error = models.TextField(null=True, blank=True)
    duration_seconds = models.IntegerField(null=True, blank=True)
    width = models.IntegerField(null=True, blank=True)
    height = models.IntegerField(null=True, blank=True)
    bitrate = models.IntegerField(null=True, blank=True)
    codec = models.CharField(max_length=50, null=True, blank=True)
    frame_rate = FloatField(null=True, blank=True)
    metadata = JSONField(null=True, blank=True)
    tags = JSONField(blank=True, default=list, db_default=[])
    access_count = models.IntegerField(default=0, db_default=0)
    last_accessed_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "media_files"
        constraints = [
            models.CheckConstraint(condition=Q(file_size__gte=0), name="ck_media_files__size"),
            models.CheckConstraint(condition=Q(upload_progress__gte=Value(0), upload_progress__lte=Value(100)),
                                   name="ck_media_files__progress"),
        ]
        indexes = [
            models.Index(fields=["checksum"], name="idx_media_checksum"),
            models.Index(fields=["file_type", "processing_status"], name="idx_media_file_type_status"),
            models.Index(fields=["storage_provider", "storage_key"], name="idx_media_storage_key"),
            models.Index(fields=["user"], name="idx_media_user_id"),
            models.Index(fields=["user", "file_type"], name="idx_media_user_type"),
            models.Index(fields=["course"], name="ix_media_files__course_id"),
            models.Index(fields=["course_section"], name="ix_media_files__course_section_id"),
            models.Index(fields=["course_section", "order_in_section"], name="ix_media_files__section_order"),
        ]

    def __str__(self) -> str:
        return self.title or self.original_filename


class UploadSession(BaseModel):
    session_key = models.CharField(max_length=64)
    user = models.ForeignKey(USER, models.CASCADE, db_column="user_id", db_index=False,
                             related_name="upload_sessions")
    course = models.ForeignKey("courses.Course", models.SET_NULL, null=True, blank=True, db_column="course_id",
                               db_index=False, related_name="upload_sessions")
    filename = models.CharField(max_length=255)
    file_size = models.BigIntegerField()
    content_type = models.CharField(max_length=100)
    storage_key = models.TextField(null=True, blank=True)
    bytes_uploaded = models.BigIntegerField(default=0, db_default=0)
    upload_progress = FloatField(default=0.0, db_default=Value(0))
    status = models.CharField(max_length=50, default="pending", db_default="pending")
    started_at = models.DateTimeField(default=timezone.now, db_default=TransactionNow())
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(null=True, blank=True)
    media_file = models.ForeignKey(MediaFile, models.SET_NULL, null=True, blank=True, db_column="media_file_id",
                                   db_index=False, related_name="upload_sessions")
    metadata = JSONField(blank=True, default=dict, db_default={})

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "upload_sessions"
        constraints = [models.UniqueConstraint(fields=["session_key"], name="uq_upload_sessions__session_key")]
        indexes = [
            models.Index(fields=["session_key"], name="idx_upload_session_key"),
            models.Index(fields=["user", "status"], name="idx_upload_user_status"),
            models.Index(fields=["course"], name="ix_upload_sessions__course_id"),
            models.Index(fields=["media_file"], name="ix_upload_sessions__media_file_id"),
            models.Index(fields=["user"], name="ix_upload_sessions__user_id"),
        ]

    def __str__(self) -> str:
        return self.session_key
