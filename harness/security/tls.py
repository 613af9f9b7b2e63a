"""Each app served over TLS on 127.0.0.1, as production serves it, for the grade, the passive scan and the probes.

    LocalCA(folder)               a certificate authority made for this run (trustme): the server's certificate for
                                  127.0.0.1 and localhost, its PEM files, and the client context that trusts it
    TlsTarget / PlainTarget       a spawned server reached over https (health-checked through the CA), and the same
                                  app's plain-HTTP listener (up when it answers anything: it may only redirect)
    served_pair(run, settings, ca, server, ...)   both started; stopped on every way out

gunicorn speaks TLS itself (`--certfile/--keyfile`), so the app sees `wsgi.url_scheme = https` as behind a TLS
listener in production (HSTS, Secure cookies and redirects follow from that). The plain listener serves the same
app, on the same database, for the Observatory's redirection test.
"""
from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from harness.core.config import TargetSettings
from harness.core.runs import Run
from harness.core.serving import ServerSettings, served
from harness.core.target_base import Target, one_line
from harness.core.target_spawn import SpawnedTarget

HOSTS = ("127.0.0.1", "localhost")


class LocalCA:
    """A CA of this run only: nothing outside the run trusts it, and it is gone with the run's folder."""

    def __init__(self, folder: Path) -> None:
        import trustme

        folder.mkdir(parents=True, exist_ok=True)
        self._ca = trustme.CA(organization_name="harness security (local CA)")
        issued = self._ca.issue_cert(*HOSTS)
        self.ca_file, self.certfile, self.keyfile = folder / "ca.pem", folder / "server.pem", folder / "server.key"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        issued.cert_chain_pems[0].write_to_path(str(self.certfile))
        for more in issued.cert_chain_pems[1:]:
            more.write_to_path(str(self.certfile), append=True)
        issued.private_key_pem.write_to_path(str(self.keyfile))

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context


def _answer(url: str, context: ssl.SSLContext | None, timeout: float) -> tuple[int | None, str]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/", headers={"Host": parts.netloc})
        response = conn.getresponse()
        response.read()
        return response.status, f"HTTP {response.status}"
    except (OSError, http.client.HTTPException) as exc:
        return None, one_line(exc)
    finally:
        conn.close()


class TlsTarget(SpawnedTarget):
    """A spawned server that speaks TLS: its base URL is https, and its health is checked through the CA."""

    def __init__(self, settings: TargetSettings, run: Run, context: ssl.SSLContext) -> None:
        super().__init__(settings, run)
        self.context = context

    def wait_healthy(self, alive: Callable[[], str | None] = lambda: None) -> None:
        self.base_url = f"https://{self.settings.host}:{self.port}"  # SpawnedTarget.start names it http
        super().wait_healthy(alive)

    def probe(self, url: str, *, timeout: float) -> tuple[int | None, str]:
        return _answer(url, self.context, timeout)


class PlainTarget(SpawnedTarget):
    """The same app on plain HTTP: up when it answers at all (production answers http with a redirect)."""

    expected = "answer"

    def probe(self, url: str, *, timeout: float) -> tuple[int | None, str]:
        return _answer(url, None, timeout)

    def ready(self, status: int) -> bool:
        return status < 500


@dataclass(frozen=True, slots=True)
class ServedPair:
    secure: Target  # over TLS (or, for a target the harness cannot serve itself, as it is reached)
    plain: Target | None  # the same app on plain HTTP


@contextmanager
def served_pair(run: Run, settings: TargetSettings, ca: LocalCA, server: ServerSettings, *,
                tls: bool = True, plain: bool = True) -> Iterator[ServedPair]:
    """`settings` (an app the harness serves through served.py) started over TLS, then the same app on plain
    HTTP on the TLS one's database (neither reset nor seeded again); both stopped on the way out. Without `tls`
    (a spawn target's own command, a url target) the target is reached as configured, with no plain listener."""
    with ExitStack() as stack:
        if not tls:
            yield ServedPair(stack.enter_context(served(run, settings)), None)
            return
        tls_server = replace(server, certfile=str(ca.certfile), keyfile=str(ca.keyfile))
        tls_settings = replace(settings, command=tls_server.command(settings.command[-1]))
        secure = stack.enter_context(served(run, tls_settings, TlsTarget(tls_settings, run, ca.client_context())))
        if not plain:
            yield ServedPair(secure, None)
            return
        plain_settings = replace(settings, name=f"{settings.name}-http", database_url=secure.database_url,
                                 reset=False, seed=False, prepare=())
        listener = stack.enter_context(served(run, plain_settings, PlainTarget(plain_settings, run)))
        yield ServedPair(secure, listener)
