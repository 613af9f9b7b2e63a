"""Instructor writes on courses and videos (API.md §3.5, P31-P40), as the legacy app makes them.

Each service is one transaction with a fixed number of statements whatever the course's size:
copies are bulk INSERTs, quiz points are retired in one UPDATE, renumbering is one UPDATE. Every
UPDATE is optimistic-locked (`version`), so a row changed meanwhile is a 409 VERSION_CONFLICT.
`course_updated` events and cache invalidation run once the transaction has committed.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from reference_django.accounts.authentication import Identity
from reference_django.common import events
from reference_django.common.access import require_media_owner
from reference_django.common.exceptions import Conflict, InvalidRequest, VersionConflict, invalid_field
from reference_django.common.models import new_id

from . import cache, selectors
from .models import Course, CourseSection, Quiz, Video

#: API field -> courses column (P31, P32), in the legacy order (the order of `changes` in events).
COURSE_COLUMNS = {
    "title": "title", "description": "description", "shortDescription": "short_description",
    "thumbnailUrl": "thumbnail_url", "price": "price", "currency": "currency", "duration": "duration",
    "difficulty": "difficulty", "language": "language", "tags": "tags", "category": "category", "isFree": "is_free",
    "prerequisites": "prerequisites", "learningOutcomes": "learning_outcomes", "targetAudience": "target_audience",
    "courseStructure": "course_structure", "seoMetadata": "seo_metadata",
}
COURSE_FIELDS = {column: field for field, column in COURSE_COLUMNS.items()}
#: API field -> videos column (P37, P38).
VIDEO_COLUMNS = {
    "title": "title", "description": "description", "videoUrl": "video_url", "videoProvider": "video_provider",
    "thumbnailUrl": "thumbnail_url", "duration": "duration_seconds", "order": "order", "sectionId": "section_id",
    "isPreview": "is_preview", "isDownloadable": "is_downloadable", "transcriptUrl": "transcript_url",
    "subtitlesUrl": "subtitles_url", "resources": "resources", "mediaFileId": "media_file_id",
}

# Columns a duplicate copies as they are (P36); everything else is reset or regenerated.
COURSE_COPY = ("description", "short_description", "thumbnail_url", "preview_video_url", "price", "currency",
               "discount_price", "is_free", "duration", "difficulty", "language", "category", "tags", "prerequisites",
               "learning_outcomes", "target_audience", "course_structure", "metadata", "seo_metadata")
SECTION_COPY = ("title", "description", "order", "is_published", "is_preview")
VIDEO_COPY = ("media_file_id", "title", "description", "video_url", "video_provider", "thumbnail_url",
              "duration_seconds", "order", "is_preview", "is_downloadable", "is_published", "transcript_url",
              "subtitles_url", "transcript", "resources", "metadata", "video_quality", "has_captions",
              "caption_languages")
QUIZ_COPY = ("timestamp_seconds", "question", "options", "correct_answer", "explanation", "order_index")
COPY_SUFFIX = " (Copy)"


# --- helpers ---------------------------------------------------------------------------------------

def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def course_values(body: dict[str, Any]) -> dict[str, Any]:
    """The courses columns for the API fields present in a parsed P31/P32 body."""
    values = {column: body[field] for field, column in COURSE_COLUMNS.items() if field in body}
    if "price" in values:
        values["price"] = money(values["price"])
        if "isFree" not in body:  # isFree follows the price unless it is sent
            values["is_free"] = values["price"] == 0
    if "currency" in values:
        values["currency"] = values["currency"].upper()
    return values


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:240].rstrip("-") or "course"


def unique_slug(title: str) -> str:
    """The title's slug, with `-n` appended when it is taken."""
    base = slugify(title)
    taken = selectors.taken_slugs(base)
    if base not in taken:
        return base
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def clone(row: Any, model: type, columns: tuple[str, ...], **overrides: Any) -> Any:
    values = {c: copy.deepcopy(getattr(row, c)) for c in columns}
    return model(id=new_id(), **values, **overrides)


def changed_columns(row: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {column: value for column, value in values.items() if getattr(row, column) != value}


def course_updated(course_id: str, changes: list[str]) -> None:
    """The legacy `course_updated` emit, after the commit (nothing when nothing changed)."""
    if changes:
        transaction.on_commit(lambda: events.emit(
            "course_updated", {"course_id": course_id, "changes": changes}, events.course_room(course_id)))


def check_quiz_points(points: list[dict[str, Any]]) -> None:
    for i, point in enumerate(points):
        if point["correctAnswer"] >= len(point["options"]):
            raise invalid_field("quizPoints", f"entry {i} 'correctAnswer' must be an index into 'options'")


def new_quiz_points(video: Video, points: list[dict[str, Any]], by: str) -> list[Quiz]:
    """Quiz rows for the parsed points, also set as the video's `live_quizzes` (no reload needed)."""
    quizzes = [Quiz(id=new_id(), video_id=video.id, course_id=video.course_id, timestamp_seconds=p["timestamp"],
                    question=p["question"], options=p["options"], correct_answer=p["correctAnswer"],
                    explanation=p["explanation"], order_index=i, created_by_id=by) for i, p in enumerate(points)]
    video.live_quizzes = sorted(quizzes, key=lambda q: (q.timestamp_seconds, q.order_index, q.id))
    return quizzes


def retire_quiz_points(video: Video, by: str) -> None:
    """Soft-deletes every live quiz point of the video in one UPDATE."""
    now = timezone.now()
    Quiz.objects.filter(video_id=video.id, is_deleted=False).update(
        is_deleted=True, deleted_at=now, deleted_by_id=by, updated_at=now, version=F("version") + 1)


def renumber(videos: list[Video]) -> int:
    """Orders 1..n in list order with one UPDATE of the videos whose position changes, optimistic-locked
    per row (a video changed meanwhile makes it a 409). Returns how many moved."""
    moved = [(position, v) for position, v in enumerate(videos, start=1) if v.order != position]
    if not moved:
        return 0
    now = timezone.now()
    matched = Video.objects.filter(
        id__in=[v.id for _, v in moved],
        version=Case(*(When(id=v.id, then=Value(v.version)) for _, v in moved)),
    ).update(order=Case(*(When(id=v.id, then=Value(position)) for position, v in moved)),
             updated_at=now, version=F("version") + 1)
    if matched != len(moved):
        raise VersionConflict("The resource was modified by another request")
    for position, video in moved:  # the loaded rows now match the database
        video.order, video.updated_at, video.version = position, now, video.version + 1
    return len(moved)


def resolve_references(ident: Identity, course_id: str, section_id: str | None, media_id: str | None):
    """Checks a body's mediaFileId (a live media file, else 404), sectionId (a live section of this
    course, else 400) and then the media file's owner (else 403). Returns the media file."""
    media, section_ok = selectors.reference_checks(course_id, section_id, media_id)
    if not section_ok:
        raise invalid_field("sectionId", "must be a section of this course")
    if media is not None:
        require_media_owner(media, ident)
    return media


# --- P31-P36: courses ------------------------------------------------------------------------------------

@transaction.atomic
def course_create(*, ident: Identity, body: dict[str, Any]) -> Course:
    """P31: a draft course of the caller's (a draft shows in no cached read: nothing to invalidate)."""
    course = Course(id=new_id(), instructor_id=ident.user_id, slug=unique_slug(body["title"]), status="draft",
                    is_published=False, published_at=None, created_by_id=ident.user_id,
                    updated_by_id=ident.user_id, **course_values(body))
    course.save(force_insert=True)
    course.instructor = ident.user  # already loaded: no query to serialize it
    return course


@transaction.atomic
def course_update(*, ident: Identity, course: Course, body: dict[str, Any]) -> Course:
    """P32: the fields sent, optimistic-locked on the body's `version` and on the row's."""
    if "version" in body and body["version"] != course.version:
        raise Conflict("The course was modified since you loaded it", code="VERSION_CONFLICT")
    values = course_values(body)
    if "seo_metadata" in values:
        values["seo_metadata"] = {**(course.seo_metadata or {}), **values["seo_metadata"]}
    changed = changed_columns(course, values)
    if changed:
        for column, value in changed.items():
            setattr(course, column, value)
        course.save_versioned(list(changed), by=ident.user_id)
        cache.invalidate_course(course.id)
    course_updated(course.id, [COURSE_FIELDS[column] for column in changed])
    return course


@transaction.atomic
def course_delete(*, ident: Identity, course: Course) -> None:
    """P33: soft delete (enrollments and content stay)."""
    course.soft_delete(by=ident.user_id)
    cache.invalidate_publication(course)


@transaction.atomic
def course_publish(*, ident: Identity, course: Course) -> Course:
    """P34: needs a live video (`course.video_count`); publishing twice keeps the first time."""
    if not course.video_count:
        raise InvalidRequest("A course needs at least one video before it can be published",
                             details={"field": "videos", "reason": "the course has no videos"})
    changes: list[str] = []
    if course.status != "published" or not course.is_published:
        course.status, course.is_published, course.published_at = "published", True, timezone.now()
        course.save_versioned(["status", "is_published", "published_at"], by=ident.user_id)
        cache.invalidate_publication(course)
        changes = ["status", "isPublished", "publishedAt"]
    course_updated(course.id, changes)
    return course


@transaction.atomic
def course_unpublish(*, ident: Identity, course: Course) -> Course:
    """P35: back to `unpublished`; enrollments are kept."""
    changes: list[str] = []
    if course.status != "unpublished" or course.is_published:
        changes = ["status"] + (["isPublished"] if course.is_published else [])
        course.status, course.is_published = "unpublished", False
        course.save_versioned(["status", "is_published"], by=ident.user_id)
        cache.invalidate_publication(course)
    course_updated(course.id, changes)
    return course


@transaction.atomic
def course_duplicate(*, ident: Identity, course: Course,
                     sections: list[CourseSection]) -> tuple[Course, list[CourseSection], list[Video]]:
    """P36: a draft copy with its sections, videos and quiz points (new ids, counters reset), in four
    INSERTs. The copy is a draft: no cached read shows it."""
    by = ident.user_id
    title = f"{course.title[:255 - len(COPY_SUFFIX)]}{COPY_SUFFIX}"
    duplicate = clone(course, Course, COURSE_COPY, instructor_id=course.instructor_id, title=title,
                      slug=unique_slug(title), status="draft", is_published=False, published_at=None,
                      enrollment_count=0, completion_count=0, rating=0.0, rating_count=0,
                      created_by_id=by, updated_by_id=by)
    duplicate.instructor = course.instructor
    section_ids: dict[str, str] = {}
    new_sections = []
    for section in sections:
        new = clone(section, CourseSection, SECTION_COPY, course_id=duplicate.id, created_by_id=by)
        section_ids[section.id] = new.id
        new_sections.append(new)
    new_videos, new_quizzes = [], []
    for video in selectors.videos_with_quizzes(course.id):
        new = clone(video, Video, VIDEO_COPY, course_id=duplicate.id, section_id=section_ids.get(video.section_id),
                    created_by_id=by)
        new.live_quizzes = [clone(q, Quiz, QUIZ_COPY, video_id=new.id, course_id=duplicate.id, created_by_id=by)
                            for q in video.live_quizzes]
        new_videos.append(new)
        new_quizzes.extend(new.live_quizzes)
    duplicate.save(force_insert=True)  # parents before children: the foreign keys are checked at once
    for model, rows in ((CourseSection, new_sections), (Video, new_videos), (Quiz, new_quizzes)):
        if rows:
            model.objects.bulk_create(rows)
    return duplicate, new_sections, new_videos


# --- P37-P40: videos --------------------------------------------------------------------------------------

@transaction.atomic
def video_create(*, ident: Identity, course: Course, body: dict[str, Any]) -> Video:
    """P37: a video (last unless `order` is given; `course.last_order` annotated) with its quiz points."""
    check_quiz_points(body["quizPoints"])
    media = resolve_references(ident, course.id, body.get("sectionId"), body.get("mediaFileId"))
    values = {column: body[field] for field, column in VIDEO_COLUMNS.items() if field in body}
    values["video_url"] = body.get("videoUrl") or (media.cdn_url or media.storage_url if media else None)
    if not values["video_url"]:
        raise invalid_field("videoUrl", "is required unless mediaFileId is given")
    values.setdefault("duration_seconds", (media.duration_seconds if media else None) or 0)
    values.setdefault("order", course.last_order + 1)
    video = Video(id=new_id(), course_id=course.id, created_by_id=ident.user_id, updated_by_id=ident.user_id, **values)
    video.save(force_insert=True)
    quizzes = new_quiz_points(video, body["quizPoints"], ident.user_id)
    if quizzes:
        Quiz.objects.bulk_create(quizzes)
    cache.invalidate_course(course.id)
    course_updated(course.id, ["videos"])
    return video


@transaction.atomic
def video_update(*, ident: Identity, video: Video, body: dict[str, Any]) -> Video:
    """P38: the fields sent; `quizPoints`, when sent, replaces the whole set."""
    course = video.course
    if "quizPoints" in body:
        check_quiz_points(body["quizPoints"])
    media = resolve_references(ident, course.id, body.get("sectionId"), body.get("mediaFileId"))
    values = {column: body[field] for field, column in VIDEO_COLUMNS.items() if field in body}
    if "videoUrl" in values:
        values["video_url"] = values["video_url"] or None
    if media is not None:  # a newly linked file supplies the URL and duration not sent with it
        values.setdefault("video_url", media.cdn_url or media.storage_url)
        if media.duration_seconds:
            values.setdefault("duration_seconds", media.duration_seconds)
    if not values.get("video_url", video.video_url) and not values.get("media_file_id", video.media_file_id):
        raise invalid_field("videoUrl", "is required unless mediaFileId is given")
    changed = changed_columns(video, values)
    edited = bool(changed) or "quizPoints" in body
    if edited:
        changed["updated_by_id"] = ident.user_id
        changed = changed_columns(video, changed)  # an UPDATE only when a column really changes, as legacy
    if changed:
        for column, value in changed.items():
            setattr(video, column, value)
        video.save_versioned(list(changed))
    if "quizPoints" in body:
        retire_quiz_points(video, ident.user_id)
        quizzes = new_quiz_points(video, body["quizPoints"], ident.user_id)
        if quizzes:
            Quiz.objects.bulk_create(quizzes)
    else:
        video.live_quizzes = selectors.live_quizzes_of(video)
    if edited:
        cache.invalidate_course(course.id)
    course_updated(course.id, ["videos"] if edited else [])
    return video


@transaction.atomic
def video_delete(*, ident: Identity, video: Video) -> None:
    """P39: soft delete, then the course's other videos renumbered 1..n."""
    video.soft_delete(by=ident.user_id)
    renumber([v for v in selectors.plain_videos(video.course_id) if v.id != video.id])
    cache.invalidate_course(video.course_id)
    course_updated(video.course_id, ["videos"])


@transaction.atomic
def videos_reorder(*, course: Course, video_ids: list[str]) -> list[Video]:
    """P40: `video_ids` must list every live video of the course exactly once; positions follow it."""
    videos = {v.id: v for v in selectors.plain_videos(course.id)}
    if len(set(video_ids)) != len(video_ids):
        raise invalid_field("videoIds", "must not contain duplicates")
    if set(video_ids) - set(videos):
        raise invalid_field("videoIds", "contains ids that are not videos of this course")
    if set(videos) - set(video_ids):
        raise invalid_field("videoIds", "must list every video of the course")
    ordered = [videos[i] for i in video_ids]
    if renumber(ordered):
        cache.invalidate_course(course.id)
    course_updated(course.id, ["videos"])
    return ordered
