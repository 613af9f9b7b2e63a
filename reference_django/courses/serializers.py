"""Course-module response objects of API.md §2 (camelCase), with the visibility rules of §2."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from reference_django.accounts.models import User
from reference_django.common.serializers import iso

from .models import Course, CourseSection, Quiz, Video


def money(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)


def instructor_ref(u: User, *, courses_count: int = 0, students_count: int = 0) -> dict[str, Any]:
    meta = u.metadata or {}
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


def video(v: Video, *, quizzes: Iterable[Quiz], reveal_answers: bool, can_watch: bool) -> dict[str, Any]:
    """`reveal_answers`: owner/admin views; `can_watch`: enrolled, owner or admin (API.md §2 visibility).
    `quizzes`: the video's live quizzes in order (selectors.live_quizzes prefetches them)."""
    return {
        "id": v.id, "courseId": v.course_id, "sectionId": v.section_id, "mediaFileId": v.media_file_id,
        "title": v.title, "description": v.description, "duration": v.duration_seconds, "order": v.order,
        "videoUrl": v.video_url if (can_watch or v.is_preview) else None, "videoProvider": v.video_provider,
        "thumbnailUrl": v.thumbnail_url, "transcript": list(v.transcript or []), "transcriptUrl": v.transcript_url,
        "subtitlesUrl": v.subtitles_url, "isPreview": v.is_preview, "isDownloadable": v.is_downloadable,
        "resources": list(v.resources or []),
        "quizPoints": [quiz_point(q, reveal=reveal_answers) for q in quizzes],
        "createdAt": iso(v.created_at), "updatedAt": iso(v.updated_at),
    }


def section(s: CourseSection) -> dict[str, Any]:
    return {"id": s.id, "courseId": s.course_id, "title": s.title, "description": s.description, "order": s.order,
            "isPublished": s.is_published, "isPreview": s.is_preview,
            "createdAt": iso(s.created_at), "updatedAt": iso(s.updated_at)}


def course_detail(c: Course, *, videos: Iterable[Video], sections: Iterable[CourseSection], reveal_answers: bool,
                  can_watch: bool, instructor_stats: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """`videos` carry their quizzes in `live_quizzes` (see selectors.course_videos)."""
    out = course_summary(c, instructor_stats=instructor_stats)
    out.update({
        "videos": [video(v, quizzes=v.live_quizzes, reveal_answers=reveal_answers, can_watch=can_watch)
                   for v in videos],
        "sections": [section(s) for s in sections],
        "prerequisites": list(c.prerequisites or []), "learningOutcomes": list(c.learning_outcomes or []),
        "targetAudience": list(c.target_audience or []), "courseStructure": c.course_structure,
        "seoMetadata": c.seo_metadata or {}, "version": c.version,
    })
    return out
