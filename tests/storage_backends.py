"""What both apps' media storage backends must do, as test classes each app's storage tests subclass
(tests/legacy_flask/test_storage.py, tests/reference_django/test_media_storage.py) with three fixtures:

- `storage`: the app's storage module (safe_relative, sanitized_filename, the errors, the limits);
- `local`: its LocalBackend on `tmp_path / "uploads"`, secret "s3cret", public base URL http://api.test/;
- `make_s3(endpoint_url=None, region="us-east-1", cdn_base_url=None)`: its S3Backend on BUCKET, key "test"
  and secret "test" (called inside moto's mock_aws, where BUCKET exists).
"""
from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests
from moto import mock_aws

BUCKET = "unpuzzle-test-media"
KEY = "videos/user-1/session-1_clip.mp4"
NOW = datetime(2025, 8, 21, 18, 30, tzinfo=UTC)
FIELD_NAMES = {"key", "Content-Type", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"}
LOCAL_SECRET = "s3cret"
PUBLIC_BASE_URL = "http://api.test/"


def policy_of(fields: dict) -> dict:
    return json.loads(base64.b64decode(fields["policy"]))


def _tampered_policy(fields: dict) -> dict:
    policy = policy_of(fields)
    policy["conditions"] = [c for c in policy["conditions"]
                            if not (isinstance(c, list) and c[0] == "content-length-range")]
    return {**fields, "policy": base64.b64encode(json.dumps(policy).encode()).decode()}


class LocalStorageContract:
    # --- paths ------------------------------------------------------------------------------------------

    @pytest.mark.parametrize("path", ["videos/a.mp4", "videos/u/s_a.mp4", "thumbnails/x.png"])
    def test_safe_relative_accepts_plain_relative_paths(self, storage, path):
        assert str(storage.safe_relative(path)) == path

    @pytest.mark.parametrize("path", ["", "../etc/passwd", "videos/../../x", "/etc/passwd", "videos//a.mp4",
                                      "videos/./a.mp4", "videos\\..\\a.mp4", "videos/a.mp4/", "videos/a\x00.mp4"])
    def test_safe_relative_refuses_anything_that_could_leave_the_root(self, storage, path):
        with pytest.raises(storage.UnsafePath):
            storage.safe_relative(path)

    @pytest.mark.parametrize("name, expected", [
        ("My Lesson (1).mp4", "My_Lesson_1.mp4"), ("../../etc/passwd", "etc_passwd"), ("видео.MP4", "upload.mp4"),
        (".mp4", "upload.mp4"), ("no extension", "no_extension"), ("x" * 300 + ".webm", "x" * 145 + ".webm"),
    ])
    def test_sanitized_filename_keeps_a_safe_stem_and_the_extension(self, storage, name, expected):
        assert storage.sanitized_filename(name) == expected

    def test_local_files_are_saved_under_the_root_and_deleted(self, storage, local, tmp_path):
        size = local.save("documents/notes.pdf", io.BytesIO(b"%PDF-1.4 hello"))
        assert size == 14
        assert (tmp_path / "uploads" / "documents" / "notes.pdf").read_bytes() == b"%PDF-1.4 hello"
        assert local.exists("documents/notes.pdf") and not local.exists("../notes.pdf")
        local.save("documents/notes.pdf", io.BytesIO(b"v2"))  # the same key again overwrites, like S3
        assert (tmp_path / "uploads" / "documents" / "notes.pdf").read_bytes() == b"v2"
        local.delete("documents/notes.pdf")
        local.delete("documents/notes.pdf")  # deleting twice is harmless
        assert not local.exists("documents/notes.pdf")
        with pytest.raises(storage.UnsafePath):
            local.save("../outside.txt", io.BytesIO(b"x"))
        assert not (tmp_path / "outside.txt").exists()

    # --- local presigned POST -----------------------------------------------------------------------------

    def test_local_presigned_post_has_the_s3_shape_and_conditions(self, local):
        post = local.presigned_post(KEY, "video/mp4", now=NOW)
        assert post.url == "http://api.test/_local-bucket/upload"
        assert set(post.fields) == FIELD_NAMES
        assert post.fields["key"] == KEY and post.fields["Content-Type"] == "video/mp4"
        assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
        assert post.fields["x-amz-date"] == "20250821T183000Z"
        assert post.fields["x-amz-credential"] == "local/20250821/local/s3/aws4_request"
        policy = policy_of(post.fields)
        assert policy["expiration"] == "2025-08-21T19:30:00Z"  # 3600 s
        assert {"Content-Type": "video/mp4"} in policy["conditions"]
        assert ["content-length-range", 1, 524_288_000] in policy["conditions"]
        assert {"key": KEY} in policy["conditions"]

    def test_a_local_post_as_issued_verifies(self, local):
        fields = local.presigned_post(KEY, "video/mp4", now=NOW).fields
        checked = local.verify_post(fields, now=NOW + timedelta(minutes=59))
        assert (checked.key, checked.content_type, checked.min_size, checked.max_size) == (
            KEY, "video/mp4", 1, 524_288_000)

    @pytest.mark.parametrize("tamper, forbidden", [
        (lambda f: {**f, "x-amz-signature": "0" * 64}, True),
        (_tampered_policy, True),
        (lambda f: {**f, "x-amz-algorithm": "AWS4-HMAC-SHA1"}, True),
        (lambda f: {**f, "Content-Type": "text/html"}, False),
        (lambda f: {**f, "key": "videos/someone-else/x.mp4"}, False),
        (lambda f: {k: v for k, v in f.items() if k != "policy"}, False),
    ])
    def test_a_tampered_local_post_is_refused(self, storage, local, tamper, forbidden):
        fields = local.presigned_post(KEY, "video/mp4", now=NOW).fields
        with pytest.raises(storage.PolicyViolation) as exc:
            local.verify_post(tamper(fields), now=NOW)
        assert exc.value.forbidden is forbidden

    def test_an_expired_or_foreign_local_post_is_refused(self, storage, local, tmp_path):
        fields = local.presigned_post(KEY, "video/mp4", now=NOW).fields
        with pytest.raises(storage.PolicyViolation, match="expired"):
            local.verify_post(fields, now=NOW + timedelta(seconds=3601))
        other = storage.LocalBackend(tmp_path, secret="another-secret", public_base_url="http://api.test")
        with pytest.raises(storage.PolicyViolation, match="signature"):
            other.verify_post(fields, now=NOW)

    def test_a_signed_key_that_climbs_out_of_the_root_is_refused(self, storage, local):
        fields = local.presigned_post("../../etc/cron.d/x", "video/mp4", now=NOW).fields
        with pytest.raises(storage.PolicyViolation, match="key"):
            local.verify_post(fields, now=NOW)

    def test_local_uploaded_size_trusts_the_declared_size_until_a_file_exists(self, local):
        # The documented choice: P54 may complete a session nobody uploaded to (the Postman flow).
        assert local.uploaded_size(KEY, 1234) == 1234
        local.save(KEY, io.BytesIO(b"12345"))
        assert local.uploaded_size(KEY, 1234) == 5
        assert local.storage_url(KEY) == f"http://api.test/api/v1/uploads/{KEY}"
        assert local.cdn_url(KEY) is None

    def test_the_limits_are_api_md_s(self, storage):
        assert storage.MAX_UPLOAD_BYTES == 524_288_000 and storage.PRESIGN_EXPIRY_SECONDS == 3600


class S3StorageContract:
    @pytest.fixture
    def s3(self, make_s3):
        with mock_aws():
            boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
            yield make_s3(cdn_base_url="https://cdn.test/")

    def test_s3_presigned_post_pins_type_size_and_expiry(self, s3):
        before = datetime.now(UTC).replace(microsecond=0)
        post = s3.presigned_post(KEY, "video/webm")
        assert FIELD_NAMES <= set(post.fields)
        assert post.fields["key"] == KEY and post.fields["Content-Type"] == "video/webm"
        assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
        policy = policy_of(post.fields)
        assert {"Content-Type": "video/webm"} in policy["conditions"]
        assert ["content-length-range", 1, 524_288_000] in policy["conditions"]
        assert {"bucket": BUCKET} in policy["conditions"]
        expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        # an hour from when the policy was signed: between `before` and now (a loaded machine may take seconds)
        after = datetime.now(UTC)
        assert before + timedelta(seconds=3599) <= expires <= after + timedelta(seconds=3601)

    def test_s3_upload_then_head_then_delete(self, storage, s3):
        with pytest.raises(storage.ObjectMissing):
            s3.uploaded_size(KEY, 10)
        post = s3.presigned_post(KEY, "video/mp4")
        resp = requests.post(post.url, data=post.fields, files={"file": ("clip.mp4", b"0123456789", "video/mp4")})
        assert resp.status_code == 204
        assert s3.uploaded_size(KEY, 999) == 10  # the real size, not the declared one
        s3.delete(KEY)
        with pytest.raises(storage.ObjectMissing):
            s3.uploaded_size(KEY, 10)

    def test_s3_urls(self, s3, make_s3):
        assert s3.storage_url(KEY) == f"{s3.client.meta.endpoint_url}/{BUCKET}/{KEY}"
        assert s3.cdn_url(KEY) == f"https://cdn.test/{KEY}"
        b2 = make_s3(endpoint_url="https://s3.us-west-004.backblazeb2.com", region="us-west-004")
        assert b2.storage_url(KEY) == f"https://s3.us-west-004.backblazeb2.com/{BUCKET}/{KEY}"
        assert b2.cdn_url(KEY) is None
