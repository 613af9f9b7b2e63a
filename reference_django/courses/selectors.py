"""Course reads shared by the public, student, instructor and AI routes: CourseSummary lists with their
instructors' counters batch-loaded, and CourseDetail with the visibility rules of API.md §2."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import (
    Count,
    Exists,
    Expression,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from reference_django.accounts.authentication import Identity
from reference_django.accounts.models import User
from reference_django.ai.models import CourseRecommendation
from reference_django.common.access import can_access, is_owner, require_owner
from reference_django.common.exceptions import NotFound
from reference_django.common.fields import is_uuid
from reference_django.common.models import unique_row
from reference_django.learning.models import Enrollment, Review
from reference_django.media.models import MediaFile

from . import serializers
from .models import Course, CourseSection, Quiz, Video


def instructor_stats(instructor_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """{instructor id: (published course count, students across them)} in one grouped query."""
    ids = sorted(set(instructor_ids))
    if not ids:
        return {}
    rows = (Course.objects.filter(instructor_id__in=ids, is_deleted=False, is_published=True)
            .values("instructor_id").annotate(n=Count("id"), students=Coalesce(Sum("enrollment_count"), 0))
            .order_by())
    stats = {i: (0, 0) for i in ids}
    stats.update({r["instructor_id"]: (int(r["n"]), int(r["students"])) for r in rows})
    return stats


def summaries(courses: list[Course]) -> list[dict]:
    """`courses` should carry their instructor (select_related("instructor"))."""
    stats = instructor_stats(c.instructor_id for c in courses)
    return [serializers.course_summary(c, instructor_stats=stats[c.instructor_id]) for c in courses]


def summaries_by_id(course_ids: list[str]) -> dict[str, dict]:
    """{id: CourseSummary} of the courses (deleted or not), in two queries: the rows and their instructors'
    counters."""
    courses = list(Course.objects.select_related("instructor").filter(pk__in=course_ids))
    return {course.id: item for course, item in zip(courses, summaries(courses), strict=True)}


def summary(course: Course) -> dict:
    return summaries([course])[0]


def live_quizzes() -> Prefetch:
    """Prefetch a video's live quizzes, in quiz order, into `video.live_quizzes`."""
    return Prefetch("quizzes", queryset=Quiz.objects.filter(is_deleted=False)
                    .order_by("timestamp_seconds", "order_index", "id"), to_attr="live_quizzes")


def course_videos(course_id: str, *, include_unpublished: bool) -> list[Video]:
    qs = Video.objects.filter(course_id=course_id, is_deleted=False)
    if not include_unpublished:
        qs = qs.filter(is_published=True)
    return list(qs.order_by("order", "created_at", "id").prefetch_related(live_quizzes()))


def course_sections(course_id: str, *, include_unpublished: bool) -> list[CourseSection]:
    qs = CourseSection.objects.filter(course_id=course_id, is_deleted=False)
    if not include_unpublished:
        qs = qs.filter(is_published=True)
    return list(qs.order_by("order", "created_at", "id"))


def detail(course: Course, ident: Identity | None) -> dict:
    """CourseDetail as `ident` may see it: owners and admins get every video, section and quiz answer;
    others get published ones, no answers, and video URLs only for previews unless enrolled."""
    owner = is_owner(course, ident)
    return serializers.course_detail(
        course,
        videos=course_videos(course.id, include_unpublished=owner),
        sections=course_sections(course.id, include_unpublished=owner),
        reveal_answers=owner,
        can_watch=owner or can_access(course, ident),
        instructor_stats=instructor_stats([course.instructor_id])[course.instructor_id],
    )


# --- loading with counters and joined children (fixed statement counts, whatever a course's size) ----------

def instructor_counters(instructor: str = "instructor_id") -> dict[str, Subquery]:
    """`courses_count` / `students_count` annotations: the instructor_stats numbers of the row's
    instructor (`instructor` is the path to its id from the annotated model), as scalar subqueries of
    the row's own query instead of a query of their own."""
    peers = Course.objects.filter(instructor_id=OuterRef(instructor), is_deleted=False, is_published=True).order_by()
    # Plain SQL functions, not Django aggregates: no GROUP BY, so an instructor without courses is 0.
    count = peers.annotate(n=Func(F("id"), function="COUNT")).values("n")
    students = peers.annotate(n=Coalesce(Func(F("enrollment_count"), function="SUM"), 0)).values("n")
    return {"courses_count": Subquery(count, output_field=IntegerField()),
            "students_count": Subquery(students, output_field=IntegerField())}


def counters_of(row: object) -> tuple[int, int]:
    """The instructor_counters annotations of a row as instructor_stats gives them."""
    return int(row.courses_count or 0), int(row.students_count or 0)


_VIDEO_COLUMNS = tuple(f.attname for f in Video._meta.concrete_fields)
_QUIZ_COLUMNS = tuple(f.attname for f in Quiz._meta.concrete_fields)


def videos_with_quizzes(course_id: str, *, include_unpublished: bool = True) -> list[Video]:
    """The course's live videos in order, each with its live quizzes (in quiz order) in `live_quizzes`,
    in ONE query: videos LEFT JOIN quizzes, as the legacy app loads them (a prefetch is a second one)."""
    qs = Video.objects.filter(course_id=course_id, is_deleted=False)
    if not include_unpublished:
        qs = qs.filter(is_published=True)
    rows = (qs.annotate(live_quiz=FilteredRelation("quizzes", condition=Q(quizzes__is_deleted=False)))
            .order_by("order", "created_at", "id",
                      "live_quiz__timestamp_seconds", "live_quiz__order_index", "live_quiz__id")
            .values_list(*_VIDEO_COLUMNS, *(f"live_quiz__{c}" for c in _QUIZ_COLUMNS)))
    split, video_id, quiz_id = len(_VIDEO_COLUMNS), _VIDEO_COLUMNS.index("id"), _QUIZ_COLUMNS.index("id")
    videos: dict[str, Video] = {}
    for row in rows:
        video = videos.get(row[video_id])
        if video is None:
            video = videos[row[video_id]] = Video.from_db(rows.db, _VIDEO_COLUMNS, row[:split])
            video.live_quizzes = []
        if row[split + quiz_id] is not None:  # NULLs: a video without quizzes
            video.live_quizzes.append(Quiz.from_db(rows.db, _QUIZ_COLUMNS, row[split:]))
    return list(videos.values())


def course_detail_view(course: Course, *, owner: bool, can_watch: bool) -> dict:
    """CourseDetail of a course loaded with instructor_counters: the owner's view (every video and
    section, quiz answers) or a visitor's (published ones; video URLs when `can_watch` or a preview)."""
    return serializers.course_detail(
        course,
        videos=videos_with_quizzes(course.id, include_unpublished=owner),
        sections=course_sections(course.id, include_unpublished=owner),
        reveal_answers=owner, can_watch=can_watch, instructor_stats=counters_of(course))


# --- P16-P19: the public catalogue -----------------------------------------------------------------------

#: Enrollment states that count as "enrolled" (a dropped or expired one does not).
ENROLLED_STATUSES = ("active", "completed")

#: P16 sort keys, every one tie-broken by id so pages never overlap.
SORTS = {
    "newest": (Coalesce("published_at", "created_at").desc(),),
    "popular": (F("enrollment_count").desc(),),
    "price-asc": (F("price").asc(),),
    "price-desc": (F("price").desc(),),
    "rating": (F("rating").desc(),),
}

#: Reason given for recommendations that fill the list from popular courses (no stored recommendation).
POPULAR_REASON = "Popular with other learners"


def _contains(field: str, needle: str) -> Q:
    """lower(field) contains lower(needle), LIKE wildcards in the needle taken literally (as legacy)."""
    return Q(**{f"{field}__contains": needle.lower()})


def _is_free() -> Q:
    return Q(is_free=True) | Q(price=0)


def published_courses() -> QuerySet[Course]:
    return Course.objects.filter(is_deleted=False, is_published=True)


def catalogue(filters: dict) -> QuerySet[Course]:
    """P16: published, non-deleted courses matching the (validated) filters, in the requested order."""
    qs = published_courses().select_related("instructor")
    if filters.get("search"):
        qs = qs.alias(title_lc=Lower("title"), description_lc=Lower("description")).filter(
            _contains("title_lc", filters["search"]) | _contains("description_lc", filters["search"]))
    if filters.get("difficulty", "all") != "all":
        qs = qs.filter(difficulty=filters["difficulty"])
    if filters.get("category"):
        qs = qs.alias(category_lc=Lower("category")).filter(category_lc=filters["category"].lower())
    if filters.get("priceRange") == "free":
        qs = qs.filter(_is_free())
    elif filters.get("priceRange") == "paid":
        qs = qs.exclude(_is_free())
    if filters.get("minRating") is not None:
        qs = qs.filter(rating__gte=filters["minRating"])
    if filters.get("instructor"):
        names = (User.objects.alias(full_name_lc=Lower("full_name"), display_name_lc=Lower("display_name"))
                 .filter(_contains("full_name_lc", filters["instructor"])
                         | _contains("display_name_lc", filters["instructor"])).values("id"))
        qs = qs.filter(instructor_id__in=names)
    return qs.order_by(*SORTS[filters["sortBy"]], "id")


def visible_course(course_id: str, ident: Identity | None) -> tuple[Course, bool]:
    """The course (with its instructor and instructor_counters) and whether `ident` is enrolled in it,
    in one query. An unpublished course is a 404 unless the caller owns it or is an admin (P17, P18)."""
    if not is_uuid(course_id):
        raise NotFound("Course not found")
    qs = Course.objects.select_related("instructor").annotate(**instructor_counters())
    if ident is not None:
        qs = qs.annotate(enrolled=Exists(Enrollment.objects.filter(
            course_id=OuterRef("pk"), user_id=ident.user_id, is_deleted=False, status__in=ENROLLED_STATUSES)))
    course = unique_row(qs.filter(pk=course_id.lower(), is_deleted=False))
    if course is None or not (course.is_published or is_owner(course, ident)):
        raise NotFound("Course not found")
    return course, bool(getattr(course, "enrolled", False))


def course_reviews(course_id: str) -> QuerySet[Review]:
    return (Review.objects.filter(course_id=course_id, is_deleted=False).select_related("user")
            .order_by("-created_at", "id"))


def _enrolled_course_ids(user_id: str) -> QuerySet:
    return Enrollment.objects.filter(user_id=user_id, is_deleted=False,
                                     status__in=ENROLLED_STATUSES).values("course_id")


def popularity_score(course: Course) -> float:
    """matchScore of a course that fills the list without a stored recommendation: half its rating
    share, so it never outranks a stored recommendation's typical score."""
    return round(0.5 * min(max(float(course.rating), 0.0), 5.0) / 5.0, 2)


def recommendations(user_id: str, limit: int) -> list[tuple[Course, float, str]]:
    """P19: (course, score, reason): the user's live stored recommendations, best first, then popular
    courses they have not dismissed. Three queries at most (with the summaries' counters)."""
    now = timezone.now()
    # Published courses the user neither owns nor is enrolled in.
    stored = (CourseRecommendation.objects
              .filter(user_id=user_id, is_deleted=False, is_dismissed=False,
                      course__is_deleted=False, course__is_published=True)
              .exclude(course__instructor_id=user_id).exclude(course_id__in=_enrolled_course_ids(user_id))
              .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
              .select_related("course__instructor").order_by("-score", "course_id")[:limit])
    picks = [(rec.course, float(rec.score), rec.reason) for rec in stored]
    if len(picks) < limit:
        dismissed = CourseRecommendation.objects.filter(user_id=user_id, is_dismissed=True,
                                                        is_deleted=False).values("course_id")
        popular = (published_courses().exclude(instructor_id=user_id)
                   .exclude(id__in=_enrolled_course_ids(user_id))
                   .exclude(id__in=[course.id for course, _, _ in picks]).exclude(id__in=dismissed)
                   .select_related("instructor").order_by("-enrollment_count", "-rating", "id")[:limit - len(picks)])
        picks += [(course, popularity_score(course), POPULAR_REASON) for course in popular]
    return picks


# --- P29-P40: the instructor's courses ---------------------------------------------------------------------

def instructor_courses(user_id: str, status: str | None) -> QuerySet[Course]:
    """P29: the instructor's live courses (drafts included), newest first."""
    qs = Course.objects.filter(instructor_id=user_id, is_deleted=False).select_related("instructor")
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def video_counts(course_ids: list[str]) -> dict[str, int]:
    """{course id: live video count} in one grouped query."""
    if not course_ids:
        return {}
    rows = (Video.objects.filter(course_id__in=course_ids, is_deleted=False)
            .values("course_id").annotate(n=Count("id")).order_by())
    return {r["course_id"]: int(r["n"]) for r in rows}


def live_video_count() -> Subquery:
    """Annotation: the course's live video count."""
    videos = Video.objects.filter(course_id=OuterRef("pk"), is_deleted=False).order_by()
    return Subquery(videos.annotate(n=Func(F("id"), function="COUNT")).values("n"), output_field=IntegerField())


def last_video_order() -> Subquery:
    """Annotation: the highest `order` among the course's live videos, 0 without any."""
    videos = Video.objects.filter(course_id=OuterRef("pk"), is_deleted=False).order_by()
    return Subquery(videos.annotate(n=Coalesce(Func(F("order"), function="MAX"), 0)).values("n"),
                    output_field=IntegerField())


def owned_course(course_id: str, ident: Identity, **annotations: Expression) -> Course:
    """The course with its instructor and `annotations`, in one query: 404 unless it exists and is not
    deleted, then 403 unless the caller owns it or is an admin."""
    if not is_uuid(course_id):
        raise NotFound("Course not found")
    course = unique_row(Course.objects.select_related("instructor").annotate(**annotations)
                        .filter(pk=course_id.lower(), is_deleted=False))
    if course is None:
        raise NotFound("Course not found")
    require_owner(course, ident)
    return course


def owned_course_with_sections(course_id: str, ident: Identity) -> tuple[Course, list[CourseSection]]:
    """owned_course (with instructor_counters) and every live section of it, in order. The sections
    carry their course (one query); only a course without sections needs a second."""
    if not is_uuid(course_id):
        raise NotFound("Course not found")
    sections = list(CourseSection.objects.select_related("course__instructor")
                    .annotate(**instructor_counters("course__instructor_id"))
                    .filter(course_id=course_id.lower(), is_deleted=False, course__is_deleted=False)
                    .order_by("order", "created_at", "id"))
    if not sections:
        return owned_course(course_id, ident, **instructor_counters()), []
    course = sections[0].course
    course.courses_count, course.students_count = counters_of(sections[0])
    require_owner(course, ident)
    return course, sections


def owned_video(video_id: str, ident: Identity) -> Video:
    """The live video with its live course (`video.course`, without its instructor), in one query:
    404 unless both exist, then 403 unless the caller owns the course or is an admin."""
    if not is_uuid(video_id):
        raise NotFound("Video not found")
    video = unique_row(Video.objects.select_related("course")
                       .filter(pk=video_id.lower(), is_deleted=False, course__is_deleted=False))
    if video is None:
        raise NotFound("Video not found")
    require_owner(video.course, ident)
    return video


def live_quizzes_of(video: Video) -> list[Quiz]:
    return list(Quiz.objects.filter(video_id=video.id, is_deleted=False)
                .order_by("timestamp_seconds", "order_index", "id"))


def plain_videos(course_id: str) -> list[Video]:
    """Every live video of the course, in order, without quiz points."""
    return list(Video.objects.filter(course_id=course_id, is_deleted=False).order_by("order", "created_at", "id"))


def taken_slugs(base: str) -> set[str]:
    """Slugs equal to `base` or of the form `base-...` (soft-deleted courses keep theirs)."""
    return set(Course.objects.filter(Q(slug=base) | Q(slug__startswith=f"{base}-")).values_list("slug", flat=True))


def reference_checks(course_id: str, section_id: str | None, media_id: str | None) -> tuple[MediaFile | None, bool]:
    """(media file or None, whether `section_id` is a live section of the course) in one query at most.
    404 when `media_id` names no live media file."""
    section = CourseSection.objects.filter(id=section_id, course_id=course_id, is_deleted=False)
    if media_id is not None:
        qs = MediaFile.objects.filter(pk=media_id, is_deleted=False)
        media = (qs.annotate(section_ok=Exists(section)) if section_id is not None else qs).first()
        if media is None:
            raise NotFound("Media file not found")
        return media, bool(getattr(media, "section_ok", True))
    if section_id is not None:
        return None, section.exists()
    return None, True
