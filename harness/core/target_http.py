"""Targets reached over HTTP: `HttpTarget` (health-waited, driven through a forwarding WSGI app) and the `url`
target, a service someone else runs, on loopback unless the configuration says otherwise.

An external service is seeded by whoever runs it, so the harness leaves it alone (unless `seed = true` is set
for it explicitly, with its `database_url`) and says so in the results.
"""
from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from .config import TargetSettings
from .errors import TargetError
from .runs import Run
from .target_base import Target, WSGIApp, first_line, one_line

POLL_INTERVAL_S = 0.1


class HttpTarget(Target):
    """A target reached over HTTP: `wsgi_app` forwards each request to `base_url`."""

    def __init__(self, settings: TargetSettings, run: Run) -> None:
        super().__init__(settings, run)
        self._forwarder: WSGIApp | None = None

    @property
    def wsgi_app(self) -> WSGIApp:
        if self.base_url is None:
            raise TargetError(f"{self.name}: not started")
        if self._forwarder is None:
            self._forwarder = http_forwarder(self.base_url, timeout=self.settings.request_timeout)
        return self._forwarder

    #: What "up" means: a 200 from the health path (a kind that may only redirect says otherwise).
    expected = "200"

    def wait_healthy(self, alive: Callable[[], str | None] = lambda: None) -> None:
        """Poll GET <health_path> until `ready` says it is up; `alive()` returns why the target is gone, if it is."""
        assert self.base_url is not None
        url = self.base_url + self.settings.health_path
        deadline = time.monotonic() + self.settings.startup_timeout
        last = "no answer yet"
        while True:
            gone = alive()
            if gone:
                raise TargetError(f"{self.name}: {gone} before answering {url}")
            status, last = self.probe(url, timeout=min(2.0, self.settings.startup_timeout))
            if status is not None and self.ready(status):
                return
            if time.monotonic() >= deadline:
                raise TargetError(f"{self.name}: no {self.expected} from {url} within "
                                  f"{self.settings.startup_timeout:g} s (last: {last})")
            time.sleep(POLL_INTERVAL_S)

    def probe(self, url: str, *, timeout: float) -> tuple[int | None, str]:
        return probe(url, timeout=timeout)

    def ready(self, status: int) -> bool:
        return status == 200


class UrlTarget(HttpTarget):
    """A service already running at a configured base URL."""

    kind = "url"

    def start(self) -> None:
        self.base_url = self.settings.url
        self.wait_healthy()

    def seed(self) -> None:
        """An external service is seeded by whoever runs it: seeded here only when `seed = true` is set for it
        explicitly (and it has a `database_url`)."""
        if "seed" in self.settings.sources and self.settings.seed and self.database_url is not None:
            super().seed()
            return
        self.not_seeded = "an external service: seeded by whoever runs it, not by the harness"
        database = f" (its database: {self.shown_database()})" if self.database_url else " (no database_url configured)"
        self.run.note(f"{self.name} is an external service at {self.base_url}{database}: the harness did not seed "
                      f"it; seed it as the other side is (harness seed --db URL --scale {self.run.scale} --seed "
                      f"{self.run.seed}), or set {self.name}.seed = true with its database_url to have it seeded")


def http_forwarder(base_url: str, *, timeout: float = 30.0) -> WSGIApp:
    """A WSGI app that sends every request on to `base_url` (werkzeug's proxy, minus its path routing), so an
    HTTP target is driven with the same test client as an in-process one."""
    from werkzeug.middleware.http_proxy import ProxyMiddleware

    proxy = ProxyMiddleware(lambda environ, start_response: [], {}, timeout=int(max(1, timeout)))
    options = {"target": base_url, "remove_prefix": True, "host": urlsplit(base_url).netloc, "headers": {},
               "ssl_context": None}

    def forward(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return proxy.proxy_to(options, environ.get("PATH_INFO", "/"), "/")(environ, start_response)

    return forward


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never goes via a proxy


def probe(url: str, *, timeout: float = 2.0) -> tuple[int | None, str]:
    """(status, reason) of one GET; status None when nothing answered."""
    try:
        with _NO_PROXY.open(url, timeout=timeout) as response:
            return response.status, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}{_first_body_line(exc)}"
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        return None, one_line(reason) if isinstance(reason, BaseException) else str(reason)


def _first_body_line(response: Any) -> str:
    """`: <the body's first non-blank line>` of an error answer (what a failed health check said), or ''."""
    try:
        body = response.read(4096).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - the status alone is still worth reporting
        return ""
    line = first_line(body)
    return f": {line}" if line else ""
