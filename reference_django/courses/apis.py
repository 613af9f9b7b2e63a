"""Public courses (API.md §3.3, P16-P19) and the instructor's courses and videos (§3.5, P29-P40). camelCase.

Input fields mirror the legacy `parse_query` / `parse_body` specs field by field (same order, same
options). Order of checks, as legacy: guard (401), role (403), then a path id's existence (404)
before its ownership (403), and ownership before the body (400).
The catalogue and course detail are cached (see cache.py); the cache never changes an answer.
"""
from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reference_django.accounts.authentication import Identity
from reference_django.common import parsing
from reference_django.common.access import is_owner
from reference_django.common.envelope import ok
from reference_django.common.fields import (
    Bool,
    Int,
    List,
    Nested,
    Number,
    Obj,
    QuerySerializer,
    Str,
    StrList,
    Uuid,
    is_uuid,
)
from reference_django.common.pagination import (
    MAX_LIMIT,
    page_of,
    page_params,
    paged,
    paginate,
    paginate_ids,
    valid_page,
)
from reference_django.common.serializers import iso
from reference_django.common.views import ApiView
from reference_django.learning.serializers import review as review_out

from . import cache, selectors, services
from .models import Course, Video
from .serializers import course_detail
from .serializers import video as video_out

DIFFICULTIES = ("beginner", "intermediate", "advanced")
STATUSES = ("draft", "published", "unpublished", "archived")
MAX_PRICE = 99_999_999.99  # NUMERIC(10,2)


# --- P16-P19: public courses ---------------------------------------------------------------------------

class CourseListApi(ApiView):  # P16
    guard = "optional"
    rate_limits = {"get": "100/minute"}

    class FilterSerializer(QuerySerializer):
        search = Str(max_len=255)
        difficulty = Str(choices=("all", *DIFFICULTIES))
        category = Str(max_len=100)
        priceRange = Str(choices=("all", "free", "paid"))
        minRating = Number(min=1, max=5)
        instructor = Str(max_len=255)
        sortBy = Str(choices=tuple(selectors.SORTS), default="newest")

    def get(self, request: Request) -> Response:
        filters = parsing.query(request, self.FilterSerializer)
        page = page_params(request)

        # Which courses, from the database every time (one query); each course's summary, from the cache.
        course_ids, total = paginate_ids(selectors.catalogue(filters), page)
        courses = cache.cards(course_ids, selectors.summaries_by_id)
        return paged(ok({"courses": courses, "pagination": page.meta(total)}), page, total)


def detail_view(course: Course, ident: Identity | None, enrolled: bool) -> cache.View:
    """The visibility class of a CourseDetail (API.md §2): owners and admins, enrolled students, the rest."""
    if is_owner(course, ident):
        return "owner"
    return "enrolled" if enrolled else "public"


def build_detail(course: Course, view: cache.View) -> dict:
    return selectors.course_detail_view(course, owner=view == "owner", can_watch=view != "public")


def with_counters(detail: dict, counters: tuple[int, int]) -> dict:
    """A cached CourseDetail with its instructor's counters as they are now: an enrolment in any of their
    courses changes them, and need not cost the cached detail of every other one."""
    courses, students = counters
    return {**detail, "instructor": {**detail["instructor"], "coursesCount": courses, "studentsCount": students}}


class CourseDetailApi(ApiView):  # P17
    guard = "optional"
    rate_limits = {"get": "100/minute"}

    def get(self, request: Request, course_id: str) -> Response:
        ident = self.identity_or_none
        if ident is None and is_uuid(course_id):
            # Every anonymous caller sees the public view: a repeat costs one query, the instructor's counters.
            detail = cache.remember(cache.detail_key(course_id, "public"),
                                    lambda: build_detail(selectors.visible_course(course_id, None)[0], "public"))
            instructor = detail["instructor"]["id"]
            return ok(with_counters(detail, selectors.instructor_stats([instructor])[instructor]))
        course, enrolled = selectors.visible_course(course_id, ident)  # with the instructor's counters
        view = detail_view(course, ident, enrolled)
        detail = cache.remember(cache.detail_key(course.id, view), lambda: build_detail(course, view))
        return ok(with_counters(detail, selectors.counters_of(course)))


class CourseReviewsApi(ApiView):  # P18
    guard = "optional"
    rate_limits = {"get": "100/minute"}

    def get(self, request: Request, course_id: str) -> Response:
        ident, key = self.identity_or_none, None
        if ident is None and is_uuid(course_id):  # every anonymous caller sees the same pages: cached
            page = valid_page(request)  # a refused page is answered below, after the course's 404 (legacy order)
            key = page and cache.reviews_key(course_id, page.page, page.limit)
        data = cache.remember(key, lambda: self.reviews_page(request, course_id, ident))
        return paged(ok(data), page_of(data["pagination"]), data["pagination"]["total"])

    @staticmethod
    def reviews_page(request: Request, course_id: str, ident: Identity | None) -> dict:
        course, _ = selectors.visible_course(course_id, ident)
        page = page_params(request)
        reviews, total = paginate(selectors.course_reviews(course.id), page)
        return {"reviews": [review_out(r) for r in reviews], "pagination": page.meta(total)}


class RecommendedCoursesApi(ApiView):  # P19
    rate_limits = {"get": "50/minute"}

    class LimitSerializer(QuerySerializer):
        limit = Int(min=1, default=10)

    def get(self, request: Request) -> Response:
        limit = min(parsing.query(request, self.LimitSerializer)["limit"], MAX_LIMIT)
        picks = selectors.recommendations(self.identity.user_id, limit)
        out = selectors.summaries([course for course, _, _ in picks])
        for item, (_, score, reason) in zip(out, picks, strict=True):
            item.update({"matchScore": min(max(score, 0.0), 1.0), "reason": reason})
        return ok({"courses": out})


# --- P29-P36: the instructor's courses -----------------------------------------------------------------

class CourseInputSerializer(serializers.Serializer):
    """P31; P32 takes the same fields, all optional (defaults apply on create only)."""

    title = Str(required=True, min_len=1, max_len=255)
    description = Str(default="")
    shortDescription = Str(max_len=500, default="")
    thumbnailUrl = Str(allow_null=True)
    price = Number(min=0, max=MAX_PRICE, default=0)
    currency = Str(pattern=r"[A-Za-z]{3}", default="USD")
    duration = Int(min=0, default=0)
    difficulty = Str(choices=DIFFICULTIES, default="beginner")
    language = Str(min_len=1, max_len=10, default="en")
    tags = StrList(default=list)
    category = Str(max_len=100, allow_null=True)
    isFree = Bool()  # defaults to price == 0
    prerequisites = StrList(default=list)
    learningOutcomes = StrList(default=list)
    targetAudience = StrList(default=list)
    courseStructure = Obj(allow_null=True)


def owner_detail(course: Course, *, videos: list | None = None, sections: list | None = None) -> dict:
    """CourseDetail as its owner sees it (every video and section, quiz answers), `course` carrying
    instructor_counters."""
    if videos is None and sections is None:
        return selectors.course_detail_view(course, owner=True, can_watch=True)
    return course_detail(course, videos=videos, sections=sections, reveal_answers=True, can_watch=True,
                         instructor_stats=selectors.counters_of(course))


def course_stats(course: Course, videos: int) -> dict:
    return {"enrollmentCount": course.enrollment_count, "completionCount": course.completion_count,
            "rating": float(course.rating), "ratingCount": course.rating_count, "videoCount": videos}


class InstructorCoursesApi(ApiView):  # P29, P31
    rate_limits = {"get": "100/minute", "post": "10/minute"}

    class FilterSerializer(QuerySerializer):
        status = Str(choices=STATUSES)

    def get(self, request: Request) -> Response:
        ident = self.require_instructor()
        status = parsing.query(request, self.FilterSerializer).get("status")
        page = page_params(request)
        courses, total = paginate(selectors.instructor_courses(ident.user_id, status), page)
        counts = selectors.video_counts([c.id for c in courses])
        items = [{**summary, "stats": course_stats(c, counts.get(c.id, 0))}
                 for c, summary in zip(courses, selectors.summaries(courses), strict=True)]
        return paged(ok({"courses": items, "pagination": page.meta(total)}), page, total)

    def post(self, request: Request) -> Response:
        ident = self.require_instructor()
        body = parsing.body(request, CourseInputSerializer)
        course = services.course_create(ident=ident, body=body)
        course.courses_count, course.students_count = selectors.instructor_stats([ident.user_id])[ident.user_id]
        return ok(owner_detail(course, videos=[], sections=[]), 201)


class InstructorCourseApi(ApiView):  # P30, P32, P33
    rate_limits = {"get": "100/minute", "put": "50/minute", "delete": "10/minute"}

    class UpdateSerializer(CourseInputSerializer):
        seoMetadata = Nested(spec={"metaTitle": Str(max_len=255, allow_null=True),
                                   "metaDescription": Str(max_len=500, allow_null=True)})
        version = Int(min=1)

    def get(self, request: Request, course_id: str) -> Response:
        course = selectors.owned_course(course_id, self.identity, **selectors.instructor_counters())
        return ok(owner_detail(course))

    def put(self, request: Request, course_id: str) -> Response:
        # The counters cannot change here: no P32 field touches publication or enrollments.
        course = selectors.owned_course(course_id, self.identity, **selectors.instructor_counters())
        body = parsing.body(request, self.UpdateSerializer, partial=True)
        course = services.course_update(ident=self.identity, course=course, body=body)
        return ok(owner_detail(course))

    def delete(self, request: Request, course_id: str) -> Response:
        course = selectors.owned_course(course_id, self.identity)
        services.course_delete(ident=self.identity, course=course)
        return ok({"id": course.id, "message": "Course deleted successfully"})


class PublishCourseApi(ApiView):  # P34
    rate_limits = {"post": "20/minute"}

    def post(self, request: Request, course_id: str) -> Response:
        course = selectors.owned_course(course_id, self.identity, video_count=selectors.live_video_count())
        course = services.course_publish(ident=self.identity, course=course)
        return ok({"id": course.id, "isPublished": True, "status": "published",
                   "publishedAt": iso(course.published_at)})


class UnpublishCourseApi(ApiView):  # P35
    rate_limits = {"post": "20/minute"}

    def post(self, request: Request, course_id: str) -> Response:
        course = selectors.owned_course(course_id, self.identity)
        course = services.course_unpublish(ident=self.identity, course=course)
        return ok({"id": course.id, "isPublished": False, "status": "unpublished"})


class DuplicateCourseApi(ApiView):  # P36
    rate_limits = {"post": "10/minute"}

    def post(self, request: Request, course_id: str) -> Response:
        course, sections = selectors.owned_course_with_sections(course_id, self.identity)
        duplicate, new_sections, new_videos = services.course_duplicate(ident=self.identity, course=course,
                                                                        sections=sections)
        duplicate.courses_count, duplicate.students_count = selectors.counters_of(course)
        return ok(owner_detail(duplicate, videos=new_videos, sections=new_sections), 201)


# --- P37-P40: videos -----------------------------------------------------------------------------------

QUIZ_POINT = Nested(spec={
    "timestamp": Int(required=True, min=0),
    "question": Str(required=True, min_len=1),
    "options": List(required=True, item=Str(), min_items=2),
    "correctAnswer": Int(required=True, min=0),
    "explanation": Str(default=""),
})


class VideoInputSerializer(serializers.Serializer):
    """P37; P38 takes the same fields, all optional."""

    title = Str(required=True, min_len=1, max_len=255)
    description = Str(allow_null=True)
    videoUrl = Str(allow_null=True)  # required unless mediaFileId is given (checked by the service)
    videoProvider = Str(min_len=1, max_len=50, default="backblaze")
    thumbnailUrl = Str(allow_null=True)
    duration = Int(min=0)  # defaults to the media file's duration, else 0
    order = Int(min=1)  # defaults to last + 1
    sectionId = Uuid(allow_null=True)
    isPreview = Bool(default=False)
    isDownloadable = Bool(default=False)
    transcriptUrl = Str(allow_null=True)
    subtitlesUrl = Str(allow_null=True)
    resources = List(item=Nested(spec={"title": Str(required=True), "url": Str(required=True, min_len=1)}),
                     default=list)
    quizPoints = List(item=QUIZ_POINT, default=list)
    mediaFileId = Uuid(allow_null=True)


def owner_video(video: Video) -> dict:
    return video_out(video, quizzes=video.live_quizzes, reveal_answers=True, can_watch=True)


class CourseVideosApi(ApiView):  # P37
    rate_limits = {"post": "20/minute"}

    def post(self, request: Request, course_id: str) -> Response:
        course = selectors.owned_course(course_id, self.identity, last_order=selectors.last_video_order())
        body = parsing.body(request, VideoInputSerializer)
        video = services.video_create(ident=self.identity, course=course, body=body)
        return ok(owner_video(video), 201)


class ReorderVideosApi(ApiView):  # P40
    rate_limits = {"put": "20/minute"}

    class InputSerializer(serializers.Serializer):
        videoIds = List(required=True, item=Uuid())

    def put(self, request: Request, course_id: str) -> Response:
        course = selectors.owned_course(course_id, self.identity)
        video_ids = parsing.body(request, self.InputSerializer)["videoIds"]
        ordered = services.videos_reorder(course=course, video_ids=video_ids)
        return ok({"videos": [{"id": v.id, "order": v.order} for v in ordered],
                   "message": "Videos reordered successfully"})


class InstructorVideoApi(ApiView):  # P38, P39
    rate_limits = {"put": "50/minute", "delete": "20/minute"}

    def put(self, request: Request, video_id: str) -> Response:
        video = selectors.owned_video(video_id, self.identity)
        body = parsing.body(request, VideoInputSerializer, partial=True)
        video = services.video_update(ident=self.identity, video=video, body=body)
        return ok(owner_video(video))

    def delete(self, request: Request, video_id: str) -> Response:
        video = selectors.owned_video(video_id, self.identity)
        services.video_delete(ident=self.identity, video=video)
        return ok({"id": video.id, "message": "Video deleted successfully"})
