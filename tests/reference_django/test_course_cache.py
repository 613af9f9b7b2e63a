"""The reference app's cache of the catalogue's course cards (P16), course detail (P17) and reviews (P18):
answered without the database on a repeat, never a personalised answer to someone else, and never stale after a write.

Django only (the legacy app caches nothing); the wire-level behaviour of these routes is tested on
both apps in tests/api/test_courses.py.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from legacy_flask.models import Course, CourseSection
from tests.apps import DjangoApp
from tests.conftest import data

COURSES = "/api/v1/courses"
INSTRUCTOR = "/api/v1/instructor"
PAGE_HEADERS = ("X-Total-Count", "X-Page", "X-Per-Page", "X-Total-Pages")
NEW_QUIZ = {"timestamp": 3, "question": "Cached?", "options": ["yes", "no"], "correctAnswer": 1}


@pytest.fixture
def db_url(recycled_db_url):
    """The seeded database, PostgreSQL recycled between tests (these tests change rows, never the schema)."""
    return recycled_db_url


@pytest.fixture
def app(app_config):
    application = DjangoApp(app_config)
    yield application
    application.close()


@pytest.fixture
def count_sql(app):
    return app.count_sql


@pytest.fixture
def course_cache(app):
    from reference_django.courses import cache

    return cache


def detail(course_id: str) -> str:
    return f"{COURSES}/{course_id}"


# --- repeats come from the cache ------------------------------------------------------------------------

def courses_of(resp) -> list[dict]:
    return data(resp)["courses"]


def test_a_repeated_catalogue_page_asks_the_database_only_which_courses_it_lists(anon):
    """Django's own counter (transaction statements included): the page's ids with the total, never a course row
    or an instructor's counters."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert anon.get(COURSES).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert anon.get(COURSES).status_code == 200
    assert len(captured.captured_queries) == 1, [query["sql"] for query in captured.captured_queries]


def test_a_page_past_the_end_still_knows_the_total(anon):
    first = data(anon.get(f"{COURSES}?limit=2"))["pagination"]
    past = data(anon.get(f"{COURSES}?limit=2&page={first['pages'] + 1}"))
    assert past["courses"] == [] and past["pagination"]["total"] == first["total"] > 0


@pytest.mark.parametrize("path", [COURSES, f"{COURSES}?sortBy=popular&limit=2&page=2&minRating=1", "detail"])
def test_a_second_identical_anonymous_request_is_answered_from_the_cache(anon, count_sql, course_cache, seeded,
                                                                        path):
    is_detail = path == "detail"
    path = detail(seeded.enrolled_course) if is_detail else path
    first = anon.get(path)
    with count_sql() as sql:
        second = anon.get(path)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.data == first.data
    assert [second.headers.get(h) for h in PAGE_HEADERS] == [first.headers.get(h) for h in PAGE_HEADERS]
    lookups = 1 if is_detail else len(courses_of(first))  # one per course card
    assert lookups >= 1
    assert len(sql) <= 1, sql.statements  # the instructor's counters; the listing
    assert course_cache.cache_stats() == {"hits": lookups, "misses": lookups, "lookups": 2 * lookups,
                                          "hit_ratio": 0.5}


def test_signed_in_callers_share_the_catalogue_and_pay_only_for_authentication(anon, student, count_sql):
    first = anon.get(f"{COURSES}?sortBy=rating")
    with count_sql() as sql:
        second = student.get(f"{COURSES}?sortBy=rating")
    assert second.data == first.data
    assert len(sql) <= 3, sql.statements  # the session, the caller's grants, the listing


def test_a_listing_never_asked_before_still_hits_on_the_courses_it_shows(anon, course_cache):
    """The cards are the courses', not the pages': a new filter, order or page size reuses them."""
    everything = courses_of(anon.get(f"{COURSES}?limit=100"))
    assert course_cache.cache_stats()["hits"] == 0
    for query in ("?sortBy=price-desc&limit=3", "?difficulty=beginner", f"?search={everything[0]['title'][:4]}"):
        before = course_cache.cache_stats()
        listed = courses_of(anon.get(COURSES + query))
        after = course_cache.cache_stats()
        assert listed and after["misses"] == before["misses"], query
        assert after["hits"] - before["hits"] == len(listed), query
    assert courses_of(anon.get(f"{COURSES}?limit=1")) == everything[:1]


def test_refused_queries_are_neither_cached_nor_counted(anon, course_cache):
    for _ in range(2):
        assert anon.get(f"{COURSES}?sortBy=cheapest").status_code == 400
        assert anon.get(detail("not-a-uuid")).status_code == 404
    assert course_cache.cache_stats()["lookups"] == 0


def test_no_cache_when_the_ttl_is_zero(app, anon, count_sql, course_cache):
    app.config["API_CACHE_TTL"] = 0
    anon.get(COURSES)
    with count_sql() as sql:
        assert anon.get(COURSES).status_code == 200
    assert len(sql) >= 2 and course_cache.cache_stats()["lookups"] == 0


def test_the_cache_works_on_redis(app, anon, instructor, count_sql, course_cache, redis_url, seeded):
    app.config["CACHES"] = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url,
                                        "KEY_PREFIX": "test-course-cache"}}
    path = detail(seeded.enrolled_course)
    first = anon.get(path)
    with count_sql() as sql:
        assert anon.get(path).data == first.data
    assert len(sql) == 1  # the instructor's counters, read afresh
    data(instructor.put(f"{INSTRUCTOR}/courses/{seeded.enrolled_course}", json={"title": "Renamed on Redis"}))
    assert data(anon.get(path))["title"] == "Renamed on Redis"
    assert course_cache.cache_stats()["hits"] == 1


# --- personalised details never leak ------------------------------------------------------------------------

@pytest.mark.parametrize("order", [("anon", "student", "instructor", "instructor2"),
                                   ("instructor", "student", "instructor2", "anon")])
def test_each_visibility_class_gets_its_own_detail(anon, student, instructor2, instructor, seeded, order):
    callers = {"anon": anon, "student": student, "instructor2": instructor2, "instructor": instructor}
    bodies = {who: data(callers[who].get(detail(seeded.enrolled_course))) for who in order}
    quizzes = {who: [q for v in body["videos"] for q in v["quizPoints"]] for who, body in bodies.items()}
    # anonymous and not enrolled: no answers, URLs of previews only
    for who in ("anon", "instructor2"):  # instructor2 neither owns the course nor is enrolled
        assert all("correctAnswer" not in q for q in quizzes[who])
        assert all((v["videoUrl"] is not None) == v["isPreview"] for v in bodies[who]["videos"])
    assert bodies["anon"] == bodies["instructor2"]
    # enrolled: every URL, still no answers
    assert all(v["videoUrl"] for v in bodies["student"]["videos"])
    assert all("correctAnswer" not in q for q in quizzes["student"])
    # the owner: answers
    assert quizzes["instructor"] and all("correctAnswer" in q for q in quizzes["instructor"])
    assert len({str(body) for body in bodies.values()}) == 3  # three classes, three different answers


def test_the_owners_view_of_a_draft_is_never_served_to_others(instructor, anon, student, seeded):
    assert data(instructor.get(detail(seeded.draft_course)))["status"] == "draft"
    for caller in (anon, student):
        assert caller.get(detail(seeded.draft_course)).status_code == 404


# --- every write is seen by the next read -------------------------------------------------------------------

def _videos(seeded) -> list[str]:
    return seeded.video_ids(0)


WRITES: dict[str, Callable] = {
    "update course": lambda c, s: c.put(f"{INSTRUCTOR}/courses/{s.enrolled_course}", json={"title": "Renamed"}),
    "delete course": lambda c, s: c.delete(f"{INSTRUCTOR}/courses/{s.open_course}"),
    "publish course": lambda c, s: c.post(f"{INSTRUCTOR}/courses/{s.draft_course}/publish"),
    "unpublish course": lambda c, s: c.post(f"{INSTRUCTOR}/courses/{s.enrolled_course}/unpublish"),
    "add video": lambda c, s: c.post(f"{INSTRUCTOR}/courses/{s.enrolled_course}/videos",
                                     json={"title": "New", "videoUrl": "https://cdn.test/new.mp4", "isPreview": True}),
    "add video to a draft": lambda c, s: c.post(f"{INSTRUCTOR}/courses/{s.draft_course}/videos",
                                                json={"title": "New", "videoUrl": "https://cdn.test/new.mp4"}),
    "update video": lambda c, s: c.put(f"{INSTRUCTOR}/videos/{_videos(s)[0]}", json={"title": "Retitled"}),
    "replace quiz points": lambda c, s: c.put(f"{INSTRUCTOR}/videos/{_videos(s)[0]}", json={"quizPoints": [NEW_QUIZ]}),
    "delete video": lambda c, s: c.delete(f"{INSTRUCTOR}/videos/{_videos(s)[1]}"),
    "reorder videos": lambda c, s: c.put(f"{INSTRUCTOR}/courses/{s.enrolled_course}/videos/reorder",
                                         json={"videoIds": list(reversed(_videos(s)))}),
}


def snapshot(callers, seeded) -> list:
    """What the cached routes answer each kind of caller: two catalogue pages and three details
    (the published courses of one instructor and their draft)."""
    paths = [COURSES, f"{COURSES}?sortBy=popular&limit=2&page=2",
             *(detail(c) for c in (seeded.enrolled_course, seeded.open_course, seeded.draft_course))]
    return [(path, resp.status_code, resp.get_json()) for caller in callers for path in paths
            for resp in [caller.get(path)]]


@pytest.mark.parametrize("write", WRITES)
def test_a_write_shows_on_the_next_read(anon, student, instructor, course_cache, seeded, write):
    callers = (anon, student, instructor)
    before = snapshot(callers, seeded)
    assert snapshot(callers, seeded) == before and course_cache.cache_stats()["hits"] > 0
    assert WRITES[write](instructor, seeded).status_code < 300
    after = snapshot(callers, seeded)
    course_cache.cache.clear()
    assert after == snapshot(callers, seeded), "a cached answer is stale"
    assert after != before


@pytest.mark.parametrize("write", WRITES)
def test_without_invalidation_the_next_read_would_be_stale(monkeypatch, anon, student, instructor, course_cache,
                                                          seeded, write):
    """Proves the test above catches a service that forgets to invalidate."""
    monkeypatch.setattr(course_cache, "invalidate_catalogue", lambda: None)
    monkeypatch.setattr(course_cache, "invalidate_course", lambda *_args: None)
    monkeypatch.setattr(course_cache, "invalidate_instructor", lambda *_args: None)
    callers = (anon, student, instructor)
    snapshot(callers, seeded)
    assert WRITES[write](instructor, seeded).status_code < 300
    after = snapshot(callers, seeded)
    course_cache.cache.clear()
    assert after != snapshot(callers, seeded)


def test_an_instructors_counters_in_another_courses_detail_follow_a_publication(anon, instructor, seeded):
    counters = lambda: data(anon.get(detail(seeded.enrolled_course)))["instructor"]["coursesCount"]  # noqa: E731
    published = counters()
    data(instructor.post(f"{INSTRUCTOR}/courses/{seeded.draft_course}/publish"))
    assert counters() == published + 1


def _cards(caller) -> dict[str, dict]:
    return {c["id"]: c for c in courses_of(caller.get(f"{COURSES}?limit=100"))}


@pytest.mark.parametrize("drop", [False, True], ids=["enrol", "unenrol"])
def test_an_enrolment_costs_only_the_cards_of_its_instructors_courses(anon, student, course_cache, seeded, drop):
    """The course's enrollmentCount and its instructor's studentsCount, on every course of that instructor, are
    new at once; the other instructors' cards stay cached."""
    course = seeded.enrolled_course if drop else seeded.open_course
    before = _cards(anon)
    teacher = before[course]["instructor"]["id"]
    theirs = {i for i, c in before.items() if c["instructor"]["id"] == teacher}
    assert 0 < len(theirs) < len(before)
    other = sorted(theirs - {course})[0]  # another of their courses, its detail cached before the enrolment
    assert data(anon.get(detail(other)))["instructor"] == before[other]["instructor"]
    action = "unenroll" if drop else "enroll"
    assert student.post(f"/api/v1/student/courses/{course}/{action}", json={}).status_code == 200
    stats = course_cache.cache_stats()
    after = _cards(anon)
    step = -1 if drop else 1
    assert after[course]["enrollmentCount"] == before[course]["enrollmentCount"] + step
    for i in theirs:
        assert after[i]["instructor"]["studentsCount"] == before[i]["instructor"]["studentsCount"] + step
    assert course_cache.cache_stats()["misses"] - stats["misses"] == len(theirs)
    # the other course's detail stays cached, with the counters as they are now
    stats = course_cache.cache_stats()
    assert data(anon.get(detail(other)))["instructor"] == after[other]["instructor"]
    assert course_cache.cache_stats()["misses"] == stats["misses"]
    course_cache.cache.clear()
    assert _cards(anon) == after, "a cached card is stale"


def test_a_review_costs_only_the_card_of_its_course(student, anon, course_cache, seeded):
    before = _cards(anon)
    reviewed = student.post(f"/api/v1/student/courses/{seeded.enrolled_course}/review",
                            json={"rating": 1, "comment": "Too fast"})
    assert reviewed.status_code in (200, 201)
    stats = course_cache.cache_stats()
    after = _cards(anon)
    assert course_cache.cache_stats()["misses"] - stats["misses"] == 1
    assert after[seeded.enrolled_course]["ratingCount"] >= 1 and after != before
    course_cache.cache.clear()
    assert _cards(anon) == after, "a cached card is stale"


def test_anonymous_review_pages_are_cached_and_follow_a_review_and_a_reviewers_new_name(
        anon, student, instructor, count_sql, course_cache, seeded):
    path = f"{detail(seeded.enrolled_course)}/reviews?limit=50"
    first = anon.get(path)
    with count_sql() as sql:
        assert anon.get(path).data == first.data
    assert len(sql) == 0 and course_cache.cache_stats()["hits"] == 1
    assert instructor.get(path).data == first.data  # a signed-in caller is answered from the database

    def fresh() -> list[dict]:
        cached = data(anon.get(path))["reviews"]
        course_cache.cache.clear()
        assert data(anon.get(path))["reviews"] == cached, "a cached review page is stale"
        return cached

    assert student.post(f"/api/v1/student/courses/{seeded.enrolled_course}/review",
                        json={"rating": 2, "comment": "Cached?"}).status_code in (200, 201)
    assert "Cached?" in [r["comment"] for r in fresh()]
    assert data(student.put("/api/v1/user/profile", json={"full_name": "Renamed Reviewer"}))
    assert "Renamed Reviewer" in [r["userName"] for r in fresh()]


def test_a_refused_page_of_reviews_still_answers_the_missing_course_first(anon, seeded):
    missing = "00000000-0000-4000-8000-000000000000"
    assert anon.get(f"{detail(missing)}/reviews?page=0").status_code == 404
    assert anon.get(f"{detail(seeded.enrolled_course)}/reviews?page=0").status_code == 400


# --- the invalidation API other apps' services call -------------------------------------------------------------

def test_other_apps_invalidate_the_catalogue_and_a_course(anon, db, course_cache, seeded):
    catalogue = lambda: {c["id"]: c for c in data(anon.get(COURSES))["courses"]}  # noqa: E731
    sections = lambda: [s["title"] for s in data(anon.get(detail(seeded.enrolled_course)))["sections"]]  # noqa: E731
    count, titles = catalogue()[seeded.enrolled_course]["enrollmentCount"], sections()

    # an enrollment counter changed by another app's service
    db.execute(sa.update(Course).where(Course.id == seeded.enrolled_course)
               .values(enrollment_count=Course.enrollment_count + 1))
    db.commit()
    assert catalogue()[seeded.enrolled_course]["enrollmentCount"] == count  # still cached
    course_cache.invalidate_catalogue()
    assert catalogue()[seeded.enrolled_course]["enrollmentCount"] == count + 1
    assert sections() == titles  # cached again, under the new generation

    # a section renamed by the content service
    db.execute(sa.update(CourseSection).where(CourseSection.id == seeded.section_ids(0)[0]).values(title="Renamed"))
    db.commit()
    assert sections() == titles
    course_cache.invalidate_course(seeded.enrolled_course)
    assert sections() == ["Renamed", *titles[1:]]
