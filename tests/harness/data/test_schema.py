"""`harness.data.schema`: the legacy schema is clean against itself on both engines, and each schema
fault of the issue is caught with its exact table and column, index or constraint."""
from __future__ import annotations

import pytest

from harness.core.reviewed import Reviewed, ReviewedError
from harness.data.allowlist import apply_allowlist, load_allowlist
from harness.data.connect import DatabaseUnreachable, DataInputError
from harness.data.model import Index
from harness.data.schema import SchemaDifference, diff, reflect
from harness.data.sqltext import canonical_default, canonical_sql


def rewrite_sqlite(table: str, old: str, new: str) -> str:
    """A column or constraint change SQLite's ALTER TABLE cannot make, done on the stored DDL."""
    return f"UPDATE sqlite_master SET sql = replace(sql, '{old}', '{new}') WHERE type = 'table' AND name = '{table}'"


def as_statements(choices: dict[str, str | tuple[str, ...]], url: str) -> tuple[str, ...]:
    chosen = choices["sqlite" if url.startswith("sqlite") else "postgresql"]
    return (chosen,) if isinstance(chosen, str) else chosen


POSTGRES_ONLY = pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                        indirect=True)


def only(differences: list[SchemaDifference], kind: str) -> SchemaDifference:
    assert [d.kind for d in differences] == [kind], [d.message for d in differences]
    return differences[0]


def test_the_legacy_schema_against_itself_on_a_second_database_is_empty(db_url, fresh_schema_url):
    seeded, fresh = reflect(db_url), reflect(fresh_schema_url)
    assert len(seeded.tables) == 21
    assert diff(seeded, fresh) == []


@pytest.mark.postgres
def test_postgresql_and_sqlite_spellings_of_the_legacy_schema_agree(pg_template, sqlite_template):
    from tests.conftest import _pg_url

    postgres, sqlite = reflect(_pg_url(pg_template)), reflect(f"sqlite:///{sqlite_template}")
    assert diff(postgres, sqlite) == [] and diff(sqlite, postgres) == []
    # the catalog details the inspector would have lost are there on both engines
    for snapshot in (postgres, sqlite):
        courses = snapshot.tables["courses"]
        assert Index("idx_course_rating", ("rating DESC",)).definition in {i.definition for i in courses.indexes}
        partial = {i.predicate for i in snapshot.tables["course_progress"].indexes if i.unique}
        assert partial == {"section_id is null"}
        fk = next(f for f in snapshot.tables["media_files"].foreign_keys if f.columns == ("course_id",))
        assert (fk.target_table, fk.on_delete) == ("courses", "SET NULL")


SCHEMA_FAULTS = {
    "numeric scale change": (
        {"postgresql": "ALTER TABLE courses ALTER COLUMN price TYPE numeric(11,3)",  # the seed's 99999999.99 fits
         "sqlite": rewrite_sqlite("courses", "price NUMERIC(10, 2) DEFAULT", "price NUMERIC(10, 3) DEFAULT")},
        "column_type", "courses", "price", "breaking"),
    "narrowed type": (
        {"postgresql": "ALTER TABLE courses ALTER COLUMN title TYPE varchar(100) USING left(title, 100)",
         "sqlite": rewrite_sqlite("courses", "title VARCHAR(255) NOT NULL", "title VARCHAR(100) NOT NULL")},
        "column_type", "courses", "title", "breaking"),
    "nullability flipped to NULL": (
        {"postgresql": "ALTER TABLE courses ALTER COLUMN title DROP NOT NULL",
         "sqlite": rewrite_sqlite("courses", "title VARCHAR(255) NOT NULL", "title VARCHAR(255)")},
        "column_nullable", "courses", "title", "risky"),
    "nullability flipped to NOT NULL": (
        {"postgresql": ("UPDATE courses SET thumbnail_url = '' WHERE thumbnail_url IS NULL",
                        "ALTER TABLE courses ALTER COLUMN thumbnail_url SET NOT NULL"),
         "sqlite": rewrite_sqlite("courses", "thumbnail_url TEXT,", "thumbnail_url TEXT NOT NULL,")},
        "column_nullable", "courses", "thumbnail_url", "breaking"),
    "missing index": (
        {"postgresql": "DROP INDEX ix_courses__instructor_status",
         "sqlite": "DROP INDEX ix_courses__instructor_status"},
        "index_missing", "courses", "ix_courses__instructor_status", "risky"),
    "changed FK ON DELETE": (
        {"postgresql": "ALTER TABLE courses DROP CONSTRAINT courses_instructor_id_fkey, ADD CONSTRAINT "
                       "courses_instructor_id_fkey FOREIGN KEY (instructor_id) REFERENCES users(id) ON DELETE RESTRICT",
         "sqlite": rewrite_sqlite("courses", "REFERENCES users (id) ON DELETE CASCADE",
                                  "REFERENCES users (id) ON DELETE RESTRICT")},
        "foreign_key_action", "courses", "*", "breaking"),
    "changed default": (
        {"postgresql": "ALTER TABLE courses ALTER COLUMN currency SET DEFAULT 'EUR'",
         "sqlite": rewrite_sqlite("courses", "DEFAULT ''USD''", "DEFAULT ''EUR''")},
        "column_default", "courses", "currency", "breaking"),
    "dropped default": (
        {"postgresql": "ALTER TABLE courses ALTER COLUMN is_free DROP DEFAULT",
         "sqlite": rewrite_sqlite("courses", "is_free BOOLEAN DEFAULT 0 NOT NULL", "is_free BOOLEAN NOT NULL")},
        "column_default", "courses", "is_free", "breaking"),
    "dropped unique": (
        {"postgresql": "ALTER TABLE enrollments DROP CONSTRAINT uq_user_course",
         "sqlite": (rewrite_sqlite("enrollments", "CONSTRAINT uq_user_course UNIQUE (user_id, course_id), ", ""),
                    "DELETE FROM sqlite_master WHERE name = 'sqlite_autoindex_enrollments_2'")},
        "unique_missing", "enrollments", "uq_user_course", "breaking"),
    "dropped column": (
        {"postgresql": "ALTER TABLE reviews DROP COLUMN reported_count",
         "sqlite": "ALTER TABLE reviews DROP COLUMN reported_count"},
        "column_missing", "reviews", "reported_count", "breaking"),
}


@pytest.mark.parametrize("fault", list(SCHEMA_FAULTS))
def test_each_schema_fault_is_caught_with_its_table_and_name(fault, db_pair, run_sql):
    statements, kind, table, name, severity = SCHEMA_FAULTS[fault]
    legacy, candidate = db_pair
    run_sql(candidate, *as_statements(statements, candidate))
    found = only(diff(reflect(legacy), reflect(candidate)), kind)
    assert (found.table, found.severity) == (table, severity)
    assert name == "*" or found.name == name, found
    assert found.message and found.legacy != found.candidate


def test_the_fk_finding_names_the_column_target_and_both_actions(db_pair, run_sql):
    legacy, candidate = db_pair
    statements = SCHEMA_FAULTS["changed FK ON DELETE"][0]
    run_sql(candidate, *as_statements(statements, candidate))
    found = only(diff(reflect(legacy), reflect(candidate)), "foreign_key_action")
    assert "courses(instructor_id) -> users: ON DELETE CASCADE became RESTRICT" in found.message


def test_framework_tables_are_ignored_and_other_extra_tables_are_drift(db_pair, run_sql):
    legacy, candidate = db_pair
    run_sql(candidate, "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app VARCHAR(255))",
            "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
            "CREATE TABLE course_categories (id VARCHAR(36) PRIMARY KEY, name VARCHAR(100))")
    found = only(diff(reflect(legacy), reflect(candidate)), "table_extra")
    assert (found.table, found.severity) == ("course_categories", "risky")
    assert diff(reflect(legacy), reflect(candidate), ignore_tables=["course_*"]) == []


def test_an_extra_plain_index_is_cosmetic_and_can_be_allow_listed(db_pair, run_sql, tmp_path):
    legacy, candidate = db_pair
    run_sql(candidate, "CREATE INDEX courses_created_at_idx ON courses (created_at)")
    differences = diff(reflect(legacy), reflect(candidate))
    found = only(differences, "index_extra")
    assert (found.table, found.name, found.severity) == ("courses", "courses_created_at_idx", "cosmetic")
    allow = tmp_path / "allow.yaml"
    allow.write_text("- kind: index_extra\n  table: courses\n  name: '*_created_at_idx'\n  severity: cosmetic\n"
                     "  reason: Django indexes created_at on every table (SCHEMA.md §1 says optional).\n"
                     "  expires: 2099-12-31\n")
    split = apply_allowlist(differences, load_allowlist(allow))
    assert split.remaining == [] and [d for d, _ in split.accepted] == differences


@POSTGRES_ONLY  # operator classes are PostgreSQL's
def test_djangos_like_indexes_are_recognised_as_cosmetic(db_pair, run_sql):
    legacy, candidate = db_pair
    run_sql(candidate, "CREATE INDEX courses_slug_like ON courses (slug varchar_pattern_ops)")
    found = only(diff(reflect(legacy), reflect(candidate)), "index_extra")
    assert found.severity == "cosmetic" and "_like" in found.message
    assert found.candidate == "INDEX (slug varchar_pattern_ops)"


def test_indexes_and_uniques_are_matched_by_definition_not_by_name(db_pair, run_sql):
    legacy, candidate = db_pair
    run_sql(candidate, "DROP INDEX ix_courses__instructor_status",
            "CREATE INDEX renamed_by_django ON courses (instructor_id, status)")
    assert diff(reflect(legacy), reflect(candidate)) == []


def test_an_index_with_another_column_order_is_a_different_index(db_pair, run_sql):
    legacy, candidate = db_pair
    run_sql(candidate, "DROP INDEX idx_course_rating", "CREATE INDEX idx_course_rating ON courses (rating)")
    differences = diff(reflect(legacy), reflect(candidate))
    assert [(d.kind, d.name) for d in differences] == [("index_missing", "idx_course_rating"),
                                                       ("index_extra", "idx_course_rating")]
    assert "the candidate has INDEX (rating)" in differences[0].message


@POSTGRES_ONLY
def test_identity_and_sequences_are_compared_on_postgresql(db_pair, run_sql):
    legacy, candidate = db_pair
    both = ["CREATE TABLE audit_log (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, what TEXT)"]
    run_sql(legacy, *both, "CREATE SEQUENCE invoice_numbers")
    run_sql(candidate, "CREATE TABLE audit_log (id BIGINT PRIMARY KEY, what TEXT)")
    found = diff(reflect(legacy), reflect(candidate))
    assert [(d.kind, d.table, d.name, d.severity) for d in found] == [
        ("column_identity", "audit_log", "id", "breaking"), ("sequence_missing", "", "invoice_numbers", "risky")]


def test_reflect_limits_tables_and_reports_bad_input_and_unreachable_servers(db_url, tmp_path):
    assert set(reflect(db_url, tables=["user_*"]).tables) == {"user_roles", "user_permissions", "user_sessions",
                                                                "user_activities"}
    with pytest.raises(DataInputError, match="no SQLite database file"):
        reflect(f"sqlite:///{tmp_path / 'missing.sqlite3'}")
    with pytest.raises(DataInputError, match="not a database URL"):
        reflect("not a url")
    with pytest.raises(DatabaseUnreachable, match="cannot reach"):
        reflect("postgresql://nobody@127.0.0.1:1/nothing")


@pytest.mark.parametrize(("postgresql", "sqlite"), [
    ("((rating >= (0)::double precision) AND (rating <= (5)::double precision))", "rating >= 0 AND rating <= 5"),
    ("((rating >= 1) AND (rating <= 5))", "rating BETWEEN 1 AND 5"),
    ("(section_id IS NULL)", "section_id IS NULL"),
    ("lower((email)::text)", "lower(email)"),
])
def test_engine_spellings_of_one_expression_agree(postgresql, sqlite):
    assert canonical_sql(postgresql) == canonical_sql(sqlite)


@pytest.mark.parametrize(("family", "postgresql", "sqlite"), [
    ("text", "'active'::character varying", "'active'"),
    ("boolean", "false", "0"),
    ("json", "'{}'::jsonb", "'{ }'"),
    ("timestamp", "now()", "CURRENT_TIMESTAMP"),
    ("float", "0", "0.0"),
])
def test_engine_spellings_of_one_default_agree(family, postgresql, sqlite):
    assert canonical_default(postgresql, family) == canonical_default(sqlite, family)
    assert canonical_default("'EUR'", "text") != canonical_default("'USD'", "text")


def test_allow_list_entries_need_a_reason_and_expire(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"kind": "index_extra", "table": "courses"}]')
    with pytest.raises(ReviewedError, match="'reason' is required"):
        load_allowlist(bad)
    from datetime import date

    old = Reviewed("data", {"kind": "index_extra", "table": "courses"}, "accepted then", expires=date(2020, 1, 1))
    difference = SchemaDifference("index_extra", "courses", "ix", "cosmetic", "extra")
    split = apply_allowlist([difference], [old], today=date(2026, 1, 1))
    assert split.remaining == [difference] and split.expired == [old]
