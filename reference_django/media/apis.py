"""Media routes: local file uploads (API.md §3.7, P47-P51, multipart in, snake_case out) and presigned media
uploads (§3.9, P53-P61 and X9, camelCase). One view per route; checks run in the legacy order (role, form
or body, 404, ownership, then the file itself)."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reference_django.common import parsing
from reference_django.common.access import (
    can_access,
    course_or_404,
    media_or_404,
    require_media_owner,
    require_owner,
    video_or_404,
)
from reference_django.common.envelope import ok
from reference_django.common.exceptions import Forbidden, InvalidRequest, NotFound, Unauthorized, invalid_field
from reference_django.common.fields import Int, QuerySerializer, Str, StrList, Uuid
from reference_django.common.pagination import page_params, paged, paginate
from reference_django.common.views import ApiView
from reference_django.courses.models import Course

from . import selectors, services
from .models import MediaFile, UploadSession
from .serializers import file_size_formatted, media_file
from .serving import file_response
from .storage import MAX_UPLOAD_BYTES, PRESIGN_EXPIRY_SECONDS, local_backend
from .uploads import DOCUMENTS, THUMBNAILS, VIDEOS, Upload, parse_file_path, read_multipart, read_upload

VIDEO_CONTENT_TYPES = ("video/mp4", "video/webm", "video/avi", "video/mov")


def upload_payload(upload: Upload) -> dict:
    return {"url": upload.url, "file_path": upload.file_path, "filename": upload.stored_name,
            "size": upload.size, "content_type": upload.content_type}


# --- P47-P51: local file uploads ----------------------------------------------------------------------

class VideoUploadApi(ApiView):
    """P47 POST /videos/upload."""

    rate_limits = {"post": "10/minute"}

    class FormSerializer(QuerySerializer):
        course_id = Str(required=True, min_len=1)

    def post(self, request: Request) -> Response:
        ident = self.require_instructor()
        multipart = read_multipart(request._request)  # a body above MAX_CONTENT_LENGTH is a 413 before any field
        form = parsing.validated(self.FormSerializer, multipart.fields)
        course = course_or_404(form["course_id"])
        require_owner(course, ident)
        upload = read_upload(multipart, VIDEOS)
        services.local_file_create(upload=upload, user_id=ident.user_id, course_id=course.id)
        return ok({**upload_payload(upload), "duration": None})


class ThumbnailUploadApi(ApiView):
    """P48 POST /thumbnails/upload: a course's or a video's thumbnail."""

    rate_limits = {"post": "20/minute"}

    class FormSerializer(QuerySerializer):
        resource_id = Str(required=True, min_len=1)
        resource_type = Str(required=True, choices=("course", "video"))

    def post(self, request: Request) -> Response:
        ident = self.require_instructor()
        multipart = read_multipart(request._request)
        form = parsing.validated(self.FormSerializer, multipart.fields)
        if form["resource_type"] == "course":
            resource = course = course_or_404(form["resource_id"])
        else:
            resource = video_or_404(form["resource_id"])  # a video of a deleted course is gone too
            course = resource.course
        require_owner(course, ident)
        upload = read_upload(multipart, THUMBNAILS)
        services.thumbnail_set(upload=upload, resource=resource, course_id=course.id, user_id=ident.user_id)
        return ok({**upload_payload(upload), "resource_id": resource.id, "resource_type": form["resource_type"]})


class DocumentUploadApi(ApiView):
    """P49 POST /documents/upload."""

    rate_limits = {"post": "20/minute"}

    class FormSerializer(QuerySerializer):
        course_id = Str(required=True, min_len=1)
        title = Str(max_len=255)

    def post(self, request: Request) -> Response:
        ident = self.require_instructor()
        multipart = read_multipart(request._request)
        form = parsing.validated(self.FormSerializer, multipart.fields)
        course = course_or_404(form["course_id"])
        require_owner(course, ident)
        upload = read_upload(multipart, DOCUMENTS)
        title = form.get("title") or None
        services.local_file_create(upload=upload, user_id=ident.user_id, course_id=course.id, title=title)
        return ok({**upload_payload(upload), "title": title or upload.original_name})


class DeleteUploadApi(ApiView):
    """P50 DELETE /delete: the uploader removes a file (JSON body)."""

    rate_limits = {"delete": "20/minute"}

    class InputSerializer(serializers.Serializer):
        file_path = Str(required=True, min_len=1, max_len=1000)

    def delete(self, request: Request) -> Response:
        ident = self.require_instructor()
        body = parsing.body(request, self.InputSerializer)
        _category, file_path = parse_file_path(body["file_path"])
        media = selectors.local_media(file_path)
        if media is None:
            raise NotFound("File not found")
        if media.user_id != ident.user_id:
            raise Forbidden("Only the uploader may delete this file")
        services.local_file_delete(media=media, user_id=ident.user_id)
        return ok({"file_path": file_path, "message": "File deleted successfully"})


class ServeUploadApi(ApiView):
    """P51 GET /uploads/{category}/{filename}: thumbnails to anyone, videos and documents to those who may
    see the course; Range and conditional requests as werkzeug's send_file answers them."""

    guard = "optional"

    def get(self, request: Request, category: str, filename: str) -> Response:
        try:
            cat, file_path = parse_file_path(f"{category}/{filename}")
        except InvalidRequest:
            raise NotFound("File not found") from None
        media = selectors.local_media(file_path)
        path = local_backend().path(file_path)
        if media is None or not path.is_file():
            raise NotFound("File not found")
        if cat is not THUMBNAILS:
            self.require_file_access(media)
        ext = path.name.rsplit(".", 1)[-1].lower()
        return file_response(request, path, cat.types.get(ext, media.mime_type or "application/octet-stream"))

    def require_file_access(self, media: MediaFile) -> None:
        """The uploader, an admin, or the owning course's owner or enrolled students."""
        ident = self.identity_or_none
        if ident is None:
            raise Unauthorized("Authentication required")
        if media.user_id == ident.user_id or ident.is_admin:
            return
        course = Course.objects.filter(pk=media.course_id).first() if media.course_id else None
        if course is None or course.is_deleted or not can_access(course, ident):
            raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")


# --- P53-P55: presigned upload sessions ---------------------------------------------------------------

class UploadInitiateApi(ApiView):
    """P53 POST /media/upload/initiate."""

    rate_limits = {"post": "10/minute"}

    class InputSerializer(serializers.Serializer):
        filename = Str(required=True, min_len=1, max_len=255)
        fileSize = Int(required=True, min=1, max=MAX_UPLOAD_BYTES)
        contentType = Str(required=True, choices=VIDEO_CONTENT_TYPES)
        courseId = Uuid(allow_null=True)
        tags = StrList(default=list)

    def post(self, request: Request) -> Response:
        ident = self.identity
        body = parsing.body(request, self.InputSerializer)
        course_id = None
        if body.get("courseId"):
            course = course_or_404(body["courseId"])
            require_owner(course, ident)
            course_id = course.id
        up, post = services.upload_initiate(user_id=ident.user_id, course_id=course_id, filename=body["filename"],
                                            file_size=body["fileSize"], content_type=body["contentType"],
                                            tags=body["tags"])
        return ok({"sessionKey": up.session_key, "uploadUrl": post.url, "fields": post.fields,
                   "storageKey": up.storage_key, "expiresIn": PRESIGN_EXPIRY_SECONDS})


def completed(media: MediaFile) -> dict:
    return {"mediaFileId": media.id, "cdnUrl": media.cdn_url, "storageUrl": media.storage_url,
            "storageKey": media.storage_key, "processingStatus": media.processing_status}


class UploadCompleteApi(ApiView):
    """P54 POST /media/upload/complete."""

    class InputSerializer(serializers.Serializer):
        sessionKey = Str(required=True, min_len=1, max_len=64)
        storageKey = Str(allow_null=True)

    def post(self, request: Request) -> Response:
        body = parsing.body(request, self.InputSerializer)
        up = selectors.own_upload_session(body["sessionKey"], self.identity.user_id)
        if body.get("storageKey") and body["storageKey"] != up.storage_key:
            raise invalid_field("storageKey", "does not match the upload session")
        return ok(completed(services.upload_complete(up=up)))


class UploadProgressApi(ApiView):
    """P55 GET /media/upload/progress/{sessionKey}."""

    def get(self, request: Request, session_key: str) -> Response:
        up = selectors.own_upload_session(session_key, self.identity.user_id)
        now = timezone.now()
        status = selectors.effective_status(up, now)
        eta, speed = transfer_estimates(up, status, now)
        return ok({"sessionKey": up.session_key, "status": status, "progress": up.upload_progress,
                   "uploadProgress": up.upload_progress, "bytesUploaded": up.bytes_uploaded,
                   "fileSize": up.file_size, "error": up.error_message, "mediaFileId": up.media_file_id,
                   "etaSeconds": eta, "uploadSpeedMbps": speed})


def transfer_estimates(up: UploadSession, status: str, now: datetime) -> tuple[int | None, float | None]:
    """(seconds left, Mbit/s) of an upload in progress, from its average rate so far."""
    elapsed = (now - up.started_at).total_seconds() if up.started_at else 0
    if status != "uploading" or up.bytes_uploaded <= 0 or elapsed <= 0:
        return None, None
    rate = up.bytes_uploaded / elapsed  # bytes per second
    return int(max(0, up.file_size - up.bytes_uploaded) / rate), round(rate * 8 / 1_000_000, 2)


# --- P56-P59: media files -------------------------------------------------------------------------------

class MediaItemApi(ApiView):
    """P56 GET and P59 DELETE /media/media/{id}."""

    def get(self, request: Request, media_file_id: str) -> Response:
        media = media_or_404(media_file_id)
        require_media_owner(media, self.identity)
        return ok(media_file(media))

    def delete(self, request: Request, media_file_id: str) -> Response:
        media = media_or_404(media_file_id)
        ident = require_media_owner(media, self.identity)
        services.media_delete(media=media, user_id=ident.user_id)
        return ok({"id": media.id, "message": "Media file deleted successfully"})


class MediaProcessApi(ApiView):
    """P57 POST /media/media/{id}/process."""

    def post(self, request: Request, media_file_id: str) -> Response:
        media = media_or_404(media_file_id)
        require_media_owner(media, self.identity)
        return ok(media_file(services.media_process(media=media)))


class MediaAttachVideoApi(ApiView):
    """P58 POST /media/media/{id}/attach-video."""

    class InputSerializer(serializers.Serializer):
        videoId = Uuid(required=True)

    def post(self, request: Request, media_file_id: str) -> Response:
        media = media_or_404(media_file_id)
        ident = require_media_owner(media, self.identity)
        body = parsing.body(request, self.InputSerializer)
        video = video_or_404(body["videoId"])  # 404 too when the video's course is deleted
        require_owner(video.course, ident)
        if media.file_type != "video":
            raise invalid_field("mediaFileId", "only a video file can be attached to a video")
        url = services.media_attach_video(media=media, video=video, user_id=ident.user_id)
        return ok({"videoId": video.id, "mediaFileId": media.id, "videoUrl": url,
                   "message": "Media file attached to video successfully"})


# --- P60, P61, X9: the caller's media ---------------------------------------------------------------------

class UserMediaApi(ApiView):
    """P60 GET /media/user/media."""

    rate_limits = {"get": "50/minute"}

    class FilterSerializer(QuerySerializer):
        type = Str(choices=selectors.FILE_TYPES)
        status = Str(choices=selectors.PROCESSING_STATUSES)
        sortBy = Str(choices=tuple(selectors.SORT_COLUMNS), default="created")
        sortOrder = Str(choices=("asc", "desc"), default="desc")

    def get(self, request: Request) -> Response:
        q = parsing.query(request, self.FilterSerializer)
        page = page_params(request)
        rows, total = paginate(selectors.user_media(self.identity.user_id, file_type=q.get("type"),
                                                    status=q.get("status"), sort_by=q["sortBy"],
                                                    descending=q["sortOrder"] == "desc"), page)
        return paged(ok({"mediaFiles": [media_file(m) for m in rows], "pagination": page.meta(total)}), page, total)


class StorageUsageApi(ApiView):
    """P61 GET /media/user/storage-usage."""

    def get(self, request: Request) -> Response:
        by_type = selectors.storage_usage(self.identity.user_id)
        total_files = sum(v["count"] for v in by_type.values())
        total_bytes = sum(v["bytes"] for v in by_type.values())
        return ok({"totalFiles": total_files, "totalBytes": total_bytes,
                   "totalSizeFormatted": file_size_formatted(total_bytes), "byType": by_type, "quotaBytes": None})


class UnassignedVideosApi(ApiView):
    """X9 GET /media/user/unassigned-videos."""

    rate_limits = {"get": "50/minute"}

    def get(self, request: Request) -> Response:
        page = page_params(request)
        rows, total = paginate(selectors.unassigned_videos(self.identity.user_id), page)
        videos = [{**media_file(m), "isProcessed": m.processing_status == "completed",
                   "isReady": m.processing_status in ("completed", "pending")} for m in rows]
        return paged(ok({"videos": videos, "pagination": page.meta(total)}), page, total)

