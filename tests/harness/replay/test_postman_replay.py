"""The real clients' Postman collection, replayed end to end against the legacy app (both engines), through
transports that deliver the same request in-process and over HTTP."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.http import Upload
from harness.replay.postman import HttpTransport, Reply, WsgiTransport, build, extract, load_collection
from harness.replay.unpuzzle_flow import JPEG, UnpuzzleReplay
from harness.report.replay import step_lines
from harness.seed import accounts
from tests.support.servers import serve_wsgi

COLLECTION = Path(__file__).resolve().parents[3].parent / "shared" / "legacy-api" / "unpuzzle-postman-collection.json"


def test_collection_has_the_61_documented_requests_in_order():
    reqs = load_collection(COLLECTION)
    assert len(reqs) == 61
    assert (reqs[0].rid, reqs[0].method, reqs[0].url) == ("P1", "POST", "{{base_url}}/api/v1/auth/signup")
    assert (reqs[51].rid, reqs[51].url) == ("P52", "{{base_url}}/health")
    assert (reqs[60].rid, reqs[60].url) == ("P61", "{{base_url}}/api/v1/media/user/storage-usage")


def test_script_extraction_reads_body_paths_and_cookies():
    login = load_collection(COLLECTION)[1]
    reply = Reply(200, [("Set-Cookie", "access_token=AAA; Path=/; HttpOnly"),
                        ("Set-Cookie", "refresh_token=RRR; Path=/; HttpOnly")],
                  b'{"data": {"user": {"id": "u1"}, "csrf_token": "c1", "session_id": "s1"}}')
    assert extract(login, reply) == {"user_id": "u1", "csrf_token": "c1", "session_id": "s1",
                                     "access_token": "AAA", "refresh_token": "RRR"}
    assert extract(login, Reply(401, [], b'{"data": {"csrf_token": "x"}}')) == {}


def test_every_collection_request_gets_its_documented_status(app):
    replay = UnpuzzleReplay(WsgiTransport(app), COLLECTION, admin=(accounts.ADMIN.email, accounts.ADMIN.password))
    report = replay.run()
    played = {s.rid for s in report.collection_steps}
    assert played == {f"P{i}" for i in range(1, 62)}, "every collection request is played"
    assert not report.failures, step_lines(report)


def echo(environ, start_response):
    """Answers with what it was given, and sets a cookie (which no transport may send back by itself)."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    seen = {k: v for k, v in environ.items() if k.startswith("HTTP_") or k in (
        "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "REMOTE_ADDR", "CONTENT_TYPE", "CONTENT_LENGTH")}
    start_response("200 OK", [("Content-Type", "application/json"), ("Set-Cookie", "jar=kept; Path=/")])
    return [json.dumps(seen | {"body": body.decode("latin-1")}).encode()]


@pytest.mark.parametrize("rid", ["P2", "P3", "P7", "P48", "P60"])
def test_both_transports_deliver_the_collection_request_alike(rid):
    request = {r.rid: r for r in load_collection(COLLECTION)}[rid]
    sent = build(request, {"access_token": "a.b.c", "csrf_token": "c5", "test_session_id": "s1"},
                 files={"thumbnail": Upload("thumbnail", "image.jpg", JPEG, "image/jpeg")})
    with serve_wsgi(echo) as url:
        transport = HttpTransport(url)
        over_http = transport.send(sent).body_json
        again = transport.send(sent).body_json
    in_process = WsgiTransport(echo).send(sent).body_json

    assert over_http.pop("HTTP_HOST") == url.removeprefix("http://")  # the server of the URL addressed
    assert in_process.pop("HTTP_HOST") == "localhost"
    assert over_http == in_process and again.get("HTTP_COOKIE") == over_http.get("HTTP_COOKIE")
    assert over_http["REMOTE_ADDR"] == "127.0.0.1" and "HTTP_USER_AGENT" not in over_http
