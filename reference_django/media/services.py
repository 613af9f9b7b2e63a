"""Media writes (API.md §3.7 local file uploads P47-P50, §3.9 presigned media uploads P53-P59).

Each service is one unit of work as the legacy route commits it: rows inserted, loaded rows changed by an
optimistic-locked UPDATE of the columns that really changed. Stored bytes follow the database: a file
written before a failed transaction is removed again, and an object is deleted from storage only once its
row is gone (best effort). Socket.IO events and course-cache invalidation run after the commit.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from reference_django.common import events
from reference_django.common.exceptions import ApiError, InvalidRequest, VersionConflict, invalid_field
from reference_django.common.models import new_id
from reference_django.courses import cache as course_cache
from reference_django.courses.models import Course, Video

from . import selectors
from .models import MediaFile, UploadSession
from .storage import (
    PRESIGN_EXPIRY_SECONDS,
    ObjectMissing,
    PresignedPost,
    StorageBackend,
    StorageError,
    backend_for,
    local_backend,
    media_backend,
    sanitized_filename,
)
from .tasks import process_media, send
from .uploads import Upload

log = logging.getLogger(__name__)


# --- P47-P50: local file uploads --------------------------------------------------------------------------

@contextlib.contextmanager
def _stored(upload: Upload) -> Iterator[None]:
    """Write the file; remove it again if the unit of work then fails (no partial write)."""
    storage = local_backend()
    storage.save(upload.file_path, upload.file)
    try:
        yield
    except BaseException:
        storage.delete(upload.file_path)
        raise


def _local_media(upload: Upload, *, user_id: str, course_id: str, title: str | None = None) -> MediaFile:
    now = timezone.now()
    return MediaFile.objects.create(
        user_id=user_id, course_id=course_id, title=title, filename=upload.stored_name,
        original_filename=upload.original_name, file_path=upload.file_path, file_type=upload.category.file_type,
        mime_type=upload.content_type, storage_provider="local", bucket_name="local", storage_key=upload.file_path,
        storage_url=local_backend().storage_url(upload.file_path), file_size=upload.size,
        processing_status="completed", upload_progress=100.0, processing_started_at=now,
        processing_completed_at=now, tags=[], created_by_id=user_id, updated_by_id=user_id)


def local_file_create(*, upload: Upload, user_id: str, course_id: str, title: str | None = None) -> MediaFile:
    """P47/P49: the file under UPLOAD_ROOT and its media_files row."""
    with _stored(upload), transaction.atomic():
        return _local_media(upload, user_id=user_id, course_id=course_id, title=title)


def thumbnail_set(*, upload: Upload, resource: Course | Video, course_id: str, user_id: str) -> MediaFile:
    """P48: the image, its media_files row, and the course's or video's thumbnail pointing at it."""
    with _stored(upload), transaction.atomic():
        media = _local_media(upload, user_id=user_id, course_id=course_id)
        if resource.save_changes({"thumbnail_url": media.storage_url}, by=user_id):
            # A course's thumbnail shows in its card (P16) and detail (P17), a video's in its course's detail.
            course_cache.invalidate_course(course_id)
    return media


def local_file_delete(*, media: MediaFile, user_id: str) -> None:
    """P50: soft-delete the row, then the file (a stray file is harmless once the row is gone)."""
    with transaction.atomic():
        media.soft_delete(by=user_id)
    with contextlib.suppress(OSError):
        local_backend().delete(media.file_path)


# --- P53-P54: presigned upload sessions -----------------------------------------------------------------

def storage_key(user_id: str, session_key: str, filename: str) -> str:
    """API.md §3.9: `videos/{userId}/{sessionKey}_{sanitizedFilename}`."""
    return f"videos/{user_id}/{session_key}_{sanitized_filename(filename)}"


@transaction.atomic
def upload_initiate(*, user_id: str, course_id: str | None, filename: str, file_size: int, content_type: str,
                    tags: list[str]) -> tuple[UploadSession, PresignedPost]:
    """P53: a pending upload session and the presigned POST the client uploads with."""
    session_key = new_id()
    key = storage_key(user_id, session_key, filename)
    post = media_backend().presigned_post(key, content_type)
    now = timezone.now()
    up = UploadSession.objects.create(
        session_key=session_key, user_id=user_id, course_id=course_id, filename=filename, file_size=file_size,
        content_type=content_type, storage_key=key, status="pending", started_at=now,
        expires_at=now + timedelta(seconds=PRESIGN_EXPIRY_SECONDS), metadata={"tags": tags},
        created_by_id=user_id, updated_by_id=user_id)
    return up, post


def upload_complete(*, up: UploadSession) -> MediaFile:
    """P54: the media row of an uploaded session. Idempotent; a storage or database failure leaves the
    session `failed` (500), a missing object is a 400."""
    if up.status == "completed" and up.media_file_id:
        return MediaFile.objects.get(pk=up.media_file_id)
    now = timezone.now()
    if selectors.effective_status(up, now) == "expired":
        raise InvalidRequest("The upload session has expired", details={"field": "sessionKey", "reason": "expired"})
    backend = media_backend()
    try:
        size = backend.uploaded_size(up.storage_key, up.file_size)
    except ObjectMissing:
        raise invalid_field("storageKey", "no uploaded object was found in storage") from None
    except StorageError as exc:
        upload_session_fail(up, str(exc))
        raise ApiError("Storage is unavailable", code="INTERNAL_ERROR", status=500) from None
    try:
        with transaction.atomic():
            return media_from_session(up, backend, size, now)
    except VersionConflict:  # a concurrent complete of the same session won the race
        up.refresh_from_db()
        if up.status == "completed" and up.media_file_id:
            return MediaFile.objects.get(pk=up.media_file_id)
        raise
    except Exception:
        upload_session_fail(up, "The upload could not be completed")  # the details go to the log, not the client
        raise


def media_from_session(up: UploadSession, backend: StorageBackend, size: int, now: datetime) -> MediaFile:
    key = up.storage_key
    media = MediaFile.objects.create(
        id=new_id(), user_id=up.user_id, course_id=up.course_id, filename=key.rsplit("/", 1)[-1][:255],
        original_filename=up.filename[:255], file_path=key, file_type="video", mime_type=up.content_type,
        storage_provider=backend.provider, bucket_name=backend.bucket, storage_key=key,
        storage_url=backend.storage_url(key), cdn_url=backend.cdn_url(key), file_size=size,
        processing_status="completed", upload_progress=100.0, tags=list((up.metadata or {}).get("tags") or []),
        created_by_id=up.user_id, updated_by_id=up.user_id)
    up.save_changes({"status": "completed", "upload_progress": 100.0, "bytes_uploaded": size, "completed_at": now,
                     "media_file_id": media.id, "error_message": None}, by=up.user_id)
    return media


def upload_session_fail(up: UploadSession, error: str) -> None:
    """API.md P54: a server-side failure leaves the session `failed` (its own small commit)."""
    try:
        up.refresh_from_db()  # whatever the failed unit of work changed in memory was rolled back
        up.save_changes({"status": "failed", "error_message": error[:2000]})
    except Exception:  # pragma: no cover - the database itself is failing
        log.exception("could not mark upload session %s failed", up.session_key)


# --- P57-P59: media files -----------------------------------------------------------------------------

def media_process(*, media: MediaFile) -> MediaFile:
    """P57: the processing task (eager by default: done when this returns), then the row as it is now."""
    send(process_media, media.id)
    media.refresh_from_db()
    return media


@transaction.atomic
def media_attach_video(*, media: MediaFile, video: Video, user_id: str) -> str:
    """P58: the video plays the media file (its best URL); returns that URL."""
    best_url = media.cdn_url or media.storage_url
    values: dict[str, Any] = {"media_file_id": media.id, "video_url": best_url, "video_provider": "backblaze"}
    changes = ["mediaFileId", "videoUrl", "videoProvider"]
    if media.duration_seconds is not None:
        values["duration_seconds"] = media.duration_seconds
        changes.append("duration")
    course_id = video.course_id
    if video.save_changes(values, by=user_id):
        course_cache.invalidate_course(course_id)
    transaction.on_commit(lambda: events.emit("course_updated", {"course_id": course_id, "changes": changes},
                                              events.course_room(course_id)))
    return best_url


def media_delete(*, media: MediaFile, user_id: str) -> None:
    """P59: unlink the videos playing it, soft-delete the row, then remove the stored object (best effort:
    the row is already gone from the API)."""
    with transaction.atomic():
        linked = Video.objects.filter(media_file_id=media.id)
        for course_id in set(linked.values_list("course_id", flat=True)):  # their details show the media id
            course_cache.invalidate_course(course_id)
        linked.update(media_file_id=None, updated_at=timezone.now(), updated_by_id=user_id, version=F("version") + 1)
        media.soft_delete(by=user_id)
    backend = backend_for(media.storage_provider, media.bucket_name)
    if backend is not None:
        try:
            backend.delete(media.storage_key)
        except (StorageError, OSError):
            log.warning("could not delete stored object %s", media.storage_key, exc_info=True)
