"""MediaFile and MediaFileBrief (API.md §2), with the derived fields' rules."""
from __future__ import annotations

from typing import Any

from reference_django.common.serializers import iso

from .models import MediaFile


def file_size_formatted(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} GB"


def duration_formatted(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def media_file(m: MediaFile) -> dict[str, Any]:
    return {
        "id": m.id, "userId": m.user_id, "courseId": m.course_id, "courseSectionId": m.course_section_id,
        "title": m.title or m.original_filename, "description": m.description, "orderInSection": m.order_in_section,
        "isPreview": m.is_preview, "isPublished": m.is_published, "filename": m.filename,
        "originalFilename": m.original_filename, "fileType": m.file_type, "mimeType": m.mime_type,
        "fileSize": m.file_size, "fileSizeFormatted": file_size_formatted(m.file_size),
        "durationSeconds": m.duration_seconds, "durationFormatted": duration_formatted(m.duration_seconds),
        "width": m.width, "height": m.height,
        "resolution": f"{m.width}x{m.height}" if m.width and m.height else None,
        "bitrate": m.bitrate, "codec": m.codec, "frameRate": m.frame_rate,
        "processingStatus": m.processing_status, "uploadProgress": m.upload_progress,
        "processingError": m.processing_error, "storageKey": m.storage_key, "storageUrl": m.storage_url,
        "cdnUrl": m.cdn_url, "bestUrl": m.cdn_url or m.storage_url, "thumbnailUrl": m.thumbnail_url,
        "tags": list(m.tags or []), "createdAt": iso(m.created_at), "updatedAt": iso(m.updated_at),
    }


def media_brief(m: MediaFile) -> dict[str, Any]:
    return {"id": m.id, "title": m.title or m.original_filename, "originalFilename": m.original_filename,
            "filename": m.filename, "fileType": m.file_type, "durationSeconds": m.duration_seconds,
            "durationFormatted": duration_formatted(m.duration_seconds), "orderInSection": m.order_in_section,
            "isPreview": m.is_preview, "isPublished": m.is_published}
