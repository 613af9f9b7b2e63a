"""The models produce SCHEMA.md's DDL: checked against the document itself (harness.schema_doc)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from harness.schema_doc import parse

DOC = parse()

PG_TYPES = {"character varying": "VARCHAR({len})", "text": "TEXT", "timestamp with time zone": "TIMESTAMPTZ",
            "boolean": "BOOLEAN", "integer": "INTEGER", "bigint": "BIGINT", "double precision": "DOUBLE PRECISION",
            "numeric": "NUMERIC({prec},{scale})", "jsonb": "JSONB"}


def _canonical_pg_default(raw: str | None) -> str | None:
    if raw is None:
        return None
    return re.sub(r"::[a-z ]+(\[\])?$", "", raw.strip())


@pytest.fixture
def engine(app):
    return app.extensions["db_engine"]


def test_exactly_the_21_documented_tables(engine):
    assert set(sa.inspect(engine).get_table_names()) == set(DOC.tables)
    assert len(DOC.tables) == 21


def _column_problems(table: str, expected: dict, actual: dict[str, dict]) -> list[str]:
    """How the table's reflected columns differ from the document's: names, nullability, having a default."""
    if set(actual) != set(expected):
        return [f"{table}: columns differ: missing {set(expected) - set(actual)}, extra {set(actual) - set(expected)}"]
    problems = []
    for name, col in expected.items():
        if actual[name]["nullable"] != col.nullable:
            problems.append(f"{table}.{name}: nullable {actual[name]['nullable']} != {col.nullable}")
        default = actual[name].get("default")
        if (default is not None) != (col.default is not None):
            problems.append(f"{table}.{name}: DB default {default!r}, document says {col.default!r}")
    return problems


def test_columns_nullability_and_defaults_match_the_document(engine):
    insp = sa.inspect(engine)
    problems = [problem for table, expected in DOC.tables.items()
                for problem in _column_problems(table, expected, {c["name"]: c for c in insp.get_columns(table)})]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_types_and_default_values_are_exact(engine):
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale,"
            " column_default FROM information_schema.columns WHERE table_schema = 'public'")).all()
    problems = []
    for table, column, dtype, length, prec, scale, default in rows:
        col = DOC.tables[table][column]
        actual_type = PG_TYPES[dtype].format(len=length, prec=prec, scale=scale)
        if actual_type != col.type:
            problems.append(f"{table}.{column}: type {actual_type} != {col.type}")
        if _canonical_pg_default(default) != col.default:
            problems.append(f"{table}.{column}: default {_canonical_pg_default(default)!r} != {col.default!r}")
    assert not problems, "\n".join(problems)


def test_foreign_keys_and_on_delete_rules(engine):
    insp = sa.inspect(engine)
    actual = set()
    for table in DOC.tables:
        for fk in insp.get_foreign_keys(table):
            assert len(fk["constrained_columns"]) == 1
            on_delete = (fk["options"].get("ondelete") or "").upper()
            actual.add((table, fk["constrained_columns"][0], fk["referred_table"], on_delete))
    expected = {(f.table, f.column, f.target, f.on_delete) for f in DOC.foreign_keys}
    assert actual == expected


def _index_columns(ix: dict) -> tuple[str, ...]:
    """An index's columns; for an expression index, the column each expression starts with."""
    if ix.get("expressions"):
        return tuple(e.split()[0].strip('"') for e in ix["expressions"])
    return tuple(c or "" for c in ix["column_names"]) if ix.get("column_names") else ()


def _named_in(insp, table: str) -> dict[str, tuple[str, ...]]:
    """The table's named indexes, unique constraints, check constraints (no columns) and foreign keys."""
    found = {ix["name"]: _index_columns(ix) for ix in insp.get_indexes(table)}
    found.update({uq["name"]: tuple(uq["column_names"]) for uq in insp.get_unique_constraints(table)})
    found.update({ck["name"]: () for ck in insp.get_check_constraints(table)})
    found.update({fk["name"]: tuple(fk["constrained_columns"])
                  for fk in insp.get_foreign_keys(table) if fk.get("name")})
    return found


def test_every_named_constraint_and_index_exists_on_its_columns(engine):
    insp = sa.inspect(engine)
    found: dict[str, tuple[str, ...]] = {}
    for table in DOC.tables:
        found.update(_named_in(insp, table))
    missing = [n for n in DOC.named if n not in found]
    wrong = [f"{n}: {found[n]} != {cols}" for n, cols in DOC.named.items()
             if n in found and cols is not None and found[n] and found[n] != cols]
    assert not missing, f"missing: {missing}"
    assert not wrong, "\n".join(wrong)


def test_every_foreign_key_column_has_an_index(engine):
    insp = sa.inspect(engine)
    for table in DOC.tables:
        leading = {tuple(ix["column_names"])[:1] for ix in insp.get_indexes(table) if ix.get("column_names")}
        leading |= {tuple(uq["column_names"])[:1] for uq in insp.get_unique_constraints(table)}
        for fk in insp.get_foreign_keys(table):
            assert tuple(fk["constrained_columns"]) in leading, f"{table}.{fk['constrained_columns'][0]} has no index"


def test_partial_unique_index_allows_section_rows_but_one_course_level_row(app, db, seeded):
    from harness.seed import accounts
    from legacy_flask.models import CourseProgress

    user = seeded.user_id(accounts.STUDENT2)
    course = seeded.open_course
    db.add(CourseProgress(user_id=user, course_id=course, section_id=None))
    db.commit()
    db.add(CourseProgress(user_id=user, course_id=course, section_id=None))
    with pytest.raises(sa.exc.IntegrityError):
        db.commit()
    db.rollback()
