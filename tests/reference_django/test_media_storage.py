"""The reference app's media storage (reference_django/media/storage.py, bucket.py) and its Celery wiring
(config/celery.py, media/tasks.py): the behaviour both apps' backends share (tests/storage_backends.py),
how the Django app chooses its backend from settings (django-storages' S3Storage as the `default` storage
when B2_BUCKET is set), the local bucket kept out of the URLconf, and the broker setting followed live.

The wire-level behaviour (P47-P61 and the local bucket) is tested on both apps in tests/api/."""
from __future__ import annotations

import os
from datetime import timedelta

import django
import pytest
from moto import mock_aws

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference_django.config.settings.test")
django.setup()

from django.core.files.storage import storages  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402
from storages.backends.s3 import S3Storage  # noqa: E402

from reference_django.config.celery import app as celery_app  # noqa: E402
from reference_django.config.storages import storages_setting  # noqa: E402
from reference_django.media import storage  # noqa: E402
from reference_django.media.storage import LocalBackend, S3Backend, backend_for, local_backend, media_backend  # noqa: E402
from tests.storage_backends import (  # noqa: E402
    BUCKET,
    KEY,
    LOCAL_SECRET,
    NOW,
    PUBLIC_BASE_URL,
    LocalStorageContract,
    S3StorageContract,
)


def s3_storages(*, endpoint_url: str | None = None, region: str = "us-east-1") -> dict:
    return storages_setting(upload_root="", b2_bucket=BUCKET, b2_endpoint_url=endpoint_url, b2_key_id="test",
                            b2_application_key="test", b2_region=region)


@pytest.fixture
def local(tmp_path) -> LocalBackend:
    return LocalBackend(tmp_path / "uploads", secret=LOCAL_SECRET, public_base_url=PUBLIC_BASE_URL)


@pytest.fixture(name="storage")
def storage_module():
    return storage


@pytest.fixture
def make_s3():
    """An S3Backend on the S3Storage that the STORAGES setting configures for a bucket."""
    def make(*, endpoint_url: str | None = None, region: str = "us-east-1",
             cdn_base_url: str | None = None) -> S3Backend:
        options = s3_storages(endpoint_url=endpoint_url, region=region)["default"]["OPTIONS"]
        return S3Backend(S3Storage(**options), cdn_base_url=cdn_base_url)

    return make


class TestLocalStorage(LocalStorageContract):
    pass


class TestS3Storage(S3StorageContract):
    pass


# --- choosing a backend -----------------------------------------------------------------------------

def test_no_bucket_means_the_local_backend_under_upload_root(tmp_path):
    with override_settings(B2_BUCKET=None, UPLOAD_ROOT=str(tmp_path), PUBLIC_BASE_URL="http://api.test"):
        backend = media_backend()
        assert isinstance(backend, LocalBackend) and (backend.provider, backend.bucket) == ("local", "local")
        assert backend.root == tmp_path and backend.storage_url(KEY) == f"http://api.test/api/v1/uploads/{KEY}"
        assert isinstance(backend_for("local", "local"), LocalBackend)
        assert backend_for("backblaze", "unpuzzle-media") is None  # the seed's B2 rows are out of reach


def test_a_bucket_means_the_default_storage_on_s3(tmp_path):
    with mock_aws(), override_settings(B2_BUCKET=BUCKET, UPLOAD_ROOT=str(tmp_path), CDN_BASE_URL=None,
                                       STORAGES=s3_storages()):
        backend = media_backend()
        assert isinstance(backend, S3Backend) and (backend.provider, backend.bucket) == ("backblaze", BUCKET)
        assert backend.storage is storages["default"] and isinstance(backend.storage, S3Storage)
        assert isinstance(local_backend(), LocalBackend)  # the file-upload routes still use the disk
        assert isinstance(backend_for("backblaze", BUCKET), S3Backend)
        assert backend_for("backblaze", "another-bucket") is None
        assert isinstance(backend_for("local", "local"), LocalBackend)


@pytest.mark.parametrize("signer", ["legacy", "django"])
def test_a_local_post_presigned_by_either_app_verifies_on_the_other(tmp_path, signer):
    # Both derive the local signing key from the shared JWT_SECRET: an upload URL handed out by one app
    # during the blue-green window is accepted by the other's bucket.
    from legacy_flask.storage import LocalBackend as LegacyLocalBackend

    legacy = LegacyLocalBackend(tmp_path, secret="shared-jwt-secret", public_base_url=PUBLIC_BASE_URL)
    ours = LocalBackend(tmp_path, secret="shared-jwt-secret", public_base_url=PUBLIC_BASE_URL)
    issuer, verifier = (legacy, ours) if signer == "legacy" else (ours, legacy)
    fields = issuer.presigned_post(KEY, "video/mp4", now=NOW).fields
    assert verifier.presigned_post(KEY, "video/mp4", now=NOW).fields == fields
    assert verifier.verify_post(fields, now=NOW + timedelta(minutes=1)).key == KEY


# --- the local bucket is storage, not a route ------------------------------------------------------------

@pytest.mark.parametrize("path", ["/_local-bucket/upload", "/_local-bucket"])
def test_the_local_bucket_is_outside_the_urlconf(path):
    from django.conf import settings

    with pytest.raises(Resolver404):
        resolve(path)
    assert "reference_django.media.bucket.LocalBucketMiddleware" in settings.MIDDLEWARE


# --- Celery -------------------------------------------------------------------------------------------

def test_tasks_run_eagerly_until_a_broker_is_configured():
    assert celery_app.conf.task_always_eager and celery_app.conf.broker_url == "memory://"
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/15"):
        assert not celery_app.conf.task_always_eager
        assert celery_app.conf.broker_url == "redis://127.0.0.1:6379/15"
        assert celery_app.pool.connection.as_uri().startswith("redis://")
    assert celery_app.conf.task_always_eager and celery_app.conf.broker_url == "memory://"
    assert celery_app.pool.connection.as_uri().startswith("memory://")  # no pool left on the old broker


def test_each_app_runs_its_own_task_under_the_shared_name(tmp_path):
    # One process with both apps (the harness, its tests): the legacy task name maps to each app's own code.
    from legacy_flask import create_app
    from reference_django.media import tasks

    legacy = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "CREATE_SCHEMA": False})
    try:
        assert celery_app.tasks[tasks.PROCESS_MEDIA] is tasks.process_media
        assert type(tasks.process_media).__module__ == "reference_django.media.tasks"
        assert legacy.extensions["celery"].tasks[tasks.PROCESS_MEDIA].run.__module__ == "legacy_flask.tasks"
    finally:
        legacy.extensions["db_engine"].dispose()
