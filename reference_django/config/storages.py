"""The STORAGES setting from the legacy storage settings, in one place for the settings module and for
anything that re-points them (the test wrapper): the B2 bucket through django-storages' S3 backend when
B2_BUCKET is set, else the disk under UPLOAD_ROOT."""
from __future__ import annotations

from typing import Any

STATICFILES = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def storages_setting(*, upload_root: str, b2_bucket: str | None, b2_endpoint_url: str | None = None,
                     b2_key_id: str | None = None, b2_application_key: str | None = None,
                     b2_region: str | None = None) -> dict[str, Any]:
    if not b2_bucket:
        return {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                            "OPTIONS": {"location": upload_root}},
                "staticfiles": STATICFILES}
    return {"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": b2_bucket, "endpoint_url": b2_endpoint_url, "access_key": b2_key_id,
        "secret_key": b2_application_key, "region_name": b2_region or "us-east-1", "default_acl": None,
        "querystring_auth": True,
        # SigV4 signs the presigned POST policies (x-amz-algorithm AWS4-HMAC-SHA256), as B2 requires.
        "signature_version": "s3v4"}},
        "staticfiles": STATICFILES}
