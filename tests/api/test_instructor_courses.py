"""Instructor courses, P29–P36 (API.md §3.5): payloads, validation, the writes each route makes (and does
not make when it fails), and course_updated events."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.models import Course, CourseSection, Enrollment, MediaFile, Quiz, Video
from tests.api.instructor_helpers import BASE, QUIZ_KEYS, course, live_videos
from tests.conftest import DETAIL_KEYS, SECTION_KEYS, SUMMARY_KEYS, VIDEO_KEYS, data, db_state, error

STATS_KEYS = {"enrollmentCount", "completionCount", "rating", "ratingCount", "videoCount"}


def new_course(caller, **fields) -> dict:
    return data(caller.post(f"{BASE}/courses", json={"title": "Fresh Course", **fields}), 201)


# --- P29 list -------------------------------------------------------------------------------------------

def own_courses(db, user_id: str) -> list[Course]:
    db.expire_all()
    return list(db.scalars(sa.select(Course).where(Course.instructor_id == user_id, Course.is_deleted.is_(False))))


def test_list_has_own_courses_including_drafts_with_stats(instructor, db, seeded):
    resp = instructor.get(f"{BASE}/courses")
    d = data(resp)
    mine = own_courses(db, seeded.user_id(accounts.INSTRUCTOR))
    assert set(d) == {"courses", "pagination"}
    assert d["pagination"] == {"page": 1, "limit": 20, "total": len(mine), "pages": 1}
    assert resp.headers["X-Total-Count"] == str(len(mine))
    assert {c["id"] for c in d["courses"]} == {c.id for c in mine}
    assert seeded.draft_course in {c["id"] for c in d["courses"]}
    assert [c["createdAt"] for c in d["courses"]] == sorted((c["createdAt"] for c in d["courses"]), reverse=True)
    for item in d["courses"]:
        row = next(c for c in mine if c.id == item["id"])
        assert set(item) == SUMMARY_KEYS | {"stats"} and set(item["stats"]) == STATS_KEYS
        assert item["stats"] == {"enrollmentCount": row.enrollment_count, "completionCount": row.completion_count,
                                 "rating": row.rating, "ratingCount": row.rating_count,
                                 "videoCount": len(live_videos(db, row.id))}


def test_list_leaves_out_deleted_courses_and_counts_only_live_videos(instructor, db, seeded):
    data(instructor.delete(f"{BASE}/courses/{seeded.open_course}"))
    data(instructor.delete(f"{BASE}/videos/{seeded.video_ids(0)[0]}"))
    courses = {c["id"]: c for c in data(instructor.get(f"{BASE}/courses"))["courses"]}
    assert seeded.open_course not in courses
    assert courses[seeded.enrolled_course]["stats"]["videoCount"] == len(seeded.video_ids(0)) - 1


@pytest.mark.parametrize("status", ["draft", "published", "unpublished"])
def test_list_filters_by_status(instructor, db, seeded, status):
    d = data(instructor.get(f"{BASE}/courses?status={status}"))
    expected = {c.id for c in own_courses(db, seeded.user_id(accounts.INSTRUCTOR)) if c.status == status}
    assert {c["id"] for c in d["courses"]} == expected and d["pagination"]["total"] == len(expected)


def test_list_paginates(instructor, db, seeded):
    total = len(own_courses(db, seeded.user_id(accounts.INSTRUCTOR)))
    first = data(instructor.get(f"{BASE}/courses?limit=1"))
    second = data(instructor.get(f"{BASE}/courses?limit=1&page=2"))
    assert first["pagination"] == {"page": 1, "limit": 1, "total": total, "pages": total}
    assert len(first["courses"]) == len(second["courses"]) == 1
    assert first["courses"][0]["id"] != second["courses"][0]["id"]


@pytest.mark.parametrize("query,field", [("status=live", "status"), ("page=0", "page"), ("limit=abc", "limit")])
def test_list_rejects_bad_query_values(instructor, query, field):
    error(instructor.get(f"{BASE}/courses?{query}"), 400, "INVALID_REQUEST", field)


# --- P30 get --------------------------------------------------------------------------------------------

def test_get_returns_the_full_detail_with_quiz_answers(instructor, db, seeded):
    hidden = db.get(Video, seeded.video_ids(0)[1])
    hidden.is_published = False  # the owner still sees unpublished videos
    db.commit()
    d = data(instructor.get(f"{BASE}/courses/{seeded.enrolled_course}"))
    assert set(d) == DETAIL_KEYS and d["id"] == seeded.enrolled_course
    assert [v["id"] for v in d["videos"]] == seeded.video_ids(0)
    assert [v["order"] for v in d["videos"]] == list(range(1, len(d["videos"]) + 1))
    assert {s["id"] for s in d["sections"]} == set(seeded.section_ids(0))
    assert all(set(s) == SECTION_KEYS for s in d["sections"])
    for v in d["videos"]:
        assert set(v) == VIDEO_KEYS and v["videoUrl"]
        assert v["quizPoints"] and all(set(q) == QUIZ_KEYS for q in v["quizPoints"])
    quiz = db.get(Quiz, seeded.quiz_id(0, 0))
    assert d["videos"][0]["quizPoints"][0]["correctAnswer"] == quiz.correct_answer
    assert d["version"] == course(db, seeded.enrolled_course).version
    mine = [c for c in own_courses(db, seeded.user_id(accounts.INSTRUCTOR)) if c.is_published]
    assert d["instructor"]["coursesCount"] == len(mine)
    assert d["instructor"]["studentsCount"] == sum(c.enrollment_count for c in mine)


# --- P31 create ------------------------------------------------------------------------------------------

def test_create_makes_a_draft_with_the_documented_defaults(instructor, db, seeded):
    d = new_course(instructor, title="Intro to Testing")
    assert set(d) == DETAIL_KEYS
    assert (d["status"], d["isPublished"], d["publishedAt"]) == ("draft", False, None)
    assert (d["price"], d["isFree"], d["currency"]) == (0, True, "USD")
    assert (d["difficulty"], d["language"]) == ("beginner", "en")
    assert (d["description"], d["shortDescription"], d["duration"], d["category"]) == ("", "", 0, None)
    lists = ("tags", "prerequisites", "learningOutcomes", "targetAudience", "videos", "sections")
    assert {name: d[name] for name in lists} == dict.fromkeys(lists, [])
    assert (d["courseStructure"], d["seoMetadata"], d["version"]) == (None, {}, 1)
    assert (d["enrollmentCount"], d["rating"], d["ratingCount"]) == (0, 0, 0)
    assert d["instructor"]["id"] == seeded.user_id(accounts.INSTRUCTOR)
    row = course(db, d["id"])
    assert (row.slug, row.status, row.is_published, row.instructor_id) == \
        ("intro-to-testing", "draft", False, seeded.user_id(accounts.INSTRUCTOR))


def test_create_stores_every_field(instructor, db):
    body = {"title": "Full", "description": "Long text", "shortDescription": "s" * 500,
            "thumbnailUrl": "https://cdn.test/t.png", "price": 49.99, "currency": "eur", "duration": 3600,
            "difficulty": "advanced", "language": "de", "tags": ["a", "b"], "category": "Data",
            "prerequisites": ["p"], "learningOutcomes": ["o"], "targetAudience": ["t"],
            "courseStructure": {"weeks": 2}}
    d = new_course(instructor, **body)
    expected = {**body, "currency": "EUR", "isFree": False}
    assert {k: d[k] for k in expected} == expected
    row = course(db, d["id"])
    assert (float(row.price), row.currency, row.is_free, row.short_description) == (49.99, "EUR", False, "s" * 500)


@pytest.mark.parametrize("body,is_free", [({"price": 0, "isFree": False}, False),
                                          ({"price": 10, "isFree": True}, True)])
def test_create_takes_an_explicit_is_free(instructor, body, is_free):
    assert new_course(instructor, **body)["isFree"] is is_free


def test_create_suffixes_a_taken_slug(instructor, instructor2, db):
    ids = [new_course(instructor, title="Same Title")["id"], new_course(instructor2, title="Same Title!")["id"],
           new_course(instructor, title="same title")["id"]]
    assert [course(db, i).slug for i in ids] == ["same-title", "same-title-1", "same-title-2"]


CREATE_INVALID = [
    ({}, "title"), ({"title": ""}, "title"), ({"title": "  "}, "title"), ({"title": "x" * 256}, "title"),
    ({"title": 5}, "title"), ({"title": None}, "title"),
    ({"shortDescription": "x" * 501}, "shortDescription"), ({"description": 1}, "description"),
    ({"price": -1}, "price"), ({"price": "10"}, "price"), ({"price": 1e12}, "price"),
    ({"currency": "US"}, "currency"), ({"currency": "USDD"}, "currency"), ({"currency": "U5D"}, "currency"),
    ({"duration": -1}, "duration"), ({"duration": 1.5}, "duration"), ({"difficulty": "expert"}, "difficulty"),
    ({"language": ""}, "language"), ({"tags": "a"}, "tags"), ({"tags": [1]}, "tags"),
    ({"category": "x" * 101}, "category"), ({"isFree": "yes"}, "isFree"), ({"prerequisites": [None]}, "prerequisites"),
    ({"learningOutcomes": {}}, "learningOutcomes"), ({"targetAudience": "all"}, "targetAudience"),
    ({"courseStructure": []}, "courseStructure"),
]


def test_create_validates_every_field(instructor, db):
    before = db_state(db)
    for fields, field in CREATE_INVALID:
        body = {"title": "Valid", **fields} if field != "title" else fields
        error(instructor.post(f"{BASE}/courses", json=body), 400, "INVALID_REQUEST", field)
    assert db_state(db) == before


@pytest.mark.parametrize("raw,content_type", [("{not json", "application/json"), ('{"title": "T"}', "text/plain"),
                                              ('["title"]', "application/json")])
def test_create_rejects_a_body_that_is_not_a_json_object(instructor, db, raw, content_type):
    before = db_state(db)
    error(instructor.post(f"{BASE}/courses", data=raw, content_type=content_type), 400, "INVALID_REQUEST")
    assert db_state(db) == before


# --- P32 update ------------------------------------------------------------------------------------------

def test_update_changes_only_the_fields_sent(instructor, db, seeded, emitted):
    before = course(db, seeded.enrolled_course)
    old = {"slug": before.slug, "description": before.description, "version": before.version,
           "tags": list(before.tags)}
    d = data(instructor.put(f"{BASE}/courses/{seeded.enrolled_course}",
                            json={"title": "Renamed", "price": 12.5, "tags": list(before.tags)}))
    assert set(d) == DETAIL_KEYS
    assert (d["title"], d["price"], d["isFree"], d["version"]) == ("Renamed", 12.5, False, old["version"] + 1)
    assert d["description"] == old["description"] and len(d["videos"]) == len(seeded.video_ids(0))
    row = course(db, seeded.enrolled_course)
    assert (row.title, float(row.price), row.is_free, row.slug, row.version) == \
        ("Renamed", 12.5, False, old["slug"], old["version"] + 1)
    assert row.updated_by_id == seeded.user_id(accounts.INSTRUCTOR)
    # tags were sent unchanged, so they are not reported as a change
    changes = {"course_id": seeded.enrolled_course, "changes": ["title", "price", "isFree"]}
    assert emitted == [("course_updated", changes, (f"course_{seeded.enrolled_course}",))]


def test_update_merges_seo_metadata(instructor, db, seeded):
    path = f"{BASE}/courses/{seeded.enrolled_course}"
    data(instructor.put(path, json={"seoMetadata": {"metaTitle": "Title"}}))
    d = data(instructor.put(path, json={"seoMetadata": {"metaDescription": "Desc"}}))
    assert d["seoMetadata"] == {"metaTitle": "Title", "metaDescription": "Desc"}
    assert course(db, seeded.enrolled_course).seo_metadata == d["seoMetadata"]


def test_update_with_the_current_version_succeeds_and_a_stale_one_is_409(instructor, db, seeded):
    path = f"{BASE}/courses/{seeded.enrolled_course}"
    version = data(instructor.get(path))["version"]
    assert data(instructor.put(path, json={"title": "First", "version": version}))["version"] == version + 1
    before = db_state(db)
    error(instructor.put(path, json={"title": "Second", "version": version}), 409, "VERSION_CONFLICT")
    assert db_state(db) == before and course(db, seeded.enrolled_course).title == "First"


def test_an_update_without_changes_writes_and_emits_nothing(instructor, db, seeded, emitted):
    before = db_state(db)
    title = course(db, seeded.enrolled_course).title
    data(instructor.put(f"{BASE}/courses/{seeded.enrolled_course}", json={"title": title}))
    assert db_state(db) == before and emitted == []


UPDATE_INVALID = [
    ({"title": ""}, "title"), ({"price": -5}, "price"), ({"currency": "EURO"}, "currency"),
    ({"shortDescription": "x" * 501}, "shortDescription"), ({"seoMetadata": "x"}, "seoMetadata"),
    ({"seoMetadata": {"metaTitle": 1}}, "seoMetadata"), ({"version": "1"}, "version"), ({"version": 0}, "version"),
]


def test_update_validates_and_leaves_the_course_unchanged(instructor, db, seeded):
    before = db_state(db)
    for body, field in UPDATE_INVALID:
        error(instructor.put(f"{BASE}/courses/{seeded.enrolled_course}", json=body), 400, "INVALID_REQUEST", field)
    error(instructor.put(f"{BASE}/courses/{seeded.enrolled_course}", data="{", content_type="application/json"),
          400, "INVALID_REQUEST")
    assert db_state(db) == before


# --- P33 delete -----------------------------------------------------------------------------------------

def test_delete_soft_deletes_the_course(instructor, db, seeded):
    d = data(instructor.delete(f"{BASE}/courses/{seeded.open_course}"))
    assert set(d) == {"id", "message"} and d["id"] == seeded.open_course
    row = course(db, seeded.open_course)
    assert row.is_deleted and row.deleted_at is not None and row.deleted_by_id == seeded.user_id(accounts.INSTRUCTOR)
    error(instructor.get(f"{BASE}/courses/{seeded.open_course}"), 404, "NOT_FOUND")
    error(instructor.delete(f"{BASE}/courses/{seeded.open_course}"), 404, "NOT_FOUND")


# --- P34 publish, P35 unpublish ----------------------------------------------------------------------------

def test_publish_a_draft(instructor, db, seeded, emitted):
    d = data(instructor.post(f"{BASE}/courses/{seeded.draft_course}/publish"))
    assert set(d) == {"id", "isPublished", "status", "publishedAt"}
    assert (d["id"], d["isPublished"], d["status"]) == (seeded.draft_course, True, "published")
    row = course(db, seeded.draft_course)
    assert (row.status, row.is_published) == ("published", True) and row.published_at is not None
    assert d["publishedAt"].endswith("Z")
    assert emitted[0][:2] == ("course_updated", {"course_id": seeded.draft_course,
                                                 "changes": ["status", "isPublished", "publishedAt"]})
    again = data(instructor.post(f"{BASE}/courses/{seeded.draft_course}/publish"))
    assert again["publishedAt"] == d["publishedAt"]  # publishing twice keeps the first time


def test_publish_needs_a_live_video(instructor, db):
    created = new_course(instructor)
    before = db_state(db)
    error(instructor.post(f"{BASE}/courses/{created['id']}/publish"), 400, "INVALID_REQUEST")
    assert db_state(db) == before


def test_publish_does_not_count_deleted_videos(instructor, db, seeded):
    for video in live_videos(db, seeded.draft_course):
        video.is_deleted = True
    db.commit()
    error(instructor.post(f"{BASE}/courses/{seeded.draft_course}/publish"), 400, "INVALID_REQUEST")
    assert course(db, seeded.draft_course).status == "draft"


def test_unpublish_keeps_enrollments(instructor, db, seeded, emitted):
    d = data(instructor.post(f"{BASE}/courses/{seeded.enrolled_course}/unpublish"))
    assert d == {"id": seeded.enrolled_course, "isPublished": False, "status": "unpublished"}
    row = course(db, seeded.enrolled_course)
    assert (row.status, row.is_published) == ("unpublished", False)
    assert db.scalar(sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.course_id == seeded.enrolled_course, Enrollment.status == "active")) == row.enrollment_count > 0
    assert emitted[0][1]["changes"] == ["status", "isPublished"]


# --- P36 duplicate --------------------------------------------------------------------------------------

def content_rows(db) -> dict:
    """Every content row's (id, version, is_deleted)."""
    db.expire_all()
    return {m.__tablename__: set(db.execute(sa.select(m.id, m.version, m.is_deleted)).all())
            for m in (Course, CourseSection, Video, Quiz, MediaFile)}


def assert_copied_video(old: dict, new: dict, course_id: str, section_map: dict[str, str]) -> None:
    """`new` is `old` copied into the course `course_id`: new ids, the same content, its section's copy."""
    assert new["id"] != old["id"] and new["courseId"] == course_id
    assert (new["title"], new["order"], new["videoUrl"]) == (old["title"], old["order"], old["videoUrl"])
    assert new["sectionId"] == section_map[old["sectionId"]]
    assert [(q["question"], q["options"], q["correctAnswer"]) for q in new["quizPoints"]] == \
        [(q["question"], q["options"], q["correctAnswer"]) for q in old["quizPoints"]]
    assert {q["id"] for q in new["quizPoints"]}.isdisjoint(q["id"] for q in old["quizPoints"])


def test_duplicate_copies_the_content_and_resets_the_counters(instructor, db, seeded):
    original = course(db, seeded.enrolled_course)
    snapshot = content_rows(db)
    d = data(instructor.post(f"{BASE}/courses/{seeded.enrolled_course}/duplicate"), 201)
    assert set(d) == DETAIL_KEYS and d["id"] != original.id
    assert d["title"] == f"{original.title} (Copy)"
    assert (d["status"], d["isPublished"], d["publishedAt"]) == ("draft", False, None)
    assert (d["enrollmentCount"], d["rating"], d["ratingCount"], d["version"]) == (0, 0, 0, 1)
    assert (d["description"], d["tags"], d["price"]) == (original.description, original.tags, float(original.price))
    source = data(instructor.get(f"{BASE}/courses/{seeded.enrolled_course}"))
    assert [s["title"] for s in d["sections"]] == [s["title"] for s in source["sections"]]
    section_map = {old["id"]: new["id"] for old, new in zip(source["sections"], d["sections"], strict=True)}
    assert not set(section_map) & set(section_map.values())
    for old, new in zip(source["videos"], d["videos"], strict=True):
        assert_copied_video(old, new, d["id"], section_map)
    copy = course(db, d["id"])
    assert copy.slug != original.slug and (copy.enrollment_count, copy.completion_count) == (0, 0)
    assert len(live_videos(db, d["id"])) == len(seeded.video_ids(0))
    after = content_rows(db)  # the original's rows are untouched
    assert all(rows <= after[table] for table, rows in snapshot.items())


def test_duplicating_twice_gives_distinct_slugs(instructor, db, seeded):
    first = data(instructor.post(f"{BASE}/courses/{seeded.enrolled_course}/duplicate"), 201)
    second = data(instructor.post(f"{BASE}/courses/{seeded.enrolled_course}/duplicate"), 201)
    assert course(db, first["id"]).slug != course(db, second["id"]).slug
