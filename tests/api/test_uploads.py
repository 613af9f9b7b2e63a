"""Local file upload, P47–P51 (API.md §3.7): multipart uploads to disk with a media_files row each,
per-category limits and allow-lists, deletion by the uploader, and serving with access checks."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.models import Course, MediaFile, Video
from tests.conftest import data, error

KB = 1024
LIMITS = {"videos": 8 * KB, "thumbnails": 2 * KB, "documents": 4 * KB}
MAX_BODY = 32 * KB
VIDEO_UPLOAD = "/api/v1/videos/upload"
UPLOAD_KEYS = {"url", "file_path", "filename", "size", "content_type"}
STORED_NAME = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}_(.+)")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "UPLOAD_LIMITS": LIMITS, "MAX_CONTENT_LENGTH": MAX_BODY}


def media_count(db) -> int:
    return db.scalar(sa.select(sa.func.count(MediaFile.id)))


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_ROOT"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def post_file(caller, path: str, field: str | None, name: str = "clip.mp4", content: bytes = b"\x00" * 100,
              mimetype: str | None = None, **form):
    if field is not None:
        form[field] = (io.BytesIO(content), name, mimetype) if mimetype else (io.BytesIO(content), name)
    return caller.post(path, data=form, content_type="multipart/form-data")


def upload_video(caller, course_id: str, **kw):
    return post_file(caller, VIDEO_UPLOAD, "video", course_id=course_id, **kw)


def upload_document(caller, course_id: str, **kw):
    kw.setdefault("name", "notes.pdf")
    return post_file(caller, "/api/v1/documents/upload", "document", course_id=course_id, **kw)


def upload_thumbnail(caller, resource_id: str, resource_type: str = "course", **kw):
    kw.setdefault("name", "cover.png")
    return post_file(caller, "/api/v1/thumbnails/upload", "thumbnail", resource_id=resource_id,
                     resource_type=resource_type, **kw)


# --- P47 / P48 / P49: success -----------------------------------------------------------------------

def test_video_upload_stores_the_file_and_a_local_media_row(instructor, app, db, seeded, count_sql):
    with count_sql() as sql:
        resp = upload_video(instructor, seeded.enrolled_course, name="My Lesson (1).mp4", content=b"v" * 300)
    d = data(resp)
    assert len(sql) < 10, sql.statements
    assert set(d) == UPLOAD_KEYS | {"duration"}
    assert d["duration"] is None and d["size"] == 300 and d["content_type"] == "video/mp4"
    assert STORED_NAME.fullmatch(d["filename"]).group(1) == "My_Lesson_1.mp4"
    assert d["file_path"] == f"videos/{d['filename']}" and d["url"] == f"/api/v1/uploads/{d['file_path']}"
    assert (Path(app.config["UPLOAD_ROOT"]) / "videos" / d["filename"]).read_bytes() == b"v" * 300
    media = db.scalar(sa.select(MediaFile).where(MediaFile.file_path == d["file_path"]))
    assert (media.storage_provider, media.bucket_name) == ("local", "local")
    assert (media.file_type, media.mime_type) == ("video", "video/mp4")
    assert (media.user_id, media.course_id) == (seeded.user_id(accounts.INSTRUCTOR), seeded.enrolled_course)
    assert media.file_size == 300
    assert media.original_filename == "My Lesson (1).mp4" and media.storage_key == d["file_path"]


@pytest.mark.parametrize("name, expected_type", [("clip.webm", "video/webm"), ("CLIP.MOV", "video/quicktime")])
def test_every_allowed_video_type_is_accepted(instructor, seeded, name, expected_type):
    assert data(upload_video(instructor, seeded.enrolled_course, name=name))["content_type"] == expected_type


def test_document_upload_keeps_its_title(instructor, db, seeded, count_sql):
    with count_sql() as sql:
        d = data(upload_document(instructor, seeded.enrolled_course, name="syllabus.docx", title="Syllabus"))
    assert len(sql) < 10, sql.statements
    assert set(d) == UPLOAD_KEYS | {"title"} and d["title"] == "Syllabus"
    assert d["content_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    media = db.scalar(sa.select(MediaFile).where(MediaFile.file_path == d["file_path"]))
    assert (media.file_type, media.title, media.course_id) == ("document", "Syllabus", seeded.enrolled_course)
    assert data(upload_document(instructor, seeded.enrolled_course, name="a.pdf"))["title"] == "a.pdf"


def test_thumbnail_upload_sets_the_course_thumbnail(instructor, db, seeded, count_sql):
    with count_sql() as sql:
        d = data(upload_thumbnail(instructor, seeded.enrolled_course, name="cover.jpeg"))
    assert len(sql) < 10, sql.statements
    assert set(d) == UPLOAD_KEYS | {"resource_id", "resource_type"}
    assert (d["resource_id"], d["resource_type"], d["content_type"]) == (seeded.enrolled_course, "course", "image/jpeg")
    course = db.get(Course, seeded.enrolled_course)
    assert course.thumbnail_url.endswith(d["url"])
    media = db.scalar(sa.select(MediaFile).where(MediaFile.file_path == d["file_path"]))
    assert media.file_type == "image" and media.course_id == seeded.enrolled_course


def test_thumbnail_upload_sets_the_video_thumbnail(instructor, db, seeded, count_sql):
    video_id = seeded.video_ids(0)[1]
    course_thumbnail = db.get(Course, seeded.enrolled_course).thumbnail_url
    with count_sql() as sql:
        d = data(upload_thumbnail(instructor, video_id, "video", name="frame.webp"))
    assert len(sql) < 10, sql.statements
    assert (d["resource_id"], d["resource_type"], d["content_type"]) == (video_id, "video", "image/webp")
    db.expire_all()
    assert db.get(Video, video_id).thumbnail_url.endswith(d["url"])
    assert db.get(Course, seeded.enrolled_course).thumbnail_url == course_thumbnail


def test_an_admin_may_upload_to_any_course(admin, seeded):
    data(upload_video(admin, seeded.other_instructor_course))


# --- P47 / P48 / P49: errors, and nothing written -----------------------------------------------------

UPLOADERS = {
    "video": lambda caller, course, **kw: upload_video(caller, course, **kw),
    "document": lambda caller, course, **kw: upload_document(caller, course, **kw),
    "thumbnail": lambda caller, course, **kw: upload_thumbnail(caller, course, **kw),
}


@pytest.fixture(params=sorted(UPLOADERS))
def uploader(request):
    return UPLOADERS[request.param]


def test_uploads_need_the_owning_instructor(uploader, anon, student, instructor2, seeded, app, db):
    before = media_count(db)
    error(uploader(anon, seeded.enrolled_course), 401, "AUTH_REQUIRED")
    error(uploader(student, seeded.enrolled_course), 403, "FORBIDDEN")
    error(uploader(instructor2, seeded.enrolled_course), 403, "FORBIDDEN")
    assert media_count(db) == before and stored_files(app) == []


def test_cookie_uploads_need_the_csrf_token_and_bearer_ones_do_not(uploader, instructor, make_caller, seeded, app):
    instructor.csrf = None  # the cookie alone, without X-CSRF-Token
    error(uploader(instructor, seeded.enrolled_course), 403, "CSRF_INVALID")
    assert stored_files(app) == []
    data(uploader(make_caller(accounts.INSTRUCTOR, via="bearer"), seeded.enrolled_course))


def test_uploads_to_an_unknown_or_deleted_course_are_404(uploader, instructor, seeded, app, db):
    for course in ("00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        error(uploader(instructor, course), 404, "NOT_FOUND")
    db.get(Course, seeded.enrolled_course).is_deleted = True
    db.commit()
    error(uploader(instructor, seeded.enrolled_course), 404, "NOT_FOUND")
    assert stored_files(app) == []


@pytest.mark.parametrize("path, field, form, missing", [
    (VIDEO_UPLOAD, "video", {}, "course_id"),
    ("/api/v1/documents/upload", "document", {"course_id": ""}, "course_id"),
    ("/api/v1/thumbnails/upload", "thumbnail", {"resource_type": "course"}, "resource_id"),
    ("/api/v1/thumbnails/upload", "thumbnail", {"resource_id": "x"}, "resource_type"),
    ("/api/v1/thumbnails/upload", "thumbnail", {"resource_id": "x", "resource_type": "section"}, "resource_type"),
])
def test_missing_or_bad_form_fields_are_400(instructor, path, field, form, missing, app):
    err = error(post_file(instructor, path, field, **form), 400, "INVALID_REQUEST")
    assert err["details"]["field"] == missing and stored_files(app) == []


@pytest.mark.parametrize("kind, name, mimetype", [
    ("video", "clip.avi", None), ("video", "clip", None), ("video", "clip.mp4", "text/html"),
    ("document", "notes.txt", None), ("document", "notes.pdf", "image/png"),
    ("thumbnail", "cover.gif", None), ("thumbnail", "cover.svg", None), ("thumbnail", "cover.png", "video/mp4"),
])
def test_unsupported_file_types_are_400(instructor, seeded, app, db, kind, name, mimetype):
    before = media_count(db)
    error(UPLOADERS[kind](instructor, seeded.enrolled_course, name=name, mimetype=mimetype), 400, "INVALID_REQUEST",
          kind)
    assert media_count(db) == before and stored_files(app) == []


def test_a_missing_or_empty_file_is_400(instructor, seeded, app):
    error(post_file(instructor, VIDEO_UPLOAD, None, course_id=seeded.enrolled_course), 400, "INVALID_REQUEST", "video")
    error(upload_video(instructor, seeded.enrolled_course, content=b""), 400, "INVALID_REQUEST")
    # the file under the wrong form field is still missing
    error(post_file(instructor, VIDEO_UPLOAD, "document", course_id=seeded.enrolled_course), 400, "INVALID_REQUEST",
          "video")
    assert stored_files(app) == []


@pytest.mark.parametrize("kind, category", [("video", "videos"), ("document", "documents"),
                                             ("thumbnail", "thumbnails")])
def test_files_over_their_category_limit_are_413(instructor, seeded, app, db, kind, category):
    before = media_count(db)
    name = {"video": "a.mp4", "document": "a.pdf", "thumbnail": "a.png"}[kind]
    error(UPLOADERS[kind](instructor, seeded.enrolled_course, name=name, content=b"x" * (LIMITS[category] + 1)),
          413, "PAYLOAD_TOO_LARGE")
    assert media_count(db) == before and stored_files(app) == []
    data(UPLOADERS[kind](instructor, seeded.enrolled_course, name=name, content=b"x" * LIMITS[category]))


def test_a_body_over_max_content_length_is_the_413_envelope(instructor, seeded, app, db):
    before = media_count(db)
    error(upload_video(instructor, seeded.enrolled_course, content=b"x" * (MAX_BODY + 1)), 413, "PAYLOAD_TOO_LARGE")
    error(instructor.delete("/api/v1/delete", data=b"{" + b" " * MAX_BODY + b"}", content_type="application/json"),
          413, "PAYLOAD_TOO_LARGE")
    assert media_count(db) == before and stored_files(app) == []


# --- P50 ----------------------------------------------------------------------------------------------

@pytest.fixture
def uploaded(instructor, seeded) -> dict:
    return data(upload_document(instructor, seeded.enrolled_course))


def test_the_uploader_deletes_a_file(instructor, uploaded, app, db, count_sql):
    with count_sql() as sql:
        d = data(instructor.delete("/api/v1/delete", json={"file_path": uploaded["file_path"]}))
    assert len(sql) < 10, sql.statements
    assert d == {"file_path": uploaded["file_path"], "message": d["message"]} and d["message"]
    assert stored_files(app) == []
    media = db.scalar(sa.select(MediaFile).where(MediaFile.file_path == uploaded["file_path"]))
    assert media.is_deleted and media.deleted_by_id == instructor.user["id"]
    error(instructor.delete("/api/v1/delete", json={"file_path": uploaded["file_path"]}), 404, "NOT_FOUND")


def test_only_the_uploader_may_delete(uploaded, instructor, anon, student, instructor2, admin, app, db):
    body = {"file_path": uploaded["file_path"]}
    error(anon.delete("/api/v1/delete", json=body), 401, "AUTH_REQUIRED")
    for caller in (student, instructor2, admin):
        error(caller.delete("/api/v1/delete", json=body), 403, "FORBIDDEN")
    error(instructor.delete("/api/v1/delete", json=body, csrf=False), 403, "CSRF_INVALID")
    assert len(stored_files(app)) == 1
    assert not db.scalar(sa.select(MediaFile.is_deleted).where(MediaFile.file_path == uploaded["file_path"]))


BAD_FILE_PATHS = ["avatars/x.png", "documents", "documents/", "../documents/x.pdf", "documents/../videos/x.mp4",
                  "/documents/x.pdf", "documents/..\\x.pdf", "documents//x.pdf", ""]


def test_delete_refuses_bad_categories_and_traversal(instructor, uploaded, app):
    for file_path in BAD_FILE_PATHS:
        err = error(instructor.delete("/api/v1/delete", json={"file_path": file_path}), 400, "INVALID_REQUEST")
        assert err["details"]["field"] == "file_path", file_path
    assert len(stored_files(app)) == 1


def test_delete_validates_its_json_body(instructor):
    for kwargs in ({"json": {}}, {"json": {"file_path": 7}}, {"data": "{bad", "content_type": "application/json"},
                   {"data": "file_path=x", "content_type": "application/x-www-form-urlencoded"}):
        error(instructor.delete("/api/v1/delete", **kwargs), 400, "INVALID_REQUEST")


def test_deleting_an_unknown_file_is_404(instructor):
    error(instructor.delete("/api/v1/delete", json={"file_path": "videos/nothing.mp4"}), 404, "NOT_FOUND")


# --- P51 ----------------------------------------------------------------------------------------------

def test_thumbnails_are_public(instructor, anon, seeded, count_sql):
    d = data(upload_thumbnail(instructor, seeded.enrolled_course, content=b"\x89PNG-bytes"))
    with count_sql() as sql:
        resp = anon.get(d["url"])
    assert len(sql) < 10, sql.statements
    assert resp.status_code == 200 and resp.data == b"\x89PNG-bytes"
    assert resp.mimetype == "image/png"


@pytest.mark.parametrize("who", ["instructor", "admin", "student"])  # owner, admin, enrolled student
def test_videos_are_served_to_the_owner_admins_and_enrolled_students(request, instructor, seeded, who, count_sql):
    d = data(upload_video(instructor, seeded.enrolled_course, name="a.mov", content=b"0123456789"))
    caller = request.getfixturevalue(who)
    with count_sql() as sql:
        resp = caller.get(d["url"])
    assert len(sql) < 10, sql.statements
    assert resp.status_code == 200 and resp.data == b"0123456789" and resp.mimetype == "video/quicktime"


def test_documents_are_served_with_their_type(instructor, student, seeded):
    d = data(upload_document(instructor, seeded.enrolled_course, content=b"%PDF-1.7"))
    resp = student.get(d["url"])
    assert resp.status_code == 200 and resp.data == b"%PDF-1.7" and resp.mimetype == "application/pdf"


@pytest.mark.parametrize("kind", ["video", "document"])
def test_protected_files_need_auth_and_enrollment(kind, instructor, anon, student, instructor2, seeded):
    d = data(UPLOADERS[kind](instructor, seeded.open_course, name="a.pdf" if kind == "document" else "a.mp4"))
    error(anon.get(d["url"]), 401, "AUTH_REQUIRED")
    error(student.get(d["url"]), 403, "NOT_ENROLLED")
    error(instructor2.get(d["url"]), 403, "NOT_ENROLLED")


def test_video_range_requests_get_206(instructor, student, seeded):
    d = data(upload_video(instructor, seeded.enrolled_course, content=bytes(range(100))))
    resp = student.get(d["url"], headers={"Range": "bytes=10-19"})
    assert resp.status_code == 206 and resp.data == bytes(range(10, 20))
    assert resp.headers["Content-Range"] == "bytes 10-19/100" and resp.mimetype == "video/mp4"
    error(student.get(d["url"], headers={"Range": "bytes=500-"}), 416, "INVALID_REQUEST")


def test_files_are_served_conditionally_like_static_files(instructor, student, seeded):
    d = data(upload_video(instructor, seeded.enrolled_course, content=bytes(range(100))))
    full = student.get(d["url"])
    assert (full.headers["Accept-Ranges"], full.headers["Cache-Control"]) == ("bytes", "no-cache")
    assert full.headers["Content-Disposition"] == f"inline; filename={d['filename']}"
    assert full.headers["ETag"] and full.headers["Last-Modified"] and full.headers["Content-Length"] == "100"
    cached = student.get(d["url"], headers={"If-None-Match": full.headers["ETag"]})
    assert cached.status_code == 304 and cached.data == b"" and cached.headers["ETag"] == full.headers["ETag"]
    head = student.request("HEAD", d["url"])
    assert head.status_code == 200 and head.data == b"" and head.headers["Content-Length"] == "100"
    tail = student.get(d["url"], headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.data == bytes(range(95, 100))
    assert tail.headers["Content-Range"] == "bytes 95-99/100"
    stale = student.get(d["url"], headers={"Range": "bytes=0-9", "If-Range": '"not-the-etag"'})
    assert stale.status_code == 200 and stale.data == bytes(range(100))  # a stale copy gets the whole file
    for unsatisfiable in ("bytes=0-1,5-6", "lines=1-2"):
        err = student.get(d["url"], headers={"Range": unsatisfiable})
        error(err, 416, "INVALID_REQUEST")
        assert err.headers["Content-Range"] == "bytes */100"


def test_unknown_files_are_an_enveloped_404(anon):
    for path in ("/api/v1/uploads/thumbnails/nothing.png", "/api/v1/uploads/avatars/x.png",
                 "/api/v1/uploads/videos/..%2F..%2Fsecret.mp4", "/api/v1/uploads/thumbnails/a/../b.png"):
        resp = anon.get(path)
        assert resp.mimetype == "application/json", path
        error(resp, 404, "NOT_FOUND")


def test_a_deleted_file_is_no_longer_served(instructor, seeded, anon):
    d = data(upload_thumbnail(instructor, seeded.enrolled_course))
    data(instructor.delete("/api/v1/delete", json={"file_path": d["file_path"]}))
    error(anon.get(d["url"]), 404, "NOT_FOUND")
