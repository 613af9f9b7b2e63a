"""Write faults injected into a copy of the candidate (the legacy app, wrapped), one at a time, for the tests of
the `roundtrip` source: each changes what a write stores or counts, or how an account is found, so only a
write read back (or a login in another spelling) shows it.

Each is WSGI middleware around the app: it rewrites the request before the app reads it, or changes the app's own
database after a write (through the app's SQLAlchemy session). It keeps the app as `.app` and its `url_map`, so
route coverage and settings switching still see the app itself.
"""
from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import jwt
import sqlalchemy as sa

from tests.harness.contract.faults import ResponseRewriter

Environ = dict[str, Any]
COURSE_PATH = re.compile(r"/api/v1/instructor/courses/[^/]+")
ENROL_PATH = re.compile(r"/api/v1/student/courses/(?P<course>[^/]+)/enroll")
#: A well-formed address no account has: what a lookup that cannot find the account was as good as sent.
UNKNOWN_EMAIL = "no-such-account@example.invalid"
_REVIVED = "faults.revived_enrolment"


def _wrapping(app: Any, middleware: Callable[[Environ, Callable], Iterable[bytes]]) -> Any:
    middleware.app = app  # type: ignore[attr-defined]
    middleware.url_map = app.url_map  # type: ignore[attr-defined]
    return middleware


def _edit_json_body(environ: Environ, edit: Callable[[dict[str, Any]], None]) -> None:
    """Let `edit` change the request's JSON object before the app reads it (anything else is left alone)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        edit(doc)
        raw = json.dumps(doc).encode()
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(raw), str(len(raw))


def _scalar(app: Any, statement: sa.Select) -> Any:
    from legacy_flask import db

    with app.app_context():
        return db.session().scalar(statement)


def null_thumbnail_stored_empty(app: Any) -> Any:
    """A course's `thumbnailUrl` the client writes null (P31, P32) or leaves out of a new course (P31) is stored
    as "" where legacy keeps null; a value sent is stored as sent."""
    def middleware(environ: Environ, start_response: Callable) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        creating = method == "POST" and path == "/api/v1/instructor/courses"
        if creating or (method == "PUT" and COURSE_PATH.fullmatch(path)):
            def edit(doc: dict[str, Any]) -> None:
                if (creating or "thumbnailUrl" in doc) and doc.get("thumbnailUrl") is None:
                    doc["thumbnailUrl"] = ""
            _edit_json_body(environ, edit)
        return app(environ, start_response)
    return _wrapping(app, middleware)


def _caller(environ: Environ) -> str | None:
    """The user id the request's access token names (Bearer header, else the cookie); None without one."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    cookie = re.search(r"(?:^|;\s*)access_token=([^;]+)", environ.get("HTTP_COOKIE", ""))
    token = header.removeprefix("Bearer ").strip() if header else (cookie.group(1) if cookie else "")
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        return None


def second_enrolment_not_counted(app: Any) -> Any:
    """Enrolling again after unenrolling (the enrolment row revived) does not add to the course's
    `enrollmentCount`; the unenrolment did subtract, so the count ends one lower than legacy's."""
    from legacy_flask import db
    from legacy_flask.models import Course, Enrollment

    def uncount(environ: Environ, status: str, headers: list, body: bytes) -> tuple[str, list, bytes]:
        course = environ.get(_REVIVED)
        if course and status.startswith("200"):
            with app.app_context():
                db.session().execute(sa.update(Course).where(Course.id == course)
                                     .values(enrollment_count=Course.enrollment_count - 1))
                db.session().commit()
        return status, headers, body

    counted = ResponseRewriter(app, uncount)

    def middleware(environ: Environ, start_response: Callable) -> Iterable[bytes]:
        match = ENROL_PATH.fullmatch(environ["PATH_INFO"]) if environ["REQUEST_METHOD"] == "POST" else None
        user = _caller(environ) if match else None
        if match and user and _scalar(app, sa.select(Enrollment.id).where(Enrollment.user_id == user,
                                                                         Enrollment.course_id == match["course"])):
            environ[_REVIVED] = match["course"]
        return counted(environ, start_response)
    return _wrapping(app, middleware)


def case_sensitive_login(app: Any) -> Any:
    """The login looks the account up by the e-mail exactly as sent: in another case or between spaces it finds
    none (401 INVALID_CREDENTIALS), where legacy trims and lower-cases the address first."""
    from legacy_flask.models import User

    def middleware(environ: Environ, start_response: Callable) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/api/v1/auth/login":
            def edit(doc: dict[str, Any]) -> None:
                email = doc.get("email")
                if (isinstance(email, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip())
                        and _scalar(app, sa.select(User.id).where(User.email == email)) is None):
                    doc["email"] = UNKNOWN_EMAIL
            _edit_json_body(environ, edit)
        return app(environ, start_response)
    return _wrapping(app, middleware)


#: fault -> (inject, the operation a blocking finding must name, the field it must name)
FAULTS: dict[str, tuple[Callable[[Any], Any], str, str]] = {
    "null_thumbnail_stored_empty": (null_thumbnail_stored_empty, "P30 GET /api/v1/instructor/courses/{course_id}",
                                    "body.data.thumbnailUrl"),
    "second_enrolment_not_counted": (second_enrolment_not_counted, "P17 GET /api/v1/courses/{course_id}",
                                     "body.data.enrollmentCount"),
    "case_sensitive_login": (case_sensitive_login, "P2 POST /api/v1/auth/login", "status"),
}
