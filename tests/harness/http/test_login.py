"""harness/http/login.py: one login for every area — the API's documented login, sent through whatever sends a
request, giving the Bearer token or None."""
from __future__ import annotations

import json

from harness.http import LOGIN_PATH, Reply, Sent, WsgiSide, access_token, login
from harness.seed import accounts

JSON = [("Content-Type", "application/json")]


class StandIn:
    """Answers every request with `reply` and keeps what it was sent."""

    def __init__(self, reply: Reply) -> None:
        self.reply, self.sent = reply, []

    def send(self, sent: Sent) -> Reply:
        self.sent.append(sent)
        return self.reply


def answering(status: int, document: object, headers=JSON) -> StandIn:
    return StandIn(Reply(status, list(headers), json.dumps(document).encode()))


def test_the_login_sends_the_documented_request_and_gives_the_token():
    server = answering(200, {"success": True, "data": {"access_token": "tok", "session_id": "s"}})

    assert login(server.send, "a@b.test", "pw", [("User-Agent", "harness-test/1")]) == "tok"
    assert server.sent == [Sent("POST", LOGIN_PATH, [("User-Agent", "harness-test/1"), *JSON],
                                b'{"email": "a@b.test", "password": "pw"}')]


def test_a_refused_or_odd_login_gives_no_token():
    assert login(answering(401, {"success": False, "error": "bad credentials"}).send, "a@b.test", "x") is None
    assert login(answering(200, {"success": True, "data": {}}).send, "a@b.test", "pw") is None
    assert login(answering(200, {"data": {"access_token": ""}}).send, "a@b.test", "pw") is None
    assert login(answering(200, {"data": {"access_token": "tok"}}, headers=[("Content-Type", "text/html")]).send,
                 "a@b.test", "pw") is None, "a token a client honouring Content-Type would not read"
    assert access_token(Reply(201, JSON, b'{"data": {"access_token": "tok"}}')) is None


def test_the_token_opens_the_account_on_the_app(app):
    legacy = WsgiSide("legacy", app)

    token = login(legacy.send, accounts.ADMIN.email, accounts.ADMIN.password)

    assert token
    profile = legacy.send(Sent("GET", "/api/v1/user/profile", [("Authorization", f"Bearer {token}")]))
    assert profile.status == 200 and profile.json["data"]["email"] == accounts.ADMIN.email
    assert login(legacy.send, accounts.ADMIN.email, "not the password") is None
