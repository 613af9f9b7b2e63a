"""An empty database beside a test's seeded one, on the same engine: the target of the copy path
(tests/harness/data/test_migrate.py, tests/reference_django/test_copy_legacy_rows.py).

SQLite: a file name under the test's folder that does not exist yet (`migrate` creates it);
PostgreSQL: a new database on the same server, dropped afterwards.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


@contextmanager
def empty_database_beside(url: str, directory: Path) -> Iterator[str]:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        yield f"sqlite:///{directory / f'empty-{uuid.uuid4().hex[:6]}.sqlite3'}"
        return
    name = f"harness_empty_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def orphan_statements(url: str, parent_table: str, parent_id: str) -> list[str]:
    """SQL that deletes one parent row behind its foreign keys' back, leaving its children orphaned:
    SQLite checks no foreign key unless asked to; PostgreSQL skips its FK triggers for a replica session."""
    delete = f"DELETE FROM {parent_table} WHERE id = '{parent_id}'"
    if sa.engine.make_url(url).get_backend_name() == "sqlite":
        return ["PRAGMA foreign_keys = OFF", delete]
    return ["SET session_replication_role = replica", delete]
