"""Instructor courses and videos (API.md §3.5, P29–P40). camelCase.

Guards: `instructor` on the collection routes, `owner` (course owner or admin) on the rest. A path id
is checked for existence (404) before ownership (403), and ownership before the body (400).

Every route answers in a fixed number of queries whatever the course's size: a course loads with the
aggregates its route needs as scalar subqueries, videos load joined with their quiz points, the
owner's User row loads without its roles, and renumbering is one batched UPDATE.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .. import course_views, db, events, serializers
from ..access import require_media_owner, require_owner
from ..api import Api, ApiResource
from ..auth.identity import authenticated, current, require_instructor
from ..envelope import ok
from ..errors import Conflict, InvalidRequest, NotFound, invalid_field
from ..models import Course, CourseSection, MediaFile, Quiz, Video, new_id, utcnow
from ..pagination import page_params, paged, paginate
from ..validation import Bool, Int, List, Nested, Number, Obj, Str, StrList, Uuid, is_uuid, parse_body, parse_query

DIFFICULTIES = ("beginner", "intermediate", "advanced")
STATUSES = ("draft", "published", "unpublished", "archived")
MAX_PRICE = 99_999_999.99  # NUMERIC(10,2)

# --- request specs ---------------------------------------------------------------------------------

COURSE_FIELDS = {  # P31; P32 takes the same fields, all optional (defaults apply on create only)
    "title": Str(required=True, min_len=1, max_len=255),
    "description": Str(default=""),
    "shortDescription": Str(max_len=500, default=""),
    "thumbnailUrl": Str(nullable=True),
    "price": Number(min=0, max=MAX_PRICE, default=0),
    "currency": Str(pattern=r"[A-Za-z]{3}", default="USD"),
    "duration": Int(min=0, default=0),
    "difficulty": Str(choices=DIFFICULTIES, default="beginner"),
    "language": Str(min_len=1, max_len=10, default="en"),
    "tags": StrList(default=list),
    "category": Str(max_len=100, nullable=True),
    "isFree": Bool(),  # defaults to price == 0
    "prerequisites": StrList(default=list),
    "learningOutcomes": StrList(default=list),
    "targetAudience": StrList(default=list),
    "courseStructure": Obj(nullable=True),
}
COURSE_UPDATE_FIELDS = {
    **COURSE_FIELDS,
    "seoMetadata": Nested(spec={"metaTitle": Str(max_len=255, nullable=True),
                                "metaDescription": Str(max_len=500, nullable=True)}),
    "version": Int(min=1),
}
COURSE_COLUMNS = {  # API field -> courses column
    "title": "title", "description": "description", "shortDescription": "short_description",
    "thumbnailUrl": "thumbnail_url", "price": "price", "currency": "currency", "duration": "duration",
    "difficulty": "difficulty", "language": "language", "tags": "tags", "category": "category", "isFree": "is_free",
    "prerequisites": "prerequisites", "learningOutcomes": "learning_outcomes", "targetAudience": "target_audience",
    "courseStructure": "course_structure", "seoMetadata": "seo_metadata",
}

QUIZ_POINT = Nested(spec={
    "timestamp": Int(required=True, min=0),
    "question": Str(required=True, min_len=1),
    "options": List(required=True, item=Str(), min_items=2),
    "correctAnswer": Int(required=True, min=0),
    "explanation": Str(default=""),
})
VIDEO_FIELDS = {  # P37; P38 takes the same fields, all optional
    "title": Str(required=True, min_len=1, max_len=255),
    "description": Str(nullable=True),
    "videoUrl": Str(nullable=True),  # required unless mediaFileId is given (checked after parsing)
    "videoProvider": Str(min_len=1, max_len=50, default="backblaze"),
    "thumbnailUrl": Str(nullable=True),
    "duration": Int(min=0),  # defaults to the media file's duration, else 0
    "order": Int(min=1),  # defaults to last + 1
    "sectionId": Uuid(nullable=True),
    "isPreview": Bool(default=False),
    "isDownloadable": Bool(default=False),
    "transcriptUrl": Str(nullable=True),
    "subtitlesUrl": Str(nullable=True),
    "resources": List(item=Nested(spec={"title": Str(required=True), "url": Str(required=True, min_len=1)}),
                      default=list),
    "quizPoints": List(item=QUIZ_POINT, default=list),
    "mediaFileId": Uuid(nullable=True),
}
VIDEO_COLUMNS = {  # API field -> videos column
    "title": "title", "description": "description", "videoUrl": "video_url", "videoProvider": "video_provider",
    "thumbnailUrl": "thumbnail_url", "duration": "duration_seconds", "order": "order", "sectionId": "section_id",
    "isPreview": "is_preview", "isDownloadable": "is_downloadable", "transcriptUrl": "transcript_url",
    "subtitlesUrl": "subtitles_url", "resources": "resources", "mediaFileId": "media_file_id",
}

# Columns a duplicate copies as they are (P36); everything else is reset or regenerated.
COURSE_COPY = ("description", "short_description", "thumbnail_url", "preview_video_url", "price", "currency",
               "discount_price", "is_free", "duration", "difficulty", "language", "category", "tags", "prerequisites",
               "learning_outcomes", "target_audience", "course_structure", "metadata_", "seo_metadata")
SECTION_COPY = ("title", "description", "order", "is_published", "is_preview")
VIDEO_COPY = ("media_file_id", "title", "description", "video_url", "video_provider", "thumbnail_url",
              "duration_seconds", "order", "is_preview", "is_downloadable", "is_published", "transcript_url",
              "subtitles_url", "transcript", "resources", "metadata_", "video_quality", "has_captions",
              "caption_languages")
QUIZ_COPY = ("timestamp_seconds", "question", "options", "correct_answer", "explanation", "order_index")

# --- loading ---------------------------------------------------------------------------------------

def owner_counters() -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """The owner's published-course and student counts (InstructorRef), as subqueries of a course
    query; the same numbers as course_views.instructor_stats, without a query of their own."""
    peer = aliased(Course)
    theirs = sa.and_(peer.instructor_id == Course.instructor_id, peer.is_deleted.is_(False),
                     peer.is_published.is_(True))
    return (sa.select(sa.func.count(peer.id)).where(theirs).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.sum(peer.enrollment_count), 0)).where(theirs).scalar_subquery())


def live_video_count() -> sa.ScalarSelect:
    return (sa.select(sa.func.count(Video.id))
            .where(Video.course_id == Course.id, Video.is_deleted.is_(False)).scalar_subquery())


def last_video_order() -> sa.ScalarSelect:
    return (sa.select(sa.func.coalesce(sa.func.max(Video.order), 0))
            .where(Video.course_id == Course.id, Video.is_deleted.is_(False)).scalar_subquery())


def owned_course(course_id: str, *extra: sa.ColumnElement) -> tuple[Any, ...]:
    """(course, *extra values): 404 unless the course exists and is not deleted, 403 unless the
    caller owns it or is an admin. `extra` are scalar subqueries correlated to the course."""
    if not is_uuid(course_id):
        raise NotFound("Course not found")
    row = db.session().execute(sa.select(Course, *extra)
                               .where(Course.id == course_id.lower(), Course.is_deleted.is_(False))).first()
    if row is None:
        raise NotFound("Course not found")
    require_owner(row[0])
    return tuple(row)


def video_and_course(video_id: str) -> tuple[Video, Course]:
    """The video and its course in one query (neither quiz points nor the owner are loaded);
    404 unless both exist and are not deleted."""
    if not is_uuid(video_id):
        raise NotFound("Video not found")
    row = db.session().execute(
        sa.select(Video, Course).join(Course, Course.id == Video.course_id)
        .options(lazyload(Video.quizzes), lazyload(Course.instructor))
        .where(Video.id == video_id.lower(), Video.is_deleted.is_(False), Course.is_deleted.is_(False))).first()
    if row is None:
        raise NotFound("Video not found")
    return row[0], row[1]


def owned_video(video_id: str) -> tuple[Video, Course]:
    """video_and_course, then 403 unless the caller owns the course or is an admin."""
    video, course = video_and_course(video_id)
    require_owner(course)
    return video, course


def videos_with_quizzes(course_id: str) -> list[Video]:
    """Every live video of the course, in order, with its live quiz points, in one query."""
    stmt = (sa.select(Video)
            .outerjoin(Quiz, sa.and_(Quiz.video_id == Video.id, Quiz.is_deleted.is_(False)))
            .options(contains_eager(Video.quizzes))
            .where(Video.course_id == course_id, Video.is_deleted.is_(False))
            .order_by(Video.order, Video.created_at, Video.id, Quiz.timestamp_seconds, Quiz.order_index, Quiz.id))
    return list(db.session().scalars(stmt).unique())


def plain_videos(course_id: str) -> list[Video]:
    """Every live video of the course, in order, without quiz points."""
    return list(db.session().scalars(
        sa.select(Video).options(lazyload(Video.quizzes))
        .where(Video.course_id == course_id, Video.is_deleted.is_(False))
        .order_by(Video.order, Video.created_at, Video.id)))


def video_counts(course_ids: list[str]) -> dict[str, int]:
    if not course_ids:
        return {}
    rows = db.session().execute(
        sa.select(Video.course_id, sa.func.count(Video.id))
        .where(Video.course_id.in_(course_ids), Video.is_deleted.is_(False)).group_by(Video.course_id))
    return {course_id: int(n) for course_id, n in rows}


def resolve_references(course_id: str, section_id: str | None, media_id: str | None) -> MediaFile | None:
    """Checks a body's sectionId (a live section of this course, else 400) and mediaFileId (a live
    media file, else 404, of the caller's, else 403) in one query. Returns the media file."""
    checks = []
    if section_id is not None:
        checks.append(sa.exists().where(CourseSection.id == section_id, CourseSection.course_id == course_id,
                                        CourseSection.is_deleted.is_(False)))
    media = None
    section_ok = True
    if media_id is not None:
        row = db.session().execute(sa.select(MediaFile, *checks)
                                   .where(MediaFile.id == media_id, MediaFile.is_deleted.is_(False))).first()
        if row is None:
            raise NotFound("Media file not found")
        media, section_ok = row[0], bool(row[1]) if checks else True
    elif checks:
        section_ok = bool(db.session().scalar(sa.select(*checks)))
    if not section_ok:
        raise invalid_field("sectionId", "must be a section of this course")
    if media is not None:
        require_media_owner(media)
    return media


# --- building ----------------------------------------------------------------------------------------

def course_detail(course: Course, counters: Sequence[int], *, videos: list[Video] | None = None,
                  sections: list[CourseSection] | None = None) -> dict[str, Any]:
    """CourseDetail as its owner sees it: every video and section, quiz answers included."""
    if videos is None:
        videos = videos_with_quizzes(course.id)
    if sections is None:
        sections = course_views.course_sections(course.id, include_unpublished=True)
    return serializers.course_detail(course, videos=videos, sections=sections, reveal_answers=True, can_watch=True,
                                     instructor_stats=(int(counters[0]), int(counters[1])))


def owner_video(video: Video) -> dict[str, Any]:
    return serializers.video(video, reveal_answers=True, can_watch=True)


def course_stats(course: Course, videos: int) -> dict[str, Any]:
    return {"enrollmentCount": course.enrollment_count, "completionCount": course.completion_count,
            "rating": float(course.rating), "ratingCount": course.rating_count, "videoCount": videos}


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def course_values(body: dict[str, Any]) -> dict[str, Any]:
    """The courses columns for the API fields present in a parsed P31/P32 body."""
    values: dict[str, Any] = {}
    for field, column in COURSE_COLUMNS.items():
        if field in body:
            values[column] = body[field]
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
    """The title's slug, with `-n` appended when it is taken (soft-deleted courses keep theirs)."""
    base = slugify(title)
    taken = set(db.session().scalars(sa.select(Course.slug).where(sa.or_(Course.slug == base,
                                                                           Course.slug.like(f"{base}-%")))))
    if base not in taken:
        return base
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def clone(row: Any, model: type, columns: tuple[str, ...], **overrides: Any) -> Any:
    values = {c: copy.deepcopy(getattr(row, c)) for c in columns}
    return model(id=new_id(), **values, **overrides)


def check_quiz_points(points: list[dict[str, Any]]) -> None:
    for i, point in enumerate(points):
        if point["correctAnswer"] >= len(point["options"]):
            raise invalid_field("quizPoints", f"entry {i} 'correctAnswer' must be an index into 'options'")


def new_quiz_points(video: Video, points: list[dict[str, Any]], by: str) -> list[Quiz]:
    """Quiz rows for the parsed points, also set as the video's loaded `quizPoints` (no reload needed)."""
    quizzes = [Quiz(id=new_id(), video_id=video.id, course_id=video.course_id, timestamp_seconds=p["timestamp"],
                    question=p["question"], options=p["options"], correct_answer=p["correctAnswer"],
                    explanation=p["explanation"], order_index=i, created_by_id=by) for i, p in enumerate(points)]
    set_committed_value(video, "quizzes", sorted(quizzes, key=lambda q: (q.timestamp_seconds, q.order_index, q.id)))
    return quizzes


def insert_in_order(*groups: list[Any]) -> None:
    """Inserts parents before children. The unit of work only orders inserts along relationships,
    and these models link sections, videos and quiz points by plain foreign-key columns."""
    s = db.session()
    for rows in groups:
        s.add_all(rows)
        s.flush()


def retire_quiz_points(video: Video, by: str) -> None:
    """Soft-deletes every live quiz point of the video in one UPDATE."""
    now = utcnow()
    db.session().execute(
        sa.update(Quiz).where(Quiz.video_id == video.id, Quiz.is_deleted.is_(False))
        .values(is_deleted=True, deleted_at=now, deleted_by_id=by, updated_at=now, version=Quiz.version + 1)
        .execution_options(synchronize_session=False))


def renumber(videos: list[Video]) -> None:
    """Orders 1..n in list order with one UPDATE of the videos whose position changes. The UPDATE
    keeps the optimistic lock: a video changed meanwhile (another version) makes it a 409."""
    moved = [(position, v) for position, v in enumerate(videos, start=1) if v.order != position]
    if not moved:
        return
    now = utcnow()
    result = db.session().execute(
        sa.update(Video)
        .where(Video.id.in_([v.id for _, v in moved]),
               Video.version == sa.case({v.id: v.version for _, v in moved}, value=Video.id))
        .values(order=sa.case({v.id: position for position, v in moved}, value=Video.id),
                updated_at=now, version=Video.version + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != len(moved):
        raise StaleDataError("a video was modified while the course's videos were renumbered")
    for position, video in moved:  # the loaded rows now match the database
        set_committed_value(video, "order", position)
        set_committed_value(video, "updated_at", now)
        set_committed_value(video, "version", video.version + 1)


def course_updated(course_id: str, changes: list[str]) -> None:
    if changes:
        events.emit("course_updated", {"course_id": course_id, "changes": changes}, events.course_room(course_id))


# --- resources ----------------------------------------------------------------------------------------

class InstructorCourses(ApiResource):
    rate_limits = {"get": "100/minute", "post": "10/minute"}

    @authenticated
    def get(self):  # P29
        ident = require_instructor()
        query = parse_query({"status": Str(choices=STATUSES)})
        page = page_params()
        stmt = (sa.select(Course)
                .where(Course.instructor_id == ident.user_id, Course.is_deleted.is_(False)))
        if "status" in query:
            stmt = stmt.where(Course.status == query["status"])
        courses, total = paginate(db.session(), stmt.order_by(Course.created_at.desc(), Course.id.desc()), page)
        counts = video_counts([c.id for c in courses])
        items = [{**summary, "stats": course_stats(c, counts.get(c.id, 0))}
                 for c, summary in zip(courses, course_views.summaries(courses), strict=True)]
        return paged(ok({"courses": items, "pagination": page.meta(total)}), page, total)

    @authenticated
    def post(self):  # P31
        ident = require_instructor()
        body = parse_body(COURSE_FIELDS)
        values = course_values(body)  # price always has a value here, so is_free does too
        course = Course(id=new_id(), instructor_id=ident.user_id, slug=unique_slug(body["title"]), status="draft",
                        is_published=False, published_at=None, created_by_id=ident.user_id,
                        updated_by_id=ident.user_id, **values)
        s = db.session()
        s.add(course)
        s.commit()
        counters = course_views.instructor_stats([ident.user_id])[ident.user_id]
        return ok(course_detail(course, counters, videos=[], sections=[]), 201)


class InstructorCourse(ApiResource):
    rate_limits = {"get": "100/minute", "put": "50/minute", "delete": "10/minute"}

    @authenticated
    def get(self, course_id: str):  # P30
        course, *counters = owned_course(course_id, *owner_counters())
        return ok(course_detail(course, counters))

    @authenticated
    def put(self, course_id: str):  # P32
        # The counters cannot change here: no P32 field touches publication or enrollments.
        course, *counters = owned_course(course_id, *owner_counters())
        body = parse_body(COURSE_UPDATE_FIELDS, partial=True)
        if "version" in body and body["version"] != course.version:
            raise Conflict("The course was modified since you loaded it", code="VERSION_CONFLICT")
        values = course_values(body)
        if "seo_metadata" in values:
            values["seo_metadata"] = {**(course.seo_metadata or {}), **values["seo_metadata"]}
        changed = {column: value for column, value in values.items() if getattr(course, column) != value}
        for column, value in changed.items():
            setattr(course, column, value)
        if changed:
            course.updated_by_id = current().user_id
        db.session().commit()
        fields = {column: field for field, column in COURSE_COLUMNS.items()}
        course_updated(course.id, [fields[column] for column in changed])
        return ok(course_detail(course, counters))

    @authenticated
    def delete(self, course_id: str):  # P33
        (course,) = owned_course(course_id)
        course.soft_delete(by=current().user_id)
        db.session().commit()
        return ok({"id": course.id, "message": "Course deleted successfully"})


class PublishCourse(ApiResource):
    rate_limits = {"post": "20/minute"}

    @authenticated
    def post(self, course_id: str):  # P34
        course, videos = owned_course(course_id, live_video_count())
        if not videos:
            raise InvalidRequest("A course needs at least one video before it can be published",
                                 details={"field": "videos", "reason": "the course has no videos"})
        changes: list[str] = []
        if course.status != "published" or not course.is_published:
            course.status, course.is_published, course.published_at = "published", True, utcnow()
            course.updated_by_id = current().user_id
            changes = ["status", "isPublished", "publishedAt"]
        db.session().commit()
        course_updated(course.id, changes)
        return ok({"id": course.id, "isPublished": True, "status": "published",
                   "publishedAt": serializers.iso(course.published_at)})


class UnpublishCourse(ApiResource):
    rate_limits = {"post": "20/minute"}

    @authenticated
    def post(self, course_id: str):  # P35
        (course,) = owned_course(course_id)
        changes: list[str] = []
        if course.status != "unpublished" or course.is_published:
            changes = ["status"] + (["isPublished"] if course.is_published else [])
            course.status, course.is_published = "unpublished", False
            course.updated_by_id = current().user_id
        db.session().commit()
        course_updated(course.id, changes)
        return ok({"id": course.id, "isPublished": False, "status": "unpublished"})


class DuplicateCourse(ApiResource):
    rate_limits = {"post": "10/minute"}

    @authenticated
    def post(self, course_id: str):  # P36
        course, *counters = owned_course(course_id, *owner_counters())
        by = current().user_id
        title = f"{course.title[:255 - len(' (Copy)')]} (Copy)"
        duplicate = clone(course, Course, COURSE_COPY, instructor_id=course.instructor_id, title=title,
                          slug=unique_slug(title), status="draft", is_published=False, published_at=None,
                          enrollment_count=0, completion_count=0, rating=0.0, rating_count=0,
                          created_by_id=by, updated_by_id=by)
        sections = course_views.course_sections(course.id, include_unpublished=True)
        section_ids = {}
        new_sections = []
        for section in sections:
            new = clone(section, CourseSection, SECTION_COPY, course_id=duplicate.id, created_by_id=by)
            section_ids[section.id] = new.id
            new_sections.append(new)
        new_videos, new_quizzes = [], []
        for video in videos_with_quizzes(course.id):
            new = clone(video, Video, VIDEO_COPY, course_id=duplicate.id, section_id=section_ids.get(video.section_id),
                        created_by_id=by)
            quizzes = [clone(q, Quiz, QUIZ_COPY, video_id=new.id, course_id=duplicate.id, created_by_id=by)
                       for q in video.quizzes]
            set_committed_value(new, "quizzes", quizzes)
            new_videos.append(new)
            new_quizzes.extend(quizzes)
        insert_in_order([duplicate], new_sections, new_videos, new_quizzes)
        db.session().commit()
        return ok(course_detail(duplicate, counters, videos=new_videos, sections=new_sections), 201)


class CourseVideos(ApiResource):
    rate_limits = {"post": "20/minute"}

    @authenticated
    def post(self, course_id: str):  # P37
        course, last_order = owned_course(course_id, last_video_order())
        body = parse_body(VIDEO_FIELDS)
        check_quiz_points(body["quizPoints"])
        media = resolve_references(course.id, body.get("sectionId"), body.get("mediaFileId"))
        values = {column: body[field] for field, column in VIDEO_COLUMNS.items() if field in body}
        values["video_url"] = body.get("videoUrl") or (media.cdn_url or media.storage_url if media else None)
        if not values["video_url"]:
            raise invalid_field("videoUrl", "is required unless mediaFileId is given")
        values.setdefault("duration_seconds", (media.duration_seconds if media else None) or 0)
        values.setdefault("order", last_order + 1)
        by = current().user_id
        video = Video(id=new_id(), course_id=course.id, created_by_id=by, updated_by_id=by, **values)
        insert_in_order([video], new_quiz_points(video, body["quizPoints"], by))
        db.session().commit()
        course_updated(course.id, ["videos"])
        return ok(owner_video(video), 201)


class ReorderVideos(ApiResource):
    rate_limits = {"put": "20/minute"}

    @authenticated
    def put(self, course_id: str):  # P40
        (course,) = owned_course(course_id)
        ids = parse_body({"videoIds": List(required=True, item=Uuid())})["videoIds"]
        videos = {v.id: v for v in plain_videos(course.id)}
        if len(set(ids)) != len(ids):
            raise invalid_field("videoIds", "must not contain duplicates")
        if set(ids) - set(videos):
            raise invalid_field("videoIds", "contains ids that are not videos of this course")
        if set(videos) - set(ids):
            raise invalid_field("videoIds", "must list every video of the course")
        ordered = [videos[i] for i in ids]
        renumber(ordered)
        db.session().commit()
        course_updated(course.id, ["videos"])
        return ok({"videos": [{"id": v.id, "order": v.order} for v in ordered],
                   "message": "Videos reordered successfully"})


def video_values(video: Video, body: dict[str, Any], media: MediaFile | None) -> dict[str, Any]:
    """The columns a P38 body sets on `video`: the fields sent, and what a newly linked media file supplies
    that was not sent with it (its URL and duration). 400 when the video would have neither a URL nor a file."""
    values = {column: body[field] for field, column in VIDEO_COLUMNS.items() if field in body}
    if "videoUrl" in values:
        values["video_url"] = values["video_url"] or None
    if media is not None:
        values.setdefault("video_url", media.cdn_url or media.storage_url)
        if media.duration_seconds:
            values.setdefault("duration_seconds", media.duration_seconds)
    if not values.get("video_url", video.video_url) and not values.get("media_file_id", video.media_file_id):
        raise invalid_field("videoUrl", "is required unless mediaFileId is given")
    return values


class InstructorVideo(ApiResource):
    rate_limits = {"put": "50/minute", "delete": "20/minute"}

    @authenticated
    def put(self, video_id: str):  # P38
        video, course = owned_video(video_id)
        body = parse_body(VIDEO_FIELDS, partial=True)
        if "quizPoints" in body:
            check_quiz_points(body["quizPoints"])
        media = resolve_references(course.id, body.get("sectionId"), body.get("mediaFileId"))
        values = video_values(video, body, media)
        by = current().user_id
        changed = {column: value for column, value in values.items() if getattr(video, column) != value}
        edited = bool(changed) or "quizPoints" in body
        if edited:
            changed["updated_by_id"] = by
        for column, value in changed.items():  # all set before the quiz UPDATE autoflushes: one video UPDATE
            setattr(video, column, value)
        if "quizPoints" in body:
            retire_quiz_points(video, by)
            db.session().add_all(new_quiz_points(video, body["quizPoints"], by))
        db.session().commit()
        course_updated(course.id, ["videos"] if edited else [])
        return ok(owner_video(video))

    @authenticated
    def delete(self, video_id: str):  # P39
        video, course = owned_video(video_id)
        video.soft_delete(by=current().user_id)
        renumber([v for v in plain_videos(course.id) if v.id != video.id])
        db.session().commit()
        course_updated(course.id, ["videos"])
        return ok({"id": video.id, "message": "Video deleted successfully"})


def register(api: Api) -> None:
    api.add_resource(InstructorCourses, "/api/v1/instructor/courses", endpoint="instructor_courses")
    api.add_resource(InstructorCourse, "/api/v1/instructor/courses/<course_id>", endpoint="instructor_course")
    api.add_resource(PublishCourse, "/api/v1/instructor/courses/<course_id>/publish",
                     endpoint="instructor_course_publish")
    api.add_resource(UnpublishCourse, "/api/v1/instructor/courses/<course_id>/unpublish",
                     endpoint="instructor_course_unpublish")
    api.add_resource(DuplicateCourse, "/api/v1/instructor/courses/<course_id>/duplicate",
                     endpoint="instructor_course_duplicate")
    # The literal reorder path is registered before its parametrised siblings.
    api.add_resource(ReorderVideos, "/api/v1/instructor/courses/<course_id>/videos/reorder",
                     endpoint="instructor_videos_reorder")
    api.add_resource(CourseVideos, "/api/v1/instructor/courses/<course_id>/videos", endpoint="instructor_course_videos")
    api.add_resource(InstructorVideo, "/api/v1/instructor/videos/<video_id>", endpoint="instructor_video")
