"""`harness replay` checks what the collection's own client checks, not only the status; a collection it cannot
play is a usage error (exit 2, one line); a server it cannot reach is exit 3."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness import cli
from harness.replay.postman import CollectionError, Reply, WsgiTransport, check_reply, load_collection
from harness.replay.unpuzzle_flow import UnpuzzleReplay
from tests.support.servers import serve_wsgi

COLLECTION = Path(__file__).resolve().parents[3].parent / "shared" / "legacy-api" / "unpuzzle-postman-collection.json"


def html_everywhere(environ, start_response):
    """A server that answers 200 HTML to everything (issue 10: it passed 56 of 61 requests)."""
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [b"<!doctype html><html><body>Welcome</body></html>"]


def json_without_envelope(environ, start_response):
    status = "201 Created" if environ["REQUEST_METHOD"] == "POST" else "200 OK"
    start_response(status, [("Content-Type", "application/json")])
    return [b'{"ok": true}']


@pytest.mark.parametrize("app", [html_everywhere, json_without_envelope])
def test_a_server_that_only_gets_statuses_right_fails_the_replay(app):
    report = UnpuzzleReplay(WsgiTransport(app), COLLECTION, admin=("admin@x.test", "x")).run()

    passed = [s.rid for s in report.collection_steps if s.passed]
    # Only the health check (JSON, no envelope by design) can pass on a server that answers {"ok": true}.
    assert passed == ([] if app is html_everywhere else ["P52"]), passed


def test_check_reply_reads_what_the_test_scripts_read():
    login = load_collection(COLLECTION)[1]
    good = Reply(200, [("Content-Type", "application/json"), ("Set-Cookie", "access_token=A; Path=/"),
                       ("Set-Cookie", "refresh_token=R; Path=/")],
                 json.dumps({"success": True, "data": {"user": {"id": "u"}, "csrf_token": "c",
                                                       "session_id": None}}).encode())
    assert check_reply(login, good) == []  # a present null is what the script reads; it is there
    html = Reply(200, [("Content-Type", "text/html")], b"<html></html>")
    assert check_reply(login, html) == [
        "Content-Type is text/html, not application/json", "the body is not JSON",
        "the collection's test script reads response.data.user.id, response.data.csrf_token, "
        "response.data.session_id, accessToken.value, refreshToken.value: missing"]
    no_cookies = Reply(200, [("Content-Type", "application/json")], good.body)
    assert check_reply(login, no_cookies) == [
        "the collection's test script reads accessToken.value, refreshToken.value: missing"]
    failed = Reply(200, [("Content-Type", "application/json")], b'{"success": false, "data": {}}')
    assert 'the body is not the API envelope {"success": true, "data": ...}' in check_reply(login, failed)


@pytest.fixture
def html_server():
    with serve_wsgi(html_everywhere) as url:
        yield url


def test_the_replay_command_fails_a_server_answering_html(html_server):
    result = CliRunner().invoke(cli.main, ["replay", "--base-url", html_server])

    assert result.exit_code == 1, result.output
    assert "0/61 collection requests got their documented status and passed the collection's checks" in result.stdout
    assert "Content-Type is text/html, not application/json" in result.stdout


@pytest.mark.parametrize("content, reason", [
    ("{not json", "is not JSON: Expecting property name enclosed in double quotes"),
    ("", "is not JSON: Expecting value"),
    ("[1, 2]", "is not a Postman collection (no top-level 'item' list)"),
    ('{"info": {}}', "is not a Postman collection (no top-level 'item' list)"),
    ('{"item": []}', "has no requests"),
    ('{"item": [{"name": "folder", "item": []}]}', "has no requests"),
    ('{"item": [{"name": "x"}]}', "request 1 ('x') is not a Postman request (missing or malformed request)"),
    ('{"item": [{"name": "x", "request": {"method": "GET", "url": "{{base_url}}/health"}}]}',
     "has 1 requests: the Unpuzzle replay plays the collection of API.md, with its 61 requests"),
], ids=["broken-json", "empty-file", "a-list", "no-items", "empty-items", "empty-folder", "not-a-request",
        "one-request"])
def test_a_collection_it_cannot_play_is_exit_2_with_one_line(tmp_path, content, reason):
    bad = tmp_path / "collection.json"
    bad.write_text(content)
    connections = []
    with socket.socket() as listener:  # a server that records whether anything was sent
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        result = CliRunner().invoke(cli.main, ["replay", "--base-url", f"http://127.0.0.1:{listener.getsockname()[1]}",
                                               "--collection", str(bad)])
        try:
            connections.append(listener.accept())
        except OSError:
            pass

    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ") and reason in result.stderr
    assert "Traceback" not in result.output and connections == []
    with pytest.raises(CollectionError):
        UnpuzzleReplay(WsgiTransport(html_everywhere), bad, admin=("a", "b"))


def test_a_collection_url_that_would_move_the_host_is_refused(tmp_path):
    doc = json.loads(COLLECTION.read_text())
    first = doc["item"][0]
    while "item" in first:
        first = first["item"][0]
    first["request"]["url"] = {"raw": "{{base_url}}@10.0.0.1/x"}
    bad = tmp_path / "collection.json"
    bad.write_text(json.dumps(doc))

    result = CliRunner().invoke(cli.main, ["replay", "--base-url", "http://127.0.0.1:1", "--collection", str(bad)])

    assert result.exit_code == 2, result.output
    assert "a collection URL must be {{base_url}} followed by a path starting with /" in result.stderr


def test_a_refused_connection_is_exit_3():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there

    result = CliRunner().invoke(cli.main, ["replay", "--base-url", f"http://127.0.0.1:{port}"])

    assert result.exit_code == 3, result.output
    assert result.stderr.strip() == f"Error: cannot reach http://127.0.0.1:{port}: [Errno 111] Connection refused"
