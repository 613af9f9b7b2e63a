"""Public courses (API.md §3.3, P16–P19). camelCase."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm

from .. import db, serializers
from ..access import is_owner
from ..api import Api, ApiResource
from ..auth.identity import Identity, authenticated, current, current_or_none
from ..course_views import course_sections, course_videos, instructor_stats, summaries
from ..envelope import ok
from ..errors import NotFound
from ..models import Course, CourseRecommendation, Enrollment, Review, User, utcnow
from ..pagination import MAX_LIMIT, page_params, paged, paginate
from ..validation import Int, Number, Str, is_uuid, parse_query

#: Enrollment states that count as "enrolled" (a dropped or expired one does not).
ENROLLED_STATUSES = ("active", "completed")

#: P16 sort keys (**Proposed** in API.md), every one tie-broken by id so pages never overlap.
SORTS = {
    "newest": (sa.func.coalesce(Course.published_at, Course.created_at).desc(),),
    "popular": (Course.enrollment_count.desc(),),
    "price-asc": (Course.price.asc(),),
    "price-desc": (Course.price.desc(),),
    "rating": (Course.rating.desc(),),
}

CATALOG_FILTERS = {
    "search": Str(max_len=255),
    "difficulty": Str(choices=("all", "beginner", "intermediate", "advanced")),
    "category": Str(max_len=100),
    "priceRange": Str(choices=("all", "free", "paid")),
    "minRating": Number(min=1, max=5),
    "instructor": Str(max_len=255),
    "sortBy": Str(choices=tuple(SORTS), default="newest"),
}

#: Reason given for recommendations that fill the list from popular courses (no stored recommendation).
POPULAR_REASON = "Popular with other learners"


def _contains(column: sa.ColumnElement, needle: str) -> sa.ColumnElement[bool]:
    return sa.func.lower(column).contains(needle.lower(), autoescape=True)


def _is_free() -> sa.ColumnElement[bool]:
    return sa.or_(Course.is_free.is_(True), Course.price == 0)


def _published() -> tuple[sa.ColumnElement[bool], ...]:
    return Course.is_deleted.is_(False), Course.is_published.is_(True)


def catalog_query(q: dict) -> sa.Select:
    """P16: published, non-deleted courses matching the filters, in the requested order."""
    stmt = sa.select(Course).where(*_published())
    if q.get("search"):
        stmt = stmt.where(sa.or_(_contains(Course.title, q["search"]), _contains(Course.description, q["search"])))
    if q.get("difficulty", "all") != "all":
        stmt = stmt.where(Course.difficulty == q["difficulty"])
    if q.get("category"):
        stmt = stmt.where(sa.func.lower(Course.category) == q["category"].lower())
    if q.get("priceRange") == "free":
        stmt = stmt.where(_is_free())
    elif q.get("priceRange") == "paid":
        stmt = stmt.where(sa.not_(_is_free()))
    if q.get("minRating") is not None:
        stmt = stmt.where(Course.rating >= q["minRating"])
    if q.get("instructor"):
        names = sa.select(User.id).where(sa.or_(_contains(User.full_name, q["instructor"]),
                                                _contains(User.display_name, q["instructor"])))
        stmt = stmt.where(Course.instructor_id.in_(names))
    return stmt.order_by(*SORTS[q["sortBy"]], Course.id)


def visible_course(course_id: str, ident: Identity | None) -> tuple[Course, bool]:
    """The course and whether `ident` is enrolled in it, in one query. An unpublished course is a 404
    unless the caller owns it or is an admin (API.md §3.3 P17)."""
    if not is_uuid(course_id):
        raise NotFound("Course not found")
    enrolled = sa.literal(False)
    if ident is not None:
        enrolled = sa.exists().where(
            Enrollment.course_id == Course.id, Enrollment.user_id == ident.user_id,
            Enrollment.is_deleted.is_(False), Enrollment.status.in_(ENROLLED_STATUSES))
    row = db.session().execute(
        sa.select(Course, enrolled.label("enrolled"))
        .where(Course.id == course_id.lower(), Course.is_deleted.is_(False))).first()
    if row is None or not (row[0].is_published or is_owner(row[0], ident)):
        raise NotFound("Course not found")
    return row[0], bool(row[1])


class CourseList(ApiResource):
    rate_limits = {"get": "100/minute"}

    @authenticated(optional=True)
    def get(self):
        filters = parse_query(CATALOG_FILTERS)
        page = page_params()
        courses, total = paginate(db.session(), catalog_query(filters), page)
        return paged(ok({"courses": summaries(courses), "pagination": page.meta(total)}), page, total)


class CourseDetail(ApiResource):
    rate_limits = {"get": "100/minute"}

    @authenticated(optional=True)
    def get(self, course_id: str):
        ident = current_or_none()
        course, enrolled = visible_course(course_id, ident)
        owner = is_owner(course, ident)
        return ok(serializers.course_detail(
            course,
            videos=course_videos(course.id, include_unpublished=owner),
            sections=course_sections(course.id, include_unpublished=owner),
            reveal_answers=owner, can_watch=owner or enrolled,
            instructor_stats=instructor_stats([course.instructor_id])[course.instructor_id]))


class CourseReviews(ApiResource):
    rate_limits = {"get": "100/minute"}

    @authenticated(optional=True)
    def get(self, course_id: str):
        course, _ = visible_course(course_id, current_or_none())
        page = page_params()
        stmt = (sa.select(Review).where(Review.course_id == course.id, Review.is_deleted.is_(False))
                .order_by(Review.created_at.desc(), Review.id)
                .options(orm.joinedload(Review.user)))
        reviews, total = paginate(db.session(), stmt, page)
        return paged(ok({"reviews": [serializers.review(r) for r in reviews], "pagination": page.meta(total)}),
                     page, total)


def _recommendable(user_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    """Published courses the user neither owns nor is enrolled in."""
    enrolled = sa.select(Enrollment.course_id).where(
        Enrollment.user_id == user_id, Enrollment.is_deleted.is_(False), Enrollment.status.in_(ENROLLED_STATUSES))
    return (*_published(), Course.instructor_id != user_id, Course.id.not_in(enrolled))


def popularity_score(course: Course) -> float:
    """matchScore of a course that fills the list without a stored recommendation: half its rating
    share, so it never outranks a stored recommendation's typical score."""
    return round(0.5 * min(max(float(course.rating), 0.0), 5.0) / 5.0, 2)


class RecommendedCourses(ApiResource):
    rate_limits = {"get": "50/minute"}

    @authenticated
    def get(self):
        user_id = current().user_id
        limit = min(parse_query({"limit": Int(min=1, default=10)})["limit"], MAX_LIMIT)
        s = db.session()
        now = utcnow()
        stored = s.execute(
            sa.select(Course, CourseRecommendation.score, CourseRecommendation.reason)
            .join(CourseRecommendation, CourseRecommendation.course_id == Course.id)
            .where(CourseRecommendation.user_id == user_id, CourseRecommendation.is_deleted.is_(False),
                   CourseRecommendation.is_dismissed.is_(False),
                   sa.or_(CourseRecommendation.expires_at.is_(None), CourseRecommendation.expires_at > now),
                   *_recommendable(user_id))
            .order_by(CourseRecommendation.score.desc(), Course.id).limit(limit)).all()
        picks = [(course, float(score), reason) for course, score, reason in stored]
        if len(picks) < limit:
            chosen = [course.id for course, _, _ in picks]
            dismissed = sa.select(CourseRecommendation.course_id).where(
                CourseRecommendation.user_id == user_id, CourseRecommendation.is_dismissed.is_(True),
                CourseRecommendation.is_deleted.is_(False))
            popular = s.scalars(
                sa.select(Course).where(*_recommendable(user_id), Course.id.not_in(chosen), Course.id.not_in(dismissed))
                .order_by(Course.enrollment_count.desc(), Course.rating.desc(), Course.id)
                .limit(limit - len(picks)))
            picks += [(course, popularity_score(course), POPULAR_REASON) for course in popular]
        out = summaries([course for course, _, _ in picks])
        for item, (_, score, reason) in zip(out, picks, strict=True):
            item.update({"matchScore": min(max(score, 0.0), 1.0), "reason": reason})
        return ok({"courses": out})


def register(api: Api) -> None:
    api.add_resource(CourseList, "/api/v1/courses", endpoint="courses_list")
    # The literal path is registered before the parametrised one (API.md §3.3, §6 D3).
    api.add_resource(RecommendedCourses, "/api/v1/courses/recommended", endpoint="courses_recommended")
    api.add_resource(CourseDetail, "/api/v1/courses/<course_id>", endpoint="courses_detail")
    api.add_resource(CourseReviews, "/api/v1/courses/<course_id>/reviews", endpoint="courses_reviews")
