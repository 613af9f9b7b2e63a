"""The API tests run against both apps: every test here is parametrized over `flask` and `django`
(and, through `db_url`, over SQLite and PostgreSQL). The fixtures of tests/conftest.py that build on
`app` (callers, `db`) follow automatically."""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import pytest
import sqlalchemy as sa

from tests.apps import build_app, close_app
from tests.conftest import SqlCounter


@pytest.fixture(params=["flask", "django"])
def app_kind(request) -> str:
    return request.param


@pytest.fixture
def app(app_kind, app_config):
    application = build_app(app_kind, app_config)
    yield application
    close_app(application)


@pytest.fixture
def make_app(app_kind, app_config):
    """`make_app(**settings)`: an app of the test's kind on the test's database with other settings
    (COOKIE_SECURE, RATELIMIT_ENABLED, ...). For tests that do not use `app` (one DjangoApp at a time)."""
    built = []

    def make(**settings):
        built.append(build_app(app_kind, {**app_config, **settings}))
        return built[-1]

    yield make
    for application in reversed(built):
        close_app(application)


@pytest.fixture
def count_sql(app):
    """`with count_sql() as sql: caller.get(...)`, then `assert len(sql) < 10, sql.statements` (either app)."""
    if app.kind == "django":
        return app.count_sql
    return lambda: SqlCounter(app.extensions["db_engine"])


@pytest.fixture
def emitted(app, monkeypatch) -> list[tuple[str, dict, tuple[str, ...]]]:
    """The Socket.IO emits a request makes, as (event, payload, rooms), on either app."""
    if app.kind == "django":
        module = app.events_module
    else:
        from legacy_flask import events as module
    sent: list[tuple[str, dict, tuple[str, ...]]] = []
    monkeypatch.setattr(module, "emit", lambda event, payload, *rooms: sent.append((event, payload, rooms)))
    return sent


@dataclass(frozen=True)
class Internals:
    """The inner parts of an app that a test breaks on purpose or drives directly, found per app kind, so a
    fault-injection test reads the same for both apps."""

    storage_error: type[Exception]  # what a failing storage backend raises
    local_backend: type  # the local storage backend class (its `uploaded_size(self, key, declared_size)`)
    media_creation: tuple[Any, str]  # (owner, attribute) of the step that writes P54's media row
    tasks: ModuleType  # the Celery task module (its `probe_media(media)`)
    run_task: Callable[..., Any]  # run_task(registered name, *args): the task's result, run as the app runs it


@pytest.fixture
def internals(app) -> Internals:
    if app.kind == "django":
        from reference_django.config.celery import app as celery_app
        from reference_django.media import services, storage, tasks

        return Internals(storage.StorageError, storage.LocalBackend, (services, "media_from_session"), tasks,
                         lambda name, *args: celery_app.tasks[name].delay(*args).get())
    from legacy_flask import storage, tasks
    from legacy_flask.resources import media

    def run_task(name: str, *args: Any) -> Any:
        with app.app_context():
            return app.extensions["celery"].tasks[name].delay(*args).get()

    return Internals(storage.StorageError, storage.LocalBackend, (media.UploadComplete, "_create_media"), tasks,
                     run_task)


# --- a recycled PostgreSQL database ------------------------------------------------------------------------
# The API tests never change the schema, so instead of cloning the template for every test (CREATE DATABASE and
# DROP DATABASE cost about a second together) each test process keeps one database and puts the seed rows back
# before every test: TRUNCATE, then copy from a snapshot of the seeded tables kept in a schema of its own.

SNAPSHOT = "seed_snapshot"


@pytest.fixture(scope="session")
def pg_recycled(request):
    from tests.conftest import ENGINES, seeded_database  # noqa: F401 - the same template as every other test

    with seeded_database(request, "postgres", None) as url:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            conn.execute(sa.text(f'CREATE SCHEMA "{SNAPSHOT}"'))
            for table in tables:
                conn.execute(sa.text(f'CREATE TABLE "{SNAPSHOT}"."{table}" AS TABLE public."{table}"'))
        yield url, engine, tables
        engine.dispose()


def _reset(engine: sa.Engine, tables: list[str]) -> None:
    with engine.connect() as conn:  # connections a previous test left open would hold locks TRUNCATE waits for
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    with engine.execution_options(isolation_level="READ COMMITTED").begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))  # rows go back in any order
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'public."{t}"' for t in tables)))
        for table in tables:
            conn.execute(sa.text(f'INSERT INTO public."{table}" SELECT * FROM "{SNAPSHOT}"."{table}"'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """The seeded database of tests/conftest.py's `db_url`, with PostgreSQL recycled between tests."""
    if request.param == "sqlite":
        from tests.conftest import seeded_database

        with seeded_database(request, "sqlite", tmp_path) as url:
            yield url
        return
    url, engine, tables = request.getfixturevalue("pg_recycled")
    _reset(engine, tables)
    yield url
