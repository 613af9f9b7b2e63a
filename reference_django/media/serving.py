"""A stored file as the legacy app serves it (werkzeug's `send_file(conditional=True)`, API.md P51): inline,
`Cache-Control: no-cache`, its ETag and Last-Modified, `Accept-Ranges: bytes`, a single byte range as 206
(an unparsable or unsatisfiable one as the 416 envelope), and 304/412 for conditional requests.

Range and If-Range are read with werkzeug's HTTP helpers, on Django's WSGI environ (`request.META`), so
both apps agree on every range they accept and refuse."""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from werkzeug.http import is_resource_modified, parse_range_header

from reference_django.common.exceptions import ApiError

CHUNK_BYTES = 64 * 1024


def file_response(request: HttpRequest, path: Path, content_type: str) -> HttpResponseBase:
    stat = path.stat()
    size = stat.st_size
    # werkzeug's own ETag: mtime, size and a checksum of the path.
    etag = f'"{stat.st_mtime}-{size}-{zlib.adler32(str(path).encode()) & 0xFFFFFFFF}"'
    last_modified = http_date(stat.st_mtime)
    headers = {"Content-Disposition": f"inline; filename={path.name}", "Cache-Control": "no-cache", "ETag": etag,
               "Last-Modified": last_modified, "Accept-Ranges": "bytes"}

    byte_range = requested_range(request, size, etag, last_modified)
    if byte_range is None:
        unconditional = HttpResponse(headers=headers)
        conditional = get_conditional_response(request, etag=etag, last_modified=int(stat.st_mtime),
                                               response=unconditional)
        if conditional is not unconditional:  # 304 Not Modified or 412 Precondition Failed
            conditional["Content-Disposition"], conditional["Accept-Ranges"] = headers["Content-Disposition"], "bytes"
            if conditional.status_code == 304:
                del conditional["Last-Modified"]  # an entity header werkzeug leaves off a 304
            return conditional
        start, length, status = 0, size, 200
    else:
        start, stop = byte_range
        length, status = stop - start, 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"

    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return HttpResponse(status=status, content_type=content_type, headers=headers)
    return StreamingHttpResponse(_chunks(path, start, length), status=status, content_type=content_type,
                                 headers=headers)


def requested_range(request: HttpRequest, size: int, etag: str, last_modified: str) -> tuple[int, int] | None:
    """(start, stop) of a satisfiable single range; None to send the whole file; 416 otherwise."""
    environ = request.META
    if not size or "HTTP_RANGE" not in environ:
        return None
    if "HTTP_IF_RANGE" in environ and is_resource_modified(environ, etag, last_modified=last_modified,
                                                           ignore_if_range=False):
        return None  # the client's copy is stale: it gets the whole file
    parsed = parse_range_header(environ["HTTP_RANGE"])
    byte_range = parsed.range_for_length(size) if parsed is not None else None
    if byte_range is None:
        raise ApiError("The requested range cannot be satisfied", status=416, code="INVALID_REQUEST",
                       headers={"Content-Range": f"bytes */{size}"})
    return byte_range


def _chunks(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        remaining = length
        while remaining > 0:
            chunk = f.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
