"""Shared fixtures: a freshly seeded database per test on SQLite and PostgreSQL, the legacy app on
it, and logged-in callers for each documented account.

PostgreSQL comes from HARNESS_TEST_POSTGRES_URL (default: the local server). When it cannot be
reached the PostgreSQL half of the suite is skipped, unless HARNESS_REQUIRE_POSTGRES=1 (set by
.ci/run), in which case it fails.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from harness.seed import SCALES, Graph, accounts, seed_database

PG_ADMIN_URL = os.environ.get("HARNESS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("HARNESS_REQUIRE_POSTGRES", "") == "1"
SEED = 0


def _pg_url(dbname: str) -> str:
    return sa.engine.make_url(PG_ADMIN_URL).set(database=dbname).render_as_string(hide_password=False)


def _pg_admin() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _schema_and_seed(url: str) -> None:
    from legacy_flask import create_app

    app = create_app({"DATABASE_URL": url, "TESTING": True})
    app.extensions["db_engine"].dispose()
    seed_database(url, scale="small", seed=SEED)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite3"
    _schema_and_seed(f"sqlite:///{path}")
    return path


def require_postgres(admin: sa.Engine | None = None) -> None:
    """Fail (HARNESS_REQUIRE_POSTGRES=1, as in CI) or skip the test when PostgreSQL does not answer."""
    engine = admin or _pg_admin()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:  # pragma: no cover - depends on the machine
        engine.dispose()
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (HARNESS_REQUIRE_POSTGRES=1) but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
    if admin is None:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The test PostgreSQL server's admin URL, once it has answered (fails in CI, skips locally otherwise)."""
    require_postgres()
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    admin = _pg_admin()
    require_postgres(admin)
    name = f"harness_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    _schema_and_seed(_pg_url(name))
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def seeded_database(request, engine: str, directory: Path) -> Iterator[str]:
    """The URL of a new copy of the seeded template of `engine` ("sqlite" under `directory`, or "postgres"),
    dropped afterwards. For fixtures of any scope (the templates are session-scoped)."""
    if engine == "sqlite":
        path = directory / "db.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"harness_t_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- a recycled PostgreSQL database ------------------------------------------------------------------------------
# Tests that never change the schema (the API routes, the Socket.IO channel, the course cache) need not clone the
# template for every test (CREATE DATABASE and DROP DATABASE cost about a second together): each test process keeps
# one database and puts the seed rows back before every test: DELETE every row, then copy from a snapshot of the
# seeded tables kept in a schema of its own. DELETE, not TRUNCATE: on a few hundred rows it takes ~20 ms where
# TRUNCATE's new relation files take ~300 ms. Foreign keys are not checked while the rows go back
# (session_replication_role = replica), so the order of the tables does not matter.
SNAPSHOT = "seed_snapshot"


@pytest.fixture(scope="session")
def pg_recycled(request):
    with seeded_database(request, "postgres", None) as url:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            conn.execute(sa.text(f'CREATE SCHEMA "{SNAPSHOT}"'))
            for table in tables:
                conn.execute(sa.text(f'CREATE TABLE "{SNAPSHOT}"."{table}" AS TABLE public."{table}"'))
        yield url, engine, tables
        engine.dispose()


def _reset(engine: sa.Engine, tables: list[str]) -> None:
    with engine.connect() as conn:  # connections a previous test left open could hold row locks DELETE waits for
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    with engine.execution_options(isolation_level="READ COMMITTED").begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))  # rows go back in any order
        for table in tables:
            conn.execute(sa.text(f'DELETE FROM public."{table}"'))
        for table in tables:
            conn.execute(sa.text(f'INSERT INTO public."{table}" SELECT * FROM "{SNAPSHOT}"."{table}"'))


@pytest.fixture(params=ENGINES)
def recycled_db_url(request, tmp_path) -> Iterator[str]:
    """Like `db_url` (a seeded database, fresh for the test), with PostgreSQL recycled: for tests that change
    rows only, never the schema. A folder opts in with `def db_url(recycled_db_url): return recycled_db_url`."""
    if request.param == "sqlite":
        with seeded_database(request, "sqlite", tmp_path) as url:
            yield url
        return
    url, engine, tables = request.getfixturevalue("pg_recycled")
    _reset(engine, tables)
    yield url


@pytest.fixture(params=ENGINES)
def db_url(request, tmp_path) -> Iterator[str]:
    """A freshly seeded database (scale small, seed 0), new for every test."""
    with seeded_database(request, request.param, tmp_path) as url:
        yield url


@pytest.fixture
def app_config(db_url, tmp_path) -> dict[str, Any]:
    # Signups hash at the seed's PBKDF2 cost: werkzeug's default takes ~0.25 s a hash (same format either way).
    return {"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
            "UPLOAD_ROOT": str(tmp_path / "uploads"), "REDIS_URL": None, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000"}


@pytest.fixture
def app(app_config):
    from legacy_flask import create_app

    application = create_app(app_config)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def db(app):
    """A SQLAlchemy session on the test's database, for asserting what a request wrote."""
    from sqlalchemy.orm import Session

    with Session(app.extensions["db_engine"]) as s:
        yield s


class Caller:
    """A client of the API as one user: logs in, then sends every request with its cookies, adding
    X-CSRF-Token on unsafe methods (cookie mode) or the Bearer header (bearer mode)."""

    def __init__(self, app, via: str = "cookie") -> None:
        self.client = app.test_client()
        self.via = via
        self.csrf: str | None = None
        self.access_token: str | None = None
        self.session_id: str | None = None
        self.user: dict | None = None

    def login(self, email: str, password: str):
        resp = self.client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert resp.status_code == 200, resp.get_json()
        data = resp.get_json()["data"]
        self.csrf, self.access_token = data["csrf_token"], data["access_token"]
        self.session_id, self.user = data["session_id"], data["user"]
        if self.via == "bearer":
            self.client.delete_cookie("access_token")
            self.client.delete_cookie("refresh_token")
        return resp

    def request(self, method: str, path: str, *, csrf: bool = True, headers: dict | None = None, **kw):
        headers = dict(headers or {})
        if self.via == "bearer" and self.access_token:
            headers.setdefault("Authorization", f"Bearer {self.access_token}")
        elif csrf and self.csrf and method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:
            headers.setdefault("X-CSRF-Token", self.csrf)
        return self.client.open(path, method=method.upper(), headers=headers, **kw)

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw):
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)


def _caller(app, account: accounts.Account, via: str = "cookie") -> Caller:
    c = Caller(app, via)
    c.login(account.email, account.password)
    return c


@pytest.fixture
def anon(app) -> Caller:
    return Caller(app)


@pytest.fixture
def student(app) -> Caller:
    return _caller(app, accounts.STUDENT)


@pytest.fixture
def student2(app) -> Caller:
    return _caller(app, accounts.STUDENT2)


@pytest.fixture
def instructor(app) -> Caller:
    return _caller(app, accounts.INSTRUCTOR)


@pytest.fixture
def instructor2(app) -> Caller:
    return _caller(app, accounts.INSTRUCTOR2)


@pytest.fixture
def admin(app) -> Caller:
    return _caller(app, accounts.ADMIN)


@pytest.fixture
def make_caller(app):
    """make_caller(account, via="bearer") for a second session or another transport."""
    return lambda account, via="cookie": _caller(app, account, via)


@dataclass(frozen=True)
class Seeded:
    """Ids of the small seed (seed 0) that tests refer to by role, not by value."""

    graph: Graph

    def user_id(self, account: accounts.Account) -> str:
        g = self.graph
        if account is accounts.ADMIN:
            return g.user_id(0)
        if account in accounts.INSTRUCTORS:
            return g.user_id(g.instructor_user(accounts.INSTRUCTORS.index(account)))
        return g.user_id(g.student_user(accounts.STUDENTS.index(account)))

    # instructor owns courses 0 (published; student enrolled), 1 (published; student not enrolled), 2 (draft).
    # instructor2 owns courses 3, 4 (published; student2 enrolled in 3) and 5 (draft).
    @property
    def enrolled_course(self) -> str:
        return self.graph.course_id(0)

    @property
    def open_course(self) -> str:
        return self.graph.course_id(1)

    @property
    def draft_course(self) -> str:
        return self.graph.course_id(2)

    @property
    def other_instructor_course(self) -> str:
        return self.graph.course_id(3)

    def video_ids(self, course: int = 0) -> list[str]:
        g = self.graph
        from harness.seed.ids import seeded_uuid

        return [seeded_uuid(SEED, "videos", g.video_index(course, k)) for k in range(g.videos_per_course())]

    def quiz_id(self, course: int = 0, video: int = 0) -> str:
        from harness.seed.ids import seeded_uuid

        return seeded_uuid(SEED, "quizzes", self.graph.video_index(course, video))

    def section_ids(self, course: int = 0) -> list[str]:
        from harness.seed.ids import seeded_uuid

        n = self.graph.scale.sections_per_course
        return [seeded_uuid(SEED, "course_sections", course * n + k) for k in range(n)]

    def media_ids(self, instructor_index: int = 0) -> list[str]:
        """instructor's media: [0] assigned to section 0 of course 0, the others unassigned videos."""
        from harness.seed.ids import seeded_uuid

        n = self.graph.scale.media_per_instructor
        return [seeded_uuid(SEED, "media_files", instructor_index * n + m) for m in range(n)]


@pytest.fixture(scope="session")
def seeded() -> Seeded:
    return Seeded(Graph(SCALES["small"], SEED))


class SqlCounter:
    """Counts the SQL statements sent on an engine while the block runs (the N+1 guard)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, _conn, _cursor, statement, _params, _context, _executemany) -> None:
        self.statements.append(statement)

    def __enter__(self) -> SqlCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    def __len__(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_sql(app):
    """`with count_sql() as sql: caller.get(...)`, then `assert len(sql) < 10, sql.statements`."""
    return lambda: SqlCounter(app.extensions["db_engine"])


REDIS_URL = os.environ.get("HARNESS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url(worker_id) -> Iterator[str]:
    """A real Redis database of this test process's own (flushed before and after): the configured
    one for the first pytest-xdist worker, the ones below it for the others. Required in CI."""
    with flushed_redis(worker_id) as url:
        yield url


@contextmanager
def flushed_redis(worker_id: str) -> Iterator[str]:
    """The body of `redis_url`, for fixtures of any scope."""
    import redis

    index = int(worker_id.removeprefix("gw")) if worker_id.startswith("gw") else 0
    parsed = sa.engine.make_url(REDIS_URL)  # same URL grammar: redis://host:port/db
    url = str(parsed.set(database=str(int(parsed.database or 0) - index)))
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:  # pragma: no cover - depends on the machine
        if REQUIRE_PG:
            pytest.fail(f"Redis is required in CI but unreachable at {url}: {exc}")
        pytest.skip(f"Redis unreachable at {url}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def row_counts(url: str) -> dict[str, int]:
    """Rows per seeded table of the database at `url`."""
    from harness.seed.writer import SEED_TABLES

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar() for t in SEED_TABLES}
    finally:
        engine.dispose()


def db_state(db) -> dict[str, tuple]:
    """Row count and version sum of every table: any insert, update or delete changes it."""
    db.expire_all()
    out = {}
    for table in sa.inspect(db.get_bind()).get_table_names():
        has_version = "version" in {c["name"] for c in sa.inspect(db.get_bind()).get_columns(table)}
        cols = "count(*), coalesce(sum(version), 0)" if has_version else "count(*), 0"
        out[table] = tuple(db.execute(sa.text(f'SELECT {cols} FROM "{table}"')).one())
    db.rollback()
    return out


# --- API.md's envelope and shared objects, as the route tests assert them ------------------------

def send(caller: Caller, method: str, path: str, body, **kw):
    """`caller`'s request by the method's name ("get", "post", ...), with `body` as JSON unless it is None."""
    return getattr(caller, method)(path, **({"json": body} if body is not None else {}), **kw)


def data(resp, status: int = 200) -> dict:
    """The `data` of a success envelope, after checking the status and the envelope."""
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["ok"] is True and body["success"] is True
    return body["data"]


def error(resp, status: int, code: str, field: str | None = None) -> dict:
    """The `error` of an error envelope, after checking status, envelope, code and (optionally) the field."""
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["ok"] is False and body["success"] is False and body["error"]["code"] == code, body
    if field is not None:
        assert body["error"]["details"]["field"] == field, body
    return body["error"]


#: Key sets of the shared response objects of API.md §2.
USER_KEYS = {"id", "email", "username", "full_name", "display_name", "avatar_url", "phone", "bio", "status",
             "email_verified", "roles", "permissions", "metadata", "last_login_at", "created_at", "updated_at"}
SESSION_KEYS = {"id", "ip_address", "user_agent", "device_info", "is_active", "is_current", "created_at",
                "last_activity", "expires_at"}
INSTRUCTOR_KEYS = {"id", "name", "email", "avatar", "bio", "expertise", "coursesCount", "studentsCount"}
SUMMARY_KEYS = {"id", "title", "description", "shortDescription", "thumbnailUrl", "instructor", "price", "currency",
                "duration", "difficulty", "language", "category", "tags", "videos", "enrollmentCount", "rating",
                "ratingCount", "isPublished", "isFree", "status", "publishedAt", "createdAt", "updatedAt"}
DETAIL_KEYS = SUMMARY_KEYS | {"sections", "prerequisites", "learningOutcomes", "targetAudience", "courseStructure",
                              "seoMetadata", "version"}
VIDEO_KEYS = {"id", "courseId", "sectionId", "mediaFileId", "title", "description", "duration", "order", "videoUrl",
              "videoProvider", "thumbnailUrl", "transcript", "transcriptUrl", "subtitlesUrl", "isPreview",
              "isDownloadable", "resources", "quizPoints", "createdAt", "updatedAt"}
QUIZ_PUBLIC_KEYS = {"id", "timestamp", "question", "options"}
SECTION_KEYS = {"id", "courseId", "title", "description", "order", "isPublished", "isPreview", "createdAt", "updatedAt"}
REVIEW_KEYS = {"id", "userId", "userName", "userAvatar", "courseId", "rating", "title", "comment", "pros", "cons",
               "helpful", "verified", "createdAt", "updatedAt"}
