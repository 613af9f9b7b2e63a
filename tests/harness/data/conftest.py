"""Two databases with the legacy schema and the same seed (scale small, seed 0), on SQLite and on
PostgreSQL: the test injects a fault into the candidate with raw SQL and checks that the data area
names it."""
from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa


@pytest.fixture
def db_pair(db_url, tmp_path) -> Iterator[tuple[str, str]]:
    """(legacy URL, candidate URL): the candidate is a copy of the freshly seeded legacy database."""
    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite":
        copy = tmp_path / "candidate.sqlite3"
        shutil.copy(url.database, copy)
        yield db_url, f"sqlite:///{copy}"
        return
    name = f"{url.database}_cand"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    yield db_url, url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def fresh_schema_url(db_url, tmp_path) -> Iterator[str]:
    """Another, empty database of the same engine where the legacy app created its schema itself."""
    from legacy_flask import create_app

    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite":
        target = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        create_app({"DATABASE_URL": target, "TESTING": True}).extensions["db_engine"].dispose()
        yield target
        return
    name = f"harness_fresh_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    target = url.set(database=name).render_as_string(hide_password=False)
    create_app({"DATABASE_URL": target, "TESTING": True}).extensions["db_engine"].dispose()
    yield target
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def execute(url: str, *statements: str, **params) -> None:
    """Run raw SQL on `url` in one transaction. SQLite statements may rewrite a table's DDL in
    sqlite_master (ALTER cannot change a column there): `PRAGMA writable_schema` is turned on for them."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                if "sqlite_master" in statement:
                    conn.exec_driver_sql("PRAGMA writable_schema = ON")
                if params:
                    conn.execute(sa.text(statement), params)
                else:  # as written: no bind parameters read into '10:00:00'
                    conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


@pytest.fixture
def run_sql() -> Callable[..., None]:
    return execute


def engine_of(url: str) -> str:
    return sa.engine.make_url(url).get_backend_name()


@pytest.fixture
def dialect_sql() -> Callable[[str, dict[str, str]], str]:
    """Pick the statement written for the URL's engine: dialect_sql(url, {"sqlite": ..., "postgresql": ...})."""
    return lambda url, choices: choices[engine_of(url)]
