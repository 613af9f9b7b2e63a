"""The local bucket: a stand-in for the B2/S3 endpoint that the local storage backend's presigned
POSTs target. It is storage, not API: a separate WSGI app mounted beside the API at `/_local-bucket`,
so the API's own url_map stays exactly API.md's routes. It checks a POST the way S3 does (signature,
expiry, policy conditions), stores the file under UPLOAD_ROOT and answers 204 like S3. With a real
bucket configured (B2_BUCKET) it answers 404 to everything.
"""
from __future__ import annotations

from flask import Flask, Response
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from . import errors
from .errors import Forbidden, InvalidRequest, NotFound, invalid_field
from .storage import LOCAL_BUCKET_MOUNT, LocalBackend, PolicyViolation, UnsafePath, media_backend


def mount(api_app: Flask) -> None:
    bucket = Flask(__name__ + ".bucket")
    bucket.config.update(api_app.config)
    bucket.url_map.strict_slashes = True
    bucket.register_error_handler(Exception, errors.render_plain)

    @bucket.post("/upload")
    def upload():
        from .resources.uploads import read_multipart

        with api_app.app_context():
            backend = media_backend()
            if not isinstance(backend, LocalBackend):
                raise NotFound("Resource not found")
            form, files = read_multipart()
            try:
                policy = backend.verify_post(form)
            except PolicyViolation as exc:
                raise (Forbidden(str(exc)) if exc.forbidden else InvalidRequest(str(exc))) from None
            file = files.get("file")
            if file is None:
                raise invalid_field("file", "a file is required")
            stream = file.stream
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(0)
            if not policy.min_size <= size <= policy.max_size:
                raise invalid_field("file", "size is outside the policy's content-length-range")
            try:
                backend.save(policy.key, stream)
            except UnsafePath:  # pragma: no cover - verify_post already rejects such keys
                raise invalid_field("key", "is not a safe path") from None
        return Response(status=204)

    api_app.wsgi_app = DispatcherMiddleware(api_app.wsgi_app, {LOCAL_BUCKET_MOUNT: bucket.wsgi_app})  # type: ignore[method-assign]
