"""One user's view of the API: its login state and the one way the journeys send a request.

`Api.call(operation, ...)` fills in the operation's path template, names the request by the operation (so the
statistics are per contract operation), authenticates it as the web client does (the cookies locust's session
keeps, plus X-CSRF-Token on unsafe methods; Bearer for the media routes, as the Postman collection does) and judges
the answer: the documented success status with the success envelope is a success, and so is an outcome the
journey declared expected (e.g. 409 ALREADY_ENROLLED when another user of the same account enrolled first); any
other answer, a redirect included (DESIGN: a canonical path never redirects), is recorded as a failure and ends
the journey with `JourneyAborted`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .operations import LOGIN, LOGOUT, REFRESH, Operation

#: API.md §1.7: login, logout and refresh need no CSRF token (the collection sends none).
CSRF_EXEMPT = frozenset({LOGIN, LOGOUT, REFRESH})
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class JourneyAborted(Exception):
    """A step the rest of the journey depends on failed; the failure is already in the statistics."""


@dataclass(frozen=True, slots=True)
class Verdict:
    data: dict[str, Any] | None = None
    failure: str | None = None


def _payload(response: Any) -> Any:
    try:
        return json.loads(response.content or b"null")
    except (ValueError, TypeError):
        return None


def judge(operation: Operation, response: Any, expected: tuple[tuple[int, str], ...] = ()) -> Verdict:
    """Success, expected outcome (data None) or failure of one answer to `operation`."""
    status = response.status_code
    if not status:
        return Verdict(failure=f"no response: {getattr(response, 'error', None) or 'connection failed'}")
    payload = _payload(response)
    body = payload if isinstance(payload, dict) else {}
    if status in operation.success:
        if body.get("ok") is True and isinstance(body.get("data"), dict):
            return Verdict(data=body["data"])
        return Verdict(failure=f"{status} without the success envelope")
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = str(error.get("code") or "")
    if (status, code) in expected:
        return Verdict()
    message = str(error.get("message") or response.headers.get("Location") or "")[:160]
    return Verdict(failure=f"{status} {code or '(no error code)'}: {message}".rstrip(": "))


class Api:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.csrf: str | None = None
        self.access_token: str | None = None

    @property
    def logged_in(self) -> bool:
        return self.access_token is not None

    def call(self, operation: Operation, *, ids: dict[str, str] | None = None, query: dict[str, Any] | None = None,
             body: Any = None, bearer: bool = False, expected: tuple[tuple[int, str], ...] = ()) -> dict | None:
        url = operation.url(**(ids or {}))
        if query:
            url += "?" + urlencode(query)
        with self.client.request(operation.method, url, name=operation.name, json=body,
                                 headers=self._headers(operation, bearer), catch_response=True,
                                 allow_redirects=False) as response:
            verdict = judge(operation, response, expected)
            if verdict.failure:
                response.failure(verdict.failure)
            else:
                response.success()
        if verdict.failure:
            raise JourneyAborted(f"{operation.name}: {verdict.failure}")
        return verdict.data

    def _headers(self, operation: Operation, bearer: bool) -> dict[str, str]:
        if bearer and self.access_token:
            return {"Authorization": f"Bearer {self.access_token}"}
        if self.csrf and operation.method in UNSAFE and operation not in CSRF_EXEMPT:
            return {"X-CSRF-Token": self.csrf}
        return {}

    # -- the session's life cycle (API.md §1.6) ---------------------------------------------------------------------
    def login(self, email: str, password: str) -> dict:
        data = self.call(LOGIN, body={"email": email, "password": password}) or {}
        self.csrf, self.access_token = data.get("csrf_token"), data.get("access_token")
        if not (self.csrf and self.access_token):
            raise JourneyAborted("the login answered without csrf_token or access_token")
        return data

    def refresh(self) -> None:
        """Rotate the tokens, as the web client does before the access token runs out (the refresh cookie)."""
        data = self.call(REFRESH) or {}
        self.access_token = data.get("access_token") or self.access_token
        self.csrf = data.get("csrf_token") or self.csrf

    def logout(self) -> None:
        try:
            self.call(LOGOUT)
        finally:
            self.csrf = self.access_token = None
