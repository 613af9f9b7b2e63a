"""Media upload through presigned POST, P53–P61 and X9 (API.md §3.9): upload sessions, media rows,
processing through the Celery task, attach/delete, listings; on the default local backend and on
the B2/S3 backend (moto)."""
from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
import requests
import sqlalchemy as sa
from moto import mock_aws

from harness.seed import accounts
from legacy_flask.models import MediaFile, UploadSession, Video, utcnow
from tests.conftest import data, error

INITIATE = "/api/v1/media/upload/initiate"
COMPLETE = "/api/v1/media/upload/complete"
PROGRESS = "/api/v1/media/upload/progress/{}"
MEDIA = "/api/v1/media/media/{}"
USER_MEDIA = "/api/v1/media/user/media"
USAGE = "/api/v1/media/user/storage-usage"
UNASSIGNED = "/api/v1/media/user/unassigned-videos"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
MB = 1024 * 1024

MEDIA_FILE_KEYS = {
    "id", "userId", "courseId", "courseSectionId", "title", "description", "orderInSection", "isPreview",
    "isPublished", "filename", "originalFilename", "fileType", "mimeType", "fileSize", "fileSizeFormatted",
    "durationSeconds", "durationFormatted", "width", "height", "resolution", "bitrate", "codec", "frameRate",
    "processingStatus", "uploadProgress", "processingError", "storageKey", "storageUrl", "cdnUrl", "bestUrl",
    "thumbnailUrl", "tags", "createdAt", "updatedAt"}
INITIATE_KEYS = {"sessionKey", "uploadUrl", "fields", "storageKey", "expiresIn"}
FIELD_KEYS = {"key", "Content-Type", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"}
COMPLETE_KEYS = {"mediaFileId", "cdnUrl", "storageUrl", "storageKey", "processingStatus"}
PROGRESS_KEYS = {"sessionKey", "status", "progress", "uploadProgress", "bytesUploaded", "fileSize", "error",
                 "mediaFileId", "etaSeconds", "uploadSpeedMbps"}


def upload_request(**overrides) -> dict:
    return {"filename": "Intro Lesson.mp4", "fileSize": 1234, "contentType": "video/mp4", **overrides}


def count(db, model) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def owner(make_caller):
    """The first instructor over Bearer, as the Postman collection calls the media routes."""
    return make_caller(accounts.INSTRUCTOR, via="bearer")


@pytest.fixture
def other(make_caller):
    return make_caller(accounts.INSTRUCTOR2, via="bearer")


def initiate(caller, **overrides) -> dict:
    return data(caller.post(INITIATE, json=upload_request(**overrides)))


def completed_media(caller, **overrides) -> str:
    session = initiate(caller, **overrides)
    return data(caller.post(COMPLETE, json={"sessionKey": session["sessionKey"]}))["mediaFileId"]


# --- P53 ----------------------------------------------------------------------------------------------

def test_initiate_returns_a_presigned_post_and_opens_a_session(owner, db, seeded, count_sql):
    with count_sql() as sql:
        d = data(owner.post(INITIATE, json=upload_request(courseId=seeded.enrolled_course, tags=["intro"])))
    assert len(sql) < 10, sql.statements
    assert set(d) == INITIATE_KEYS and set(d["fields"]) == FIELD_KEYS and d["expiresIn"] == 3600
    uid = seeded.user_id(accounts.INSTRUCTOR)
    assert d["storageKey"] == f"videos/{uid}/{d['sessionKey']}_Intro_Lesson.mp4" == d["fields"]["key"]
    assert d["fields"]["Content-Type"] == "video/mp4"
    assert d["uploadUrl"].endswith("/_local-bucket/upload")  # the default local backend
    policy = json.loads(base64.b64decode(d["fields"]["policy"]))
    assert ["content-length-range", 1, 524_288_000] in policy["conditions"]
    up = db.scalar(sa.select(UploadSession).where(UploadSession.session_key == d["sessionKey"]))
    assert (up.status, up.user_id, up.course_id, up.file_size, up.content_type) == (
        "pending", uid, seeded.enrolled_course, 1234, "video/mp4")
    assert up.storage_key == d["storageKey"] and up.metadata_ == {"tags": ["intro"]}
    assert up.expires_at is not None and up.media_file_id is None


def test_initiate_works_over_cookies_with_csrf(instructor, db):
    before = count(db, UploadSession)
    error(instructor.post(INITIATE, json=upload_request(), csrf=False), 403, "CSRF_INVALID")
    data(instructor.post(INITIATE, json=upload_request()))
    assert count(db, UploadSession) == before + 1


@pytest.mark.parametrize("body, field", [
    ({"fileSize": 10, "contentType": "video/mp4"}, "filename"),
    (upload_request(filename=""), "filename"),
    (upload_request(fileSize=None), "fileSize"),
    (upload_request(fileSize=0), "fileSize"),
    (upload_request(fileSize=524_288_001), "fileSize"),
    (upload_request(fileSize="12"), "fileSize"),
    (upload_request(contentType="video/x-matroska"), "contentType"),
    (upload_request(contentType="image/png"), "contentType"),
    ({"filename": "a.mp4", "fileSize": 1}, "contentType"),
    (upload_request(courseId="not-a-uuid"), "courseId"),
    (upload_request(tags="intro"), "tags"),
])
def test_initiate_validation_is_400_and_writes_nothing(owner, db, body, field):
    before = count(db, UploadSession)
    assert error(owner.post(INITIATE, json=body), 400, "INVALID_REQUEST")["details"]["field"] == field
    assert count(db, UploadSession) == before


def test_initiate_rejects_malformed_json(owner):
    error(owner.post(INITIATE, data="{nope", content_type="application/json"), 400, "INVALID_REQUEST")


def test_initiate_checks_the_course(owner, anon, seeded, db):
    before = count(db, UploadSession)
    error(owner.post(INITIATE, json=upload_request(courseId=UNKNOWN)), 404, "NOT_FOUND")
    error(owner.post(INITIATE, json=upload_request(courseId=seeded.other_instructor_course)), 403, "FORBIDDEN")
    error(anon.post(INITIATE, json=upload_request()), 401, "AUTH_REQUIRED")
    assert count(db, UploadSession) == before


# --- the local upload target --------------------------------------------------------------------------

def local_path(app, key: str) -> Path:
    return Path(app.config["UPLOAD_ROOT"]) / key


def test_a_local_upload_goes_through_the_presigned_form(owner, anon, app, db):
    session = initiate(owner, fileSize=5)
    target = session["uploadUrl"].split("localhost:5000", 1)[1]
    form = {**session["fields"], "file": (io.BytesIO(b"frame-bytes"), "clip.mp4")}
    resp = anon.post(target, data=form, content_type="multipart/form-data")  # like S3: no token, the policy is the grant
    assert resp.status_code == 204
    assert local_path(app, session["storageKey"]).read_bytes() == b"frame-bytes"
    d = data(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}))
    assert db.get(MediaFile, d["mediaFileId"]).file_size == len(b"frame-bytes")  # the real size, not the declared 5
    served = owner.get(d["storageUrl"].split("localhost:5000", 1)[1])
    assert served.status_code == 200 and served.data == b"frame-bytes"


@pytest.mark.parametrize("change, status", [
    ({"x-amz-signature": "0" * 64}, 403),
    ({"Content-Type": "video/webm"}, 400),
    ({"key": "videos/someone/else.mp4"}, 400),
    ({"file": None}, 400),
    ({"file": b""}, 400),
])
def test_the_local_upload_target_enforces_its_policy(owner, anon, app, change, status):
    session = initiate(owner)
    form = {**session["fields"], "file": (io.BytesIO(b"bytes"), "clip.mp4")}
    for name, value in change.items():
        if name != "file":
            form[name] = value
        elif value is None:
            del form["file"]
        else:
            form["file"] = (io.BytesIO(value), "clip.mp4")
    resp = anon.post("/_local-bucket/upload", data=form, content_type="multipart/form-data")
    error(resp, status, "FORBIDDEN" if status == 403 else "INVALID_REQUEST")
    assert not local_path(app, session["storageKey"]).exists()


@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "/_local-bucket/upload", 405, "METHOD_NOT_ALLOWED"),
    ("PUT", "/_local-bucket/upload", 405, "METHOD_NOT_ALLOWED"),
    ("POST", "/_local-bucket/upload/", 404, "NOT_FOUND"),
    ("POST", "/_local-bucket/other", 404, "NOT_FOUND"),
    ("GET", "/_local-bucket", 404, "NOT_FOUND"),
])
def test_the_local_upload_target_answers_only_its_upload_post(anon, method, path, status, code):
    error(anon.request(method, path), status, code)


# --- P54 ----------------------------------------------------------------------------------------------

def test_complete_without_an_upload_creates_the_media_row(owner, db, seeded, count_sql):
    session = initiate(owner, courseId=seeded.enrolled_course, tags=["a", "b"])
    with count_sql() as sql:
        d = data(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"], "storageKey": session["storageKey"]}))
    assert len(sql) < 10, sql.statements
    assert set(d) == COMPLETE_KEYS and d["processingStatus"] == "completed"
    assert d["storageKey"] == session["storageKey"] and d["cdnUrl"] is None
    assert d["storageUrl"].endswith(f"/api/v1/uploads/{session['storageKey']}")
    media = db.get(MediaFile, d["mediaFileId"])
    assert (media.storage_provider, media.bucket_name, media.file_type, media.file_size) == ("local", "local", "video", 1234)
    assert (media.course_id, media.original_filename, media.tags) == (seeded.enrolled_course, "Intro Lesson.mp4", ["a", "b"])
    assert media.filename == session["storageKey"].rsplit("/", 1)[1]
    up = db.scalar(sa.select(UploadSession).where(UploadSession.session_key == session["sessionKey"]))
    assert (up.status, up.upload_progress, up.media_file_id, up.bytes_uploaded) == ("completed", 100.0, media.id, 1234)
    assert up.completed_at is not None


def test_complete_is_idempotent(owner, db):
    session = initiate(owner)
    first = data(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}))
    before = count(db, MediaFile)
    again = data(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}))
    assert again == first and count(db, MediaFile) == before


def test_complete_refuses_a_different_storage_key(owner, db):
    session = initiate(owner)
    before = count(db, MediaFile)
    err = error(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"], "storageKey": "videos/x/y.mp4"}),
                400, "INVALID_REQUEST")
    assert err["details"]["field"] == "storageKey" and count(db, MediaFile) == before
    assert db.scalar(sa.select(UploadSession.status).where(UploadSession.session_key == session["sessionKey"])) == "pending"


def test_complete_of_an_unknown_or_foreign_session_is_404(owner, other, anon):
    session = initiate(owner)
    error(other.post(COMPLETE, json={"sessionKey": session["sessionKey"]}), 404, "NOT_FOUND")
    error(owner.post(COMPLETE, json={"sessionKey": UNKNOWN}), 404, "NOT_FOUND")
    error(anon.post(COMPLETE, json={"sessionKey": session["sessionKey"]}), 401, "AUTH_REQUIRED")
    assert error(owner.post(COMPLETE, json={}), 400, "INVALID_REQUEST")["details"]["field"] == "sessionKey"


def test_an_expired_session_cannot_complete_and_reads_expired(owner, db):
    session = initiate(owner)
    up = db.scalar(sa.select(UploadSession).where(UploadSession.session_key == session["sessionKey"]))
    up.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    error(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}), 400, "INVALID_REQUEST")
    assert data(owner.get(PROGRESS.format(session["sessionKey"])))["status"] == "expired"


def test_a_database_failure_is_500_and_fails_the_session(owner, db, monkeypatch, internals):
    session = initiate(owner)

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(*internals.media_creation, broken)
    error(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}), 500, "INTERNAL_ERROR")
    up = db.scalar(sa.select(UploadSession).where(UploadSession.session_key == session["sessionKey"]))
    assert up.status == "failed" and up.error_message and "disk full" not in up.error_message


def test_a_storage_failure_is_500_and_fails_the_session(owner, app, db, monkeypatch, internals):
    session = initiate(owner)

    def broken(self, key, declared_size):
        raise internals.storage_error("bucket unreachable")

    monkeypatch.setattr(internals.local_backend, "uploaded_size", broken)
    error(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}), 500, "INTERNAL_ERROR")
    up = db.scalar(sa.select(UploadSession).where(UploadSession.session_key == session["sessionKey"]))
    assert (up.status, up.error_message, up.media_file_id) == ("failed", "bucket unreachable", None)
    progress = data(owner.get(PROGRESS.format(session["sessionKey"])))
    assert (progress["status"], progress["error"]) == ("failed", "bucket unreachable")


# --- P55 ----------------------------------------------------------------------------------------------

def test_progress_follows_the_session(owner, other, anon, count_sql):
    session = initiate(owner, fileSize=2048)
    with count_sql() as sql:
        d = data(owner.get(PROGRESS.format(session["sessionKey"])))
    assert len(sql) < 10, sql.statements
    assert set(d) == PROGRESS_KEYS
    assert (d["status"], d["progress"], d["uploadProgress"], d["bytesUploaded"], d["fileSize"]) == ("pending", 0, 0, 0, 2048)
    assert d["mediaFileId"] is None and d["error"] is None and d["etaSeconds"] is None and d["uploadSpeedMbps"] is None
    media_id = data(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}))["mediaFileId"]
    d = data(owner.get(PROGRESS.format(session["sessionKey"])))
    assert (d["status"], d["progress"], d["uploadProgress"], d["mediaFileId"]) == ("completed", 100, 100, media_id)
    error(other.get(PROGRESS.format(session["sessionKey"])), 404, "NOT_FOUND")
    error(owner.get(PROGRESS.format(UNKNOWN)), 404, "NOT_FOUND")
    error(anon.get(PROGRESS.format(session["sessionKey"])), 401, "AUTH_REQUIRED")


# --- P56 / P59 ----------------------------------------------------------------------------------------

def test_get_media_returns_the_media_file(owner, seeded, count_sql):
    media_id = seeded.media_ids(0)[0]
    with count_sql() as sql:
        d = data(owner.get(MEDIA.format(media_id)))
    assert len(sql) < 10, sql.statements
    assert set(d) == MEDIA_FILE_KEYS and d["id"] == media_id
    assert (d["fileSize"], d["fileSizeFormatted"], d["durationSeconds"], d["durationFormatted"]) == (10 * MB, "10.00 MB", 300, "05:00")
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
    foreign_video = seeded.video_ids(3)[0]
    error(owner.post(MEDIA.format(mine) + "/attach-video", json={"videoId": foreign_video}), 403, "FORBIDDEN")
    error(owner.post(MEDIA.format(theirs) + "/attach-video", json={"videoId": seeded.video_ids(0)[0]}), 403, "FORBIDDEN")
    error(other.post(MEDIA.format(mine) + "/attach-video", json={"videoId": foreign_video}), 403, "FORBIDDEN")
    assert db.get(Video, foreign_video).media_file_id is None and db.get(Video, seeded.video_ids(0)[0]).media_file_id is None


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


# --- the B2/S3 backend (moto) -------------------------------------------------------------------------

BUCKET = "unpuzzle-media-test"


class TestOnB2:
    @pytest.fixture
    def bucket(self):
        with mock_aws():
            client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
            client.create_bucket(Bucket=BUCKET)
            yield client

    @pytest.fixture
    def app_config(self, app_config, bucket):
        return {**app_config, "B2_BUCKET": BUCKET, "B2_REGION": "us-east-1", "B2_KEY_ID": "test",
                "B2_APPLICATION_KEY": "test", "CDN_BASE_URL": "https://cdn.unpuzzle.test"}

    def test_initiate_presigns_a_post_to_the_bucket(self, owner):
        d = initiate(owner, contentType="video/webm", fileSize=99)
        assert set(d) == INITIATE_KEYS and FIELD_KEYS <= set(d["fields"]) and d["expiresIn"] == 3600
        assert BUCKET in d["uploadUrl"] and d["fields"]["key"] == d["storageKey"]
        conditions = json.loads(base64.b64decode(d["fields"]["policy"]))["conditions"]
        assert {"Content-Type": "video/webm"} in conditions and ["content-length-range", 1, 524_288_000] in conditions

    def test_complete_needs_the_object_in_the_bucket(self, owner, bucket, db):
        session = initiate(owner)
        before = count(db, MediaFile)
        error(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}), 400, "INVALID_REQUEST")
        assert count(db, MediaFile) == before
        assert db.scalar(sa.select(UploadSession.status).where(UploadSession.session_key == session["sessionKey"])) == "pending"

        resp = requests.post(session["uploadUrl"], data=session["fields"],
                             files={"file": ("clip.mp4", b"0123456789", "video/mp4")})
        assert resp.status_code == 204
        d = data(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}))
        assert d["cdnUrl"] == f"https://cdn.unpuzzle.test/{session['storageKey']}"
        assert d["storageUrl"].endswith(f"/{BUCKET}/{session['storageKey']}")
        media = db.get(MediaFile, d["mediaFileId"])
        assert (media.storage_provider, media.bucket_name, media.file_size) == ("backblaze", BUCKET, 10)

        data(owner.delete(MEDIA.format(d["mediaFileId"])))  # best-effort removal from the bucket
        assert bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0

    def test_the_local_upload_target_is_off(self, anon):
        error(anon.post("/_local-bucket/upload", data={}, content_type="multipart/form-data"), 404, "NOT_FOUND")
