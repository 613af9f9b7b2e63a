"""The API tests run against both apps: every test here is parametrized over `flask` and `django`
(and, through `db_url`, over SQLite and PostgreSQL). The fixtures of tests/conftest.py that build on
`app` (callers, `db`) follow automatically."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from harness.seed import accounts
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


@pytest.fixture
def owner(make_caller):
    """The first instructor over Bearer, as the Postman collection calls the media routes."""
    return make_caller(accounts.INSTRUCTOR, via="bearer")


@pytest.fixture
def other(make_caller):
    """The second instructor over Bearer: a media file's non-owner."""
    return make_caller(accounts.INSTRUCTOR2, via="bearer")


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


@pytest.fixture
def db_url(recycled_db_url):
    """The seeded database, PostgreSQL recycled between tests (tests/conftest.py `recycled_db_url`)."""
    return recycled_db_url
