"""Settings of the reference app for every environment.

Every value that differs between environments comes from the environment, under the same names the
legacy app reads (DATABASE_URL, REDIS_URL, JWT_SECRET, RATELIMIT_ENABLED, UPLOAD_ROOT, B2_*, ...), so
one environment file configures both apps during the blue-green window. The embedded default is a
SQLite file under reports/, in-memory caches and rate-limit counters, eager Celery and local storage.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from reference_django.config.database import database_from_url
from reference_django.config.storages import storages_setting

PROJECT_ROOT = Path(__file__).resolve().parents[3]
MB = 1024 * 1024


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "")
    return default if raw == "" else raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return default if raw == "" else int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "reference-django-dev-key-change-me-0123456789abcdefghij")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "csp",
    "reference_django.common",
    "reference_django.accounts",
    "reference_django.courses",
    "reference_django.learning",
    "reference_django.media",
    "reference_django.ai",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "reference_django.common.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    # Legacy's answers to what HTTP leaves to the server: first of repeated cookies, werkzeug's `//`, HEAD.
    "reference_django.common.wire.LegacyWireMiddleware",
    # The local bucket (/_local-bucket/upload): storage beside the API, kept out of the URLconf.
    "reference_django.media.bucket.LocalBucketMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
#: The W3C Server-Timing header (app and db time, statements, cache lookups) on every response: off unless
#: SERVER_TIMING=1. Its middleware goes first, to time all the others, and only when on (common/server_timing.py).
SERVER_TIMING = env_bool("SERVER_TIMING", False)
if SERVER_TIMING:
    MIDDLEWARE.insert(0, "reference_django.common.server_timing.ServerTimingMiddleware")

ROOT_URLCONF = "reference_django.config.urls"
WSGI_APPLICATION = "reference_django.config.wsgi.application"
ASGI_APPLICATION = "reference_django.config.asgi.application"
# API.md §1.1: canonical paths have no trailing slash and never redirect; a slash-suffixed variant is a 404.
APPEND_SLASH = False

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{PROJECT_ROOT / 'reports' / 'reference_django.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Legacy index names (ix_<table>__<cols>) run past Django's portable 30-character limit, which exists
# for Oracle; PostgreSQL allows 63 and SQLite has no limit, and these are the only engines served.
SILENCED_SYSTEM_CHECKS = ["models.E034"]

REDIS_URL = os.environ.get("REDIS_URL") or None
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "reference_django", "TIMEOUT": 300}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "reference-django",
                          "TIMEOUT": 300, "OPTIONS": {"MAX_ENTRIES": 10_000}}}
#: Seconds a cached catalogue page or course detail lives (writes invalidate it sooner).
API_CACHE_TTL = env_int("API_CACHE_TTL", 300)
# Socket.IO (reference_django.realtime): with REDIS_URL, every worker shares rooms and emits through this
# Redis channel. Flask-SocketIO's default, so during the blue-green window a write on either app reaches
# the sockets of both; give each cluster its own channel otherwise.
SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "flask-socketio")

# --- auth: the legacy wire (API.md §1.6-1.7), shared secret for the blue-green window ---------------
JWT_SECRET = os.environ.get("JWT_SECRET", "unpuzzle-dev-secret-change-me-0123456789abcdef")
ACCESS_TOKEN_TTL = env_int("ACCESS_TOKEN_TTL", 3600)
REFRESH_TOKEN_TTL = env_int("REFRESH_TOKEN_TTL", 7 * 24 * 3600)
COOKIE_SECURE = env_bool("COOKIE_SECURE", False)
#: werkzeug's method string, the legacy app's setting: new hashes keep Flask's format (see accounts/hashers.py).
PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000000")
PASSWORD_HASHERS = ["reference_django.accounts.hashers.WerkzeugPBKDF2PasswordHasher"]

SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_TOKEN_TTL),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=REFRESH_TOKEN_TTL),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "TOKEN_TYPE_CLAIM": "type",
    "JTI_CLAIM": "jti",
    "UPDATE_LAST_LOGIN": False,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["reference_django.accounts.authentication.LegacyJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.MultiPartParser",
                               "rest_framework.parsers.FormParser"],
    "EXCEPTION_HANDLER": "reference_django.common.exceptions.handler",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
    "DEFAULT_THROTTLE_CLASSES": [],
    "COERCE_DECIMAL_TO_STRING": False,
    # JSON whatever the Accept header says (Flask never answers 406).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "reference_django.common.wire.IgnoreAccept",
}

# --- rate limits (API.md §1.9): switchable off for tests and load runs -------------------------------
RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
RATELIMIT_STORAGE_URL = os.environ.get("RATELIMIT_STORAGE_URL") or REDIS_URL or "memory://"

# --- uploads and storage ---------------------------------------------------------------------------
UPLOAD_ROOT = os.environ.get("UPLOAD_ROOT", str(PROJECT_ROOT / "reports" / "uploads"))
MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 510 * MB)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_CONTENT_LENGTH
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * MB
UPLOAD_LIMITS = {"videos": 500 * MB, "thumbnails": 5 * MB, "documents": 50 * MB}
B2_BUCKET = os.environ.get("B2_BUCKET") or None
B2_ENDPOINT_URL = os.environ.get("B2_ENDPOINT_URL") or None
B2_KEY_ID = os.environ.get("B2_KEY_ID") or None
B2_APPLICATION_KEY = os.environ.get("B2_APPLICATION_KEY") or None
B2_REGION = os.environ.get("B2_REGION", "us-west-004")
CDN_BASE_URL = os.environ.get("CDN_BASE_URL") or None
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000")
STORAGES = storages_setting(upload_root=UPLOAD_ROOT, b2_bucket=B2_BUCKET, b2_endpoint_url=B2_ENDPOINT_URL,
                            b2_key_id=B2_KEY_ID, b2_application_key=B2_APPLICATION_KEY, b2_region=B2_REGION)

# --- Celery: the legacy task names and payloads; in-process unless a broker is configured ------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None

APP_VERSION = "1.0.0"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT", str(PROJECT_ROOT / "reports" / "static"))

# Headers every response carries (the production module turns on HSTS and secure cookies on top).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# django-csp: the API serves JSON only; the admin's own scripts and styles are same-origin.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": ["'self'"], "object-src": ["'none'"], "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"], "form-action": ["'self'"]}}
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
# What `harness security` found missing on the admin's HTML (ZAP 10063, 90004-2): the API uses no browser feature,
# and the admin embeds nothing from elsewhere.
CROSS_ORIGIN_EMBEDDER_POLICY = "require-corp"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

LOGGING = {
    "version": 1, "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}
