"""The shared response objects of API.md §2, built from model rows.

Casing is frozen per module (API.md §1.2): User, Session and Role are snake_case (Role's
`displayName` excepted); everything course-, learning- and media-related is camelCase.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .models import Course, CourseSection, MediaFile, Quiz, Review, Role, User, UserSession, Video


def iso(dt: datetime | None) -> str | None:
    """ISO-8601 UTC with the `Z` suffix; microseconds only when present. SQLite's naive values are UTC."""
    if dt is None:
        return None
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.isoformat().replace("+00:00", "Z")


def money(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)


# --- snake_case: auth, sessions, profile -----------------------------------------------------

def role(r: Role, *, with_description: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name, "displayName": r.display_name}
    if with_description:
        out["description"] = r.description
    return out


def active_roles(user: User) -> list[Role]:
    return [r for r in user.roles if r.is_active and not r.is_deleted]


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id, "email": u.email, "username": u.username, "full_name": u.full_name,
        "display_name": u.display_name, "avatar_url": u.avatar_url, "phone": u.phone, "bio": u.bio,
        "status": u.status, "email_verified": u.email_verified,
        "roles": [role(r) for r in active_roles(u)], "permissions": u.permission_names,
        "metadata": u.metadata_ or {}, "last_login_at": iso(u.last_login_at),
        "created_at": iso(u.created_at), "updated_at": iso(u.updated_at),
    }


def session(s: UserSession, *, current_id: str | None) -> dict[str, Any]:
    return {
        "id": s.id, "ip_address": s.ip_address, "user_agent": s.user_agent, "device_info": s.device_info or {},
        "is_active": s.is_active, "is_current": s.id == current_id, "created_at": iso(s.created_at),
        "last_activity": iso(s.last_activity), "expires_at": iso(s.expires_at),
    }


# --- camelCase: courses, learning, media ------------------------------------------------------

def instructor_ref(u: User, *, courses_count: int = 0, students_count: int = 0) -> dict[str, Any]:
    meta = u.metadata_ or {}
    expertise = meta.get("expertise") if isinstance(meta.get("expertise"), list) else []
    return {"id": u.id, "name": u.full_name or u.display_name or u.email, "email": u.email,
            "avatar": u.avatar_url, "bio": u.bio, "expertise": expertise,
            "coursesCount": courses_count, "studentsCount": students_count}


def course_summary(c: Course, *, instructor_stats: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    return {
        "id": c.id, "title": c.title, "description": c.description, "shortDescription": c.short_description,
        "thumbnailUrl": c.thumbnail_url,
        "instructor": instructor_ref(c.instructor, courses_count=instructor_stats[0],
                                     students_count=instructor_stats[1]),
        "price": money(c.price), "currency": c.currency, "duration": c.duration, "difficulty": c.difficulty,
        "language": c.language, "category": c.category, "tags": list(c.tags or []), "videos": [],
        "enrollmentCount": c.enrollment_count, "rating": float(c.rating), "ratingCount": c.rating_count,
        "isPublished": c.is_published, "isFree": c.is_free, "status": c.status,
        "publishedAt": iso(c.published_at), "createdAt": iso(c.created_at), "updatedAt": iso(c.updated_at),
    }


def quiz_point(q: Quiz, *, reveal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.id, "timestamp": q.timestamp_seconds, "question": q.question,
                           "options": list(q.options or [])}
    if reveal:
        out["correctAnswer"] = q.correct_answer
        out["explanation"] = q.explanation
    return out


def video(v: Video, *, reveal_answers: bool, can_watch: bool) -> dict[str, Any]:
    """`reveal_answers`: owner/admin views; `can_watch`: enrolled, owner or admin (API.md §2 visibility)."""
    return {
        "id": v.id, "courseId": v.course_id, "sectionId": v.section_id, "mediaFileId": v.media_file_id,
        "title": v.title, "description": v.description, "duration": v.duration_seconds, "order": v.order,
        "videoUrl": v.video_url if (can_watch or v.is_preview) else None, "videoProvider": v.video_provider,
        "thumbnailUrl": v.thumbnail_url, "transcript": list(v.transcript or []), "transcriptUrl": v.transcript_url,
        "subtitlesUrl": v.subtitles_url, "isPreview": v.is_preview, "isDownloadable": v.is_downloadable,
        "resources": list(v.resources or []),
        "quizPoints": [quiz_point(q, reveal=reveal_answers) for q in v.quizzes],
        "createdAt": iso(v.created_at), "updatedAt": iso(v.updated_at),
    }


def section(s: CourseSection) -> dict[str, Any]:
    return {"id": s.id, "courseId": s.course_id, "title": s.title, "description": s.description, "order": s.order,
            "isPublished": s.is_published, "isPreview": s.is_preview,
            "createdAt": iso(s.created_at), "updatedAt": iso(s.updated_at)}


def course_detail(c: Course, *, videos: Iterable[Video], sections: Iterable[CourseSection], reveal_answers: bool,
                  can_watch: bool, instructor_stats: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    out = course_summary(c, instructor_stats=instructor_stats)
    out.update({
        "videos": [video(v, reveal_answers=reveal_answers, can_watch=can_watch) for v in videos],
        "sections": [section(s) for s in sections],
        "prerequisites": list(c.prerequisites or []), "learningOutcomes": list(c.learning_outcomes or []),
        "targetAudience": list(c.target_audience or []), "courseStructure": c.course_structure,
        "seoMetadata": c.seo_metadata or {}, "version": c.version,
    })
    return out


def review(r: Review) -> dict[str, Any]:
    u = r.user
    return {"id": r.id, "userId": r.user_id, "userName": u.full_name or u.display_name or u.email,
            "userAvatar": u.avatar_url, "courseId": r.course_id, "rating": r.rating, "title": r.title,
            "comment": r.comment, "pros": list(r.pros or []), "cons": list(r.cons or []),
            "helpful": r.helpful_count, "verified": r.is_verified_purchase,
            "createdAt": iso(r.created_at), "updatedAt": iso(r.updated_at)}


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
