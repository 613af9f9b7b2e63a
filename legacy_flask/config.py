"""Settings of the legacy app.

Precedence, lowest to highest: the defaults below (the embedded default: a SQLite file under
reports/, in-memory caches and rate-limit storage, eager Celery, local file storage), then the
environment (DATABASE_URL, REDIS_URL, JWT_SECRET, ...), then the mapping passed to create_app().
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = f"sqlite:///{PROJECT_ROOT / 'reports' / 'legacy_flask.sqlite3'}"

MB = 1024 * 1024


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _normalise_db_url(url: str) -> str:
    # Plain postgres:// URLs (as Heroku-style DATABASE_URLs are written) mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    env = os.environ
    settings: dict[str, Any] = {
        "DATABASE_URL": env.get("DATABASE_URL", DEFAULT_DB),
        "REDIS_URL": env.get("REDIS_URL") or None,
        # The JWT/CSRF secret. Both apps must share it during the blue-green window.
        "JWT_SECRET": env.get("JWT_SECRET", "unpuzzle-dev-secret-change-me-0123456789abcdef"),
        # werkzeug's method string; e.g. "pbkdf2:sha256:10000" (the seed's cost) for test and load runs.
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", "pbkdf2:sha256"),
        "ACCESS_TOKEN_TTL": int(env.get("ACCESS_TOKEN_TTL", "3600")),
        "REFRESH_TOKEN_TTL": int(env.get("REFRESH_TOKEN_TTL", str(7 * 24 * 3600))),
        "COOKIE_SECURE": _env_bool("COOKIE_SECURE", False),
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        # memory:// by default, the Redis URL when REDIS_URL is set.
        "RATELIMIT_STORAGE_URL": env.get("RATELIMIT_STORAGE_URL") or None,
        "UPLOAD_ROOT": env.get("UPLOAD_ROOT", str(PROJECT_ROOT / "reports" / "uploads")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(510 * MB))),
        "UPLOAD_LIMITS": {"videos": 500 * MB, "thumbnails": 5 * MB, "documents": 50 * MB},
        # Backblaze B2 through its S3 API. No bucket -> the local-storage backend.
        "B2_BUCKET": env.get("B2_BUCKET") or None,
        "B2_ENDPOINT_URL": env.get("B2_ENDPOINT_URL") or None,
        "B2_KEY_ID": env.get("B2_KEY_ID") or None,
        "B2_APPLICATION_KEY": env.get("B2_APPLICATION_KEY") or None,
        "B2_REGION": env.get("B2_REGION", "us-west-004"),
        "CDN_BASE_URL": env.get("CDN_BASE_URL") or None,
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://localhost:5000"),
        # Celery runs tasks in-process unless a broker is configured.
        "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL") or None,
        # The W3C Server-Timing header on every response (app, db time and statements): server_timing.py.
        "SERVER_TIMING": _env_bool("SERVER_TIMING", False),
        "APP_VERSION": "1.0.0",
        "TESTING": False,
    }
    if overrides:
        settings.update(overrides)
    settings["DATABASE_URL"] = _normalise_db_url(settings["DATABASE_URL"])
    if settings["RATELIMIT_STORAGE_URL"] is None:
        settings["RATELIMIT_STORAGE_URL"] = settings["REDIS_URL"] or "memory://"
    return settings
