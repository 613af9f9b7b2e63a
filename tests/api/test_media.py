"""Media files, P56–P61 and X9 (API.md §3.9): reading and deleting a file, processing it through the
Celery task, attaching it to a video, and the caller's listings and storage usage. Uploading them:
test_media_uploads.py."""
from __future__ import annotations

import io

import pytest

from legacy_flask.models import MediaFile, Video
from tests.api.media_helpers import (
    COMPLETE,
    MEDIA,
    UNKNOWN,
    completed_media,
    initiate,
    local_path,
)
from tests.conftest import data, error

USER_MEDIA = "/api/v1/media/user/media"
USAGE = "/api/v1/media/user/storage-usage"
UNASSIGNED = "/api/v1/media/user/unassigned-videos"
MB = 1024 * 1024

MEDIA_FILE_KEYS = {
    "id", "userId", "courseId", "courseSectionId", "title", "description", "orderInSection", "isPreview",
    "isPublished", "filename", "originalFilename", "fileType", "mimeType", "fileSize", "fileSizeFormatted",
    "durationSeconds", "durationFormatted", "width", "height", "resolution", "bitrate", "codec", "frameRate",
    "processingStatus", "uploadProgress", "processingError", "storageKey", "storageUrl", "cdnUrl", "bestUrl",
    "thumbnailUrl", "tags", "createdAt", "updatedAt"}


# --- P56 / P59 ----------------------------------------------------------------------------------------

def test_get_media_returns_the_media_file(owner, seeded, count_sql):
    media_id = seeded.media_ids(0)[0]
    with count_sql() as sql:
        d = data(owner.get(MEDIA.format(media_id)))
    assert len(sql) < 10, sql.statements
    assert set(d) == MEDIA_FILE_KEYS and d["id"] == media_id
    assert (d["fileSize"], d["fileSizeFormatted"]) == (10 * MB, "10.00 MB")
    assert (d["durationSeconds"], d["durationFormatted"]) == (300, "05:00")
    assert d["resolution"] == "1920x1080" and d["bestUrl"] == d["cdnUrl"] and d["title"] == d["originalFilename"]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_media_owner_guard(method, owner, other, admin, anon, seeded, db):
    media_id = seeded.media_ids(0)[1]
    error(other.request(method, MEDIA.format(media_id)), 403, "FORBIDDEN")
    error(anon.request(method, MEDIA.format(media_id)), 401, "AUTH_REQUIRED")
    error(owner.request(method, MEDIA.format(UNKNOWN)), 404, "NOT_FOUND")
    error(owner.request(method, MEDIA.format("nope")), 404, "NOT_FOUND")
    assert not db.get(MediaFile, media_id).is_deleted
    data(admin.request(method, MEDIA.format(media_id)))


def test_delete_soft_deletes_and_unlinks_videos(owner, db, seeded, count_sql):
    media_id, video_id = seeded.media_ids(0)[1], seeded.video_ids(0)[0]
    data(owner.post(MEDIA.format(media_id) + "/attach-video", json={"videoId": video_id}))
    with count_sql() as sql:
        d = data(owner.delete(MEDIA.format(media_id)))
    assert len(sql) < 10, sql.statements
    assert d["id"] == media_id and d["message"]
    db.expire_all()
    media, video = db.get(MediaFile, media_id), db.get(Video, video_id)
    assert media.is_deleted and media.deleted_at is not None
    assert video.media_file_id is None and not video.is_deleted
    error(owner.get(MEDIA.format(media_id)), 404, "NOT_FOUND")
    error(owner.delete(MEDIA.format(media_id)), 404, "NOT_FOUND")


def test_delete_removes_a_locally_stored_object(owner, anon, app):
    session = initiate(owner)
    form = {**session["fields"], "file": (io.BytesIO(b"bytes"), "clip.mp4")}
    assert anon.post("/_local-bucket/upload", data=form, content_type="multipart/form-data").status_code == 204
    media_id = data(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}))["mediaFileId"]
    data(owner.delete(MEDIA.format(media_id)))
    assert not local_path(app, session["storageKey"]).exists()


def test_delete_needs_csrf_over_cookies(instructor, seeded, db):
    error(instructor.delete(MEDIA.format(seeded.media_ids(0)[1]), csrf=False), 403, "CSRF_INVALID")
    assert not db.get(MediaFile, seeded.media_ids(0)[1]).is_deleted


# --- P57 ----------------------------------------------------------------------------------------------

def test_process_runs_the_task_and_returns_the_media_file(owner, db, count_sql):
    media_id = completed_media(owner)
    with count_sql() as sql:
        d = data(owner.post(MEDIA.format(media_id) + "/process"))
    assert len(sql) < 10, sql.statements
    assert set(d) == MEDIA_FILE_KEYS and d["processingStatus"] == "completed" and d["processingError"] is None
    media = db.get(MediaFile, media_id)
    assert media.processing_started_at is not None and media.processing_completed_at is not None
    assert media.processing_completed_at >= media.processing_started_at


def test_a_failed_probe_marks_the_file_failed(owner, monkeypatch, internals):
    media_id = completed_media(owner)

    def broken(media):
        raise RuntimeError("moov atom not found")

    monkeypatch.setattr(internals.tasks, "probe_media", broken)
    d = data(owner.post(MEDIA.format(media_id) + "/process"))
    assert (d["processingStatus"], d["processingError"]) == ("failed", "moov atom not found")


def test_process_guards(owner, other, anon, seeded):
    media_id = seeded.media_ids(0)[1]
    error(other.post(MEDIA.format(media_id) + "/process"), 403, "FORBIDDEN")
    error(anon.post(MEDIA.format(media_id) + "/process"), 401, "AUTH_REQUIRED")
    error(owner.post(MEDIA.format(UNKNOWN) + "/process"), 404, "NOT_FOUND")


def test_the_task_skips_unknown_files(internals):
    # By the registered name both apps share: it is what a queued message carries.
    assert internals.run_task("legacy_flask.process_media", UNKNOWN) == "missing"


# --- P58 ----------------------------------------------------------------------------------------------

def test_attach_video_links_the_media_to_the_video(owner, db, seeded, count_sql, emitted):
    media_id, video_id = seeded.media_ids(0)[2], seeded.video_ids(0)[1]
    with count_sql() as sql:
        d = data(owner.post(MEDIA.format(media_id) + "/attach-video", json={"videoId": video_id}))
    assert len(sql) < 10, sql.statements
    assert emitted == [("course_updated", {"course_id": seeded.enrolled_course,
                                           "changes": ["mediaFileId", "videoUrl", "videoProvider", "duration"]},
                        (f"course_{seeded.enrolled_course}",))]
    media = db.get(MediaFile, media_id)
    assert d == {"videoId": video_id, "mediaFileId": media_id, "videoUrl": media.cdn_url, "message": d["message"]}
    video = db.get(Video, video_id)
    assert (video.media_file_id, video.video_url, video.video_provider, video.duration_seconds) == (
        media_id, media.cdn_url, "backblaze", media.duration_seconds)


def test_attach_video_falls_back_to_the_storage_url(owner, db, seeded):
    media_id = completed_media(owner)
    video_id = seeded.video_ids(0)[1]
    duration = db.get(Video, video_id).duration_seconds
    d = data(owner.post(MEDIA.format(media_id) + "/attach-video", json={"videoId": video_id}))
    db.expire_all()
    video = db.get(Video, video_id)
    assert d["videoUrl"] == db.get(MediaFile, media_id).storage_url == video.video_url
    assert video.duration_seconds == duration  # the media's duration is unknown: kept


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "INVALID_REQUEST"),
    ({"videoId": "nope"}, 400, "INVALID_REQUEST"),
    ({"videoId": UNKNOWN}, 404, "NOT_FOUND"),
])
def test_attach_video_validation(owner, seeded, body, status, code):
    error(owner.post(MEDIA.format(seeded.media_ids(0)[1]) + "/attach-video", json=body), status, code)


def test_attach_video_needs_both_ownerships(owner, other, db, seeded):
    mine, theirs = seeded.media_ids(0)[1], seeded.media_ids(1)[1]
    foreign_video, own_video = seeded.video_ids(3)[0], seeded.video_ids(0)[0]
    error(owner.post(MEDIA.format(mine) + "/attach-video", json={"videoId": foreign_video}), 403, "FORBIDDEN")
    error(owner.post(MEDIA.format(theirs) + "/attach-video", json={"videoId": own_video}), 403, "FORBIDDEN")
    error(other.post(MEDIA.format(mine) + "/attach-video", json={"videoId": foreign_video}), 403, "FORBIDDEN")
    assert db.get(Video, foreign_video).media_file_id is None and db.get(Video, own_video).media_file_id is None


def test_only_videos_can_be_attached(owner, db, seeded):
    media = db.get(MediaFile, seeded.media_ids(0)[1])
    media.file_type, media.mime_type = "image", "image/png"
    db.commit()
    error(owner.post(MEDIA.format(media.id) + "/attach-video", json={"videoId": seeded.video_ids(0)[0]}),
          400, "INVALID_REQUEST")


# --- P60 ----------------------------------------------------------------------------------------------

def test_user_media_lists_the_callers_files_newest_first(owner, seeded, count_sql):
    with count_sql() as sql:
        resp = owner.get(USER_MEDIA)
    assert len(sql) < 10, sql.statements
    d = data(resp)
    assert set(d) == {"mediaFiles", "pagination"}
    assert d["pagination"] == {"page": 1, "limit": 20, "total": 3, "pages": 1}
    assert resp.headers["X-Total-Count"] == "3" and resp.headers["X-Total-Pages"] == "1"
    assert [m["id"] for m in d["mediaFiles"]] == list(reversed(seeded.media_ids(0)))  # seeded oldest first
    assert all(set(m) == MEDIA_FILE_KEYS for m in d["mediaFiles"])


@pytest.mark.parametrize("query, expected", [
    ("sortBy=fileSize&sortOrder=asc", [0, 1, 2]),
    ("sortBy=fileSize", [2, 1, 0]),
    ("sortBy=filename&sortOrder=asc", "by-filename"),
    ("sortBy=created&sortOrder=asc&limit=2&page=2", [2]),
    ("type=video&status=completed", [2, 1, 0]),
    ("type=image", []),
    ("status=failed", []),
    ("type=&status=&sortBy=", [2, 1, 0]),
])
def test_user_media_filters_and_sorts(owner, seeded, query, expected):
    d = data(owner.get(f"{USER_MEDIA}?{query}"))
    ids = seeded.media_ids(0)
    if expected == "by-filename":
        assert [m["filename"] for m in d["mediaFiles"]] == sorted(m["filename"] for m in d["mediaFiles"])
    else:
        assert [m["id"] for m in d["mediaFiles"]] == [ids[i] for i in expected]


def test_user_media_excludes_deleted_and_others_files(owner, other, seeded):
    data(owner.delete(MEDIA.format(seeded.media_ids(0)[0])))
    assert {m["id"] for m in data(owner.get(USER_MEDIA))["mediaFiles"]} == set(seeded.media_ids(0)[1:])
    assert {m["id"] for m in data(other.get(USER_MEDIA))["mediaFiles"]} == set(seeded.media_ids(1))


@pytest.mark.parametrize("query", ["type=movie", "status=done", "sortBy=size", "sortOrder=up", "limit=0", "page=x"])
def test_user_media_rejects_bad_query_values(owner, query):
    error(owner.get(f"{USER_MEDIA}?{query}"), 400, "INVALID_REQUEST")


# --- P61 / X9 -----------------------------------------------------------------------------------------

def test_storage_usage_sums_the_callers_files(owner, anon, seeded, count_sql):
    with count_sql() as sql:
        d = data(owner.get(USAGE))
    assert len(sql) < 10, sql.statements
    assert d == {"totalFiles": 3, "totalBytes": 60 * MB, "totalSizeFormatted": "60.00 MB",
                 "byType": {"video": {"count": 3, "bytes": 60 * MB}, "audio": {"count": 0, "bytes": 0},
                            "image": {"count": 0, "bytes": 0}, "document": {"count": 0, "bytes": 0}},
                 "quotaBytes": None}
    data(owner.delete(MEDIA.format(seeded.media_ids(0)[2])))
    assert data(owner.get(USAGE))["totalBytes"] == 30 * MB
    error(anon.get(USAGE), 401, "AUTH_REQUIRED")


def test_unassigned_videos_lists_files_without_course_or_section(owner, anon, db, seeded, count_sql):
    ids = seeded.media_ids(0)
    pending = db.get(MediaFile, ids[2])
    pending.processing_status = "pending"
    db.commit()
    with count_sql() as sql:
        resp = owner.get(UNASSIGNED)
    assert len(sql) < 10, sql.statements
    d = data(resp)
    assert set(d) == {"videos", "pagination"} and d["pagination"]["total"] == 2
    assert resp.headers["X-Total-Count"] == "2"
    assert [v["id"] for v in d["videos"]] == [ids[2], ids[1]]  # assigned ids[0] is left out
    assert all(set(v) == MEDIA_FILE_KEYS | {"isProcessed", "isReady"} for v in d["videos"])
    assert [(v["isProcessed"], v["isReady"]) for v in d["videos"]] == [(False, True), (True, True)]
    completed_media(owner, courseId=seeded.enrolled_course)  # in a course: not unassigned
    assert data(owner.get(UNASSIGNED))["pagination"]["total"] == 2
    assert data(owner.get(f"{UNASSIGNED}?limit=1&page=2"))["videos"][0]["id"] == ids[1]
    error(anon.get(UNASSIGNED), 401, "AUTH_REQUIRED")
