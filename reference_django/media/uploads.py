"""The multipart side of the local file uploads (API.md §3.7, P47-P51) and of the local bucket: the upload
categories with their allow-lists, the form read under the body limit, the file checked against its
category, and the `<category>/<name>` file paths. Errors are the legacy ones, in the legacy order."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest

from reference_django.common.exceptions import PayloadTooLarge, invalid_field

from .serializers import file_size_formatted
from .storage import UnsafePath, safe_relative, sanitized_filename

GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})
BODY_TOO_LARGE = "The request body exceeds the maximum upload size"


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


VIDEOS = Category("videos", "video", "video", {"mp4": "video/mp4", "webm": "video/webm", "mov": "video/quicktime"},
                  frozenset({"video/mov", "video/x-quicktime"}))
THUMBNAILS = Category("thumbnails", "thumbnail", "image", {"jpg": "image/jpeg", "jpeg": "image/jpeg",
                                                           "png": "image/png", "webp": "image/webp"},
                      frozenset({"image/jpg", "image/pjpeg"}))
DOCUMENTS = Category("documents", "document", "document", {
    "pdf": "application/pdf", "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
CATEGORIES = {c.name: c for c in (VIDEOS, THUMBNAILS, DOCUMENTS)}


@dataclass(frozen=True, slots=True)
class Multipart:
    fields: dict[str, str]
    files: dict[str, UploadedFile]


def read_multipart(request: HttpRequest) -> Multipart:
    """The form fields and files of a multipart body (the first value of each name, as werkzeug gives
    them). A body above MAX_CONTENT_LENGTH is a 413 before a byte of it is parsed; Django's own limits
    (DATA_UPLOAD_MAX_MEMORY_SIZE for the non-file fields, the field and file counts) are 413s too."""
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared_length = 0
    if declared_length > settings.MAX_CONTENT_LENGTH:
        raise PayloadTooLarge(BODY_TOO_LARGE)
    try:
        form, files = request.POST, request.FILES
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
        raise PayloadTooLarge(BODY_TOO_LARGE) from None
    return Multipart({k: v[0] for k, v in form.lists()}, {k: v[0] for k, v in files.lists()})


@dataclass(frozen=True, slots=True)
class Upload:
    category: Category
    file: UploadedFile
    original_name: str
    stored_name: str
    content_type: str
    size: int

    @property
    def file_path(self) -> str:
        return f"{self.category.name}/{self.stored_name}"

    @property
    def url(self) -> str:
        return url_for_path(self.file_path)


def read_upload(multipart: Multipart, category: Category) -> Upload:
    """The category's file part, checked: present (400), allowed type (400), within its size limit (413)."""
    file = multipart.files.get(category.form_field)
    if file is None or not file.name:
        raise invalid_field(category.form_field, "a file is required")
    content_type = category.content_type(file.content_type, file.name)
    limit = settings.UPLOAD_LIMITS[category.name]
    if file.size > limit:
        raise PayloadTooLarge(f"The file exceeds the {file_size_formatted(limit)} limit for {category.name}",
                              details={"field": category.form_field, "reason": "file too large"})
    if file.size == 0:
        raise invalid_field(category.form_field, "the file is empty")
    stored_name = f"{uuid.uuid4()}_{sanitized_filename(file.name)}"
    return Upload(category, file, file.name[:255], stored_name, content_type, file.size)


def url_for_path(file_path: str) -> str:
    return f"/api/v1/uploads/{file_path}"


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
