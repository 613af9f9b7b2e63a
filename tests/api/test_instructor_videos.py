"""Instructor videos, P37–P40 (API.md §3.5): payloads, quiz points, linked media files, validation, the
writes each route makes (and does not make when it fails), and course_updated events."""
from __future__ import annotations

import uuid

import pytest

from legacy_flask.models import MediaFile, Quiz, Video
from tests.api.instructor_helpers import BASE, QUIZ_KEYS, QUIZ_POINT, live_quizzes, live_videos
from tests.conftest import VIDEO_KEYS, data, db_state, error

VIDEO_URL = "https://cdn.test/v.mp4"


# --- P37 add video ---------------------------------------------------------------------------------------

def test_add_video_with_defaults_goes_last(instructor, db, seeded, emitted):
    d = data(instructor.post(f"{BASE}/courses/{seeded.enrolled_course}/videos",
                             json={"title": "Bonus", "videoUrl": "https://cdn.test/bonus.mp4"}), 201)
    assert set(d) == VIDEO_KEYS
    assert (d["courseId"], d["order"], d["videoProvider"], d["duration"]) == \
        (seeded.enrolled_course, len(seeded.video_ids(0)) + 1, "backblaze", 0)
    assert (d["sectionId"], d["mediaFileId"], d["isPreview"], d["isDownloadable"]) == (None, None, False, False)
    assert d["quizPoints"] == [] and d["resources"] == [] and d["videoUrl"] == "https://cdn.test/bonus.mp4"
    assert live_videos(db, seeded.enrolled_course)[-1].id == d["id"]
    assert emitted[0][:2] == ("course_updated", {"course_id": seeded.enrolled_course, "changes": ["videos"]})


def test_add_video_with_section_quiz_points_and_resources(instructor, db, seeded):
    section = seeded.section_ids(0)[1]
    body = {"title": "Quiz time", "videoUrl": "https://cdn.test/q.mp4", "order": 2, "sectionId": section,
            "duration": 90, "isPreview": True, "resources": [{"title": "Slides", "url": "https://cdn.test/s.pdf"}],
            "quizPoints": [QUIZ_POINT, {**QUIZ_POINT, "timestamp": 10, "options": ["x", "y"], "correctAnswer": 0}]}
    d = data(instructor.post(f"{BASE}/courses/{seeded.enrolled_course}/videos", json=body), 201)
    assert (d["order"], d["sectionId"], d["duration"], d["isPreview"]) == (2, section, 90, True)
    assert d["resources"] == body["resources"]
    assert [q["timestamp"] for q in d["quizPoints"]] == [10, 30]
    assert all(set(q) == QUIZ_KEYS and q["id"] for q in d["quizPoints"])
    stored = live_quizzes(db, d["id"])
    assert [(q.id, q.correct_answer, q.course_id) for q in stored] == \
        [(q["id"], q["correctAnswer"], seeded.enrolled_course) for q in d["quizPoints"]]


def test_add_video_from_own_media_file_takes_its_url_and_duration(instructor, db, seeded):
    media = db.get(MediaFile, seeded.media_ids(0)[1])
    d = data(instructor.post(f"{BASE}/courses/{seeded.enrolled_course}/videos",
                             json={"title": "From upload", "mediaFileId": media.id}), 201)
    assert (d["mediaFileId"], d["videoUrl"], d["duration"]) == \
        (media.id, media.cdn_url or media.storage_url, media.duration_seconds)


@pytest.mark.parametrize("media,status,code", [("other", 403, "FORBIDDEN"), ("unknown", 404, "NOT_FOUND")])
def test_add_video_needs_a_media_file_of_the_callers(instructor, db, seeded, media, status, code):
    media_id = seeded.media_ids(1)[1] if media == "other" else str(uuid.uuid4())
    before = db_state(db)
    error(instructor.post(f"{BASE}/courses/{seeded.enrolled_course}/videos",
                          json={"title": "Stolen", "mediaFileId": media_id}), status, code)
    assert db_state(db) == before


VIDEO_INVALID = [
    ({"videoUrl": VIDEO_URL}, "title"),
    ({"title": "No source"}, "videoUrl"),
    ({"title": "V", "videoUrl": ""}, "videoUrl"),
    ({"title": "V", "videoUrl": 3}, "videoUrl"),
    ({"order": 0}, "order"), ({"duration": -1}, "duration"), ({"isPreview": 1}, "isPreview"),
    ({"sectionId": "abc"}, "sectionId"), ({"sectionId": "other-course"}, "sectionId"),
    ({"mediaFileId": "abc"}, "mediaFileId"),
    ({"resources": [{"title": "no url"}]}, "resources"), ({"resources": {}}, "resources"),
    ({"quizPoints": {}}, "quizPoints"),
    ({"quizPoints": [{**QUIZ_POINT, "options": ["only one"], "correctAnswer": 0}]}, "quizPoints"),
    ({"quizPoints": [{**QUIZ_POINT, "correctAnswer": 3}]}, "quizPoints"),
    ({"quizPoints": [{**QUIZ_POINT, "correctAnswer": -1}]}, "quizPoints"),
    ({"quizPoints": [{k: v for k, v in QUIZ_POINT.items() if k != "question"}]}, "quizPoints"),
    ({"quizPoints": [{**QUIZ_POINT, "timestamp": "0:30"}]}, "quizPoints"),
]


def test_add_video_validates_and_writes_nothing(instructor, db, seeded):
    before = db_state(db)
    for fields, field in VIDEO_INVALID:
        if fields.get("sectionId") == "other-course":
            fields = {**fields, "sectionId": seeded.section_ids(3)[0]}
        body = fields if field in ("title", "videoUrl") else {"title": "V", "videoUrl": VIDEO_URL, **fields}
        error(instructor.post(f"{BASE}/courses/{seeded.enrolled_course}/videos", json=body),
              400, "INVALID_REQUEST", field)
    assert db_state(db) == before


# --- P38 update video --------------------------------------------------------------------------------------

def test_update_video_is_partial_and_keeps_quiz_points(instructor, db, seeded, emitted):
    video_id = seeded.video_ids(0)[0]
    before = db.get(Video, video_id)
    url_before, order_before = before.video_url, before.order
    d = data(instructor.put(f"{BASE}/videos/{video_id}", json={"title": "Retitled", "isDownloadable": True}))
    assert set(d) == VIDEO_KEYS
    assert (d["title"], d["isDownloadable"], d["videoUrl"], d["order"]) == ("Retitled", True, url_before, order_before)
    assert [q["id"] for q in d["quizPoints"]] == [seeded.quiz_id(0, 0)] and "correctAnswer" in d["quizPoints"][0]
    db.expire_all()
    assert (db.get(Video, video_id).title, db.get(Video, video_id).is_downloadable) == ("Retitled", True)
    assert emitted[0][1] == {"course_id": seeded.enrolled_course, "changes": ["videos"]}


def test_update_video_replaces_the_whole_quiz_set(instructor, db, seeded):
    video_id = seeded.video_ids(0)[0]
    points = [QUIZ_POINT, {**QUIZ_POINT, "timestamp": 5, "question": "First?"}]
    d = data(instructor.put(f"{BASE}/videos/{video_id}", json={"quizPoints": points}))
    assert [q["question"] for q in d["quizPoints"]] == ["First?", "Which one?"]
    assert seeded.quiz_id(0, 0) not in {q["id"] for q in d["quizPoints"]}
    assert [q.id for q in live_quizzes(db, video_id)] == [q["id"] for q in d["quizPoints"]]
    assert db.get(Quiz, seeded.quiz_id(0, 0)).is_deleted
    assert data(instructor.put(f"{BASE}/videos/{video_id}", json={"quizPoints": []}))["quizPoints"] == []
    assert live_quizzes(db, video_id) == []


def test_update_video_links_a_media_file_and_moves_section(instructor, db, seeded):
    media = db.get(MediaFile, seeded.media_ids(0)[2])
    section = seeded.section_ids(0)[1]
    d = data(instructor.put(f"{BASE}/videos/{seeded.video_ids(0)[0]}",
                            json={"mediaFileId": media.id, "sectionId": section}))
    assert (d["mediaFileId"], d["videoUrl"], d["sectionId"]) == (media.id, media.cdn_url or media.storage_url, section)
    d = data(instructor.put(f"{BASE}/videos/{seeded.video_ids(0)[0]}", json={"sectionId": None}))
    assert d["sectionId"] is None


def test_update_video_validates_and_writes_nothing(instructor, db, seeded):
    cases = [({"title": ""}, "title"), ({"videoUrl": None}, "videoUrl"), ({"videoUrl": ""}, "videoUrl"),
             ({"order": -2}, "order"), ({"sectionId": seeded.section_ids(3)[0]}, "sectionId"),
             ({"quizPoints": [{**QUIZ_POINT, "correctAnswer": 9}]}, "quizPoints"), ({"resources": "x"}, "resources")]
    before = db_state(db)
    for body, field in cases:
        error(instructor.put(f"{BASE}/videos/{seeded.video_ids(0)[0]}", json=body), 400, "INVALID_REQUEST", field)
    assert db_state(db) == before


# --- P39 delete video, P40 reorder ----------------------------------------------------------------------------

def test_delete_video_soft_deletes_and_renumbers(instructor, db, seeded, emitted):
    ids = seeded.video_ids(0)
    d = data(instructor.delete(f"{BASE}/videos/{ids[1]}"))
    assert d == {"id": ids[1], "message": d["message"]} and d["message"]
    assert db.get(Video, ids[1]).is_deleted
    assert [(v.id, v.order) for v in live_videos(db, seeded.enrolled_course)] == \
        [(vid, n) for n, vid in enumerate([ids[0], *ids[2:]], start=1)]
    error(instructor.put(f"{BASE}/videos/{ids[1]}", json={"title": "Back?"}), 404, "NOT_FOUND")
    assert emitted[0][1] == {"course_id": seeded.enrolled_course, "changes": ["videos"]}


def test_reorder_sets_list_positions(instructor, db, seeded):
    ids = list(reversed(seeded.video_ids(0)))
    d = data(instructor.put(f"{BASE}/courses/{seeded.enrolled_course}/videos/reorder", json={"videoIds": ids}))
    assert set(d) == {"videos", "message"}
    assert d["videos"] == [{"id": vid, "order": n} for n, vid in enumerate(ids, start=1)]
    assert [v.id for v in live_videos(db, seeded.enrolled_course)] == ids
    detail = data(instructor.get(f"{BASE}/courses/{seeded.enrolled_course}"))
    assert [v["id"] for v in detail["videos"]] == ids


def test_reorder_needs_exactly_the_courses_videos(instructor, db, seeded):
    ids = seeded.video_ids(0)
    bodies = [
        {"videoIds": ids[:-1]},  # one missing
        {"videoIds": [*ids, seeded.video_ids(3)[0]]},  # another course's video
        {"videoIds": [*ids[:-1], ids[0]]},  # a duplicate in place of the last
        {"videoIds": [*ids, ids[0].upper()]},  # the same id in another case
        {"videoIds": [*ids[:-1], "video-4"]},  # not a UUID
        {"videoIds": ids[0]},  # not a list
        {},
    ]
    before = db_state(db)
    for body in bodies:
        error(instructor.put(f"{BASE}/courses/{seeded.enrolled_course}/videos/reorder", json=body),
              400, "INVALID_REQUEST", "videoIds")
    assert db_state(db) == before
