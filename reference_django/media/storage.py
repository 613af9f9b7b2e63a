"""Where uploaded bytes live: the media storage backends behind API.md §3.7 and §3.9, on django-storages.

Two backends, one interface (`StorageBackend`), chosen by settings as the legacy app chooses them:

- `S3Backend`: Backblaze B2 through its S3-compatible API, i.e. the project's `default` storage
  (`storages.backends.s3.S3Storage`, configured from B2_* in settings when `B2_BUCKET` is set). P53 hands
  out a presigned POST made by boto3's `generate_presigned_post` on that storage's client, pinning the
  exact Content-Type, a content-length-range of 1..524288000 bytes and a 3600 s expiry; P54 then checks
  that the object really arrived (a missing object is a 400).
- `LocalBackend`: a `FileSystemStorage` under settings.UPLOAD_ROOT, the default when no bucket is
  configured and the disk the local file-upload routes (P47-P51) always use. Its presigned POST has S3's
  shape and SigV4 POST-policy signature, under a key derived from JWT_SECRET exactly as the legacy app
  derives it (so a POST presigned by either app verifies on the other during the blue-green window); its
  `uploadUrl` is the local bucket `POST /_local-bucket/upload` (media/bucket.py, outside the API routes).

  As in the legacy app, the local backend does not require the upload to have happened before P54 may
  complete the session (the Postman collection never posts bytes): `uploaded_size()` returns the real
  size when the file is on disk and otherwise trusts the size declared at initiate.

Nothing here knows about HTTP: errors are `StorageError` subclasses, mapped to API errors by the views.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from werkzeug.utils import secure_filename  # the legacy sanitiser: both apps must derive the same stored names

MAX_UPLOAD_BYTES = 524_288_000  # 500 MB: the content-length-range upper bound of API.md §3.9
PRESIGN_EXPIRY_SECONDS = 3600
SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
LOCAL_BUCKET = "local"
#: Where the local bucket is served beside the API, and its upload endpoint.
LOCAL_BUCKET_MOUNT = "/_local-bucket"
LOCAL_RECEIVER_PATH = LOCAL_BUCKET_MOUNT + "/upload"


class StorageError(Exception):
    """The storage service failed (network, credentials, disk)."""


class ObjectMissing(StorageError):
    """The object the client says it uploaded is not in storage."""


class UnsafePath(StorageError):
    """A relative path that is absolute or climbs out of the storage root."""


class PolicyViolation(StorageError):
    """A POST to the local bucket that its signed policy does not allow."""

    def __init__(self, message: str, *, forbidden: bool = False) -> None:
        super().__init__(message)
        self.forbidden = forbidden  # a bad or expired signature (403) rather than a bad form (400)


@dataclass(frozen=True, slots=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class PostPolicy:
    """What a verified local POST may store."""

    key: str
    content_type: str
    min_size: int
    max_size: int


class StorageBackend(Protocol):
    provider: str  # media_files.storage_provider
    bucket: str  # media_files.bucket_name

    def presigned_post(self, key: str, content_type: str) -> PresignedPost: ...

    def uploaded_size(self, key: str, declared_size: int) -> int: ...

    def storage_url(self, key: str) -> str: ...

    def cdn_url(self, key: str) -> str | None: ...

    def delete(self, key: str) -> None: ...


def safe_relative(path: str) -> PurePosixPath:
    """`path` as a relative POSIX path of plain segments; anything else is UnsafePath."""
    if not path or "\\" in path or "\x00" in path or path.startswith("/"):
        raise UnsafePath(path)
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise UnsafePath(path)
    return PurePosixPath(path)


def sanitized_filename(name: str, *, max_len: int = 150) -> str:
    """`secure_filename` on the stem and the extension apart, so that the extension survives a stem with
    nothing safe left in it (`видео.mp4` -> `upload.mp4`), and capped in length."""
    stem, dot, ext = name.rpartition(".")
    if not dot or "/" in ext or "\\" in ext:
        stem, ext = name, ""
    ext = secure_filename(ext).lower()[:16]
    stem = (secure_filename(stem) or "upload")[: max_len - len(ext) - 1]
    return f"{stem}.{ext}" if ext else stem


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_signature(secret: str, policy_b64: str, datestamp: str, region: str) -> str:
    """The x-amz-signature of a POST policy (AWS SigV4: the policy is the string to sign)."""
    key = _hmac(f"AWS4{secret}".encode(), datestamp)
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()


class LocalBackend:
    """Files under a FileSystemStorage root; presigned POSTs answered by the local bucket."""

    provider = "local"
    bucket = LOCAL_BUCKET
    region = "local"
    access_key = "local"

    def __init__(self, root: str | Path, *, secret: str, public_base_url: str) -> None:
        self.files = FileSystemStorage(location=str(root), allow_overwrite=True)
        self.root = Path(self.files.location)
        self._secret = hashlib.sha256(b"local-storage:" + secret.encode()).hexdigest()
        self.public_base_url = public_base_url.rstrip("/")

    # --- plain file access (P47-P51) -------------------------------------------------------
    def path(self, key: str) -> Path:
        """The absolute path of `key`, which must stay inside the root."""
        return self.root.joinpath(*safe_relative(key).parts)

    def save(self, key: str, stream: IO[bytes] | File) -> int:
        """Writes (or overwrites) `key`; an uploaded temporary file is moved rather than copied."""
        safe_relative(key)
        content = stream if isinstance(stream, File) else File(stream)
        return self.files.size(self.files.save(key, content))

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except UnsafePath:
            return False

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    # --- the StorageBackend side (P53-P59) -------------------------------------------------
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
        # The conditions S3 itself would write into a presigned POST, in its order.
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
        """Check a POST to the local bucket the way S3 checks one: signature, expiry, conditions."""
        required = ("key", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
        missing = [name for name in required if not form.get(name)]
        if missing:
            raise PolicyViolation(f"Missing form field '{missing[0]}'")
        policy_b64 = form["policy"]
        credential = form["x-amz-credential"]
        datestamp = credential.split("/")[1] if credential.count("/") == 4 else ""
        expected = sigv4_signature(self._secret, policy_b64, datestamp, self.region)
        if form["x-amz-algorithm"] != SIGV4_ALGORITHM or not hmac.compare_digest(expected, form["x-amz-signature"]):
            raise PolicyViolation("The request signature does not match", forbidden=True)
        try:
            policy = json.loads(base64.b64decode(policy_b64, validate=True))
            expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            conditions = list(policy["conditions"])
        except (ValueError, KeyError, TypeError):
            raise PolicyViolation("The policy is malformed", forbidden=True) from None
        if expires < (now or datetime.now(UTC)):
            raise PolicyViolation("The policy has expired", forbidden=True)
        size_range = _check_conditions(conditions, {**form, "bucket": self.bucket})
        try:
            safe_relative(form["key"])
        except UnsafePath:
            raise PolicyViolation("Invalid key") from None
        return PostPolicy(key=form["key"], content_type=form.get("Content-Type", ""),
                          min_size=size_range[0], max_size=size_range[1])


def _check_conditions(conditions: list[Any], values: Mapping[str, str]) -> tuple[int, int]:
    """The POST-policy conditions against the form; returns the allowed size range."""
    size_range = (1, MAX_UPLOAD_BYTES)
    for cond in conditions:
        if isinstance(cond, dict):
            for name, value in cond.items():
                if values.get(name) != value:
                    raise PolicyViolation(f"Policy condition failed: {name}")
        elif isinstance(cond, list) and cond and cond[0] == "content-length-range":
            size_range = (int(cond[1]), int(cond[2]))
        elif isinstance(cond, list) and len(cond) == 3 and cond[0] in ("eq", "starts-with"):
            actual = str(values.get(str(cond[1]).lstrip("$"), ""))
            if (cond[0] == "eq" and actual != cond[2]) or (cond[0] == "starts-with" and not actual.startswith(cond[2])):
                raise PolicyViolation(f"Policy condition failed: {cond[1]}")
        else:
            raise PolicyViolation("The policy is malformed", forbidden=True)
    return size_range


class S3Backend:
    """Backblaze B2 (or any S3 API) through a django-storages S3Storage and its boto3 client."""

    provider = "backblaze"

    def __init__(self, storage: Any, *, cdn_base_url: str | None) -> None:
        self.storage = storage
        self.bucket = storage.bucket_name
        self.cdn_base_url = cdn_base_url.rstrip("/") if cdn_base_url else None

    @property
    def client(self) -> Any:
        return self.storage.connection.meta.client

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
        try:
            return int(self.storage.size(key))
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        except Exception as exc:
            raise StorageError(f"Could not check the upload: {exc}") from exc

    def storage_url(self, key: str) -> str:
        return f"{self.client.meta.endpoint_url}/{self.bucket}/{key}"

    def cdn_url(self, key: str) -> str | None:
        return f"{self.cdn_base_url}/{key}" if self.cdn_base_url else None

    def delete(self, key: str) -> None:
        try:
            self.storage.delete(key)
        except Exception as exc:
            raise StorageError(f"Could not delete {key}: {exc}") from exc


def local_backend() -> LocalBackend:
    """The disk under UPLOAD_ROOT (the file-upload routes, and the media backend without a bucket)."""
    return LocalBackend(settings.UPLOAD_ROOT, secret=settings.JWT_SECRET, public_base_url=settings.PUBLIC_BASE_URL)


def media_backend() -> StorageBackend:
    """The backend of presigned media uploads: the B2 bucket (the `default` storage) when configured."""
    if settings.B2_BUCKET:
        return S3Backend(storages["default"], cdn_base_url=settings.CDN_BASE_URL)
    return local_backend()


def backend_for(provider: str, bucket: str) -> StorageBackend | None:
    """The backend holding a media_files row's object, or None when this app cannot reach it."""
    if provider == LocalBackend.provider:
        return local_backend()
    backend = media_backend()
    return backend if backend.provider == provider and backend.bucket == bucket else None
