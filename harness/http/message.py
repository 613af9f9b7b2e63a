"""One HTTP request as it goes on the wire (`Sent`) and the reply to it (`Reply`), with the few ways a request is
made (a JSON body, a multipart form) and read (a dotted path into a JSON body, the evidence a finding keeps)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

Headers = list[tuple[str, str]]


@dataclass(slots=True)
class Sent:
    """A request exactly as a side receives it: method, path with its query string (no scheme or host), the
    headers in order, the body's bytes."""

    method: str
    path: str
    headers: Headers
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return _first(self.headers, name)


@dataclass(slots=True)
class Reply:
    """A reply as a client receives it: status, every header in order (Set-Cookie repeated), the body's bytes."""

    status: int
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        return _first(self.headers, name)

    def headers_named(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def json(self) -> Any:
        """The body as a client that honours Content-Type reads it: the parsed document when the reply says it
        is JSON (`application/json` or `+json`) and is, else None."""
        media = (self.header("Content-Type") or "").split(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            return None
        return _parsed(self.body)

    @property
    def body_json(self) -> Any:
        """The body parsed as JSON whatever its Content-Type says; None when it is empty or not JSON."""
        return _parsed(self.body or b"null")

    @property
    def cookies(self) -> dict[str, str]:
        """Each cookie the reply sets, by name: its value (the last Set-Cookie for a name wins)."""
        jar: dict[str, str] = {}
        for raw in self.headers_named("Set-Cookie"):
            parsed = SimpleCookie()
            parsed.load(raw)
            jar.update((name, morsel.value) for name, morsel in parsed.items())
        return jar


@dataclass(slots=True)
class Upload:
    """One file of a multipart form: the form field, the file's name, bytes and media type."""

    field: str
    filename: str
    content: bytes
    content_type: str


def json_request(method: str, path: str, document: Any = None, headers: Iterable[tuple[str, str]] = ()) -> Sent:
    """A request with `document` as its JSON body (Content-Type added after `headers`); no body when None."""
    headers = list(headers)
    if document is None:
        return Sent(method, path, headers)
    return Sent(method, path, [*headers, ("Content-Type", "application/json")], json.dumps(document).encode())


def multipart_request(method: str, path: str, fields: Mapping[str, str], files: Sequence[Upload] = (),
                      headers: Iterable[tuple[str, str]] = ()) -> Sent:
    """A `multipart/form-data` request: the text `fields`, then the `files`, in order (Content-Type added after
    `headers`, with the boundary unquoted, as browsers send it)."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    parts: dict[str, Any] = dict(fields)
    for upload in files:
        parts[upload.field] = FileStorage(BytesIO(upload.content), filename=upload.filename,
                                          content_type=upload.content_type)
    boundary, body = encode_multipart(parts)
    return Sent(method, path, [*headers, ("Content-Type", f"multipart/form-data; boundary={boundary}")], body)


def json_at(document: Any, path: str) -> Any:
    """The value at a dotted path of a JSON document ("data.quizPoints.0.id": keys and list indices); None when a
    step is missing."""
    for part in path.split("."):
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def reply_evidence(reply: Reply, limit: int = 4000) -> dict[str, Any]:
    """A reply as a finding keeps it: status, headers, and the JSON body (or the first `limit` bytes as text)."""
    body: Any = reply.json
    if body is None:
        body = reply.body[:limit].decode("utf-8", "replace")
    return {"status": reply.status, "headers": [[k, v] for k, v in reply.headers], "body": body}


def _first(headers: Headers, name: str) -> str | None:
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), None)


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
