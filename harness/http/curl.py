"""A request as a curl command line a person can paste: the reproduction every finding carries.

The command sends what the harness sent: the method, the path as given (`--path-as-is` when it holds dot
segments, which curl would otherwise resolve), each header, and the body — a text body as `--data-raw`, a
multipart form as `--form-string` fields and `-F` files (read from files of those names), any other body from
`body.bin`. Curl adds only its own User-Agent and Accept, and Host names the URL's server unless the request
named one; Content-Length is curl's to compute.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from .message import Sent

#: Headers curl writes itself from the command (the multipart Content-Type carries curl's own boundary).
_CURL_WRITES = frozenset({"content-length", "transfer-encoding"})
_DOT_SEGMENT = re.compile(r"(^|/)\.\.?(/|$)")
_NEEDS_QUOTES = re.compile(r'[;,"\\\s]')


def curl(sent: Sent, base_url: str) -> str:
    """`sent` addressed to `base_url` ("http://127.0.0.1:5000"), as one shell-quoted command line."""
    path = sent.path.split("?", 1)[0]
    argv = ["curl", "-i", "-X", sent.method]
    if _DOT_SEGMENT.search(path):
        argv.append("--path-as-is")
    form = _form_parts(sent)
    argv += _header_args(sent, multipart=form is not None)
    argv += form if form is not None else _body_args(sent)
    argv.append(base_url.rstrip("/") + sent.path)
    return shlex.join(argv)


def _header_args(sent: Sent, *, multipart: bool) -> list[str]:
    args: list[str] = []
    for name, value in sent.headers:
        if name.lower() in _CURL_WRITES or (multipart and name.lower() == "content-type"):
            continue
        # `-H 'Name:'` would remove curl's own header of that name; `-H 'Name;'` sends it empty.
        args += ["-H", f"{name}: {value}" if value else f"{name};"]
    if sent.body and sent.header("Content-Type") is None:
        args += ["-H", "Content-Type:"]  # curl would label the body a urlencoded form
    return args


def _body_args(sent: Sent) -> list[str]:
    if not sent.body:
        return []
    text = _text(sent.body)
    return ["--data-binary", "@body.bin"] if text is None else ["--data-raw", text]


def _text(body: bytes) -> str | None:
    """The body as a shell argument can carry it: UTF-8 without NUL."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _form_parts(sent: Sent) -> list[str] | None:
    """A multipart body as curl's form arguments, in order; None when the body is not a form curl can rebuild."""
    media = (sent.header("Content-Type") or "").split(";")[0].strip().lower()
    if media != "multipart/form-data" or not sent.body:
        return None
    args: list[str] = []
    for part in _parts(sent):
        part_args = _part_args(*part)
        if part_args is None:
            return None
        args += part_args
    return args or None


def _part_args(name: str | None, filename: str | None, content_type: str | None, value: bytes) -> list[str] | None:
    """One part: a file as `-F name=@file;type=...`, a text field as `--form-string` (no `@` or `<` read)."""
    if name is None:
        return None
    if filename is not None:
        file = f'"{_escaped(filename)}"' if _NEEDS_QUOTES.search(filename) else filename
        return ["-F", f"{name}=@{file}" + (f";type={content_type}" if content_type else "")]
    text = _text(value)
    return None if text is None else ["--form-string", f"{name}={text}"]


def _parts(sent: Sent) -> Iterator[tuple[str | None, str | None, str | None, bytes]]:
    """(field name, file name, media type, bytes) of each part of a multipart body."""
    from email import message_from_bytes
    from email.policy import HTTP

    head = f"Content-Type: {sent.header('Content-Type')}\r\n\r\n".encode("latin-1")
    message = message_from_bytes(head + sent.body, policy=HTTP)
    if not message.is_multipart():
        yield None, None, None, b""
        return
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content_type = part.get("Content-Type") and part.get_content_type()
        yield name, part.get_filename(), content_type, part.get_payload(decode=True) or b""


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
