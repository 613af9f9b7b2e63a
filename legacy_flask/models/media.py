"""Storage tables (SCHEMA.md §2.18–2.19): media files (Backblaze or local) and presigned-upload sessions."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from . import columns as c
from .base import Base, ModelMixin


class MediaFile(ModelMixin, Base):
    __tablename__ = "media_files"

    # idx_media_user_id below is this column's plain index, under the name the sources give.
    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE", index=False)
    course_id: Mapped[str | None] = c.foreign_key("courses.id", "SET NULL", nullable=True)
    course_section_id: Mapped[str | None] = c.foreign_key("course_sections.id", "SET NULL", nullable=True)
    title: Mapped[str | None] = c.string(255, nullable=True)
    description: Mapped[str | None] = c.text(nullable=True)
    order_in_section: Mapped[int | None] = c.integer(nullable=True)
    is_preview: Mapped[bool] = c.boolean(False)
    is_published: Mapped[bool] = c.boolean(True)
    filename: Mapped[str] = c.string(255)
    original_filename: Mapped[str] = c.string(255)
    file_path: Mapped[str] = c.text()
    file_type: Mapped[str] = c.string(50)
    mime_type: Mapped[str] = c.string(100)
    storage_provider: Mapped[str] = c.string(50, default="backblaze")
    bucket_name: Mapped[str] = c.string(100)
    storage_key: Mapped[str] = c.text()
    storage_url: Mapped[str] = c.text()
    cdn_url: Mapped[str | None] = c.text(nullable=True)
    thumbnail_url: Mapped[str | None] = c.text(nullable=True)
    file_size: Mapped[int] = c.integer(big=True)
    checksum: Mapped[str | None] = c.string(64, nullable=True)
    processing_status: Mapped[str] = c.string(50, default="pending")
    upload_progress: Mapped[float] = c.double(0)
    processing_started_at: Mapped[datetime | None] = c.timestamp()
    processing_completed_at: Mapped[datetime | None] = c.timestamp()
    processing_error: Mapped[str | None] = c.text(nullable=True)
    duration_seconds: Mapped[int | None] = c.integer(nullable=True)
    width: Mapped[int | None] = c.integer(nullable=True)
    height: Mapped[int | None] = c.integer(nullable=True)
    bitrate: Mapped[int | None] = c.integer(nullable=True)
    codec: Mapped[str | None] = c.string(50, nullable=True)
    frame_rate: Mapped[float | None] = c.double(nullable=True)
    metadata_: Mapped[dict | None] = c.json(None, nullable=True, name="metadata")
    tags: Mapped[list] = c.json("[]")
    access_count: Mapped[int] = c.integer(0)
    last_accessed_at: Mapped[datetime | None] = c.timestamp()

    __table_args__ = (
        sa.CheckConstraint("file_size >= 0", name="ck_media_files__size"),
        sa.CheckConstraint("upload_progress BETWEEN 0 AND 100", name="ck_media_files__progress"),
        sa.Index("idx_media_file_type_status", "file_type", "processing_status"),
        sa.Index("idx_media_storage_key", "storage_provider", "storage_key"),
        sa.Index("idx_media_checksum", "checksum"),
        sa.Index("idx_media_user_id", "user_id"),
        sa.Index("idx_media_user_type", "user_id", "file_type"),
        sa.Index("ix_media_files__section_order", "course_section_id", "order_in_section"),
    )


# SCHEMA.md names this FK constraint.
MediaFile.__table__.c.user_id.foreign_keys.copy().pop().constraint.name = sa.sql.elements.conv("fk_media_file_user")  # type: ignore[union-attr]


class UploadSession(ModelMixin, Base):
    __tablename__ = "upload_sessions"

    session_key: Mapped[str] = c.string(64)
    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    course_id: Mapped[str | None] = c.foreign_key("courses.id", "SET NULL", nullable=True)
    filename: Mapped[str] = c.string(255)
    file_size: Mapped[int] = c.integer(big=True)
    content_type: Mapped[str] = c.string(100)
    storage_key: Mapped[str | None] = c.text(nullable=True)
    bytes_uploaded: Mapped[int] = c.integer(0, big=True)
    upload_progress: Mapped[float] = c.double(0)
    status: Mapped[str] = c.string(50, default="pending")
    started_at: Mapped[datetime] = c.timestamp(nullable=False, now=True)
    completed_at: Mapped[datetime | None] = c.timestamp()
    expires_at: Mapped[datetime | None] = c.timestamp()
    error_message: Mapped[str | None] = c.text(nullable=True)
    media_file_id: Mapped[str | None] = c.foreign_key("media_files.id", "SET NULL", nullable=True)
    metadata_: Mapped[dict] = c.json("{}", name="metadata")

    __table_args__ = (
        sa.UniqueConstraint("session_key", name="uq_upload_sessions__session_key"),
        sa.Index("idx_upload_session_key", "session_key"),
        sa.Index("idx_upload_user_status", "user_id", "status"),
    )
