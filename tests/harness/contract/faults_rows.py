"""Faults only the rows show: WSGI middleware around the candidate that, once the real call has answered a 2xx,
changes the candidate's database directly. The reply is the candidate's own, unchanged; what it stored is not
what legacy stores."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from tests.harness.contract.faults import ResponseRewriter

Environ = dict[str, Any]


def after_write(app: Any, database_url: str, method: str, path: str, statement: str) -> ResponseRewriter:
    """`app`, which runs `statement` on its database after each 2xx to METHOD path (a regex whose named groups
    are the statement's parameters)."""
    pattern = re.compile(path)
    engine = sa.create_engine(database_url)

    def rewrite(environ: Environ, status: str, headers: list, body: bytes) -> tuple[str, list, bytes]:
        found = pattern.fullmatch(environ["PATH_INFO"])
        if found and environ["REQUEST_METHOD"] == method and status.startswith("2"):
            with engine.begin() as conn:
                conn.execute(sa.text(statement), found.groupdict())
        return status, headers, body
    return ResponseRewriter(app, rewrite)


def hard_deleted_video(app: Any, database_url: str) -> ResponseRewriter:
    """P39 deletes the video's row where legacy only marks it deleted (is_deleted, deleted_at)."""
    return after_write(app, database_url, "DELETE", r"/api/v1/instructor/videos/(?P<video>[0-9a-f-]{36})",
                       "DELETE FROM videos WHERE id = :video")


def enrollment_not_counted(app: Any, database_url: str) -> ResponseRewriter:
    """P21 enrols the student but leaves the course's enrollment_count as it was."""
    return after_write(app, database_url, "POST", r"/api/v1/student/courses/(?P<course>[0-9a-f-]{36})/enroll",
                       "UPDATE courses SET enrollment_count = enrollment_count - 1 WHERE id = :course")


#: fault -> (middleware(app, database_url), the table the finding must name, the write operation it must name)
ROW_FAULTS: dict[str, tuple[Callable[[Any, str], Iterable], str, str]] = {
    "hard_deleted_video": (hard_deleted_video, "videos", "P39 DELETE /api/v1/instructor/videos/{video_id}"),
    "enrollment_not_counted": (enrollment_not_counted, "courses",
                               "P21 POST /api/v1/student/courses/{course_id}/enroll"),
}
