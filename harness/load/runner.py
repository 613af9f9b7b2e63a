"""Serving an app for load and driving locust against it, one app at a time.

Serving (`load_target_settings`, harness/core/serving.py): an in-process (wsgi) target is served by gunicorn,
gthread workers with the same worker, thread and keep-alive settings for both apps, on its own database seeded like the
run's (a fresh SQLite file in its folder unless `[load] <side>_database_url` or the target's own configured
database is given, which is then reset and re-seeded); a spawn target keeps its own command; a url target is
measured where it runs. Every served app gets SERVER_TIMING=1, its opt-in to the Server-Timing header.

Driving (`run_locust`): locust runs in processes of its own, never in the harness's: a master (headless, bound
to loopback unless `[load] master_bind_host` opens it to remote workers) and `processes` local workers, all in
one process group registered with the run, so every way out (done, timed out, interrupted) stops them. The
recorder plugin (recorder.py) rides along with the locustfile and the master writes samples.json when the test
ends. The run is bounded three times: locust's own --run-time, the recorder's request bound, and a hard deadline
here (run time + grace), after which the group is stopped (SIGTERM first, so the master still writes what it has).
"""
from __future__ import annotations

import dataclasses
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from harness.core.config import TargetSettings
from harness.core.errors import ConfigError, TargetError
from harness.core.runs import Run, deferred_signals, stop_group, track_group
from harness.core.serving import ServerSettings, served_target_settings
from harness.core.target_base import last_line
from harness.core.targets import Target, free_port
from harness.core.urlguard import is_loopback_host
from harness.seed import SCALES, accounts

from .profiles import Profile

RECORDER = Path(__file__).with_name("recorder.py")
CALIBRATION_LOCUSTFILE = Path(__file__).with_name("calibration_locustfile.py")
#: Seconds past a run's own duration before the harness stops locust itself.
GRACE_S = 45.0
#: How long the master waits for its workers to connect (remote ones are started by hand: longer).
WORKERS_WAIT_S = 30
REMOTE_WORKERS_WAIT_S = 300


@dataclass(frozen=True, slots=True)
class LocustRun:
    """What one locust run left: samples.json (when written), how it ended, its log."""

    samples: Path
    exit_code: int | None
    timed_out: bool
    log: Path


# -- serving ---------------------------------------------------------------------------------------------------------

def load_target_settings(configured: TargetSettings, server: ServerSettings,
                         database_url: str | None) -> TargetSettings:
    """The settings of `configured` served for load (its name gets a `-load` suffix: its own folder), with
    SERVER_TIMING=1."""
    return served_target_settings(configured, server, database_url, suffix="load", env={"SERVER_TIMING": "1"})


def require_serving(target: Target) -> None:
    """TargetError (exit 3) when a server the load area started died during a run: its figures measure
    nothing (a worker that failed to boot takes gunicorn's master down with it)."""
    process = getattr(target, "process", None)
    code = process.poll() if process is not None else None
    if code is not None:
        log = getattr(target, "log_path", None)
        raise TargetError(f"load: {target.name}: the server exited with code {code} during the run"
                          f"{f' (log: {log}: {last_line(log)})' if log else ''}")


def calibration_settings(server: ServerSettings) -> TargetSettings:
    return TargetSettings(name="calibration", kind="spawn", app="harness.load.trivial:application",
                          command=server.command("harness.load.trivial:application"), workers=server.workers,
                          seed=False, health_path="/health")


def load_run(run: Run, profile: Profile) -> Run:
    """The run as the load targets see it: the profile's seed scale when it names one."""
    if profile.scale is None or profile.scale == run.scale:
        return run
    return dataclasses.replace(run, scale=profile.scale)


def require_allowed_host(base_url: str, allowed: tuple[str, ...]) -> None:
    """Load goes to loopback only, unless the user named the host in `[load] allowed_hosts`."""
    from urllib.parse import urlsplit

    host = urlsplit(base_url).hostname or ""
    if not is_loopback_host(host) and host not in allowed:
        raise ConfigError(f"load: refusing to send load to {host} ({base_url}): only loopback is loaded unless "
                          f"[load] allowed_hosts names the host")


# -- accounts ----------------------------------------------------------------------------------------------------

def write_accounts(path: Path, scale: str) -> Path:
    """The seeded accounts the scenarios log in as (scenarios/README.md): documented ones with their own
    passwords, then every generated user of the scale with the shared one."""
    plan = SCALES[scale]
    students = [{"email": a.email, "password": a.password} for a in accounts.STUDENTS]
    students += [f"student{n + 1}@seed.unpuzzle.test"
                 for n in range(len(accounts.STUDENTS), len(accounts.STUDENTS) + plan.generated_students)]
    instructors = [{"email": a.email, "password": a.password} for a in accounts.INSTRUCTORS]
    instructors += [f"instructor{n + 1}@seed.unpuzzle.test"
                    for n in range(len(accounts.INSTRUCTORS), len(accounts.INSTRUCTORS) + plan.generated_instructors)]
    document = {"password": accounts.GENERATED_PASSWORD, "students": students, "instructors": instructors,
                "admin": {"email": accounts.ADMIN.email, "password": accounts.ADMIN.password}}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# -- driving locust ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LocustOptions:
    locustfile: Path
    accounts: Path | None = None
    master_bind_host: str = "127.0.0.1"
    master_port: int = 0  # 0: a free one
    user_classes: tuple[str, ...] = ()


def _argv(options: LocustOptions, profile: Profile, base_url: str, directory: Path, port: int) -> tuple[list[str],
                                                                                                         list[str]]:
    files = f"{options.locustfile},{RECORDER}"
    workers = profile.processes + profile.remote_workers
    wait = REMOTE_WORKERS_WAIT_S if profile.remote_workers else WORKERS_WAIT_S
    master = [sys.executable, "-m", "locust", "-f", files, "--headless", "--master",
              "--master-bind-host", options.master_bind_host, "--master-bind-port", str(port),
              "--expect-workers", str(workers), "--expect-workers-max-wait", str(wait),
              "-u", str(profile.users), "-r", f"{profile.spawn_rate:g}", "-t", f"{max(1, round(profile.duration_s))}s",
              "--stop-timeout", "1", "--host", base_url, "--csv", str(directory / "locust"),
              "--html", str(directory / "locust.html"), "--only-summary", "--loglevel", "WARNING",
              "--exit-code-on-error", "0", *options.user_classes]
    worker = [sys.executable, "-m", "locust", "-f", files, "--worker", "--master-host", "127.0.0.1",
              "--master-port", str(port), "--loglevel", "WARNING"]
    return master, worker


def locust_env(profile: Profile, samples: Path, accounts_file: Path | None) -> dict[str, str]:
    env = {**os.environ, "HARNESS_LOAD_OUT": str(samples), "HARNESS_LOAD_WARMUP_S": f"{profile.warmup_s:g}",
           "HARNESS_LOAD_MAX_REQUESTS": str(profile.max_requests),
           "HARNESS_LOAD_THINK_SCALE": f"{profile.think_scale:g}", "PYTHONUNBUFFERED": "1",
           # how many workers share the accounts (scenarios/pool.py gives each its own slice)
           "HARNESS_LOAD_WORKERS": str(profile.processes + profile.remote_workers)}
    if accounts_file is not None:
        env["HARNESS_LOAD_ACCOUNTS"] = str(accounts_file)
    return env


def run_locust(directory: Path, base_url: str, profile: Profile, options: LocustOptions,
               progress: Callable[[str], None], label: str) -> LocustRun:
    """One bounded locust run (master + local workers) against `base_url`; returns when it has ended."""
    directory.mkdir(parents=True, exist_ok=True)
    samples, log_path = directory / "samples.json", directory / "locust.log"
    samples.unlink(missing_ok=True)
    port = options.master_port or free_port(options.master_bind_host if options.master_bind_host != "0.0.0.0"
                                            else "127.0.0.1")
    master_argv, worker_argv = _argv(options, profile, base_url, directory, port)
    env = locust_env(profile, samples, options.accounts)
    _write_remote_worker_command(directory, worker_argv, env, options, port)
    waiting = REMOTE_WORKERS_WAIT_S if profile.remote_workers else WORKERS_WAIT_S
    deadline = time.monotonic() + profile.duration_s + waiting + GRACE_S
    with log_path.open("ab") as log:
        log.write(f"$ {shlex.join(master_argv)}\n$ {shlex.join(worker_argv)}  (×{profile.processes})\n".encode())
        log.flush()
        processes: list[subprocess.Popen[bytes]] = []
        timed_out = False
        try:
            processes.append(_start(master_argv, env, log, "master"))
            for _ in range(profile.processes):
                processes.append(_start(worker_argv, env, log, "worker"))
            timed_out = _wait(processes[0], deadline, profile, progress, label)
        finally:
            with deferred_signals():  # the master first: on SIGTERM it still writes what it has
                for process in processes:
                    stop_group(process, process.pid, 10.0)
    return LocustRun(samples=samples, exit_code=processes[0].returncode, timed_out=timed_out,
                     log=log_path)


def _write_remote_worker_command(directory: Path, worker_argv: list[str], env: dict[str, str],
                                 options: LocustOptions, port: int) -> None:
    """remote-worker.sh: the command that joins another machine's locust worker to this run (README "Load")."""
    names = ("HARNESS_LOAD_OUT", "HARNESS_LOAD_WARMUP_S", "HARNESS_LOAD_THINK_SCALE", "HARNESS_LOAD_WORKERS",
             "HARNESS_LOAD_ACCOUNTS")
    settings = " ".join(f"{name}={shlex.quote(env[name])}" for name in names if name in env)
    argv = worker_argv[3:]  # after `python -m locust`
    argv[argv.index("--master-host") + 1] = "${HARNESS_MASTER_HOST:?the harness machine}"
    command = " ".join(shlex.quote(part) if not part.startswith("${") else f'"{part}"' for part in argv)
    (directory / "remote-worker.sh").write_text(
        "#!/bin/sh\n# A locust worker on another machine for this run (same checkout; copy the accounts file too).\n"
        f"# The master listens on {options.master_bind_host}:{port}.\n"
        f"exec env {settings} .venv/bin/locust {command}\n", encoding="utf-8")


def _start(argv: list[str], env: dict[str, str], log: IO[bytes], role: str) -> subprocess.Popen[bytes]:
    """A locust process leading its own process group, registered with the run."""
    with deferred_signals():  # started and registered, or not started at all
        try:
            process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        except OSError as exc:
            raise TargetError(f"load: cannot run locust: {exc.strerror or exc}") from None
        track_group(process.pid, f"load: locust {role}")
    return process


def _wait(master: subprocess.Popen[bytes], deadline: float, profile: Profile, progress: Callable[[str], None],
          label: str) -> bool:
    """Until the master exits (False) or the hard deadline passes (True); progress every second."""
    started = time.monotonic()
    while master.poll() is None:
        if time.monotonic() > deadline:
            return True
        elapsed = time.monotonic() - started
        progress(f"load: {label}: {profile.users} users, {elapsed:.0f} s of {profile.duration_s:g} s")
        try:
            master.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            continue
    return False

