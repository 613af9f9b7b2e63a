"""Instructor courses and videos, P29–P40 (API.md §3.5), as a whole: the guards of every route, what an
admin may do, and the query budget. Each route's own behaviour: test_instructor_courses.py (P29–P36) and
test_instructor_videos.py (P37–P40)."""
from __future__ import annotations

import uuid

import pytest

from harness.seed import accounts
from legacy_flask.models import MediaFile
from tests.api.instructor_helpers import BASE, QUIZ_POINT, course
from tests.conftest import data, db_state, error, send

# --- guards ------------------------------------------------------------------------------------------

# (method, path template, body): {course} is the instructor's published course, {video} its first video.
ROUTES = [
    ("get", "/courses", None),
    ("post", "/courses", {"title": "T"}),
    ("get", "/courses/{course}", None),
    ("put", "/courses/{course}", {"title": "T"}),
    ("delete", "/courses/{course}", None),
    ("post", "/courses/{course}/publish", None),
    ("post", "/courses/{course}/unpublish", None),
    ("post", "/courses/{course}/duplicate", None),
    ("post", "/courses/{course}/videos", {"title": "V", "videoUrl": "https://cdn.test/v.mp4"}),
    ("put", "/courses/{course}/videos/reorder", {"videoIds": []}),
    ("put", "/videos/{video}", {"title": "T"}),
    ("delete", "/videos/{video}", None),
]
OWNER_ROUTES = [r for r in ROUTES if "{" in r[1]]


def url(template: str, seeded, *, course_id: str | None = None, video_id: str | None = None) -> str:
    return BASE + template.format(course=course_id or seeded.enrolled_course, video=video_id or seeded.video_ids(0)[0])


@pytest.mark.parametrize("method,template,body", ROUTES)
def test_guards(anon, student, instructor, instructor2, db, seeded, method, template, body):
    path = url(template, seeded)
    before = db_state(db)
    error(send(anon, method, path, body), 401, "AUTH_REQUIRED")
    error(send(student, method, path, body), 403, "FORBIDDEN")  # neither instructor nor owner
    if "{" in template:
        error(send(instructor2, method, path, body), 403, "FORBIDDEN")  # an instructor, not the owner
    if method != "get":
        error(send(instructor, method, path, body, csrf=False), 403, "CSRF_INVALID")
    assert db_state(db) == before


def test_bearer_writes_need_no_csrf_header(make_caller, db):
    caller = make_caller(accounts.INSTRUCTOR, via="bearer")
    created = data(caller.post(f"{BASE}/courses", json={"title": "Via Bearer"}), 201)
    assert course(db, created["id"]).title == "Via Bearer"


@pytest.mark.parametrize("method,template,body", OWNER_ROUTES)
def test_unknown_non_uuid_and_deleted_ids_are_404(instructor, db, seeded, method, template, body):
    for bad_id in (str(uuid.uuid4()), "not-a-uuid"):
        path = url(template, seeded, course_id=bad_id, video_id=bad_id)
        error(send(instructor, method, path, body), 404, "NOT_FOUND")
    row = course(db, seeded.enrolled_course)  # a deleted course takes its videos with it
    row.is_deleted = True
    db.commit()
    error(send(instructor, method, url(template, seeded), body), 404, "NOT_FOUND")


def test_an_admin_acts_as_the_owner(admin, db, seeded):
    d = data(admin.get(f"{BASE}/courses/{seeded.other_instructor_course}"))
    assert d["instructor"]["id"] == seeded.user_id(accounts.INSTRUCTOR2)
    d = data(admin.put(f"{BASE}/courses/{seeded.other_instructor_course}", json={"title": "Moderated"}))
    assert d["title"] == "Moderated" == course(db, seeded.other_instructor_course).title


def test_an_admin_may_create_courses(admin, db, seeded):
    created = data(admin.post(f"{BASE}/courses", json={"title": "Admin Course"}), 201)
    assert course(db, created["id"]).instructor_id == seeded.user_id(accounts.ADMIN)


# --- query budget --------------------------------------------------------------------------------------------

BUDGET = 9  # < 10 statements per request, the authentication's included
BUDGETED = [
    ("instructor", "get", "/courses", None, BUDGET),
    ("instructor", "get", "/courses/{course}", None, BUDGET),
    ("admin", "get", "/courses/{course}", None, BUDGET),
    ("instructor", "post", "/courses", {"title": "Counted"}, BUDGET),
    ("admin", "put", "/courses/{course}", {"title": "Counted", "seoMetadata": {"metaTitle": "x"}}, BUDGET),
    ("instructor", "delete", "/courses/{course}", None, BUDGET),
    ("instructor", "post", "/courses/{course}/publish", None, BUDGET),
    ("instructor", "post", "/courses/{course}/unpublish", None, BUDGET),
    # A copy is four INSERTs (course, sections, videos, quiz points) on top of four reads (course,
    # slug collisions, sections, videos with quizzes) and the two statements of authentication: 10,
    # however large the course is. The one route at 10; every other is below.
    ("instructor", "post", "/courses/{course}/duplicate", None, 10),
    ("instructor", "post", "/courses/{course}/videos",
     {"title": "Counted", "mediaFileId": "{media}", "sectionId": "{section}", "quizPoints": [QUIZ_POINT] * 3}, BUDGET),
    ("admin", "put", "/videos/{video}",
     {"title": "Counted", "mediaFileId": "{media}", "sectionId": "{section}", "quizPoints": [QUIZ_POINT] * 3}, BUDGET),
    ("instructor", "delete", "/videos/{video}", None, BUDGET),
    ("instructor", "put", "/courses/{course}/videos/reorder", {"videoIds": "{reversed}"}, BUDGET),
]


@pytest.mark.parametrize("who,method,template,body,budget", BUDGETED)
def test_requests_stay_within_the_query_budget(request, count_sql, db, seeded, who, method, template, body, budget):
    caller = request.getfixturevalue(who)
    fill = {"{media}": seeded.media_ids(0)[1], "{section}": seeded.section_ids(0)[0],
            "{reversed}": list(reversed(seeded.video_ids(0)))}
    if body:
        body = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    if who == "admin" and "mediaFileId" in (body or {}):
        db.get(MediaFile, body["mediaFileId"]).user_id = seeded.user_id(accounts.ADMIN)
        db.commit()
    with count_sql() as sql:
        resp = send(caller, method, url(template, seeded), body)
    assert resp.status_code < 300, resp.get_json()
    assert len(sql) <= budget, sql.statements
