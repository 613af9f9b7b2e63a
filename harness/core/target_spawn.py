"""The `spawn` target: a server command the harness starts on a loopback port (a free one unless configured),
in its own process group registered with the run, health-waited, and stopped by pid on every way out
(SIGTERM to the group, SIGKILL after `stop_timeout`). Its output goes to server.log in the target's folder."""
from __future__ import annotations

import shlex
import socket
import subprocess
from typing import Any

from .config import TargetSettings, render
from .errors import TargetError
from .runs import Run, deferred_signals, stop_group, track_group
from .target_base import last_line, one_line
from .target_http import HttpTarget


class SpawnedTarget(HttpTarget):
    """A server the harness starts on 127.0.0.1, in its own process group, and stops by pid."""

    kind = "spawn"

    def __init__(self, settings: TargetSettings, run: Run) -> None:
        super().__init__(settings, run)
        self.port = settings.port
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.directory / "server.log"
        self._log: Any = None

    def placeholders(self) -> dict[str, str]:
        return {**super().placeholders(), "host": self.settings.host, "port": str(self.port),
                "workers": str(self.settings.workers)}

    def start(self) -> None:
        host = self.settings.host
        self.port = self.settings.port or free_port(host)
        if self.settings.port:
            require_free_port(host, self.port, self.name)
        self._spawn([render(part, self.placeholders()) for part in self.settings.command])
        self.base_url = f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"
        try:
            self.wait_healthy(self._exited)
        except TargetError as exc:
            self.stop()
            raise TargetError(f"{exc} (log: {self.log_path}: {last_line(self.log_path)})") from None

    def _spawn(self, argv: list[str]) -> None:
        self._log = self.log_path.open("ab")
        self._log.write(f"$ {shlex.join(argv)}\n".encode())
        self._log.flush()
        with deferred_signals():  # started and registered, or not started at all
            try:
                # A new session makes the server the leader of its own process group, so stop() reaches its
                # workers (and a Ctrl-C on the terminal reaches the harness only, which stops them).
                self.process = subprocess.Popen(argv, env=self.process_env(), stdin=subprocess.DEVNULL,
                                                stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as exc:
                self._log.close()
                raise TargetError(f"{self.name}: cannot run `{shlex.join(argv)}`: {one_line(exc)}") from None
            track_group(self.process.pid, f"{self.name}: server {shlex.join(argv)}")

    def _exited(self) -> str | None:
        code = self.process.poll() if self.process else None
        return None if code is None else f"the server exited with code {code}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after `stop_timeout`; no process of the group outlives it."""
        if self.process is None:
            return
        with deferred_signals():  # a stop signal now is raised once the server is gone
            stop_group(self.process, self.process.pid, self.settings.stop_timeout)
            self.process = None
            if self._log is not None:
                self._log.close()
                self._log = None


def _socket(host: str) -> socket.socket:
    return socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)


def free_port(host: str = "127.0.0.1") -> int:
    with _socket(host) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def require_free_port(host: str, port: int, name: str) -> None:
    with _socket(host) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise TargetError(f"{name}: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
