"""Media upload through presigned POST, P53–P55 (API.md §3.9): upload sessions, the local upload target
and its policy, completion into a media row; on the default local backend and on the B2/S3 backend (moto)."""
from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import boto3
import pytest
import requests
import sqlalchemy as sa
from moto import mock_aws

from harness.seed import accounts
from legacy_flask.models import MediaFile, UploadSession, utcnow
from tests.api.media_helpers import (
    COMPLETE,
    INITIATE,
    MEDIA,
    UNKNOWN,
    count,
    initiate,
    local_path,
    session_status,
    upload_request,
)
from tests.conftest import data, error

PROGRESS = "/api/v1/media/upload/progress/{}"

INITIATE_KEYS = {"sessionKey", "uploadUrl", "fields", "storageKey", "expiresIn"}
FIELD_KEYS = {"key", "Content-Type", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"}
COMPLETE_KEYS = {"mediaFileId", "cdnUrl", "storageUrl", "storageKey", "processingStatus"}
PROGRESS_KEYS = {"sessionKey", "status", "progress", "uploadProgress", "bytesUploaded", "fileSize", "error",
                 "mediaFileId", "etaSeconds", "uploadSpeedMbps"}


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

def test_a_local_upload_goes_through_the_presigned_form(owner, anon, app, db):
    session = initiate(owner, fileSize=5)
    target = session["uploadUrl"].split("localhost:5000", 1)[1]
    form = {**session["fields"], "file": (io.BytesIO(b"frame-bytes"), "clip.mp4")}
    # Like S3: no token, the policy is the grant.
    resp = anon.post(target, data=form, content_type="multipart/form-data")
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
    assert (media.storage_provider, media.bucket_name, media.file_type) == ("local", "local", "video")
    assert (media.file_size, media.course_id) == (1234, seeded.enrolled_course)
    assert (media.original_filename, media.tags) == ("Intro Lesson.mp4", ["a", "b"])
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
    assert session_status(db, session["sessionKey"]) == "pending"


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
    assert (d["status"], d["progress"], d["uploadProgress"]) == ("pending", 0, 0)
    assert (d["bytesUploaded"], d["fileSize"]) == (0, 2048)
    assert d["mediaFileId"] is None and d["error"] is None and d["etaSeconds"] is None and d["uploadSpeedMbps"] is None
    media_id = data(owner.post(COMPLETE, json={"sessionKey": session["sessionKey"]}))["mediaFileId"]
    d = data(owner.get(PROGRESS.format(session["sessionKey"])))
    assert (d["status"], d["progress"], d["uploadProgress"], d["mediaFileId"]) == ("completed", 100, 100, media_id)
    error(other.get(PROGRESS.format(session["sessionKey"])), 404, "NOT_FOUND")
    error(owner.get(PROGRESS.format(UNKNOWN)), 404, "NOT_FOUND")
    error(anon.get(PROGRESS.format(session["sessionKey"])), 401, "AUTH_REQUIRED")


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
        assert session_status(db, session["sessionKey"]) == "pending"

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
