"""Course sections and media assignment, X1–X8 (API.md §3.10): positions from 1, soft delete that
keeps media in the course, assign/unassign/reorder, and the course media overview."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from legacy_flask.models import Course, CourseSection, MediaFile
from tests.conftest import SECTION_KEYS, data, error

BRIEF_KEYS = {"id", "title", "originalFilename", "filename", "fileType", "durationSeconds", "durationFormatted",
              "orderInSection", "isPreview", "isPublished"}
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def sections_url(course_id: str) -> str:
    return f"/api/v1/content/courses/{course_id}/sections"


def section_url(section_id: str) -> str:
    return f"/api/v1/content/sections/{section_id}"


def media_row(db, media_id: str) -> MediaFile:
    db.expire_all()
    return db.get(MediaFile, media_id)


def section_count(db) -> int:
    return db.scalar(sa.select(sa.func.count(CourseSection.id)))


@pytest.fixture
def hidden_section(db, seeded) -> str:
    """An unpublished third section in the student's course."""
    section = CourseSection(course_id=seeded.enrolled_course, title="Drafts", order=3, is_published=False)
    db.add(section)
    db.commit()
    return section.id


# --- X1 -----------------------------------------------------------------------------------------------

def test_owner_sees_every_section_with_its_media(instructor, seeded, hidden_section, count_sql):
    with count_sql() as sql:
        d = data(instructor.get(sections_url(seeded.enrolled_course)))
    assert len(sql) < 10, sql.statements
    assert set(d) == {"sections", "totalSections"} and d["totalSections"] == 3
    assert [s["id"] for s in d["sections"]] == seeded.section_ids(0) + [hidden_section]
    assert [s["order"] for s in d["sections"]] == [1, 2, 3]
    assert all(set(s) == SECTION_KEYS | {"mediaFiles", "mediaCount"} for s in d["sections"])
    first = d["sections"][0]
    assert first["mediaCount"] == 1 and [m["id"] for m in first["mediaFiles"]] == [seeded.media_ids(0)[0]]
    assert set(first["mediaFiles"][0]) == BRIEF_KEYS
    assert d["sections"][1]["mediaFiles"] == [] and d["sections"][1]["mediaCount"] == 0


def test_others_see_published_sections_and_media_of_a_published_course(student, instructor2, db, seeded,
                                                                        hidden_section):
    media = db.get(MediaFile, seeded.media_ids(0)[0])
    media.is_published = False
    db.commit()
    for caller in (student, instructor2):
        d = data(caller.get(sections_url(seeded.enrolled_course)))
        assert [s["id"] for s in d["sections"]] == seeded.section_ids(0) and d["totalSections"] == 2
        assert d["sections"][0]["mediaFiles"] == [] and d["sections"][0]["mediaCount"] == 0
    assert data(student.get(sections_url(seeded.open_course)))["totalSections"] == 2  # published, not enrolled


def test_an_unpublished_course_is_closed_to_others(student, admin, seeded):
    error(student.get(sections_url(seeded.draft_course)), 403, "FORBIDDEN")
    assert data(admin.get(sections_url(seeded.draft_course)))["totalSections"] == 2


@pytest.mark.parametrize("course_id", [UNKNOWN, "nope"])
def test_sections_of_an_unknown_course_are_404(instructor, course_id):
    error(instructor.get(sections_url(course_id)), 404, "NOT_FOUND")


def test_sections_need_auth(anon, seeded):
    error(anon.get(sections_url(seeded.enrolled_course)), 401, "AUTH_REQUIRED")


# --- X2 -----------------------------------------------------------------------------------------------

def test_create_section_appends_with_defaults(instructor, db, seeded, count_sql):
    with count_sql() as sql:
        d = data(instructor.post(sections_url(seeded.enrolled_course), json={"title": "Advanced topics"}), 201)
    assert len(sql) < 10, sql.statements
    assert set(d) == SECTION_KEYS
    assert (d["courseId"], d["title"], d["description"], d["order"], d["isPublished"], d["isPreview"]) == (
        seeded.enrolled_course, "Advanced topics", "", 3, True, False)
    row = db.get(CourseSection, d["id"])
    assert row.order == 3 and row.created_by_id == instructor.user["id"]


def test_create_section_takes_every_field(instructor, seeded):
    body = {"title": "Bonus", "description": "Extras", "order": 7, "isPublished": False, "isPreview": True}
    d = data(instructor.post(sections_url(seeded.enrolled_course), json=body), 201)
    assert {k: d[k] for k in body} == body


@pytest.mark.parametrize("body, field", [
    ({}, "title"), ({"title": ""}, "title"), ({"title": "   "}, "title"), ({"title": "x" * 256}, "title"),
    ({"title": 5}, "title"), ({"title": "ok", "order": 0}, "order"), ({"title": "ok", "order": "2"}, "order"),
    ({"title": "ok", "isPublished": "yes"}, "isPublished"), ({"title": "ok", "description": 3}, "description"),
])
def test_create_section_validation_writes_nothing(instructor, db, seeded, body, field):
    before = section_count(db)
    err = error(instructor.post(sections_url(seeded.enrolled_course), json=body), 400, "INVALID_REQUEST")
    assert err["details"]["field"] == field and section_count(db) == before


def test_create_section_rejects_malformed_json(instructor, seeded):
    error(instructor.post(sections_url(seeded.enrolled_course), data="{", content_type="application/json"),
          400, "INVALID_REQUEST")


@pytest.mark.parametrize("who, course, status, code", [
    ("anon", "enrolled_course", 401, "AUTH_REQUIRED"), ("student", "enrolled_course", 403, "FORBIDDEN"),
    ("instructor2", "enrolled_course", 403, "FORBIDDEN"), ("instructor", "other_instructor_course", 403, "FORBIDDEN"),
])
def test_create_section_needs_the_owner(request, db, seeded, who, course, status, code):
    before = section_count(db)
    error(request.getfixturevalue(who).post(sections_url(getattr(seeded, course)), json={"title": "x"}), status, code)
    assert section_count(db) == before


def test_create_section_needs_csrf_and_a_known_course(instructor, admin, db, seeded):
    before = section_count(db)
    error(instructor.post(sections_url(seeded.enrolled_course), json={"title": "x"}, csrf=False), 403, "CSRF_INVALID")
    error(instructor.post(sections_url(UNKNOWN), json={"title": "x"}), 404, "NOT_FOUND")
    assert section_count(db) == before
    data(admin.post(sections_url(seeded.enrolled_course), json={"title": "x"}), 201)


# --- X3 -----------------------------------------------------------------------------------------------

def test_update_section_changes_only_what_is_sent(instructor, db, seeded, count_sql):
    section_id = seeded.section_ids(0)[1]
    before = data(instructor.get(sections_url(seeded.enrolled_course)))["sections"][1]
    with count_sql() as sql:
        d = data(instructor.put(section_url(section_id),
                                json={"title": "Renamed", "isPreview": True, "description": None}))
    assert len(sql) < 10, sql.statements
    assert set(d) == SECTION_KEYS
    assert (d["title"], d["isPreview"], d["description"], d["order"], d["isPublished"]) == (
        "Renamed", True, "", before["order"], before["isPublished"])
    assert db.get(CourseSection, section_id).title == "Renamed"


@pytest.mark.parametrize("body, field", [({"title": ""}, "title"), ({"order": -1}, "order"),
                                         ({"isPreview": 1}, "isPreview")])
def test_update_section_validation(instructor, db, seeded, body, field):
    section_id = seeded.section_ids(0)[1]
    title = db.get(CourseSection, section_id).title
    error(instructor.put(section_url(section_id), json=body), 400, "INVALID_REQUEST", field)
    db.expire_all()
    assert db.get(CourseSection, section_id).title == title


def test_update_section_guards(instructor, instructor2, anon, seeded):
    section_id = seeded.section_ids(0)[1]
    error(instructor2.put(section_url(section_id), json={"title": "x"}), 403, "FORBIDDEN")
    error(anon.put(section_url(section_id), json={"title": "x"}), 401, "AUTH_REQUIRED")
    error(instructor.put(section_url(section_id), json={"title": "x"}, csrf=False), 403, "CSRF_INVALID")
    error(instructor.put(section_url(UNKNOWN), json={"title": "x"}), 404, "NOT_FOUND")
    error(instructor.put(section_url("nope"), json={"title": "x"}), 404, "NOT_FOUND")


# --- X4 -----------------------------------------------------------------------------------------------

def test_delete_section_keeps_its_media_in_the_course(instructor, db, seeded, count_sql):
    section_id, media_id = seeded.section_ids(0)[0], seeded.media_ids(0)[0]
    with count_sql() as sql:
        d = data(instructor.delete(section_url(section_id)))
    assert len(sql) < 10, sql.statements
    assert set(d) == {"message"}
    db.expire_all()
    section, media = db.get(CourseSection, section_id), db.get(MediaFile, media_id)
    assert section.is_deleted and section.deleted_by_id == instructor.user["id"]
    assert media.course_section_id is None and media.course_id == seeded.enrolled_course
    sections = data(instructor.get(sections_url(seeded.enrolled_course)))["sections"]
    assert [s["id"] for s in sections] == [seeded.section_ids(0)[1]]
    error(instructor.delete(section_url(section_id)), 404, "NOT_FOUND")
    error(instructor.put(section_url(section_id), json={"title": "x"}), 404, "NOT_FOUND")


def test_delete_section_guards(instructor, instructor2, student, seeded, db):
    section_id = seeded.section_ids(0)[0]
    error(instructor2.delete(section_url(section_id)), 403, "FORBIDDEN")
    error(student.delete(section_url(section_id)), 403, "FORBIDDEN")
    error(instructor.delete(section_url(section_id), csrf=False), 403, "CSRF_INVALID")
    assert not db.get(CourseSection, section_id).is_deleted
    assert db.get(MediaFile, seeded.media_ids(0)[0]).course_section_id == section_id


def test_sections_of_a_deleted_course_are_gone(instructor, db, seeded):
    db.get(Course, seeded.enrolled_course).is_deleted = True
    db.commit()
    error(instructor.put(section_url(seeded.section_ids(0)[0]), json={"title": "x"}), 404, "NOT_FOUND")


# --- X5 -----------------------------------------------------------------------------------------------

def assign_url(section_id: str) -> str:
    return f"{section_url(section_id)}/media"


def test_assign_media_appends_it_to_the_section(instructor, db, seeded, count_sql):
    section_id, media_id = seeded.section_ids(0)[0], seeded.media_ids(0)[1]
    with count_sql() as sql:
        d = data(instructor.post(assign_url(section_id), json={"mediaFileId": media_id}))
    assert len(sql) < 10, sql.statements
    assert set(d) == {"mediaFile", "message"}
    m = d["mediaFile"]
    assert (m["id"], m["courseId"]) == (media_id, seeded.enrolled_course)
    assert (m["courseSectionId"], m["orderInSection"]) == (section_id, 2)
    assert (m["title"], m["description"]) == (m["originalFilename"], None)
    assert (m["isPreview"], m["isPublished"]) == (False, True)
    row = media_row(db, media_id)
    assert (row.course_id, row.course_section_id, row.order_in_section) == (seeded.enrolled_course, section_id, 2)


def test_assign_media_takes_title_order_and_flags(instructor, seeded):
    body = {"mediaFileId": seeded.media_ids(0)[2], "title": "Welcome", "description": "Start here", "order": 5,
            "isPreview": True, "isPublished": False}
    m = data(instructor.post(assign_url(seeded.section_ids(0)[1]), json=body))["mediaFile"]
    assert (m["title"], m["description"], m["orderInSection"], m["isPreview"], m["isPublished"]) == (
        "Welcome", "Start here", 5, True, False)


def test_reassigning_moves_the_media(instructor, db, seeded):
    media_id = seeded.media_ids(0)[0]  # in section 0 of course 0
    target = seeded.section_ids(0)[1]
    m = data(instructor.post(assign_url(target), json={"mediaFileId": media_id}))["mediaFile"]
    assert (m["courseSectionId"], m["orderInSection"]) == (target, 1)


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "INVALID_REQUEST"), ({"mediaFileId": "nope"}, 400, "INVALID_REQUEST"),
    ({"mediaFileId": UNKNOWN}, 404, "NOT_FOUND"), ("order", 400, "INVALID_REQUEST"),
])
def test_assign_media_validation(instructor, db, seeded, body, status, code):
    if body == "order":
        body = {"mediaFileId": seeded.media_ids(0)[1], "order": 0}
    error(instructor.post(assign_url(seeded.section_ids(0)[0]), json=body), status, code)
    assert media_row(db, seeded.media_ids(0)[1]).course_section_id is None


def test_assign_media_needs_both_ownerships(instructor, instructor2, seeded, db):
    mine, theirs = seeded.media_ids(0)[1], seeded.media_ids(1)[1]
    error(instructor.post(assign_url(seeded.section_ids(0)[0]), json={"mediaFileId": theirs}), 403, "FORBIDDEN")
    error(instructor.post(assign_url(seeded.section_ids(3)[0]), json={"mediaFileId": mine}), 403, "FORBIDDEN")
    error(instructor2.post(assign_url(seeded.section_ids(0)[0]), json={"mediaFileId": mine}), 403, "FORBIDDEN")
    error(instructor.post(assign_url(UNKNOWN), json={"mediaFileId": mine}), 404, "NOT_FOUND")
    error(instructor.post(assign_url(seeded.section_ids(0)[0]), json={"mediaFileId": mine}, csrf=False),
          403, "CSRF_INVALID")
    assert media_row(db, mine).course_section_id is None and media_row(db, theirs).course_section_id is None


# --- X6 -----------------------------------------------------------------------------------------------

def test_unassign_clears_the_placement(instructor, db, seeded, count_sql):
    media_id = seeded.media_ids(0)[0]
    data(instructor.post(assign_url(seeded.section_ids(0)[0]), json={"mediaFileId": media_id, "title": "Custom",
                                                                      "description": "Text"}))
    with count_sql() as sql:
        d = data(instructor.post(f"/api/v1/content/media/{media_id}/unassign"))
    assert len(sql) < 10, sql.statements
    assert set(d) == {"message", "mediaFile"}
    m = d["mediaFile"]
    assert (m["courseId"], m["courseSectionId"], m["orderInSection"], m["description"]) == (None, None, None, None)
    assert m["title"] == m["originalFilename"] == "lesson-1.mp4"
    row = media_row(db, media_id)
    assert (row.course_id, row.course_section_id, row.order_in_section, row.description) == (None, None, None, None)


def test_unassign_guards(instructor, instructor2, anon, seeded, db):
    media_id = seeded.media_ids(0)[0]
    error(instructor2.post(f"/api/v1/content/media/{media_id}/unassign"), 403, "FORBIDDEN")
    error(anon.post(f"/api/v1/content/media/{media_id}/unassign"), 401, "AUTH_REQUIRED")
    error(instructor.post(f"/api/v1/content/media/{media_id}/unassign", csrf=False), 403, "CSRF_INVALID")
    error(instructor.post(f"/api/v1/content/media/{UNKNOWN}/unassign"), 404, "NOT_FOUND")
    assert media_row(db, media_id).course_section_id == seeded.section_ids(0)[0]


# --- X7 -----------------------------------------------------------------------------------------------

@pytest.fixture
def full_section(instructor, seeded) -> list[str]:
    """Section 0 of course 0 holding the instructor's three media files at positions 1, 2, 3."""
    ids = seeded.media_ids(0)
    for media_id in ids[1:]:
        data(instructor.post(assign_url(seeded.section_ids(0)[0]), json={"mediaFileId": media_id}))
    return ids


def test_reorder_numbers_the_listed_files_in_list_order(instructor, db, seeded, full_section, count_sql):
    a, b, c = full_section
    with count_sql() as sql:
        d = data(instructor.put(f"{assign_url(seeded.section_ids(0)[0])}/reorder",
                                json={"mediaOrder": [c, UNKNOWN, a, c, seeded.media_ids(1)[0]]}))
    assert len(sql) < 10, sql.statements
    assert set(d) == {"mediaFiles", "message"}
    assert [(m["id"], m["orderInSection"]) for m in d["mediaFiles"]] == [(c, 1), (a, 2), (b, 2)]
    assert all(set(m) == {"id", "title", "orderInSection", "filename", "durationSeconds"} for m in d["mediaFiles"])
    assert [media_row(db, i).order_in_section for i in (a, b, c)] == [2, 2, 1]  # b was not listed: kept
    assert media_row(db, seeded.media_ids(1)[0]).course_section_id != seeded.section_ids(0)[0]


def test_reorder_validation_and_guards(instructor, instructor2, seeded, full_section, db):
    url = f"{assign_url(seeded.section_ids(0)[0])}/reorder"
    assert error(instructor.put(url, json={}), 400, "INVALID_REQUEST")["details"]["field"] == "mediaOrder"
    error(instructor.put(url, json={"mediaOrder": ["nope"]}), 400, "INVALID_REQUEST")
    error(instructor.put(url, json={"mediaOrder": full_section[0]}), 400, "INVALID_REQUEST")
    error(instructor2.put(url, json={"mediaOrder": full_section[::-1]}), 403, "FORBIDDEN")
    error(instructor.put(url, json={"mediaOrder": full_section[::-1]}, csrf=False), 403, "CSRF_INVALID")
    error(instructor.put(f"{assign_url(UNKNOWN)}/reorder", json={"mediaOrder": []}), 404, "NOT_FOUND")
    assert [media_row(db, i).order_in_section for i in full_section] == [1, 2, 3]


# --- X8 -----------------------------------------------------------------------------------------------

def test_course_media_overview(instructor, db, seeded, count_sql):
    loose = db.get(MediaFile, seeded.media_ids(0)[2])
    loose.course_id = seeded.enrolled_course  # in the course, in no section
    db.commit()
    with count_sql() as sql:
        d = data(instructor.get(f"/api/v1/content/courses/{seeded.enrolled_course}/media"))
    assert len(sql) < 10, sql.statements
    assert set(d) == {"courseId", "courseTitle", "sections", "unsectionedMedia"}
    assert d["courseId"] == seeded.enrolled_course and d["courseTitle"] == db.get(Course, seeded.enrolled_course).title
    first, second = seeded.section_ids(0)[:2]
    assert [(s["sectionId"], s["order"]) for s in d["sections"]] == [(first, 1), (second, 2)]
    assert all(set(s) == {"sectionId", "sectionTitle", "order", "mediaFiles"} for s in d["sections"])
    assert [m["id"] for m in d["sections"][0]["mediaFiles"]] == [seeded.media_ids(0)[0]]
    assert set(d["sections"][0]["mediaFiles"][0]) == BRIEF_KEYS
    assert [m["id"] for m in d["unsectionedMedia"]] == [loose.id]
    assert set(d["unsectionedMedia"][0]) == BRIEF_KEYS | {"courseId", "courseSectionId"}
    loose_out = d["unsectionedMedia"][0]
    assert (loose_out["courseId"], loose_out["courseSectionId"]) == (seeded.enrolled_course, None)


def test_course_media_after_a_section_is_deleted(instructor, seeded):
    data(instructor.delete(section_url(seeded.section_ids(0)[0])))
    d = data(instructor.get(f"/api/v1/content/courses/{seeded.enrolled_course}/media"))
    assert [s["sectionId"] for s in d["sections"]] == [seeded.section_ids(0)[1]]
    assert [m["id"] for m in d["unsectionedMedia"]] == [seeded.media_ids(0)[0]]


def test_course_media_is_for_the_owner(student, instructor2, admin, anon, instructor, seeded):
    url = f"/api/v1/content/courses/{seeded.enrolled_course}/media"
    error(student.get(url), 403, "FORBIDDEN")
    error(instructor2.get(url), 403, "FORBIDDEN")
    error(anon.get(url), 401, "AUTH_REQUIRED")
    error(instructor.get(f"/api/v1/content/courses/{UNKNOWN}/media"), 404, "NOT_FOUND")
    assert data(admin.get(url))["courseId"] == seeded.enrolled_course
