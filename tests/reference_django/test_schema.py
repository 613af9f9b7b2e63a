"""The reference Django app's migrations build the legacy schema (SCHEMA.md) and adopt a legacy database.

Schemas are compared with the harness's own differ (harness/data/schema.py: by definition, every
severity counts), so the port is held to the standard `harness data` applies. Django runs in a
subprocess per command, configured by DATABASE_URL as in production.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.data.schema import SchemaSnapshot, diff, reflect
from harness.seed import database_url, seed_database
from harness.seed.writer import SEED_TABLES
from reference_django.common.migration_ops import set_fk_clause
from tests.conftest import _pg_admin, _pg_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEGACY_TABLES = SEED_TABLES  # the 21 tables of SCHEMA.md §2
LINK_TABLES = {"user_roles", "role_permissions", "user_permissions"}  # no +M columns, so no version
INITIAL_MIGRATIONS = ("accounts.0001_initial", "courses.0001_initial", "courses.0002_initial", "media.0001_initial",
                      "learning.0001_initial", "ai.0001_initial")


def manage(url: str, *args: str) -> str:
    """Run `python -m reference_django.manage <args>` on the database at `url`; its stdout."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reference_django.config.settings.base", "DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "reference_django.manage", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def migrate(url: str, *args: str) -> str:
    # System checks cover the URL layer too; test_manage_check_is_clean_... runs them on their own.
    return manage(url, "migrate", "--no-input", "--skip-checks", *args)


def build_legacy_schema(url: str) -> None:
    from legacy_flask import create_app

    create_app({"DATABASE_URL": url, "TESTING": True}).extensions["db_engine"].dispose()


def row_state(url: str) -> dict[str, tuple[int, int]]:
    """Row count and version sum of each legacy table: any insert, update or delete changes it."""
    engine = sa.create_engine(database_url(url))
    state = {}
    try:
        with engine.connect() as conn:
            for table in LEGACY_TABLES:
                versions = "0" if table in LINK_TABLES else "coalesce(sum(version), 0)"
                state[table] = tuple(conn.execute(sa.text(f'SELECT count(*), {versions} FROM "{table}"')).one())
    finally:
        engine.dispose()
    return state


def constraint_names(snapshot: SchemaSnapshot) -> set[tuple[str, str, str | None]]:
    out: set[tuple[str, str, str | None]] = set()
    for name in LEGACY_TABLES:
        table = snapshot.tables[name]
        out |= {(name, "foreign key", fk.name) for fk in table.foreign_keys}
        out |= {(name, "unique", u.name) for u in table.uniques}
        out |= {(name, "check", c.name) for c in table.checks}
        out |= {(name, "index", i.name) for i in table.indexes}
    return out


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_database(request, tmp_path) -> Iterator[Callable[[], str]]:
    """A factory of empty databases on one engine, all dropped after the test."""
    created: list[str] = []
    admin = None
    if request.param == "postgres":
        request.getfixturevalue("pg_template")  # skips (or fails in CI) when PostgreSQL is unreachable
        admin = _pg_admin()

    def make() -> str:
        if request.param == "sqlite":
            created.append(f"sqlite:///{tmp_path / f'scratch{len(created)}.sqlite3'}")
            return created[-1]
        name = f"harness_dj_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return _pg_url(name)

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrated_url(new_database) -> str:
    """An empty database after `manage.py migrate`."""
    url = new_database()
    migrate(url)
    return url


def test_migrate_builds_the_legacy_schema(new_database, migrated_url):
    legacy_url = new_database()
    build_legacy_schema(legacy_url)
    legacy, candidate = reflect(legacy_url), reflect(migrated_url)

    assert set(LEGACY_TABLES) <= set(candidate.tables) and len(LEGACY_TABLES) == 21
    assert diff(legacy, candidate) == []
    # Matched by definition above; the names SCHEMA.md gives (and the proposed ones) are kept too.
    assert constraint_names(candidate) == constraint_names(legacy)


def test_fake_initial_adopts_a_seeded_legacy_database_unchanged(db_url):
    schema_before, rows_before = reflect(db_url), row_state(db_url)

    output = migrate(db_url, "--fake-initial")

    for migration in INITIAL_MIGRATIONS:
        assert f"{migration}... FAKED" in output
    assert diff(schema_before, reflect(db_url)) == []
    assert row_state(db_url) == rows_before
    assert "No migrations to apply" in migrate(db_url)


def test_legacy_ddl_migration_restores_what_django_rewrote(migrated_url):
    """A later Django operation on `courses` rewrites its FK without ON DELETE (and, on PostgreSQL, brings
    back the `_like` index); re-running the app's legacy-DDL migration puts the legacy DDL back."""
    reference = reflect(migrated_url)
    manage(migrated_url, "shell", "-c", "\n".join([
        "from django.db import connection",
        "from reference_django.courses.models import Course",
        "with connection.schema_editor() as editor:",
        "    if connection.vendor == 'sqlite':",
        "        editor._remake_table(Course)",  # what any AlterField on courses does on SQLite
        "    else:",
        "        editor.execute('ALTER TABLE courses DROP CONSTRAINT courses_instructor_id_fkey')",
        "        editor.execute(editor._create_fk_sql(Course, Course._meta.get_field('instructor'), '_fk'))",
        "        editor.execute(editor._create_like_index_sql(Course, Course._meta.pk))",
    ]))
    broken = diff(reference, reflect(migrated_url))
    assert ("foreign_key_action", "courses") in {(d.kind, d.table) for d in broken}

    migrate(migrated_url, "courses", "0002_initial")  # unapplying the legacy-DDL migration changes nothing
    migrate(migrated_url)

    assert diff(reference, reflect(migrated_url)) == []


def test_deleting_a_course_cascades_as_the_legacy_ddl_says(migrated_url, seeded):
    """Rows deleted by plain SQL (another writer, the legacy app) get the DB's ON DELETE actions."""
    seed_database(migrated_url, scale="small", seed=0)
    course, section_media = seeded.enrolled_course, seeded.media_ids()[0]
    engine = sa.create_engine(database_url(migrated_url))
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.execute(sa.text("DELETE FROM courses WHERE id = :id"), {"id": course})
            counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t} WHERE course_id = :id"), {"id": course})
                      .scalar_one() for t in ("course_sections", "videos", "enrollments", "media_files")}
            media = conn.execute(sa.text("SELECT course_id, course_section_id FROM media_files WHERE id = :id"),
                                 {"id": section_media}).one()
    finally:
        engine.dispose()
    assert counts == {"course_sections": 0, "videos": 0, "enrollments": 0, "media_files": 0}
    assert tuple(media) == (None, None)  # SET NULL, not deleted with the course or its section


def test_manage_check_is_clean_and_migrations_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    assert "no issues" in manage(url, "check")
    assert "No changes detected" in manage(url, "makemigrations", "--check", "--dry-run")


# --- the SQLite FK rewrite of common/migration_ops.py -------------------------------------------------

DJANGO_TABLE = ('CREATE TABLE "notes" ("id" varchar(36) NOT NULL PRIMARY KEY, '
                '"body" text DEFAULT \'a, (b)\' NOT NULL CHECK ((JSON_VALID("body") OR "body" IS NULL)), '
                '"user_id" varchar(36) NOT NULL REFERENCES "users" ("id") DEFERRABLE INITIALLY DEFERRED, '
                'CONSTRAINT "ck_notes__kind" CHECK ("body" IN (\'x\', \'y\')))')
SQLALCHEMY_TABLE = ("CREATE TABLE notes (\n\tid VARCHAR(36) NOT NULL, \n\tuser_id VARCHAR(36), \n\tPRIMARY KEY (id), "
                    "\n\tFOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL\n)")


def _sqlite_fks(create_sql: str, path: Path) -> tuple[list[tuple[str, str]], dict]:
    """(column, on_delete) pairs SQLite enforces on `notes`, and its FK as SQLAlchemy's inspector reads it."""
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE users ("id" varchar(36) PRIMARY KEY)')
        conn.execute(create_sql)
        enforced = [(row[3], row[6]) for row in conn.execute("PRAGMA foreign_key_list(notes)")]
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        (reflected,) = sa.inspect(engine).get_foreign_keys("notes")
    finally:
        engine.dispose()
    return enforced, reflected


def test_set_fk_clause_moves_djangos_inline_fk_to_a_table_constraint_with_on_delete(tmp_path):
    rewritten = set_fk_clause(DJANGO_TABLE, "user_id", "CASCADE", "fk_notes_user")

    enforced, reflected = _sqlite_fks(rewritten, tmp_path / "fk.sqlite3")
    assert enforced == [("user_id", "CASCADE")]
    assert reflected["name"] == "fk_notes_user" and reflected["options"] == {"ondelete": "CASCADE"}
    assert "DEFERRABLE" not in rewritten
    assert "DEFAULT 'a, (b)'" in rewritten and "CHECK (\"body\" IN ('x', 'y'))" in rewritten


def test_set_fk_clause_replaces_the_action_of_a_table_constraint(tmp_path):
    rewritten = set_fk_clause(SQLALCHEMY_TABLE, "user_id", "CASCADE")

    assert _sqlite_fks(rewritten, tmp_path / "fk.sqlite3")[0] == [("user_id", "CASCADE")]
    assert "SET NULL" not in rewritten


def test_set_fk_clause_refuses_a_column_without_a_foreign_key():
    with pytest.raises(ValueError, match="no foreign key on column 'id'"):
        set_fk_clause(DJANGO_TABLE, "id", "CASCADE")
