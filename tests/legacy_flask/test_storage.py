"""The storage backends of legacy_flask/storage.py: the behaviour both apps' backends share
(tests/storage_backends.py: the local disk, its S3-shaped presigned POST and verification, the B2/S3
backend against moto), and how the legacy app chooses its backend from its config."""
from __future__ import annotations

import pytest
from flask import Flask
from moto import mock_aws

from legacy_flask import storage
from legacy_flask.storage import LocalBackend, S3Backend, backend_for, build_backend, local_storage, media_backend
from tests.storage_backends import BUCKET, LOCAL_SECRET, PUBLIC_BASE_URL, LocalStorageContract, S3StorageContract


@pytest.fixture
def local(tmp_path) -> LocalBackend:
    return LocalBackend(tmp_path / "uploads", secret=LOCAL_SECRET, public_base_url=PUBLIC_BASE_URL)


@pytest.fixture(name="storage")
def storage_module():
    return storage


@pytest.fixture
def make_s3():
    def make(*, endpoint_url: str | None = None, region: str = "us-east-1",
             cdn_base_url: str | None = None) -> S3Backend:
        return S3Backend(BUCKET, endpoint_url=endpoint_url, key_id="test", secret="test", region=region,
                         cdn_base_url=cdn_base_url)

    return make


class TestLocalStorage(LocalStorageContract):
    pass


class TestS3Storage(S3StorageContract):
    pass


# --- choosing a backend -----------------------------------------------------------------------------

def _flask(tmp_path, **config) -> Flask:
    app = Flask(__name__)
    app.config.update(UPLOAD_ROOT=str(tmp_path), JWT_SECRET="x", PUBLIC_BASE_URL="http://api.test", **config)
    return app


def test_no_bucket_means_the_local_backend(tmp_path):
    app = _flask(tmp_path, B2_BUCKET=None)
    with app.app_context():
        backend = media_backend()
        assert isinstance(backend, LocalBackend) and backend is media_backend() and backend is local_storage()
        assert (backend.provider, backend.bucket) == ("local", "local")
        assert backend_for("local", "local") is backend
        assert backend_for("backblaze", "unpuzzle-media") is None  # the seed's B2 rows are out of reach


def test_a_bucket_means_the_s3_backend(tmp_path):
    with mock_aws():
        app = _flask(tmp_path, B2_BUCKET=BUCKET, B2_ENDPOINT_URL=None, B2_KEY_ID="k", B2_APPLICATION_KEY="s",
                     B2_REGION="us-east-1", CDN_BASE_URL=None)
        with app.app_context():
            backend = media_backend()
            assert isinstance(backend, S3Backend) and (backend.provider, backend.bucket) == ("backblaze", BUCKET)
            assert isinstance(local_storage(), LocalBackend)  # the file-upload routes still use the disk
            assert backend_for("backblaze", BUCKET) is backend
            assert backend_for("backblaze", "another-bucket") is None
    assert isinstance(build_backend({"B2_BUCKET": None, "UPLOAD_ROOT": str(tmp_path), "JWT_SECRET": "x",
                                     "PUBLIC_BASE_URL": "http://x"}), LocalBackend)
