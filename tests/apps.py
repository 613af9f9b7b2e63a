"""The two apps under test behind one face, so the API tests run unchanged against both.

`FlaskApp` is the legacy Flask app itself; `DjangoApp` wraps the reference Django app: one Django
per test process (settings are process-wide), pointed at the test's own database and settings for
the duration of one test, with a werkzeug test client over its WSGI handler (the client the Flask
tests already use), the test database's SQLAlchemy engine for assertions, and a query counter.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

import sqlalchemy as sa
from werkzeug.test import Client

#: What the test config keys mean in Django settings (the legacy names, kept by the Django settings too).
_SETTING_KEYS = ("RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URL", "UPLOAD_ROOT", "REDIS_URL", "PASSWORD_HASH_METHOD",
                 "JWT_SECRET", "COOKIE_SECURE", "UPLOAD_LIMITS", "MAX_CONTENT_LENGTH", "PUBLIC_BASE_URL", "B2_BUCKET",
                 "B2_ENDPOINT_URL", "B2_KEY_ID", "B2_APPLICATION_KEY", "B2_REGION", "CDN_BASE_URL", "CELERY_BROKER_URL")
#: Django settings that follow a legacy key (Flask's MAX_CONTENT_LENGTH also bounds a JSON body).
_SETTING_ALIASES = {"MAX_CONTENT_LENGTH": "DATA_UPLOAD_MAX_MEMORY_SIZE"}


class DjangoClient(Client):
    """werkzeug's test client with the environ Flask's test client presets (REMOTE_ADDR 127.0.0.1 and a
    Werkzeug User-Agent), so both apps see the same caller (session rows, activity rows, rate-limit keys)."""

    environ_base = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": f"Werkzeug/{version('werkzeug')}"}

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if not args or isinstance(args[0], str):
            kwargs["environ_base"] = {**self.environ_base, **(kwargs.get("environ_base") or {})}
        return super().open(*args, **kwargs)


class _Config(dict):
    """`app.config[...] = value` on the Django app changes the live Django setting, as on Flask."""

    def __init__(self, owner: DjangoApp, values: dict[str, Any]) -> None:
        super().__init__(values)
        self._owner = owner

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._owner._apply({key: value})


class DjangoApp:
    kind = "django"

    def __init__(self, config: dict[str, Any]) -> None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference_django.config.settings.test")
        import django

        django.setup()
        from django.conf import settings
        from django.core.handlers.wsgi import WSGIHandler
        from django.test.utils import override_settings

        from reference_django.config.database import database_from_url

        self._overrides: list = []
        self._override_settings = override_settings
        self.config = _Config(self, {"JWT_SECRET": settings.JWT_SECRET, **config})
        self._point_at(database_from_url(config["DATABASE_URL"]))
        self._apply({k: config[k] for k in _SETTING_KEYS if k in config})
        from reference_django.config.storages import storages_setting

        self._apply({"STORAGES": storages_setting(  # the disk under UPLOAD_ROOT, or the B2 bucket when configured
            upload_root=settings.UPLOAD_ROOT, b2_bucket=settings.B2_BUCKET, b2_endpoint_url=settings.B2_ENDPOINT_URL,
            b2_key_id=settings.B2_KEY_ID, b2_application_key=settings.B2_APPLICATION_KEY,
            b2_region=settings.B2_REGION)})
        from django.core.cache import caches

        for cache in caches.all():
            cache.clear()
        from reference_django.common import ratelimit

        ratelimit.reset_all()
        self.wsgi = WSGIHandler()
        self.extensions = {"db_engine": sa.create_engine(config["DATABASE_URL"])}

    def _apply(self, values: dict[str, Any]) -> None:
        values = {**values, **{alias: values[key] for key, alias in _SETTING_ALIASES.items() if key in values}}
        override = self._override_settings(**values)
        override.enable()
        self._overrides.append(override)

    @staticmethod
    def _point_at(database: dict[str, Any]) -> None:
        from django.conf import settings
        from django.db import connections

        connections.close_all()
        settings.DATABASES = {"default": database}
        connections._settings = None
        connections.__dict__.pop("settings", None)  # a cached_property: rebuilt from settings.DATABASES
        try:
            del connections["default"]
        except AttributeError:
            pass

    def test_client(self) -> Client:
        return DjangoClient(self.wsgi)

    @contextmanager
    def count_sql(self) -> Iterator[QueryLog]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        log = QueryLog()
        with CaptureQueriesContext(connection) as ctx:
            yield log
        # Django logs transaction control (BEGIN/COMMIT/ROLLBACK) too; the legacy counter (SQLAlchemy's
        # before_cursor_execute) never sees the driver's, so both apps are counted alike without them.
        log.statements.extend(q["sql"] for q in ctx.captured_queries if not _transaction_control(q["sql"]))

    @property
    def events_module(self):
        from reference_django.common import events

        return events

    def close(self) -> None:
        from django.db import connections

        connections.close_all()
        for override in reversed(self._overrides):
            override.disable()
        self.extensions["db_engine"].dispose()


def build_app(kind: str, config: dict[str, Any]) -> Any:
    """The app under test of `kind` ("flask" or "django") on `config`; `close_app` when done.
    At most one DjangoApp at a time per process (Django's settings are process-wide)."""
    if kind == "flask":
        from legacy_flask import create_app

        application = create_app(config)
        application.kind = "flask"
        return application
    return DjangoApp(config)


def close_app(application: Any) -> None:
    if application.kind == "django":
        application.close()
    else:
        application.extensions["db_engine"].dispose()


#: What Django's query log records for transaction management (SQLite sends BEGIN, or BEGIN IMMEDIATE with the
#: app's transaction_mode, as a statement).
TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK"})


def _transaction_control(sql: str) -> bool:
    words = sql.split(None, 1)
    return bool(words) and words[0].rstrip(";").upper() in TRANSACTION_CONTROL


class QueryLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)
