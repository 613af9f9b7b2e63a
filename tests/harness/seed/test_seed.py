"""The seed data: deterministic, the same on every engine, usable by the tests that rely on it."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from harness.seed import SCALES, SeedError, accounts, build, planned_rows, seed_database
from harness.seed.writer import SEED_TABLES, reflect


def _normalise(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, (float, Decimal)):
        return round(float(value), 6)
    return value


def dump(url: str) -> dict:
    """Every row of every seeded table, ordered by id, engine differences normalised away.

    Also counts SQL NULLs per JSON column: JSON null and SQL NULL read back alike, but they are
    not the same data, and the COPY path must store what the INSERT path stores.
    """
    engine = sa.create_engine(url)
    try:
        md = reflect(engine)
        out: dict = {}
        with engine.connect() as conn:
            for name in SEED_TABLES:
                table = md.tables[name]
                rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
                out[name] = [{k: _normalise(v) for k, v in row.items()} for row in rows]
                for column in table.c:
                    if isinstance(column.type, sa.JSON):
                        out[f"{name}.{column.name} IS NULL"] = conn.execute(
                            sa.select(sa.func.count()).select_from(table).where(column.is_(None))).scalar()
        return out
    finally:
        engine.dispose()


def _sqlite_with_schema(path) -> str:
    from legacy_flask import create_app

    url = f"sqlite:///{path}"
    create_app({"DATABASE_URL": url, "TESTING": True, "REDIS_URL": None}).extensions["db_engine"].dispose()
    return url


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """A dump of scale small, seed 0, written by this process into a fresh SQLite file."""
    url = _sqlite_with_schema(tmp_path_factory.mktemp("ref") / "ref.sqlite3")
    seed_database(url, scale="small", seed=0)
    return dump(url)


# -- determinism ------------------------------------------------------------------------------------

def test_reference_dump_holds_every_seeded_table(reference):
    assert {t for t in SEED_TABLES if reference[t]} == set(SEED_TABLES)


def test_same_seed_gives_identical_rows_in_this_process_and_another(reference, tmp_path):
    again = _sqlite_with_schema(tmp_path / "again.sqlite3")
    seed_database(again, scale="small", seed=0)
    other_process = _sqlite_with_schema(tmp_path / "other.sqlite3")
    done = subprocess.run([sys.executable, "-m", "harness.cli", "seed", "--db", other_process, "--quiet"],
                          capture_output=True, text=True, check=False, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert done.returncode == 0, done.stderr

    assert dump(again) == reference
    assert dump(other_process) == reference


def test_postgres_copy_and_sqlite_insert_store_the_same_rows(db_url, reference):
    """conftest seeds each engine with seed_database(small, 0): COPY on PostgreSQL, INSERT on SQLite."""
    assert dump(db_url) == reference


def test_different_seed_gives_different_ids_but_the_same_accounts():
    def ids_and_emails(seed: int) -> tuple[dict[str, set[str]], set[str]]:
        ids: dict[str, set[str]] = {}
        emails: set[str] = set()
        for table, rows in build(SCALES["small"], seed):
            ids.setdefault(table, set()).update(r["id"] for r in rows)
            emails.update(r["email"] for r in rows if table == "users")
        return ids, emails

    ids0, emails0 = ids_and_emails(0)
    ids1, emails1 = ids_and_emails(1)
    assert ids0.keys() == ids1.keys()
    for table in ids0:
        assert ids0[table].isdisjoint(ids1[table]), table
    assert {a.email for a in accounts.DOCUMENTED} <= emails0 == emails1


@pytest.mark.parametrize("scale", ["small", "medium"])
def test_planned_rows_are_what_the_builder_yields(scale):
    built: dict[str, int] = {}
    for table, rows in build(SCALES[scale], 0):
        built[table] = built.get(table, 0) + len(rows)
    assert planned_rows(scale, 0) == built


def test_large_scale_has_at_least_a_million_rows():
    assert sum(planned_rows("large", 0).values()) >= 1_000_000


# -- the PostgreSQL bulk load -------------------------------------------------------------------------

def _catalog(conn: sa.Connection) -> dict[str, list[tuple]]:
    return {
        "constraints": conn.execute(sa.text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2")).all(),
        "indexes": conn.execute(sa.text(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index AS i "
            "JOIN pg_class AS c ON c.oid = i.indrelid WHERE c.relnamespace = current_schema()::regnamespace "
            "ORDER BY 1")).all(),
    }


def _counts(conn: sa.Connection) -> dict[str, int]:
    return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar() for t in SEED_TABLES}


postgres_only = pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                        indirect=True)


@postgres_only
def test_postgres_bulk_load_leaves_every_constraint_and_index_as_it_was(db_url):
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        before, counts = _catalog(conn), _counts(conn)
    report = seed_database(engine, scale="small", seed=0, reset=True)
    with engine.connect() as conn:
        after = _catalog(conn)
        assert _counts(conn) == counts
        # The foreign keys were re-validated, not merely re-declared.
        assert conn.execute(sa.text("SELECT count(*) FROM pg_constraint WHERE NOT convalidated")).scalar() == 0
    engine.dispose()

    assert report.method == "copy"
    assert len(before["constraints"]) > 40 and len(before["indexes"]) > 60
    assert after == before


def test_a_failed_seed_leaves_data_and_schema_unchanged(db_url):
    engine = sa.create_engine(db_url)
    postgres = engine.dialect.name == "postgresql"

    def state() -> tuple:
        with engine.connect() as conn:
            return _catalog(conn) if postgres else None, dump(db_url)

    def fail_at_videos(table: str, _rows: int) -> None:
        if table == "videos":
            raise RuntimeError("disk full")

    before = state()
    with pytest.raises(RuntimeError, match="disk full"):
        seed_database(engine, scale="small", seed=1, reset=True, progress=fail_at_videos)
    after = state()
    engine.dispose()
    assert after == before


# -- what the rest of the suite relies on -------------------------------------------------------------

@pytest.mark.parametrize("account", accounts.DOCUMENTED, ids=lambda a: a.key)
def test_documented_accounts_log_in_with_their_documented_passwords(make_caller, account):
    caller = make_caller(account)  # asserts 200 on POST /api/v1/auth/login
    assert caller.user["email"] == account.email
    assert caller.user["full_name"] == account.full_name
    assert {r["name"] for r in caller.user["roles"]} == set(account.roles)


def test_generated_users_log_in_with_the_generated_password(anon):
    resp = anon.post("/api/v1/auth/login", json={"email": "student3@seed.unpuzzle.test",
                                                  "password": accounts.GENERATED_PASSWORD})
    assert resp.status_code == 200, resp.get_json()
    wrong = anon.post("/api/v1/auth/login", json={"email": "student3@seed.unpuzzle.test",
                                                   "password": accounts.STUDENT.password})
    assert wrong.status_code == 401


def test_small_seed_has_the_relationships_the_suite_relies_on(db, seeded):
    def one(sql: str, **params):
        return db.execute(sa.text(sql), params).one()

    def course(course_id: str):
        return one("SELECT instructor_id, status, is_published FROM courses WHERE id = :id", id=course_id)

    def enrolled(account: accounts.Account, course_id: str) -> bool:
        return db.execute(sa.text("SELECT count(*) FROM enrollments WHERE user_id = :u AND course_id = :c "
                                  "AND status = 'active' AND NOT is_deleted"),
                          {"u": seeded.user_id(account), "c": course_id}).scalar() == 1

    instructor, instructor2 = seeded.user_id(accounts.INSTRUCTOR), seeded.user_id(accounts.INSTRUCTOR2)
    assert tuple(course(seeded.enrolled_course)) == (instructor, "published", True)
    assert tuple(course(seeded.open_course)) == (instructor, "published", True)
    assert tuple(course(seeded.draft_course)) == (instructor, "draft", False)
    assert tuple(course(seeded.other_instructor_course)) == (instructor2, "published", True)
    assert enrolled(accounts.STUDENT, seeded.enrolled_course)
    assert not enrolled(accounts.STUDENT, seeded.open_course)
    assert enrolled(accounts.STUDENT2, seeded.other_instructor_course)

    videos = db.execute(sa.text('SELECT id, course_id, section_id, "order" FROM videos WHERE course_id = :c '
                                'ORDER BY "order"'), {"c": seeded.enrolled_course}).all()
    assert [v.id for v in videos] == seeded.video_ids(0)
    sections = seeded.section_ids(0)
    assert {v.section_id for v in videos} == set(sections)
    assert {r.course_id for r in db.execute(sa.text("SELECT course_id FROM course_sections WHERE id IN :ids")
                                            .bindparams(sa.bindparam("ids", expanding=True)), {"ids": sections})} \
        == {seeded.enrolled_course}
    quiz = one("SELECT video_id, course_id FROM quizzes WHERE id = :id", id=seeded.quiz_id(0, 1))
    assert tuple(quiz) == (seeded.video_ids(0)[1], seeded.enrolled_course)

    media = [one("SELECT user_id, course_id, course_section_id FROM media_files WHERE id = :id", id=m)
             for m in seeded.media_ids(0)]
    assert len(media) >= 2 and {m.user_id for m in media} == {instructor}
    assert tuple(media[0])[1:] == (seeded.enrolled_course, sections[0])
    assert all(m.course_id is None and m.course_section_id is None for m in media[1:])

    student = seeded.user_id(accounts.STUDENT)
    assert db.execute(sa.text("SELECT count(*) FROM video_progress WHERE user_id = :u"), {"u": student}).scalar() == 0
    assert db.execute(sa.text("SELECT count(*) FROM reviews WHERE user_id = :u"), {"u": student}).scalar() == 0


def test_seeding_refuses_a_database_that_already_holds_rows(db_url):
    with pytest.raises(SeedError, match="already holds rows"):
        seed_database(db_url, scale="small", seed=0)
