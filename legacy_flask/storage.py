"""Where uploaded bytes live: the media storage backends behind API.md §3.7 and §3.9.

Two backends, one interface (`StorageBackend`):

- `S3Backend`: Backblaze B2 through its S3-compatible API (boto3). Chosen when `B2_BUCKET` is
  configured. P53 hands out a presigned POST (`generate_presigned_post`) whose policy pins the
  exact Content-Type, a content-length-range of 1..524288000 bytes and a 3600 s expiry; P54 then
  checks with HEAD that the object really arrived (a missing object is a 400).
- `LocalBackend`: the default when no bucket is configured, and the disk under `UPLOAD_ROOT` that
  the local file-upload routes (P47–P51) always use. Its presigned POST has the same shape as S3's
  (`key`, `Content-Type`, `policy`, `x-amz-algorithm`, `x-amz-credential`, `x-amz-date`,
  `x-amz-signature`), signed with SigV4's POST-policy algorithm under a key derived from the app
  secret, and its `uploadUrl` is the local bucket `POST /_local-bucket/upload` (legacy_flask.bucket), which checks
  that signature and the policy's conditions like S3 would and writes the file to
  `<UPLOAD_ROOT>/<key>` (served back by P51).

  Deliberate choice: the local backend does **not** require the upload to have happened before
  P54 may complete the session. The Postman collection calls initiate then complete without ever
  posting bytes, and the embedded default setup has to pass it. So `uploaded_size()` returns the
  real size when the file is on disk and otherwise trusts the size declared at initiate.

Nothing here knows about HTTP: errors are `StorageError` subclasses, mapped to API errors by the
resources.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from flask import current_app
from werkzeug.utils import secure_filename

MAX_UPLOAD_BYTES = 524_288_000  # 500 MB: the content-length-range upper bound of API.md §3.9
PRESIGN_EXPIRY_SECONDS = 3600
SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
#: The fields a POST to the local receiver must carry, in the order a missing one is named.
POST_FIELDS = ("key", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
LOCAL_BUCKET = "local"
#: Where the local bucket (legacy_flask.bucket) is mounted beside the API, and its upload endpoint.
LOCAL_BUCKET_MOUNT = "/_local-bucket"
LOCAL_RECEIVER_PATH = LOCAL_BUCKET_MOUNT + "/upload"


class StorageError(Exception):
    """The storage service failed (network, credentials, disk)."""


class ObjectMissing(StorageError):
    """The object the client says it uploaded is not in storage."""


class UnsafePath(StorageError):
    """A relative path that is absolute or climbs out of the storage root."""


class PolicyViolation(StorageError):
    """A POST to the local receiver that its signed policy does not allow."""

    def __init__(self, message: str, *, forbidden: bool = False) -> None:
        super().__init__(message)
        self.forbidden = forbidden  # a bad or expired signature (403) rather than a bad form (400)


@dataclass(frozen=True, slots=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


class StorageBackend(Protocol):
    provider: str  # media_files.storage_provider
    bucket: str  # media_files.bucket_name

    def presigned_post(self, key: str, content_type: str) -> PresignedPost: ...

    def uploaded_size(self, key: str, declared_size: int) -> int: ...

    def storage_url(self, key: str) -> str: ...

    def cdn_url(self, key: str) -> str | None: ...

    def delete(self, key: str) -> None: ...


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_signature(secret: str, policy_b64: str, datestamp: str, region: str) -> str:
    """The x-amz-signature of a POST policy (AWS SigV4: the policy is the string to sign)."""
    key = _hmac(f"AWS4{secret}".encode(), datestamp)
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()


def safe_relative(path: str) -> PurePosixPath:
    """`path` as a relative POSIX path of plain segments; anything else is UnsafePath."""
    if not path or "\\" in path or "\x00" in path or path.startswith("/"):
        raise UnsafePath(path)
    rel = PurePosixPath(path)
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise UnsafePath(path)
    return rel


def sanitized_filename(name: str, *, max_len: int = 150) -> str:
    """werkzeug's `secure_filename`, applied to the stem and the extension apart so that the extension
    survives a stem with nothing safe left in it (`видео.mp4` -> `upload.mp4`), and capped in length."""
    stem, dot, ext = name.rpartition(".")
    if not dot or "/" in ext or "\\" in ext:
        stem, ext = name, ""
    ext = secure_filename(ext).lower()[:16]
    stem = (secure_filename(stem) or "upload")[: max_len - len(ext) - 1]
    return f"{stem}.{ext}" if ext else stem


@dataclass(frozen=True, slots=True)
class PostPolicy:
    """What a verified local POST may store."""

    key: str
    content_type: str
    min_size: int
    max_size: int


class LocalBackend:
    """Files on the local disk under `root`; presigned POSTs answered by the local receiver."""

    provider = "local"
    bucket = LOCAL_BUCKET
    region = "local"
    access_key = "local"

    def __init__(self, root: str | Path, *, secret: str, public_base_url: str) -> None:
        self.root = Path(root)
        self._secret = hashlib.sha256(b"local-storage:" + secret.encode()).hexdigest()
        self.public_base_url = public_base_url.rstrip("/")

    # --- plain file access (P47–P51) -------------------------------------------------------
    def path(self, key: str) -> Path:
        """The absolute path of `key`, which must stay inside the root."""
        return self.root.joinpath(*safe_relative(key).parts)

    def save(self, key: str, stream: IO[bytes]) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(stream, out, length=1024 * 1024)
        return target.stat().st_size

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except UnsafePath:
            return False

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    # --- the StorageBackend side (P53–P59) -------------------------------------------------
    def storage_url(self, key: str) -> str:
        return f"{self.public_base_url}/api/v1/uploads/{key}"

    def cdn_url(self, key: str) -> str | None:
        return None

    def uploaded_size(self, key: str, declared_size: int) -> int:
        # See the module docstring: completing without an upload is allowed on purpose.
        path = self.path(key)
        return path.stat().st_size if path.is_file() else declared_size

    def presigned_post(self, key: str, content_type: str, *, now: datetime | None = None) -> PresignedPost:
        now = now or datetime.now(UTC)
        datestamp, amz_date = now.strftime("%Y%m%d"), now.strftime("%Y%m%dT%H%M%SZ")
        credential = f"{self.access_key}/{datestamp}/{self.region}/s3/aws4_request"
        expiration = (now + timedelta(seconds=PRESIGN_EXPIRY_SECONDS)).strftime("%Y-%m-%dT%H:%M:%SZ")
        conditions: list[Any] = [
            {"Content-Type": content_type}, ["content-length-range", 1, MAX_UPLOAD_BYTES],
            {"bucket": self.bucket}, {"key": key}, {"x-amz-algorithm": SIGV4_ALGORITHM},
            {"x-amz-credential": credential}, {"x-amz-date": amz_date},
        ]
        policy = base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()
        fields = {"key": key, "Content-Type": content_type, "policy": policy, "x-amz-algorithm": SIGV4_ALGORITHM,
                  "x-amz-credential": credential, "x-amz-date": amz_date,
                  "x-amz-signature": sigv4_signature(self._secret, policy, datestamp, self.region)}
        return PresignedPost(url=self.public_base_url + LOCAL_RECEIVER_PATH, fields=fields)

    def verify_post(self, form: Mapping[str, str], *, now: datetime | None = None) -> PostPolicy:
        """Check a POST to the local receiver the way S3 checks one: signature, expiry, conditions."""
        missing = [name for name in POST_FIELDS if not form.get(name)]
        if missing:
            raise PolicyViolation(f"Missing form field '{missing[0]}'")
        self._check_signature(form)
        conditions = _unexpired_conditions(form["policy"], now)
        size_range = _check_conditions(conditions, {**form, "bucket": self.bucket})
        try:
            safe_relative(form["key"])
        except UnsafePath:
            raise PolicyViolation("Invalid key") from None
        return PostPolicy(key=form["key"], content_type=form.get("Content-Type", ""),
                          min_size=size_range[0], max_size=size_range[1])

    def _check_signature(self, form: Mapping[str, str]) -> None:
        """The form's SigV4 signature of its policy, with the date of its credential (403 when it differs)."""
        credential = form["x-amz-credential"]
        datestamp = credential.split("/")[1] if credential.count("/") == 4 else ""
        expected = sigv4_signature(self._secret, form["policy"], datestamp, self.region)
        if form["x-amz-algorithm"] != SIGV4_ALGORITHM or not hmac.compare_digest(expected, form["x-amz-signature"]):
            raise PolicyViolation("The request signature does not match", forbidden=True)


def _unexpired_conditions(policy_b64: str, now: datetime | None) -> list[Any]:
    """The conditions of the base64 policy document, unless it is malformed or has expired (403)."""
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
        expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        conditions = list(policy["conditions"])
    except (ValueError, KeyError, TypeError):
        raise PolicyViolation("The policy is malformed", forbidden=True) from None
    if expires < (now or datetime.now(UTC)):
        raise PolicyViolation("The policy has expired", forbidden=True)
    return conditions


def _check_conditions(conditions: list[Any], values: Mapping[str, str]) -> tuple[int, int]:
    """The POST-policy conditions against the form; returns the allowed size range."""
    size_range = (1, MAX_UPLOAD_BYTES)
    for cond in conditions:
        if isinstance(cond, dict):
            _check_exact(cond, values)
        elif isinstance(cond, list) and cond and cond[0] == "content-length-range":
            size_range = (int(cond[1]), int(cond[2]))
        elif isinstance(cond, list) and len(cond) == 3 and cond[0] in ("eq", "starts-with"):
            _check_match(cond, values)
        else:
            raise PolicyViolation("The policy is malformed", forbidden=True)
    return size_range


def _check_exact(cond: dict[str, Any], values: Mapping[str, str]) -> None:
    """{"field": value}: the form's field must be exactly the value."""
    for name, value in cond.items():
        if values.get(name) != value:
            raise PolicyViolation(f"Policy condition failed: {name}")


def _check_match(cond: list[Any], values: Mapping[str, str]) -> None:
    """["eq" | "starts-with", "$field", value]: the form's field (empty when absent) against the value."""
    operator, field, expected = cond
    actual = str(values.get(str(field).lstrip("$"), ""))
    matches = actual == expected if operator == "eq" else actual.startswith(expected)
    if not matches:
        raise PolicyViolation(f"Policy condition failed: {field}")


class S3Backend:
    """Backblaze B2 (or any S3 API) through boto3."""

    provider = "backblaze"

    def __init__(self, bucket: str, *, endpoint_url: str | None, key_id: str | None, secret: str | None,
                 region: str, cdn_base_url: str | None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url, aws_access_key_id=key_id,
                                   aws_secret_access_key=secret, region_name=region,
                                   config=Config(signature_version="s3v4"))
        self.cdn_base_url = cdn_base_url.rstrip("/") if cdn_base_url else None

    def presigned_post(self, key: str, content_type: str) -> PresignedPost:
        try:
            resp = self.client.generate_presigned_post(
                self.bucket, key, Fields={"Content-Type": content_type},
                Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, MAX_UPLOAD_BYTES]],
                ExpiresIn=PRESIGN_EXPIRY_SECONDS)
        except Exception as exc:
            raise StorageError(f"Could not presign the upload: {exc}") from exc
        return PresignedPost(url=resp["url"], fields=dict(resp["fields"]))

    def uploaded_size(self, key: str, declared_size: int) -> int:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise ObjectMissing(key) from None
            raise StorageError(f"Could not check the upload: {exc}") from exc
        except Exception as exc:
            raise StorageError(f"Could not check the upload: {exc}") from exc
        return int(head["ContentLength"])

    def storage_url(self, key: str) -> str:
        return f"{self.client.meta.endpoint_url}/{self.bucket}/{key}"

    def cdn_url(self, key: str) -> str | None:
        return f"{self.cdn_base_url}/{key}" if self.cdn_base_url else None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise StorageError(f"Could not delete {key}: {exc}") from exc


def build_backend(config: Mapping[str, Any]) -> StorageBackend:
    if config.get("B2_BUCKET"):
        return S3Backend(config["B2_BUCKET"], endpoint_url=config.get("B2_ENDPOINT_URL"),
                         key_id=config.get("B2_KEY_ID"), secret=config.get("B2_APPLICATION_KEY"),
                         region=config.get("B2_REGION") or "us-east-1", cdn_base_url=config.get("CDN_BASE_URL"))
    return _local_from(config)


def _local_from(config: Mapping[str, Any]) -> LocalBackend:
    return LocalBackend(config["UPLOAD_ROOT"], secret=config["JWT_SECRET"], public_base_url=config["PUBLIC_BASE_URL"])


def media_backend() -> StorageBackend:
    """The app's backend for presigned media uploads (built once per app)."""
    ext = current_app.extensions
    if "media_storage" not in ext:
        ext["media_storage"] = build_backend(current_app.config)
    return ext["media_storage"]


def local_storage() -> LocalBackend:
    """The app's local disk under UPLOAD_ROOT (the file-upload routes and the local media backend)."""
    backend = media_backend()
    if isinstance(backend, LocalBackend):
        return backend
    ext = current_app.extensions
    if "local_storage" not in ext:
        ext["local_storage"] = _local_from(current_app.config)
    return ext["local_storage"]


def backend_for(provider: str, bucket: str) -> StorageBackend | None:
    """The backend holding a media_files row's object, or None when this app cannot reach it."""
    if provider == LocalBackend.provider:
        return local_storage()
    backend = media_backend()
    return backend if backend.provider == provider and backend.bucket == bucket else None
