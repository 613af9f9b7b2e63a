"""Logging in to the API (API.md: `POST /api/v1/auth/login` with an e-mail and a password, answering 200 with
the session's `data.access_token`), through anything that sends a request: a side, a fan-out, a stand-in.

    token = login(WsgiSide("legacy", app).send, email, password)   # None when the login is refused

`login_request` and `access_token` are its two halves, for a caller that reports the refusal itself.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .message import Reply, Sent, json_at, json_request
from .sides import Send

LOGIN_PATH = "/api/v1/auth/login"
#: Where a successful login's reply holds the Bearer token (a dotted path, as `json_at` reads it).
ACCESS_TOKEN_AT = "data.access_token"


def credentials(email: str, password: str) -> dict[str, Any]:
    """The login's JSON body."""
    return {"email": email, "password": password}


def login_request(email: str, password: str, headers: Iterable[tuple[str, str]] = ()) -> Sent:
    """The login as sent: `headers`, then Content-Type, then the credentials as JSON."""
    return json_request("POST", LOGIN_PATH, credentials(email, password), headers)


def access_token(reply: Reply) -> str | None:
    """The Bearer token of a successful login's reply; None for any other reply."""
    token = json_at(reply.json, ACCESS_TOKEN_AT) if reply.status == 200 else None
    return token if isinstance(token, str) and token else None


def login(send: Send, email: str, password: str, headers: Iterable[tuple[str, str]] = ()) -> str | None:
    """Log in through `send`: the access token, or None when the login is refused."""
    return access_token(send(login_request(email, password, headers)))
