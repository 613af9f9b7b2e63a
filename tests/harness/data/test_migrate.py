"""`harness data migrate-check` (harness/data/migrate*.py, census.py, cli_paths.py): the real migration paths of
reference_django pass on the seeded legacy database, and every fault a path can bring is reported, named by
table (and column): a copy that drops a table's rows or alters a value, an orphaned FK row, a --fake-initial
run that changes the schema, loses soft-deleted rows or rows. SQLite and PostgreSQL (the `db_url` param)."""
from __future__ import annotations

import json
import sys

import jsonschema
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import harness.data.cli_paths  # noqa: E402,F401 - registers migrate-check on the `data` group
from harness.core.results import SCHEMA_PATH, latest_run
from harness.data import migrate
from harness.data.census import take_census
from harness.data.cli import data
from harness.data.connect import DataInputError
from harness.data.migrate import DjangoCommands, MigrateOptions, check_migration
from harness.seed import accounts
from tests.scratch_databases import empty_database_beside, orphan_statements

#: The bundled candidate's manage command: the harness names no app, its callers pass the candidate's.
BUNDLED = DjangoCommands(manage=("{python}", "-m", "reference_django.manage"),
                         env={"DJANGO_SETTINGS_MODULE": "reference_django.config.settings.base"})
BUNDLED_FLAGS = ("--manage", "{python} -m reference_django.manage",
                 "--settings-module", "reference_django.config.settings.base")


@pytest.fixture
def empty_url(db_url, tmp_path):
    """An empty database on the engine of the seeded `db_url`: the copy path's target."""
    with empty_database_beside(db_url, tmp_path) as url:
        yield url


@pytest.fixture
def soft_deleted(db_url, run_sql, seeded) -> int:
    """The soft-deleted rows of the legacy database: the seed's, a course and a review more."""
    run_sql(db_url, f"UPDATE courses SET is_deleted = TRUE, deleted_at = CURRENT_TIMESTAMP "
                    f"WHERE id = '{seeded.draft_course}'",
            "UPDATE reviews SET is_deleted = TRUE WHERE id = (SELECT min(id) FROM reviews WHERE NOT is_deleted)")
    return take_census(db_url).soft_deleted


def after_step(monkeypatch, name: str, fault) -> None:
    """Run `fault(database_url)` right after the real `name` step succeeds: a path that went wrong."""
    real = migrate.run_step

    def faulty(step_name, argv, database_url, commands):
        ran = real(step_name, argv, database_url, commands)
        if step_name == name and ran.ok:
            fault(database_url)
        return ran

    monkeypatch.setattr(migrate, "run_step", faulty)


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def metrics(report) -> dict:
    return {m.id: m.value for m in report.metrics}


def with_check(report, check: str) -> list:
    return [f for f in report.findings if f.check == check]


# -- the real paths pass --------------------------------------------------------------------------------

def test_both_paths_pass_and_keep_every_row_and_soft_deleted_row(db_url, empty_url, soft_deleted):
    legacy_tables = set(take_census(db_url).tables)

    report = check_migration(db_url, empty_url, MigrateOptions(BUNDLED))

    assert report.findings == [] and report.passed
    found = metrics(report)
    assert found["copy_rows_compared"] == found["copy_rows_copied"] == found["in_place_rows_compared"] > 150
    assert found["copy_soft_deleted_rows"] == found["in_place_soft_deleted_rows"] == soft_deleted
    assert [s.name for s in report.steps] == ["migrate", "copy", "fake-initial"]
    # The legacy database is only read: the in-place path ran on a clone.
    assert set(take_census(db_url).tables) == legacy_tables and "django_migrations" not in legacy_tables
    assert "django_migrations" in table_names(empty_url)


# -- the copy path: faults are caught ---------------------------------------------------------------------

def test_a_copy_that_drops_a_tables_rows_is_caught(db_url, empty_url, monkeypatch, run_sql):
    after_step(monkeypatch, "copy", lambda url: run_sql(url, "DELETE FROM reviews"))

    report = check_migration(db_url, empty_url, MigrateOptions(BUNDLED, paths=("copy",)))

    assert not report.passed
    (counts,) = with_check(report, "copy_row_counts")
    assert counts.operation == "table reviews" and counts.evidence["after"] == 0 < counts.evidence["before"]
    missing = with_check(report, "row_missing")
    assert missing and {f.evidence["table"] for f in missing} == {"reviews"}
    assert metrics(report)["copy_differing_rows"] == counts.evidence["before"]


def test_a_copy_that_alters_a_value_is_caught(db_url, empty_url, monkeypatch, run_sql, seeded):
    course = seeded.enrolled_course
    after_step(monkeypatch, "copy", lambda url: run_sql(url, f"UPDATE courses SET title = 'Tampered' "
                                                             f"WHERE id = '{course}'"))

    report = check_migration(db_url, empty_url, MigrateOptions(BUNDLED, paths=("copy",)))

    (changed,) = with_check(report, "row_changed")
    assert changed.evidence["table"] == "courses" and changed.evidence["key"] == {"id": course}
    assert changed.evidence["columns"] == ["title"] and changed.evidence["candidate"] == {"title": "Tampered"}
    assert with_check(report, "copy_row_counts") == [] and not report.passed


def test_an_orphaned_fk_row_is_reported_with_its_table_and_columns(db_url, empty_url, monkeypatch, run_sql, seeded):
    section = seeded.section_ids()[0]
    after_step(monkeypatch, "copy", lambda url: run_sql(url, *orphan_statements(url, "course_sections", section)))

    report = check_migration(db_url, empty_url, MigrateOptions(BUNDLED, paths=("copy",)))

    orphans = {(f.evidence["table"], tuple(f.evidence["columns"])): f for f in with_check(report, "fk_integrity")}
    assert ("videos", ("section_id",)) in orphans
    videos = orphans[("videos", ("section_id",))]
    assert videos.evidence["target_table"] == "course_sections" and videos.evidence["count"] >= 1
    assert all(sample["section_id"] == section for sample in videos.evidence["samples"])
    assert metrics(report)["copy_orphaned_rows"] >= videos.evidence["count"] and not report.passed


def test_orphans_in_the_legacy_database_are_reported_and_the_copy_keeps_nothing(db_url, empty_url, run_sql, seeded):
    run_sql(db_url, *orphan_statements(db_url, "users", seeded.user_id(accounts.STUDENT2)))

    report = check_migration(db_url, empty_url, MigrateOptions(BUNDLED))

    legacy_orphans = [f for f in with_check(report, "fk_integrity") if f.id.startswith("migrate:legacy:")]
    assert {f.evidence["table"] for f in legacy_orphans} >= {"enrollments", "user_roles"}
    (copy_failed,) = with_check(report, "copy_succeeded")
    assert copy_failed.severity == "critical" and "FOREIGN KEY" in copy_failed.message.upper()
    # One transaction: the tables copied before the failing one are empty again.
    assert take_census(empty_url).rows == 0
    in_place = [f for f in with_check(report, "fk_integrity") if f.id.startswith("migrate:in-place:")]
    if db_url.startswith("sqlite"):
        # Django checks every foreign key when its SQLite schema editor closes: adoption itself fails.
        (adoption,) = with_check(report, "fake_initial_succeeded")
        assert adoption.severity == "critical" and "invalid foreign key" in adoption.message
        assert in_place == []
    else:  # PostgreSQL adopts the database; its orphans stay what they were, reported again
        assert {(f.evidence["table"], f.evidence["count"]) for f in in_place} == \
            {(f.evidence["table"], f.evidence["count"]) for f in legacy_orphans}


# -- the in-place path: faults are caught ------------------------------------------------------------------

IN_PLACE_FAULTS = {
    "schema changed": ("CREATE INDEX ix_tampered ON courses (title)", "in_place_schema", "table courses"),
    "soft-deleted rows revived": ("UPDATE reviews SET is_deleted = FALSE", "in_place_soft_deleted_preserved",
                                  "table reviews"),
    "rows lost": ("DELETE FROM user_activities", "in_place_row_counts", "table user_activities"),
}


@pytest.mark.parametrize("fault", IN_PLACE_FAULTS.values(), ids=IN_PLACE_FAULTS.keys())
def test_a_fake_initial_run_that_changes_what_it_adopts_is_reported(db_url, empty_url, monkeypatch, run_sql,
                                                                     soft_deleted, fault):
    statement, check, operation = fault
    after_step(monkeypatch, "fake-initial", lambda url: run_sql(url, statement))

    report = check_migration(db_url, empty_url, MigrateOptions(BUNDLED, paths=("in-place",)))

    assert [f.operation for f in with_check(report, check)] == [operation]
    assert not report.passed


def test_an_index_added_in_place_is_named(db_url, empty_url, monkeypatch, run_sql):
    after_step(monkeypatch, "fake-initial", lambda url: run_sql(url, "CREATE INDEX ix_tampered ON courses (title)"))

    report = check_migration(db_url, empty_url, MigrateOptions(BUNDLED, paths=("in-place",)))

    (finding,) = with_check(report, "in_place_schema")
    assert finding.evidence["kind"] == "index_extra" and "title" in finding.evidence["candidate"]
    assert "--fake-initial changed the schema" in finding.message
    assert metrics(report)["in_place_schema_differences"] == 1


# -- failures and bad input ----------------------------------------------------------------------------------

FAILING = DjangoCommands(manage=(sys.executable, "-c", "import sys; print('migrations exploded'); sys.exit(3)"))


def test_a_failing_command_is_critical_and_ends_its_path(db_url, empty_url):
    report = check_migration(db_url, empty_url, MigrateOptions(commands=FAILING))

    failed = {f.check: f for f in report.findings}
    assert set(failed) == {"migrate_succeeded", "fake_initial_succeeded"}
    assert all(f.severity == "critical" and "migrations exploded" in f.message for f in failed.values())
    assert "DATABASE_URL=" in failed["migrate_succeeded"].reproduce
    assert [s.name for s in report.steps] == ["migrate", "fake-initial"]  # no copy after a failed migrate


def test_the_manage_command_is_the_callers_the_harness_names_no_app():
    with pytest.raises(TypeError):
        DjangoCommands()  # type: ignore[call-arg]
    assert dict(DjangoCommands(manage=("manage.py",)).env) == {}


def test_a_target_that_holds_rows_or_is_the_legacy_database_is_bad_input(db_pair):
    legacy, copy = db_pair
    with pytest.raises(DataInputError, match="must be empty for the copy path; it holds rows in .*courses"):
        check_migration(legacy, copy, MigrateOptions(BUNDLED, paths=("copy",)))
    with pytest.raises(DataInputError, match="is the legacy database"):
        check_migration(legacy, legacy, MigrateOptions(BUNDLED, paths=("copy",)))


# -- the command -------------------------------------------------------------------------------------------------

@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HARNESS_LEGACY_DB": None, "HARNESS_CANDIDATE_DB": None})


def invoke(runner: CliRunner, *args):
    return runner.invoke(data, ["migrate-check", *map(str, args)], catch_exceptions=False)


def test_cli_clean_run_exits_0_and_writes_the_result(runner, db_url, empty_url, tmp_path):
    result = invoke(runner, "--legacy-db", db_url, "--candidate-db", empty_url, "--path", "copy",
                    "--out", tmp_path / "run", *BUNDLED_FLAGS)

    assert result.exit_code == 0, result.output
    assert "Migration paths: passed" in result.output
    document = json.loads((latest_run(tmp_path / "run") / "data-migrate.json").read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["area"] == "data-migrate" and document["passed"] is True


def test_cli_exit_codes(runner, tmp_path, db_pair):
    legacy, holding_rows = db_pair
    fail = f"{sys.executable} -c 'import sys; sys.exit(3)'"
    failed = invoke(runner, "--legacy-db", legacy, "--candidate-db", f"sqlite:///{tmp_path / 'new.sqlite3'}",
                    "--manage", fail, "--json")
    assert failed.exit_code == 1 and json.loads(failed.output)["passed"] is False
    assert invoke(runner, "--legacy-db", legacy, "--candidate-db", holding_rows, *BUNDLED_FLAGS).exit_code == 2
    assert invoke(runner, "--legacy-db", f"sqlite:///{tmp_path / 'missing.sqlite3'}",
                  "--candidate-db", f"sqlite:///{tmp_path / 'new.sqlite3'}", *BUNDLED_FLAGS).exit_code == 2
    unreachable = invoke(runner, "--legacy-db", "postgresql://postgres@127.0.0.1:1/legacy",
                         "--candidate-db", f"sqlite:///{tmp_path / 'new.sqlite3'}", *BUNDLED_FLAGS)
    assert unreachable.exit_code == 3 and "cannot reach" in unreachable.output
