"""The edge part of the seed (harness/seed/edge.py): every scale holds soft-deleted rows, children of
soft-deleted parents, NULL-heavy rows, text at its VARCHAR limit, non-ASCII text, boundary numbers and edge
timestamps. The small scale is written into the legacy schema on SQLite and read back; medium and large are
checked through their Graph, without writing. The public API shows none of it, on either app."""
from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from harness.seed import SCALES, Graph, build, seed_database
from harness.seed.edge import ASSOCIATIONS, NULLABLE, NULLABLE_JSON, SQL_NULL
from harness.seed.writer import SEED_TABLES, reflect
from tests.apps import build_app, close_app

INT_MAX, INT_MIN, BIGINT_MAX = 2**31 - 1, -(2**31), 2**63 - 1
MIXIN_TABLES = [t for t in SEED_TABLES if t not in ASSOCIATIONS]

#: VARCHAR columns that hold one of their documented values only (an enum, a code), never longer text.
ENUM_COLUMNS = {("users", "status"), ("courses", "difficulty"), ("courses", "status"), ("videos", "video_quality"),
                ("enrollments", "status"), ("ai_chats", "message_type"), ("media_files", "file_type"),
                ("media_files", "storage_provider"), ("media_files", "processing_status"),
                ("upload_sessions", "status"), ("user_activities", "activity_type")}

#: Boundary values that some row of each column holds.
BOUNDARIES = {
    ("reviews", "rating"): {1, 5},
    ("courses", "rating"): {0, 5},
    ("courses", "price"): {0, Decimal("99999999.99")},
    ("courses", "duration"): {0, INT_MAX},
    ("courses", "version"): {1, INT_MAX},
    ("roles", "priority"): {INT_MIN},
    ("enrollments", "progress_percentage"): {0, 100},
    ("enrollments", "payment_amount"): {Decimal("99999999.99")},
    ("course_progress", "completion_percentage"): {0, 100},
    ("course_progress", "total_watch_time"): {0, INT_MAX},
    ("video_progress", "completion_percentage"): {0, 100},
    ("video_progress", "watch_time"): {0, INT_MAX},
    ("videos", "duration_seconds"): {0, INT_MAX},
    ("quizzes", "timestamp_seconds"): {0, INT_MAX},
    ("quizzes", "correct_answer"): {0},
    ("quiz_attempts", "score"): {0, 100},
    ("reviews", "helpful_count"): {0, INT_MAX},
    ("ai_chats", "tokens_used"): {0, INT_MAX},
    ("course_recommendations", "score"): {0, 1},
    ("media_files", "file_size"): {0, BIGINT_MAX},
    ("media_files", "upload_progress"): {0, 100},
    ("upload_sessions", "bytes_uploaded"): {0, BIGINT_MAX},
}
EDGE_TIMES = {datetime(2025, 12, 31, 23, 59, 59, 999_999), datetime(2026, 1, 1),
              datetime(2025, 3, 30, 0, 59, 59, 999_999), datetime(2025, 11, 2, 6, 0)}


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def scripts(text: str) -> set[str]:
    """Which of the kinds of text the seed must carry occur in `text`."""
    found = set()
    for ch in text:
        if ch in "ëøæçé":
            found.add("accent")
        elif "\u4e00" <= ch <= "\u9fff":
            found.add("cjk")
        elif ord(ch) >= 0x1F300:
            found.add("emoji")
        elif unicodedata.combining(ch):
            found.add("combining")
        elif unicodedata.bidirectional(ch) in ("R", "AL"):
            found.add("rtl")
    return found


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[sa.MetaData, dict[str, list[dict]]]:
    """The small seed written into the legacy schema on SQLite: its reflected tables and every row read back."""
    from legacy_flask import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('edge') / 'edge.sqlite3'}"
    create_app({"DATABASE_URL": url, "TESTING": True, "REDIS_URL": None}).extensions["db_engine"].dispose()
    seed_database(url, scale="small", seed=0)
    engine = sa.create_engine(url)
    try:
        md = reflect(engine)
        with engine.connect() as conn:
            rows = {t: [dict(r) for r in conn.execute(sa.select(md.tables[t])).mappings()] for t in SEED_TABLES}
            json_nulls = {(t, c): conn.execute(sa.select(sa.func.count()).select_from(md.tables[t])
                                               .where(md.tables[t].c[c].is_(None))).scalar()
                          for t, c in NULLABLE_JSON}
    finally:
        engine.dispose()
    return md, rows, json_nulls


def soft_deleted_tables(rows: dict[str, list[dict]]) -> set[str]:
    """The tables holding a soft-deleted row with its deletion time and deleting user set."""
    return {t for t, table_rows in rows.items()
            if any(r.get("is_deleted") and r["deleted_at"] and r["deleted_by_id"] for r in table_rows)}


def null_heavy_tables(rows: dict[str, list[dict]]) -> set[str]:
    """The tables holding a row whose every nullable column (NULLABLE) is NULL (SQL_NULL in a planned row)."""
    def all_null(row: dict, columns: tuple[str, ...]) -> bool:
        return all(row[c] is None or row[c] is SQL_NULL for c in columns)

    return {t for t, table_rows in rows.items() if NULLABLE[t] and any(all_null(r, NULLABLE[t]) for r in table_rows)}


def live_children_of(rows: dict[str, list[dict]], column: str, parents: set[str]) -> set[str]:
    """The tables holding a live row whose `column` points at one of `parents`."""
    return {t for t, table_rows in rows.items()
            if any(r.get(column) in parents and not r.get("is_deleted") for r in table_rows)}


WITH_NULLABLE = {t for t, columns in NULLABLE.items() if columns}


# -- every scale, through its Graph ------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", list(SCALES))
def test_every_scale_plans_soft_deleted_and_null_heavy_rows_in_every_table(scale):
    edge = Graph(SCALES[scale], 0).edge.rows()

    assert set(edge) == set(SEED_TABLES)
    assert soft_deleted_tables(edge) == set(MIXIN_TABLES)
    assert null_heavy_tables(edge) == WITH_NULLABLE


@pytest.mark.parametrize("scale", list(SCALES))
def test_the_planned_counts_include_the_edge_rows_and_no_regular_index_moves(scale):
    g = Graph(SCALES[scale], 0)
    edge, regular = g.edge.rows(), g._regular_counts()
    assert g.row_counts() == {t: regular.get(t, 0) + len(edge[t]) for t in SEED_TABLES}
    assert g.n_users == regular["users"] and g.n_courses == regular["courses"]


def test_the_edge_rows_follow_the_regular_ones_and_keep_their_ids():
    small = list(build(SCALES["small"], 0))
    g = Graph(SCALES["small"], 0)
    edge_ids = {r["id"] for rows in g.edge.rows().values() for r in rows}
    first_edge = next(i for i, (_t, rows) in enumerate(small) if rows[0]["id"] in edge_ids)
    assert {r["id"] for _t, rows in small[first_edge:] for r in rows} == edge_ids
    courses = [r["id"] for table, rows in small[:first_edge] if table == "courses" for r in rows]
    assert courses == [g.course_id(c) for c in range(g.n_courses)]


def test_the_edge_rows_are_the_same_on_every_scale_and_differ_by_seed():
    def ids(scale: str, seed: int) -> set[str]:
        return {r["id"] for rows in Graph(SCALES[scale], seed).edge.rows().values() for r in rows}

    assert ids("small", 0) == ids("medium", 0) == ids("large", 0)
    assert ids("small", 0).isdisjoint(ids("small", 1))


# -- the small scale, written and read back -------------------------------------------------------------------

def test_written_soft_deleted_rows_and_live_children_of_soft_deleted_parents(written):
    _md, rows, _nulls = written
    assert soft_deleted_tables(rows) == set(MIXIN_TABLES)
    deleted_courses = {r["id"] for r in rows["courses"] if r["is_deleted"]}
    assert live_children_of(rows, "course_id", deleted_courses) == {
        "course_sections", "videos", "quizzes", "enrollments", "reviews", "course_progress", "video_progress",
        "ai_chats", "course_recommendations", "media_files", "upload_sessions"}
    deleted_users = {r["id"] for r in rows["users"] if r["is_deleted"]}
    assert "user_roles" in live_children_of(rows, "user_id", deleted_users)
    assert any(r["user_id"] in deleted_users for r in rows["user_sessions"])  # revoked, and soft-deleted too


def test_written_null_heavy_rows_null_every_nullable_column_of_the_schema(written):
    md, rows, json_nulls = written
    schema = {t: {c.name for c in md.tables[t].c if c.nullable and not c.primary_key} for t in SEED_TABLES}
    assert schema == {t: set(columns) for t, columns in NULLABLE.items()}
    assert null_heavy_tables(rows) == WITH_NULLABLE
    assert all(count >= 1 for count in json_nulls.values()), json_nulls  # SQL NULL, not JSON null


def longest_values(md: sa.MetaData, rows: dict[str, list[dict]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(table, column) -> (the longest value's length, the VARCHAR limit), for every VARCHAR column."""
    found = {}
    for table in SEED_TABLES:
        for column in md.tables[table].c:
            if getattr(column.type, "length", None):
                values = [len(r[column.name]) for r in rows[table] if r[column.name] is not None]
                found[(table, column.name)] = (max(values, default=0), column.type.length)
    return found


def test_written_text_reaches_every_varchar_limit(written):
    md, rows, _nulls = written
    short = {key: seen for key, seen in longest_values(md, rows).items() if seen[0] != seen[1]}
    assert set(short) <= ENUM_COLUMNS, short


@pytest.mark.parametrize("table", ["users", "courses", "course_sections", "videos", "quizzes", "reviews", "ai_chats",
                                   "media_files", "upload_sessions", "user_activities"])
def test_written_text_carries_every_script(written, table):
    _md, rows, _nulls = written
    found = set().union(*(scripts(v) for r in rows[table] for v in r.values() if isinstance(v, str)))
    assert found == {"accent", "cjk", "emoji", "combining", "rtl"}


def test_written_numbers_reach_their_boundaries(written):
    _md, rows, _nulls = written
    lacking = {(t, c): values - {r[c] for r in rows[t]} for (t, c), values in BOUNDARIES.items()}
    assert {key: values for key, values in lacking.items() if values} == {}


def test_written_timestamps_cross_a_year_and_daylight_saving_with_and_without_fractions(written):
    md, rows, _nulls = written
    columns = [(t, c.name) for t in SEED_TABLES for c in md.tables[t].c if isinstance(c.type, sa.DateTime)]
    stamps = {_naive(r[c]) for t, c in columns for r in rows[t] if r[c] is not None}
    assert EDGE_TIMES <= stamps
    assert {s.microsecond for s in stamps} >= {0, 999_999}


# -- the public API shows none of it ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["flask", "django"])
def test_neither_app_shows_the_edge_courses_publicly(kind, tmp_path, request, seeded):
    from tests.conftest import seeded_database

    with seeded_database(request, "sqlite", tmp_path) as url:
        app = build_app(kind, {"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False, "REDIS_URL": None,
                               "UPLOAD_ROOT": str(tmp_path / "uploads")})
        try:
            client = app.test_client()
            listed = client.get("/api/v1/courses?limit=100").get_json()["data"]
            edge = seeded.graph.edge
            assert not {c["id"] for c in listed["courses"]} & {edge.course(n) for n in ("deleted", "max", "null")}
            assert listed["pagination"]["total"] == len(seeded.graph.published)
            for name in ("deleted", "max", "null"):
                assert client.get(f"/api/v1/courses/{edge.course(name)}").status_code == 404, name
        finally:
            close_app(app)
