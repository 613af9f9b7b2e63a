"""`harness.data.rows`: every row fault of the issue is caught with its exact table, key and column, on
SQLite (checksums in Python) and PostgreSQL (checksums in SQL), through bisection and in parallel."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from harness.data import row_segments
from harness.data.normalise import ColumnRule, parse_tolerance
from harness.data.rows import RowsOptions, TableRows, diff_rows


def scalar(url: str, sql: str):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()


def compare(legacy: str, candidate: str, table: str, **options) -> TableRows:
    report = diff_rows(legacy, candidate, tables=[table], options=RowsOptions(**options))
    (result,) = report.tables
    assert result.error is None, result.error
    return result


def pick(url: str, choices: dict[str, str]) -> str:
    return choices["sqlite" if url.startswith("sqlite") else "postgresql"]


# (table, SET expression per engine, column); the row is course 1 (or the first media file).
CHANGED_VALUES = {
    "varchar": ("courses", "title = title || ' (edited)'", "title"),
    "text": ("courses", "description = description || ' and more'", "description"),
    "integer": ("courses", "duration = duration + 1", "duration"),
    "bigint": ("media_files", "file_size = file_size + 1", "file_size"),
    "numeric": ("courses", "price = price + 0.01", "price"),
    "double": ("courses", "rating = rating - 0.5", "rating"),
    "boolean": ("courses", "is_free = NOT is_free", "is_free"),
    "json": ("courses", "tags = '[\"changed\"]'", "tags"),
    "timestamptz": ("courses", {"postgresql": "updated_at = updated_at + interval '1 day'",
                                "sqlite": "updated_at = '2030-01-01 00:00:00.000000'"}, "updated_at"),
    "NULL vs empty string": ("courses", "preview_video_url = ''", "preview_video_url"),
    "timestamp shifted by 1 us": ("courses", {
        "postgresql": "published_at = published_at + interval '1 microsecond'",
        "sqlite": "published_at = substr(published_at, 1, 20) || '000001'"}, "published_at"),
    "timestamp shifted by 1 h": ("courses", {
        "postgresql": "published_at = published_at + interval '1 hour'",
        "sqlite": "published_at = strftime('%Y-%m-%d %H:%M:%S', published_at, '+1 hour') || '.000000'"},
        "published_at"),
}


def row_of(url: str, table: str, seeded) -> str:
    if table == "courses":
        return seeded.open_course
    return scalar(url, f"SELECT min(id) FROM {table}")


@pytest.mark.parametrize("fault", list(CHANGED_VALUES))
def test_a_changed_value_of_each_type_names_table_key_and_column(fault, db_pair, run_sql, seeded):
    table, assignment, column = CHANGED_VALUES[fault]
    legacy, candidate = db_pair
    key = row_of(legacy, table, seeded)
    assignment = pick(candidate, assignment) if isinstance(assignment, dict) else assignment
    run_sql(candidate, f"UPDATE {table} SET {assignment} WHERE id = '{key}'")

    result = compare(legacy, candidate, table)
    (difference,) = result.differences
    assert (difference.kind, difference.table, difference.key, difference.columns) == \
        ("changed", table, {"id": key}, (column,))
    assert (result.changed, result.missing, result.extra) == (1, 0, 0)
    assert difference.legacy[column] != difference.candidate[column]
    stats = result.columns[column]
    assert stats.differing == 1 and stats.samples[0].key == {"id": key}


def test_null_against_empty_string_lands_in_the_null_on_one_side_bucket(db_pair, run_sql, seeded):
    legacy, candidate = db_pair
    run_sql(candidate, f"UPDATE courses SET preview_video_url = '' WHERE id = '{seeded.open_course}'")
    result = compare(legacy, candidate, "courses")
    courses = scalar(legacy, "SELECT count(*) FROM courses")
    with_url = scalar(legacy, "SELECT count(*) FROM courses WHERE preview_video_url IS NOT NULL")
    url = result.columns["preview_video_url"]
    assert (url.null_legacy_only, url.null_candidate_only, url.differs, url.both_null, url.equal) == \
        (1, 0, 0, courses - with_url - 1, with_url)
    assert (url.samples[0].legacy, url.samples[0].candidate) == (None, "")
    title = result.columns["title"]
    assert (title.equal, title.differing, title.both_null) == (courses, 0, 0)


def test_a_dropped_row_and_an_extra_row_are_named_by_key(db_pair, run_sql):
    legacy, candidate = db_pair
    dropped = scalar(legacy, "SELECT min(id) FROM user_activities")
    added = "ffffffff-0000-4000-8000-000000000001"
    run_sql(candidate, f"CREATE TEMPORARY TABLE copied AS SELECT * FROM user_activities WHERE id = '{dropped}'",
            f"UPDATE copied SET id = '{added}'",
            "INSERT INTO user_activities SELECT * FROM copied",
            f"DELETE FROM user_activities WHERE id = '{dropped}'")
    result = compare(legacy, candidate, "user_activities")
    found = sorted((d.kind, d.key["id"]) for d in result.differences)
    assert found == [("extra", added), ("missing", dropped)]
    assert (result.missing, result.extra, result.changed) == (1, 1, 0)
    assert result.legacy_rows == result.candidate_rows


def test_a_numeric_scale_change_reports_the_rounded_rows_only(db_pair, run_sql):
    legacy, candidate = db_pair
    run_sql(candidate, pick(candidate, {"postgresql": "ALTER TABLE courses ALTER COLUMN price TYPE numeric(10,1)",
                                        "sqlite": "UPDATE courses SET price = round(price, 1)"}))
    result = compare(legacy, candidate, "courses")
    rounded = {d.key["id"] for d in result.differences}
    expected = {r for r in scalar_rows(legacy, "SELECT id FROM courses WHERE price * 10 <> round(price * 10)")}
    assert rounded == expected and len(expected) == 5  # 19.99, 49.99, 99.99 and the seed's edge 19.99, 99999999.99
    assert all(d.columns == ("price",) for d in result.differences)
    assert result.columns["price"].equal == scalar(legacy, "SELECT count(*) FROM courses") - 5  # 0 and 149 stay


def scalar_rows(url: str, sql: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def test_identical_databases_are_clean_and_every_column_is_equal_or_both_null(db_pair):
    legacy, candidate = db_pair
    report = diff_rows(legacy, candidate)
    assert report.clean and len(report.tables) == 21
    courses = next(t for t in report.tables if t.table == "courses")
    assert courses.method == ("python" if legacy.startswith("sqlite") else "sql")
    for stats in courses.columns.values():
        assert stats.equal + stats.both_null == courses.legacy_rows == 9 and stats.differing == 0


@pytest.mark.postgres
def test_postgresql_and_sqlite_copies_of_the_seed_compare_clean_across_engines(pg_template, sqlite_template):
    from tests.conftest import _pg_url

    report = diff_rows(_pg_url(pg_template), f"sqlite:///{sqlite_template}")
    assert report.clean, [(t.table, t.differences[:2]) for t in report.tables if not t.clean]
    assert {t.method for t in report.tables} == {"python"}


def test_bisection_down_to_single_rows_in_parallel(db_pair, run_sql, monkeypatch):
    legacy, candidate = db_pair
    target = scalar(legacy, "SELECT id FROM videos ORDER BY id LIMIT 1 OFFSET 17")
    run_sql(candidate, f"UPDATE videos SET title = 'retitled' WHERE id = '{target}'")
    monkeypatch.setattr(row_segments, "TOP_SEGMENTS", 2)  # force several rounds of bisection
    result = compare(legacy, candidate, "videos", leaf_rows=1, bisection_factor=2, workers=3)
    assert [(d.key, d.columns) for d in result.differences] == [({"id": target}, ("title",))]
    assert result.segments >= 8 and result.leaves >= 1
    assert result.rows_verified == scalar(legacy, "SELECT count(*) FROM videos")


LEDGER = ("CREATE TABLE ledger (account INTEGER NOT NULL, seq INTEGER NOT NULL, amount NUMERIC(12, 2) NOT NULL, "
          "note TEXT, PRIMARY KEY (account, seq))",
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
          "INSERT INTO ledger SELECT i - (i / 7) * 7, i, i * 1.25, 'row ' || i FROM n")


def test_composite_keys_through_bisection(db_pair, run_sql, monkeypatch):
    legacy, candidate = db_pair
    run_sql(legacy, *LEDGER)
    run_sql(candidate, *LEDGER, "DELETE FROM ledger WHERE account = 3 AND seq = 1501",
            "UPDATE ledger SET amount = amount + 1 WHERE account = 5 AND seq = 2000",
            "UPDATE ledger SET note = NULL WHERE account = 0 AND seq = 7",
            "INSERT INTO ledger VALUES (9, 1, 1.00, 'new')")
    monkeypatch.setattr(row_segments, "TOP_SEGMENTS", 4)
    result = compare(legacy, candidate, "ledger", leaf_rows=16, bisection_factor=4)
    found = sorted((d.kind, d.key["account"], d.key["seq"], d.columns) for d in result.differences)
    assert found == [("changed", 0, 7, ("note",)), ("changed", 5, 2000, ("amount",)), ("extra", 9, 1, ()),
                     ("missing", 3, 1501, ())]
    assert result.key == ("account", "seq") and result.rows_verified >= 3000


def test_duplicate_keys_are_detected(db_pair, run_sql):
    legacy, candidate = db_pair
    twice = scalar(legacy, "SELECT min(id) FROM user_activities")
    run_sql(candidate, *pick(candidate, {
        "postgresql": ("ALTER TABLE user_activities DROP CONSTRAINT user_activities_pkey",),
        "sqlite": ("UPDATE sqlite_master SET sql = replace(sql, 'PRIMARY KEY (id), ', '') "
                   "WHERE name = 'user_activities'",
                   "DELETE FROM sqlite_master WHERE name = 'sqlite_autoindex_user_activities_1'")}))
    run_sql(candidate, f"INSERT INTO user_activities SELECT * FROM user_activities WHERE id = '{twice}'")
    result = compare(legacy, candidate, "user_activities")
    duplicates = [d for d in result.differences if d.kind == "duplicate"]
    assert [(d.key, d.side, d.count) for d in duplicates] == [({"id": twice}, "candidate", 2)]
    assert result.duplicates == 1 and not result.clean


def test_a_key_that_is_not_unique_reports_duplicates_on_both_sides(db_pair):
    legacy, candidate = db_pair
    result = compare(legacy, candidate, "enrollments", keys={"enrollments": ("course_id",)})
    assert result.duplicates > 0 and {d.side for d in result.differences} == {"legacy", "candidate"}


def test_rules_tolerate_what_they_say_and_nothing_more(db_pair, run_sql, seeded):
    legacy, candidate = db_pair
    course = seeded.open_course
    run_sql(candidate, pick(candidate, {
        "postgresql": f"UPDATE courses SET published_at = published_at + interval '1 microsecond', "
                      f"updated_at = updated_at + interval '1 hour', price = price + 0.01 WHERE id = '{course}'",
        "sqlite": f"UPDATE courses SET published_at = substr(published_at, 1, 20) || '000001', "
                  f"updated_at = strftime('%Y-%m-%d %H:%M:%S', updated_at, '+1 hour') || '.000000', "
                  f"price = price + 0.01 WHERE id = '{course}'"}))
    rules = {"courses.published_at": ColumnRule(precision="ms"), "courses.price": ColumnRule(tolerance=Decimal("0.01")),
             "*.updated_at": ColumnRule(tolerance=parse_tolerance("1s"))}  # an hour is still a change
    result = compare(legacy, candidate, "courses", rules=rules)
    assert [(d.key["id"], d.columns) for d in result.differences] == [(course, ("updated_at",))]
    ignored = compare(legacy, candidate, "courses", rules={**rules, "courses.updated_at": ColumnRule(ignore=True)})
    assert ignored.clean and ignored.skipped_columns == {"updated_at": "ignored by a rule"}


def test_uuid_case_is_a_difference_unless_the_column_is_a_uuid(db_pair, run_sql):
    legacy, candidate = db_pair
    row = scalar(legacy, "SELECT min(id) FROM course_progress WHERE last_video_id IS NOT NULL")
    run_sql(candidate, f"UPDATE course_progress SET last_video_id = upper(last_video_id) WHERE id = '{row}'")
    assert [d.columns for d in compare(legacy, candidate, "course_progress").differences] == [("last_video_id",)]
    rule = {"course_progress.last_video_id": ColumnRule(uuid=True)}
    assert compare(legacy, candidate, "course_progress", rules=rule).clean


def test_budgets_stop_the_run_and_say_so(db_pair, run_sql, seeded):
    legacy, candidate = db_pair
    run_sql(candidate, "UPDATE courses SET title = substr(title, 1, 254) || '!'")  # within VARCHAR(255)
    stopped = compare(legacy, candidate, "courses", max_differences=1, leaf_rows=1)
    assert not stopped.complete and stopped.stopped == "difference budget reached" and not stopped.clean
    assert len(stopped.differences) == 1
    timed = compare(legacy, candidate, "courses", max_seconds=0)
    assert timed.stopped == "time budget reached" and timed.rows_verified == 0


def test_a_table_missing_on_one_side_is_an_error_not_a_pass(db_pair, run_sql):
    legacy, candidate = db_pair
    run_sql(candidate, "DROP TABLE ai_chats")
    report = diff_rows(legacy, candidate, tables=["ai_chats"])
    assert not report.clean and "only in the legacy" in report.tables[0].error


def test_progress_is_reported_per_table(db_pair):
    legacy, candidate = db_pair
    calls = []
    diff_rows(legacy, candidate, tables=["videos"],
              options=RowsOptions(progress=lambda table, done, total: calls.append((table, done, total))))
    videos = scalar(legacy, "SELECT count(*) FROM videos")
    assert calls and calls[-1] == ("videos", videos, videos)


def test_a_wider_numeric_scale_holding_the_same_values_is_clean(db_pair, run_sql):
    legacy, candidate = db_pair
    run_sql(candidate, pick(candidate, {
        "postgresql": "ALTER TABLE courses ALTER COLUMN price TYPE numeric(12,4)",
        "sqlite": "UPDATE sqlite_master SET sql = replace(sql, 'price NUMERIC(10, 2) DEFAULT', "
                  "'price NUMERIC(12, 4) DEFAULT') WHERE name = 'courses'"}))
    result = compare(legacy, candidate, "courses")
    assert result.clean and result.columns["price"].candidate_type == "numeric(12,4)"


def test_json_key_order_and_spacing_do_not_matter(db_pair, run_sql, seeded):
    legacy, candidate = db_pair
    course = seeded.open_course
    run_sql(legacy, f"UPDATE courses SET seo_metadata = '{{\"metaTitle\": \"T\", \"metaDescription\": \"D\"}}' "
                    f"WHERE id = '{course}'")
    run_sql(candidate, f"UPDATE courses SET seo_metadata = '{{\"metaDescription\":\"D\",\"metaTitle\":\"T\"}}' "
                       f"WHERE id = '{course}'")
    assert compare(legacy, candidate, "courses").clean
