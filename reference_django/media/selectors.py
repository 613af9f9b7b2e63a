"""Media reads (API.md §3.7, §3.9, §3.10): upload sessions, local files, a user's media and storage use,
and the media of course sections. Each returns in one query."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Coalesce

from reference_django.common.exceptions import NotFound
from reference_django.common.fields import is_uuid

from .models import MediaFile, UploadSession

FILE_TYPES = ("video", "audio", "image", "document")
PROCESSING_STATUSES = ("pending", "uploading", "processing", "completed", "failed")
SORT_COLUMNS = {"created": "created_at", "updated": "updated_at", "filename": "filename", "fileSize": "file_size"}
#: By position in the section (unpositioned last), then upload time.
SECTION_ORDER = (F("order_in_section").asc(nulls_last=True), "created_at", "id")


def own_upload_session(session_key: str, user_id: str) -> UploadSession:
    """The caller's upload session; another user's session is as unknown as a missing one (404)."""
    if not is_uuid(session_key):  # session keys are UUIDs: anything else names no session
        raise NotFound("Upload session not found")
    up = UploadSession.objects.filter(session_key=session_key, is_deleted=False).first()
    if up is None or up.user_id != user_id:
        raise NotFound("Upload session not found")
    return up


def local_media(file_path: str) -> MediaFile | None:
    """The live media row of a file under UPLOAD_ROOT."""
    return MediaFile.objects.filter(storage_provider="local", file_path=file_path, is_deleted=False).first()


def own_media(user_id: str) -> QuerySet[MediaFile]:
    return MediaFile.objects.filter(user_id=user_id, is_deleted=False)


def user_media(user_id: str, *, file_type: str | None, status: str | None, sort_by: str,
               descending: bool) -> QuerySet[MediaFile]:
    qs = own_media(user_id)
    if file_type:
        qs = qs.filter(file_type=file_type)
    if status:
        qs = qs.filter(processing_status=status)
    sign = "-" if descending else ""
    return qs.order_by(sign + SORT_COLUMNS[sort_by], sign + "id")


def unassigned_videos(user_id: str) -> QuerySet[MediaFile]:
    return (own_media(user_id).filter(file_type="video", course_id__isnull=True, course_section_id__isnull=True)
            .order_by("-created_at", "-id"))


def storage_usage(user_id: str) -> dict[str, dict[str, int]]:
    """{file type: {"count", "bytes"}} of the caller's live files, every known type listed."""
    rows = (own_media(user_id).values("file_type")
            .annotate(n=Count("id"), size=Coalesce(Sum("file_size"), 0)).order_by())
    by_type = {t: {"count": 0, "bytes": 0} for t in FILE_TYPES}
    for row in rows:
        by_type[row["file_type"]] = {"count": int(row["n"]), "bytes": int(row["size"])}
    return by_type


def section_media(section_ids: Iterable[str], *, published_only: bool) -> dict[str, list[MediaFile]]:
    """The live media of each section, in section order."""
    ids = list(section_ids)
    grouped: dict[str, list[MediaFile]] = defaultdict(list)
    if not ids:
        return grouped
    qs = MediaFile.objects.filter(course_section_id__in=ids, is_deleted=False)
    if published_only:
        qs = qs.filter(is_published=True)
    for m in qs.order_by(*SECTION_ORDER):
        grouped[m.course_section_id].append(m)
    return grouped


def course_media(course_id: str) -> list[MediaFile]:
    return list(MediaFile.objects.filter(course_id=course_id, is_deleted=False).order_by(*SECTION_ORDER))


def section_files(section_id: str) -> list[MediaFile]:
    return list(MediaFile.objects.filter(course_section_id=section_id, is_deleted=False).order_by(*SECTION_ORDER))


def effective_status(up: UploadSession, now: datetime) -> str:
    """An unfinished session past its expiry reads as `expired` without anyone having to write it."""
    if up.status in ("pending", "uploading") and up.expires_at is not None and up.expires_at < now:
        return "expired"
    return up.status
