"""The local bucket: a stand-in for the B2/S3 endpoint that the local storage backend's presigned POSTs
target (`POST /_local-bucket/upload`). It is storage, not API, so it is not in the URLconf (the API's
routes stay exactly API.md's): `LocalBucketMiddleware` answers every path under `/_local-bucket` itself,
the way the legacy app mounts its bucket as a separate WSGI app beside the API.

It checks a POST the way S3 does (signature, expiry, policy conditions) - the policy is the grant, so no
token and no CSRF - stores the file under UPLOAD_ROOT and answers 204 like S3. With a real bucket
configured (B2_BUCKET) it answers 404. Errors use the API's envelope with werkzeug's wording, as the
legacy bucket app renders them.
"""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from reference_django.common.exceptions import (
    ApiError,
    Forbidden,
    InvalidRequest,
    NotFound,
    error_response,
    invalid_field,
)

from .storage import LOCAL_BUCKET_MOUNT, LOCAL_RECEIVER_PATH, LocalBackend, PolicyViolation, media_backend
from .uploads import read_multipart

NO_SUCH_PATH = ("The requested URL was not found on the server. If you entered the URL manually please check "
                "your spelling and try again.")
METHOD_NOT_ALLOWED = "The method is not allowed for the requested URL."


def is_bucket_path(path: str) -> bool:
    return path == LOCAL_BUCKET_MOUNT or path.startswith(LOCAL_BUCKET_MOUNT + "/")


class LocalBucketMiddleware:
    """Serves `/_local-bucket/...` before URL resolution; everything else goes on to the API."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_bucket_path(request.path_info):
            return bucket_view(request)
        return self.get_response(request)


def bucket_view(request: HttpRequest) -> HttpResponse:
    if request.path_info != LOCAL_RECEIVER_PATH:
        return error_response(404, "NOT_FOUND", NO_SUCH_PATH)
    if request.method == "OPTIONS":
        return HttpResponse(status=200, content_type="text/html; charset=utf-8", headers={"Allow": "OPTIONS, POST"})
    if request.method != "POST":
        return error_response(405, "METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED)
    try:
        upload(request)
    except ApiError as exc:
        return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)
    return HttpResponse(status=204)


def upload(request: HttpRequest) -> None:
    backend = media_backend()
    if not isinstance(backend, LocalBackend):
        raise NotFound("Resource not found")
    multipart = read_multipart(request)
    try:
        policy = backend.verify_post(multipart.fields)
    except PolicyViolation as exc:
        raise (Forbidden(str(exc)) if exc.forbidden else InvalidRequest(str(exc))) from None
    file = multipart.files.get("file")
    if file is None:
        raise invalid_field("file", "a file is required")
    if not policy.min_size <= file.size <= policy.max_size:
        raise invalid_field("file", "size is outside the policy's content-length-range")
    backend.save(policy.key, file)

