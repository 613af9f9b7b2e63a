"""Media upload through presigned POST (API.md §3.9, P53–P61 and X9). camelCase.

The storage backend (B2 when B2_BUCKET is set, the local disk otherwise) is chosen in
`legacy_flask.storage`; these routes only track upload sessions and media rows. The local
backend's upload target is the local bucket (`legacy_flask.bucket`), not an API route.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm.exc import StaleDataError

from .. import db, events, serializers
from ..access import course_or_404, get_or_404, media_or_404, require_media_owner, require_owner
from ..api import Api, ApiResource
from ..auth.identity import authenticated, current
from ..envelope import ok
from ..errors import ApiError, InvalidRequest, NotFound, invalid_field
from ..models import MediaFile, UploadSession, Video, new_id, utcnow
from ..pagination import page_params, paged, paginate
from ..storage import (
    MAX_UPLOAD_BYTES,
    PRESIGN_EXPIRY_SECONDS,
    ObjectMissing,
    StorageError,
    backend_for,
    media_backend,
    sanitized_filename,
)
from ..tasks import process_media, send
from ..validation import Int, Str, StrList, Uuid, is_uuid, parse_body, parse_query

log = logging.getLogger(__name__)

VIDEO_CONTENT_TYPES = ("video/mp4", "video/webm", "video/avi", "video/mov")
FILE_TYPES = ("video", "audio", "image", "document")
PROCESSING_STATUSES = ("pending", "uploading", "processing", "completed", "failed")
SORT_COLUMNS = {"created": MediaFile.created_at, "updated": MediaFile.updated_at, "filename": MediaFile.filename,
                "fileSize": MediaFile.file_size}


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def storage_key(user_id: str, session_key: str, filename: str) -> str:
    """API.md §3.9: `videos/{userId}/{sessionKey}_{sanitizedFilename}`."""
    return f"videos/{user_id}/{session_key}_{sanitized_filename(filename)}"


def own_upload_session(session_key: str) -> UploadSession:
    """The caller's upload session; another user's session is as unknown as a missing one (404)."""
    if not is_uuid(session_key):  # session keys are UUIDs: anything else names no session
        raise NotFound("Upload session not found")
    up = db.session().scalar(sa.select(UploadSession).where(
        UploadSession.session_key == session_key, UploadSession.is_deleted.is_(False)))
    if up is None or up.user_id != current().user_id:
        raise NotFound("Upload session not found")
    return up


def effective_status(up: UploadSession, now: datetime) -> str:
    """An unfinished session past its expiry reads as `expired` without anyone having to write it."""
    expires = _aware(up.expires_at)
    if up.status in ("pending", "uploading") and expires is not None and expires < now:
        return "expired"
    return up.status


class UploadInitiate(ApiResource):
    rate_limits = {"post": "10/minute"}

    @authenticated
    def post(self):
        ident = current()
        body = parse_body({
            "filename": Str(required=True, min_len=1, max_len=255),
            "fileSize": Int(required=True, min=1, max=MAX_UPLOAD_BYTES),
            "contentType": Str(required=True, choices=VIDEO_CONTENT_TYPES),
            "courseId": Uuid(nullable=True),
            "tags": StrList(default=list),
        })
        course_id = None
        if body.get("courseId"):
            course = course_or_404(body["courseId"])
            require_owner(course)
            course_id = course.id
        session_key = new_id()
        key = storage_key(ident.user_id, session_key, body["filename"])
        post = media_backend().presigned_post(key, body["contentType"])
        now = utcnow()
        db.session().add(UploadSession(
            session_key=session_key, user_id=ident.user_id, course_id=course_id, filename=body["filename"],
            file_size=body["fileSize"], content_type=body["contentType"], storage_key=key, status="pending",
            started_at=now, expires_at=now + timedelta(seconds=PRESIGN_EXPIRY_SECONDS),
            metadata_={"tags": body["tags"]}, created_by_id=ident.user_id, updated_by_id=ident.user_id))
        db.session().commit()
        return ok({"sessionKey": session_key, "uploadUrl": post.url, "fields": post.fields, "storageKey": key,
                   "expiresIn": PRESIGN_EXPIRY_SECONDS})


def _completed(media: MediaFile) -> dict:
    return {"mediaFileId": media.id, "cdnUrl": media.cdn_url, "storageUrl": media.storage_url,
            "storageKey": media.storage_key, "processingStatus": media.processing_status}


class UploadComplete(ApiResource):
    @authenticated
    def post(self):
        body = parse_body({"sessionKey": Str(required=True, min_len=1, max_len=64), "storageKey": Str(nullable=True)})
        up = own_upload_session(body["sessionKey"])
        if body.get("storageKey") and body["storageKey"] != up.storage_key:
            raise invalid_field("storageKey", "does not match the upload session")
        s = db.session()
        if up.status == "completed" and up.media_file_id:  # idempotent repeat
            return ok(_completed(s.get(MediaFile, up.media_file_id)))
        now = utcnow()
        if effective_status(up, now) == "expired":
            raise InvalidRequest("The upload session has expired", details={"field": "sessionKey", "reason": "expired"})
        backend = media_backend()
        try:
            size = backend.uploaded_size(up.storage_key, up.file_size)
        except ObjectMissing:
            raise invalid_field("storageKey", "no uploaded object was found in storage") from None
        except StorageError as exc:
            self._fail(up, str(exc))
            raise ApiError("Storage is unavailable", code="INTERNAL_ERROR", status=500) from None
        try:
            media = self._create_media(up, backend, size, now)
            s.commit()
        except StaleDataError:  # a concurrent complete of the same session won the race
            s.rollback()
            s.refresh(up)
            if up.status == "completed" and up.media_file_id:
                return ok(_completed(s.get(MediaFile, up.media_file_id)))
            raise
        except Exception:
            s.rollback()
            self._fail(up, "The upload could not be completed")  # the details go to the log, not the client
            raise
        return ok(_completed(media))

    @staticmethod
    def _create_media(up: UploadSession, backend, size: int, now: datetime) -> MediaFile:
        key = up.storage_key
        media = MediaFile(
            id=new_id(), user_id=up.user_id, course_id=up.course_id, filename=key.rsplit("/", 1)[-1][:255],
            original_filename=up.filename[:255], file_path=key, file_type="video", mime_type=up.content_type,
            storage_provider=backend.provider, bucket_name=backend.bucket, storage_key=key,
            storage_url=backend.storage_url(key), cdn_url=backend.cdn_url(key), file_size=size,
            processing_status="completed", upload_progress=100.0, tags=list((up.metadata_ or {}).get("tags") or []),
            created_by_id=up.user_id, updated_by_id=up.user_id)
        db.session().add(media)
        up.status, up.upload_progress, up.bytes_uploaded = "completed", 100.0, size
        up.completed_at, up.media_file_id, up.error_message, up.updated_by_id = now, media.id, None, up.user_id
        return media

    @staticmethod
    def _fail(up: UploadSession, error: str) -> None:
        """API.md P54: a server-side failure leaves the session `failed` (its own small commit)."""
        s = db.session()
        try:
            up.status, up.error_message = "failed", error[:2000]
            s.commit()
        except Exception:  # pragma: no cover - the database itself is failing
            s.rollback()
            log.exception("could not mark upload session %s failed", up.session_key)


class UploadProgress(ApiResource):
    @authenticated
    def get(self, session_key: str):
        up = own_upload_session(session_key)
        now = utcnow()
        status = effective_status(up, now)
        eta = speed = None
        started = _aware(up.started_at)
        elapsed = (now - started).total_seconds() if started else 0
        if status == "uploading" and up.bytes_uploaded > 0 and elapsed > 0:
            rate = up.bytes_uploaded / elapsed  # bytes per second
            eta = int(max(0, up.file_size - up.bytes_uploaded) / rate)
            speed = round(rate * 8 / 1_000_000, 2)
        return ok({"sessionKey": up.session_key, "status": status, "progress": up.upload_progress,
                   "uploadProgress": up.upload_progress, "bytesUploaded": up.bytes_uploaded, "fileSize": up.file_size,
                   "error": up.error_message, "mediaFileId": up.media_file_id, "etaSeconds": eta,
                   "uploadSpeedMbps": speed})


class MediaItem(ApiResource):
    @authenticated
    def get(self, media_file_id: str):
        media = media_or_404(media_file_id)
        require_media_owner(media)
        return ok(serializers.media_file(media))

    @authenticated
    def delete(self, media_file_id: str):
        media = media_or_404(media_file_id)
        ident = require_media_owner(media)
        s = db.session()
        s.execute(sa.update(Video).where(Video.media_file_id == media.id)
                  .values(media_file_id=None, updated_at=utcnow(), updated_by_id=ident.user_id,
                          version=Video.version + 1)
                  .execution_options(synchronize_session=False))
        media.soft_delete(by=ident.user_id)
        s.commit()
        backend = backend_for(media.storage_provider, media.bucket_name)
        if backend is not None:  # best effort: the row is already gone from the API
            try:
                backend.delete(media.storage_key)
            except (StorageError, OSError):
                log.warning("could not delete stored object %s", media.storage_key, exc_info=True)
        return ok({"id": media.id, "message": "Media file deleted successfully"})


class MediaProcess(ApiResource):
    @authenticated
    def post(self, media_file_id: str):
        media = media_or_404(media_file_id)
        require_media_owner(media)
        send(process_media, media.id)  # eager by default: done when this returns
        db.session().refresh(media)
        return ok(serializers.media_file(media))


class MediaAttachVideo(ApiResource):
    @authenticated
    def post(self, media_file_id: str):
        media = media_or_404(media_file_id)
        ident = require_media_owner(media)
        body = parse_body({"videoId": Uuid(required=True)})
        video = get_or_404(Video, body["videoId"], "Video", options=(orm.lazyload(Video.quizzes),))
        require_owner(course_or_404(video.course_id))  # 404 too when the video's course is deleted
        if media.file_type != "video":
            raise invalid_field("mediaFileId", "only a video file can be attached to a video")
        best_url = media.cdn_url or media.storage_url
        video.media_file_id, video.video_url, video.video_provider = media.id, best_url, "backblaze"
        changes = ["mediaFileId", "videoUrl", "videoProvider"]
        if media.duration_seconds is not None:
            video.duration_seconds = media.duration_seconds
            changes.append("duration")
        video.updated_by_id = ident.user_id
        db.session().commit()
        events.emit("course_updated", {"course_id": video.course_id, "changes": changes},
                    events.course_room(video.course_id))
        return ok({"videoId": video.id, "mediaFileId": media.id, "videoUrl": best_url,
                   "message": "Media file attached to video successfully"})


def _own_media() -> sa.Select:
    return sa.select(MediaFile).where(MediaFile.user_id == current().user_id, MediaFile.is_deleted.is_(False))


class UserMedia(ApiResource):
    rate_limits = {"get": "50/minute"}

    @authenticated
    def get(self):
        q = parse_query({"type": Str(choices=FILE_TYPES), "status": Str(choices=PROCESSING_STATUSES),
                         "sortBy": Str(choices=tuple(SORT_COLUMNS), default="created"),
                         "sortOrder": Str(choices=("asc", "desc"), default="desc")})
        page = page_params()
        stmt = _own_media()
        if q.get("type"):
            stmt = stmt.where(MediaFile.file_type == q["type"])
        if q.get("status"):
            stmt = stmt.where(MediaFile.processing_status == q["status"])
        column = SORT_COLUMNS[q["sortBy"]]
        direction = sa.desc if q["sortOrder"] == "desc" else sa.asc
        rows, total = paginate(db.session(), stmt.order_by(direction(column), direction(MediaFile.id)), page)
        return paged(ok({"mediaFiles": [serializers.media_file(m) for m in rows], "pagination": page.meta(total)}),
                     page, total)


class StorageUsage(ApiResource):
    @authenticated
    def get(self):
        rows = db.session().execute(
            sa.select(MediaFile.file_type, sa.func.count(MediaFile.id),
                      sa.func.coalesce(sa.func.sum(MediaFile.file_size), 0))
            .where(MediaFile.user_id == current().user_id, MediaFile.is_deleted.is_(False))
            .group_by(MediaFile.file_type))
        by_type = {t: {"count": 0, "bytes": 0} for t in FILE_TYPES}
        for file_type, count, size in rows:
            by_type.setdefault(file_type, {"count": 0, "bytes": 0})
            by_type[file_type] = {"count": int(count), "bytes": int(size)}
        total_files = sum(v["count"] for v in by_type.values())
        total_bytes = sum(v["bytes"] for v in by_type.values())
        return ok({"totalFiles": total_files, "totalBytes": total_bytes,
                   "totalSizeFormatted": serializers.file_size_formatted(total_bytes), "byType": by_type,
                   "quotaBytes": None})


class UnassignedVideos(ApiResource):
    rate_limits = {"get": "50/minute"}

    @authenticated
    def get(self):
        page = page_params()
        stmt = _own_media().where(MediaFile.file_type == "video", MediaFile.course_id.is_(None),
                                  MediaFile.course_section_id.is_(None))
        rows, total = paginate(db.session(), stmt.order_by(MediaFile.created_at.desc(), MediaFile.id.desc()), page)
        videos = [{**serializers.media_file(m), "isProcessed": m.processing_status == "completed",
                   "isReady": m.processing_status in ("completed", "pending")} for m in rows]
        return paged(ok({"videos": videos, "pagination": page.meta(total)}), page, total)


def register(api: Api) -> None:
    api.add_resource(UploadInitiate, "/api/v1/media/upload/initiate", endpoint="media_upload_initiate")
    api.add_resource(UploadComplete, "/api/v1/media/upload/complete", endpoint="media_upload_complete")
    api.add_resource(UploadProgress, "/api/v1/media/upload/progress/<string:session_key>",
                     endpoint="media_upload_progress")
    api.add_resource(MediaItem, "/api/v1/media/media/<string:media_file_id>", endpoint="media_item")
    api.add_resource(MediaProcess, "/api/v1/media/media/<string:media_file_id>/process", endpoint="media_process")
    api.add_resource(MediaAttachVideo, "/api/v1/media/media/<string:media_file_id>/attach-video",
                     endpoint="media_attach_video")
    api.add_resource(UserMedia, "/api/v1/media/user/media", endpoint="media_user_media")
    api.add_resource(StorageUsage, "/api/v1/media/user/storage-usage", endpoint="media_storage_usage")
    api.add_resource(UnassignedVideos, "/api/v1/media/user/unassigned-videos", endpoint="media_unassigned_videos")
