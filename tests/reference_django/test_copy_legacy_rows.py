"""`manage.py copy_legacy_rows --from <legacy URL>` (reference_django/common/management/commands): the copy path
of the cut-over. Every row of the 21 tables arrives identical (the harness's row differ says so), in batches,
in one transaction, from a source it only reads; a target with rows is refused unless --truncate; a copy that
loses rows on the way keeps nothing. SQLite and PostgreSQL (the `db_url` param); Django runs as in production,
in a subprocess configured by DATABASE_URL, except where a test breaks the command from inside."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.data.census import take_census
from harness.data.rows import diff_rows
from harness.seed import accounts, planned_rows
from tests.conftest import _pg_url
from tests.reference_django.test_schema import PROJECT_ROOT, migrate
from tests.scratch_databases import empty_database_beside, orphan_statements

SETTINGS = "reference_django.config.settings.base"


@pytest.fixture
def target(db_url, tmp_path):
    """An empty database on the engine of the seeded `db_url`, migrated."""
    with empty_database_beside(db_url, tmp_path) as url:
        migrate(url)
        yield url


def copy_rows(target: str, source: str, *options: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "DATABASE_URL": target}
    return subprocess.run([sys.executable, "-m", "reference_django.manage", "copy_legacy_rows", "--from", source,
                           *options], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)


def scalar(url: str, sql: str):
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()


def run_sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def fingerprint(url: str) -> str | None:
    """The SQLite file's bytes (None on PostgreSQL): a source that was only read keeps them."""
    parsed = sa.engine.make_url(url)
    return hashlib.sha256(Path(parsed.database).read_bytes()).hexdigest() if parsed.get_backend_name() == "sqlite" \
        else None


def test_every_row_of_every_table_arrives_identical(db_url, target):
    before = fingerprint(db_url)

    done = copy_rows(target, db_url, "--batch-size", "4")

    assert done.returncode == 0, done.stderr
    expected = sum(planned_rows("small").values())
    assert f"Copied {expected} rows in 21 tables" in done.stdout
    report = diff_rows(db_url, target)
    assert report.clean and report.rows == expected and len(report.tables) == 21
    # A JSON null stays a JSON null (the legacy app stores None that way), never SQL NULL; a SQL NULL stays one.
    sql_nulls = "SELECT count(*) FROM courses WHERE course_structure IS NULL"
    assert scalar(target, sql_nulls) == scalar(db_url, sql_nulls) == 1  # the seed's NULL-heavy course
    assert fingerprint(db_url) == before


@pytest.mark.postgres
def test_rows_cross_engines_through_their_fields(db_url, tmp_path, request):
    """SQLite to PostgreSQL and back: values go through each field's conversion (booleans, timestamps, JSON)."""
    request.getfixturevalue("pg_template")  # the other engine of a SQLite source is PostgreSQL: skip without it
    other_engine = _pg_url("postgres") if db_url.startswith("sqlite") else "sqlite:///unused.sqlite3"
    with empty_database_beside(other_engine, tmp_path) as target:
        migrate(target)
        done = copy_rows(target, db_url)
        assert done.returncode == 0, done.stderr
        assert diff_rows(db_url, target).clean


def test_a_target_with_rows_is_refused_unless_truncate(db_url, target):
    assert copy_rows(target, db_url).returncode == 0

    again = copy_rows(target, db_url)

    assert again.returncode != 0
    assert "already holds rows in users" in again.stderr and "--truncate" in again.stderr
    assert diff_rows(db_url, target).clean  # nothing doubled, nothing lost
    truncated = copy_rows(target, db_url, "--truncate")
    assert truncated.returncode == 0, truncated.stderr
    assert "Emptied 21 table(s) first" in truncated.stdout and diff_rows(db_url, target).clean


def test_a_table_that_fails_rolls_back_the_whole_copy(db_url, target, seeded):
    run_sql(db_url, *orphan_statements(db_url, "users", seeded.user_id(accounts.STUDENT2)))
    orphaned = {o.table for o in take_census(db_url).orphans}

    done = copy_rows(target, db_url)

    assert done.returncode != 0
    failed = done.stderr.split("copying ", 1)[1].split(" ", 1)[0]
    assert failed in orphaned, done.stderr
    assert take_census(target).rows == 0  # the parents copied before it are gone again


def test_rows_lost_on_the_way_fail_the_copy_and_keep_nothing(db_url, target, app_config, monkeypatch):
    from django.core.management import CommandError, call_command

    from reference_django.common.management.commands import copy_legacy_rows
    from tests.apps import build_app, close_app

    real = copy_legacy_rows.read_batches

    def lossy(source, table, fields, key, batch_size):
        for batch in real(source, table, fields, key, batch_size):
            yield batch[1:] if table == "reviews" else batch

    monkeypatch.setattr(copy_legacy_rows, "read_batches", lossy)
    django = build_app("django", {**app_config, "DATABASE_URL": target})
    reviews = planned_rows("small")["reviews"]
    try:
        with pytest.raises(CommandError, match=rf"reviews: the source holds {reviews} rows, {reviews - 1} were "
                                               r"copied .* nothing was kept"):
            call_command("copy_legacy_rows", "--from", db_url, verbosity=0)
    finally:
        close_app(django)
    assert take_census(target).rows == 0


def test_a_bad_source_is_a_one_line_error(target, tmp_path):
    missing = copy_rows(target, f"sqlite:///{tmp_path / 'nowhere.sqlite3'}")
    assert missing.returncode != 0 and "no SQLite database file at" in missing.stderr
    scheme = copy_rows(target, "mysql://legacy/db")
    assert scheme.returncode != 0 and "unsupported scheme 'mysql'" in scheme.stderr


def test_the_command_reads_without_the_legacy_app_or_sqlalchemy(db_url, target):
    probe = ("import sys, django; django.setup(); from django.core.management import call_command; "
             f"call_command('copy_legacy_rows', '--from', {db_url!r}, verbosity=0); "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'legacy_flask', 'sqlalchemy', 'flask'}))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "DATABASE_URL": target}
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
