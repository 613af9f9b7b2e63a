"""harness/http/curl.py: the curl line a finding prints, pasted into a shell, sends the request the harness sent —
the same method, raw path, headers and body — so a reader reproduces what was compared, not a neighbour of it."""
from __future__ import annotations

import email.parser
import email.policy
import shutil
import subprocess

import pytest

from harness.http import HttpSide, Sent, Upload, curl, multipart_request

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
#: What curl adds of its own; Content-Length is the body's, Host the URL's unless the request names one.
CURL_ADDS = {"user-agent", "accept", "content-length", "host"}

REQUESTS = [
    Sent("GET", "/health", []),
    Sent("GET", "//health", []),
    Sent("GET", "/api/v1/./user/../profile?a=1&a=2", []),
    Sent("GET", "/caf%C3%A9/%FF?q=a%20b", [("Host", "example.test"), ("X-Twice", "1"), ("X-Twice", "2")]),
    Sent("POST", "/api/v1/auth/login", [("Content-Type", "application/json")], b'{"email": "a@b.c", "it\'s": 1}'),
    Sent("POST", "/echo", [], b"@not-a-file\r\nsecond line"),
    Sent("PUT", "/blob", [("Content-Type", "application/octet-stream")], JPEG),
    Sent("DELETE", "/api/v1/auth/sessions/1", [("Cookie", "access_token=; access_token=x"), ("X-Empty", "")]),
    Sent("POST", "/api/v1/auth/logout", [("Authorization", "Bearer abc.def.ghi")]),
    multipart_request("POST", "/api/v1/videos/upload", {"course_id": "@c1", "title": "Two\r\nlines"},
                      [Upload("video", "lesson one;v2.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
                       Upload("thumbnail", "image.jpg", JPEG, "image/jpeg")], [("X-CSRF-Token", "t")]),
]
IDS = ["get", "leading-double-slash", "dot-segments", "encoded-path-named-host-repeated-header", "json",
       "text-body-without-type", "binary-body", "cookies-and-empty-header", "empty-post", "multipart"]

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")


def parts(content_type: str | None, body: bytes) -> list[tuple[str | None, str | None, str | None, bytes]]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    return [(p.get_param("name", header="content-disposition"), p.get_filename(),
             p.get_content_type() if p.get("Content-Type") else None, p.get_payload(decode=True))
            for p in message.iter_parts()]


def files_for(sent: Sent, folder) -> None:
    """The files the printed command reads: each multipart file by its name, any other binary body as body.bin."""
    if (sent.header("Content-Type") or "").startswith("multipart/"):
        for _, filename, _, content in parts(sent.header("Content-Type"), sent.body):
            if filename:
                (folder / filename).write_bytes(content)
    else:
        (folder / "body.bin").write_bytes(sent.body)


@pytest.mark.parametrize("sent", REQUESTS, ids=IDS)
def test_the_printed_curl_sends_the_request_the_harness_sent(stand_in, tmp_path, sent):
    HttpSide("harness", stand_in.base_url).send(sent)
    by_harness = stand_in.take()
    files_for(sent, tmp_path)
    command = curl(sent, stand_in.base_url)
    done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    by_curl = stand_in.take()

    assert (by_curl.method, by_curl.target) == (by_harness.method, by_harness.target) == (sent.method, sent.path)
    multipart = (sent.header("Content-Type") or "").startswith("multipart/")
    own = {"content-type"} if multipart else set()
    assert [(k, v) for k, v in by_curl.headers if k.lower() not in CURL_ADDS | own] \
        == [(k, v) for k, v in sent.headers if k.lower() not in CURL_ADDS | own]
    if sent.header("Host"):
        assert by_curl.header("Host") == sent.header("Host")
    if multipart:  # curl writes its own boundary: the same fields and files, in order
        assert parts(by_curl.header("Content-Type"), by_curl.body) == parts(sent.header("Content-Type"), sent.body)
    else:
        assert by_curl.body == by_harness.body == sent.body


def test_a_body_is_never_labelled_a_form_by_curl():
    assert "-H Content-Type:" in curl(Sent("POST", "/x", [], b"a=1"), "http://127.0.0.1:5000")
    assert "Content-Type:" not in curl(Sent("POST", "/x", [], b""), "http://127.0.0.1:5000")


def test_the_command_reads_as_a_person_would_write_it():
    sent = Sent("POST", "/api/v1/auth/login", [("Content-Type", "application/json")], b'{"email": "a@b.c"}')
    assert curl(sent, "http://127.0.0.1:5000/") == ("curl -i -X POST -H 'Content-Type: application/json' "
                                                    "--data-raw '{\"email\": \"a@b.c\"}' "
                                                    "http://127.0.0.1:5000/api/v1/auth/login")
