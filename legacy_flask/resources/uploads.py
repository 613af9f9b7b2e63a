"""Local file upload (API.md §3.7, P47–P51). Multipart in, snake_case out.

Files live at `<UPLOAD_ROOT>/{category}/{uuid}_{sanitized name}`; each upload also gets a
`media_files` row (storage_provider and bucket_name 'local') that records the uploader and the
course, which is what P50's uploader check and P51's access check read.
"""
from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, request, send_file
from sqlalchemy import orm
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestedRangeNotSatisfiable, RequestEntityTooLarge

from .. import db
from ..access import can_access, course_or_404, get_or_404, require_owner
from ..api import Api, ApiResource
from ..auth.identity import authenticated, current_or_none, require_instructor
from ..envelope import ok
from ..errors import ApiError, Forbidden, InvalidRequest, NotFound, PayloadTooLarge, Unauthorized, invalid_field
from ..models import Course, MediaFile, Video, utcnow
from ..serializers import file_size_formatted
from ..storage import UnsafePath, local_storage, safe_relative, sanitized_filename
from ..validation import Str, parse_body, parse_form


@dataclass(frozen=True, slots=True)
class Category:
    name: str  # the directory under UPLOAD_ROOT and the first segment of file_path
    form_field: str  # the multipart field carrying the file
    file_type: str  # media_files.file_type
    types: dict[str, str]  # allowed extension -> the Content-Type stored and served
    aliases: frozenset[str] = frozenset()  # other declared part types meaning the same thing

    def content_type(self, declared: str | None, filename: str) -> str:
        """The canonical type of an upload, or 400 when its extension or declared type is not allowed."""
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if ext not in self.types:
            raise invalid_field(self.form_field, "unsupported file type; allowed: " + ", ".join(self.types))
        declared = (declared or "").split(";")[0].strip().lower()
        if declared and declared not in GENERIC_TYPES | set(self.types.values()) | self.aliases:
            raise invalid_field(self.form_field, f"unsupported content type {declared}")
        return self.types[ext]


GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})

VIDEOS = Category("videos", "video", "video", {"mp4": "video/mp4", "webm": "video/webm", "mov": "video/quicktime"},
                  frozenset({"video/mov", "video/x-quicktime"}))
THUMBNAILS = Category("thumbnails", "thumbnail", "image", {"jpg": "image/jpeg", "jpeg": "image/jpeg",
                                                           "png": "image/png", "webp": "image/webp"},
                      frozenset({"image/jpg", "image/pjpeg"}))
DOCUMENTS = Category("documents", "document", "document", {
    "pdf": "application/pdf", "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
CATEGORIES = {c.name: c for c in (VIDEOS, THUMBNAILS, DOCUMENTS)}


def url_for_path(file_path: str) -> str:
    return f"/api/v1/uploads/{file_path}"


@dataclass(slots=True)
class Upload:
    category: Category
    file: FileStorage
    original_name: str
    stored_name: str
    content_type: str
    size: int

    @property
    def file_path(self) -> str:
        return f"{self.category.name}/{self.stored_name}"


def read_multipart() -> tuple[dict[str, str], dict[str, FileStorage]]:
    """The form fields and files of a multipart body; a body above MAX_CONTENT_LENGTH is a 413."""
    try:
        return request.form.to_dict(flat=True), request.files.to_dict(flat=True)
    except RequestEntityTooLarge:
        raise PayloadTooLarge("The request body exceeds the maximum upload size") from None


def read_upload(category: Category) -> Upload:
    """The category's file part, checked: present (400), allowed type (400), within its size limit (413)."""
    _form, files = read_multipart()
    file = files.get(category.form_field)
    if file is None or not file.filename:
        raise invalid_field(category.form_field, "a file is required")
    content_type = category.content_type(file.mimetype, file.filename)
    stream = file.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    limit = current_app.config["UPLOAD_LIMITS"][category.name]
    if size > limit:
        raise PayloadTooLarge(f"The file exceeds the {file_size_formatted(limit)} limit for {category.name}",
                              details={"field": category.form_field, "reason": "file too large"})
    if size == 0:
        raise invalid_field(category.form_field, "the file is empty")
    stored_name = f"{uuid.uuid4()}_{sanitized_filename(file.filename)}"
    return Upload(category, file, file.filename[:255], stored_name, content_type, size)


def form_fields(spec: dict) -> dict:
    read_multipart()  # a body above MAX_CONTENT_LENGTH is a 413 before any field check
    return parse_form(spec)


@contextlib.contextmanager
def stored(upload: Upload) -> Iterator[None]:
    """Write the file; remove it again if the request then fails (no partial write)."""
    storage = local_storage()
    storage.save(upload.file_path, upload.file.stream)
    try:
        yield
    except BaseException:
        storage.delete(upload.file_path)
        raise


def media_row(upload: Upload, *, user_id: str, course_id: str, title: str | None = None) -> MediaFile:
    now = utcnow()
    media = MediaFile(
        user_id=user_id, course_id=course_id, title=title, filename=upload.stored_name,
        original_filename=upload.original_name, file_path=upload.file_path, file_type=upload.category.file_type,
        mime_type=upload.content_type, storage_provider="local", bucket_name="local", storage_key=upload.file_path,
        storage_url=local_storage().storage_url(upload.file_path), file_size=upload.size,
        processing_status="completed", upload_progress=100.0, processing_started_at=now,
        processing_completed_at=now, tags=[], created_by_id=user_id, updated_by_id=user_id)
    db.session().add(media)
    return media


def upload_payload(upload: Upload) -> dict:
    return {"url": url_for_path(upload.file_path), "file_path": upload.file_path, "filename": upload.stored_name,
            "size": upload.size, "content_type": upload.content_type}


class VideoUpload(ApiResource):
    rate_limits = {"post": "10/minute"}

    @authenticated
    def post(self):
        ident = require_instructor()
        fields = form_fields({"course_id": Str(required=True, min_len=1)})
        course = course_or_404(fields["course_id"])
        require_owner(course)
        upload = read_upload(VIDEOS)
        with stored(upload):
            media_row(upload, user_id=ident.user_id, course_id=course.id)
            db.session().commit()
        return ok({**upload_payload(upload), "duration": None})


class ThumbnailUpload(ApiResource):
    rate_limits = {"post": "20/minute"}

    @authenticated
    def post(self):
        ident = require_instructor()
        fields = form_fields({"resource_id": Str(required=True, min_len=1),
                              "resource_type": Str(required=True, choices=("course", "video"))})
        if fields["resource_type"] == "course":
            resource = course = course_or_404(fields["resource_id"])
        else:
            resource = get_or_404(Video, fields["resource_id"], "Video", options=(orm.lazyload(Video.quizzes),))
            course = course_or_404(resource.course_id)  # a video of a deleted course is gone too
        require_owner(course)
        upload = read_upload(THUMBNAILS)
        with stored(upload):
            media = media_row(upload, user_id=ident.user_id, course_id=course.id)
            resource.thumbnail_url = media.storage_url
            resource.updated_by_id = ident.user_id
            db.session().commit()
        return ok({**upload_payload(upload), "resource_id": resource.id, "resource_type": fields["resource_type"]})


class DocumentUpload(ApiResource):
    rate_limits = {"post": "20/minute"}

    @authenticated
    def post(self):
        ident = require_instructor()
        fields = form_fields({"course_id": Str(required=True, min_len=1), "title": Str(max_len=255)})
        course = course_or_404(fields["course_id"])
        require_owner(course)
        upload = read_upload(DOCUMENTS)
        title = fields.get("title") or None
        with stored(upload):
            media_row(upload, user_id=ident.user_id, course_id=course.id, title=title)
            db.session().commit()
        return ok({**upload_payload(upload), "title": title or upload.original_name})


def parse_file_path(file_path: str, field: str = "file_path") -> tuple[Category, str]:
    """`<category>/<name>` checked for a known category and for traversal (400 otherwise)."""
    category_name = file_path.split("/", 1)[0]
    if category_name not in CATEGORIES:
        raise invalid_field(field, "unknown category; expected one of " + ", ".join(CATEGORIES))
    try:
        rel = safe_relative(file_path)
    except UnsafePath:
        raise invalid_field(field, "must be a relative path inside its category") from None
    if len(rel.parts) < 2:
        raise invalid_field(field, "must be <category>/<filename>")
    return CATEGORIES[category_name], str(rel)


def local_media(file_path: str) -> MediaFile | None:
    return db.session().scalar(sa.select(MediaFile).where(
        MediaFile.storage_provider == "local", MediaFile.file_path == file_path, MediaFile.is_deleted.is_(False)))


class DeleteUpload(ApiResource):
    rate_limits = {"delete": "20/minute"}

    @authenticated
    def delete(self):
        ident = require_instructor()
        body = parse_body({"file_path": Str(required=True, min_len=1, max_len=1000)})
        _category, file_path = parse_file_path(body["file_path"])
        media = local_media(file_path)
        if media is None:
            raise NotFound("File not found")
        if media.user_id != ident.user_id:
            raise Forbidden("Only the uploader may delete this file")
        media.soft_delete(by=ident.user_id)
        db.session().commit()
        with contextlib.suppress(OSError):  # the row is gone; a stray file is harmless
            local_storage().delete(file_path)
        return ok({"file_path": file_path, "message": "File deleted successfully"})


class ServeUpload(ApiResource):
    @authenticated(optional=True)
    def get(self, category: str, filename: str):
        try:
            cat, file_path = parse_file_path(f"{category}/{filename}")
        except InvalidRequest:
            raise NotFound("File not found") from None
        media = local_media(file_path)
        path = local_storage().path(file_path)
        if media is None or not path.is_file():
            raise NotFound("File not found")
        if cat is not THUMBNAILS:
            _require_file_access(media)
        ext = path.name.rsplit(".", 1)[-1].lower()
        mimetype = cat.types.get(ext, media.mime_type or "application/octet-stream")
        try:
            return send_file(path, mimetype=mimetype, conditional=True)  # Range -> 206
        except RequestedRangeNotSatisfiable:
            raise ApiError("The requested range cannot be satisfied", status=416, code="INVALID_REQUEST",
                           headers={"Content-Range": f"bytes */{path.stat().st_size}"}) from None


def _require_file_access(media: MediaFile) -> None:
    """Videos and documents: the uploader, an admin, or the owning course's owner or enrolled students."""
    ident = current_or_none()
    if ident is None:
        raise Unauthorized("Authentication required")
    if media.user_id == ident.user_id or ident.is_admin:
        return
    course = db.session().get(Course, media.course_id) if media.course_id else None
    if course is None or course.is_deleted or not can_access(course, ident):
        raise Forbidden("You are not enrolled in this course", code="NOT_ENROLLED")


def register(api: Api) -> None:
    api.add_resource(VideoUpload, "/api/v1/videos/upload", endpoint="upload_video")
    api.add_resource(ThumbnailUpload, "/api/v1/thumbnails/upload", endpoint="upload_thumbnail")
    api.add_resource(DocumentUpload, "/api/v1/documents/upload", endpoint="upload_document")
    api.add_resource(DeleteUpload, "/api/v1/delete", endpoint="upload_delete")
    api.add_resource(ServeUpload, "/api/v1/uploads/<string:category>/<path:filename>", endpoint="upload_serve")
