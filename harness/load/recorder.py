"""The locust plugin that records exact latency for the harness (harness/load/__init__.py has the wire format).

Loaded beside the scenarios' locustfile, `locust -f scenarios/locustfile.py,/abs/path/harness/load/recorder.py`
(locust 2.47 splits -f on commas and imports every file; this one defines no user). It runs only inside locust's
processes: importing it imports locust, and so gevent's monkey patching. Inert unless HARNESS_LOAD_OUT is set.

Where each thing happens:
    every request   (the local runner, or each worker)  recorded per request name into HDR histograms (µs):
                    `latency` as locust measured it, `lag` (how late the generator sent it after it meant to),
                    `intended` (latency + lag, coordinated omission corrected), `server` (Server-Timing app;dur),
                    and counts: statuses, errors, queries per request, cache hits and misses, the timeline.
    intended time   each user's wait_time is wrapped at `init`: when it returns d, the user's greenlet is meant
                    to send its next request at now + d; after a request the next one is meant to go when it ended.
                    A pause a journey takes inside a task with `time.sleep(d)` (a video player's heartbeat) is
                    stamped the same way: it is the user thinking, not the generator lagging.
    workers         send what they gathered (histograms encoded, then reset) as a `harness_samples` message every
                    second and at their own `test_stop`.
    no sample lost  locust 2.47's MasterRunner.quit() fires the master's `test_stop` at once, then sends `quit` to
                    the workers, waits 0.5 s for their last stats and kills its message loop; its `quitting` (on
                    SIGTERM/Ctrl-C) fires before any of that. So the master's `test_stop` listener (run time, the
                    request bound, SIGTERM/Ctrl-C alike) sends `harness_final` to every connected worker, which
                    stops its users (its own `test_stop` flushes all it recorded) and answers with a final
                    `harness_samples`; the master waits (bounded) for every answer before locust goes on. A worker
                    that is itself interrupted does the same at its `quitting`, before it tells the master it quit.
                    Messages from one worker arrive in order. The file is written at `quit`, which locust fires
                    after the runner has quit, in every ending (an atexit hook covers the rest).
    the bound       the master (or local runner) quits the test once HARNESS_LOAD_MAX_REQUESTS requests were
                    reported (warm-up included: the bound caps the run, not the sample); workers report every
                    second, so a distributed run overshoots by up to a second of traffic.
    errors          the first line of the failure, its URL replaced by the request name, at most 50 distinct
                    texts per operation (the rest under "(other errors)").
"""
from __future__ import annotations

import atexit
import inspect
import json
import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import gevent
from gevent.event import Event
from hdrh.histogram import HdrHistogram
from locust import TaskSet, events
from locust.runners import STATE_INIT, STATE_MISSING, STATE_STOPPED, MasterRunner, WorkerRunner

try:
    from harness.load import server_timing
except ImportError:  # locust runs with the scenarios' folder, not the repository, on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from harness.load import server_timing

LOG = logging.getLogger("harness.recorder")
LOWEST_US, HIGHEST_US, DIGITS = 1, 3_600_000_000, 3
HISTOGRAMS = ("latency", "intended", "lag", "server")
MAX_ERRORS = 50
OTHER_ERRORS = "(other errors)"
FLUSH_S = 1.0
FINAL_WAIT_S = 10.0
SAMPLES, FINAL = "harness_samples", "harness_final"


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def to_us(ms: float) -> int:
    return min(max(int(round(ms * 1000)), 0), HIGHEST_US)


def first_line(exception: Any, url: str | None, name: str) -> str:
    """The failure's first line, its URL replaced by the request name (ids in URLs would split one error in many)."""
    lines = str(exception).strip().splitlines()
    line = lines[0] if lines else type(exception).__name__
    return (line.replace(url, name) if url else line)[:300]


def add_error(errors: Counter, message: str, count: int) -> None:
    """Count an error text, keeping at most MAX_ERRORS distinct texts (the rest under OTHER_ERRORS)."""
    if message in errors or len(errors) < MAX_ERRORS - 1:
        errors[message] += count
    else:
        errors[OTHER_ERRORS] += count


class Operation:
    """What one request name gathered: the four histograms and the counts."""

    def __init__(self) -> None:
        self.requests = self.failures = self.cache_hits = self.cache_misses = 0
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()
        self.queries: Counter = Counter()
        self.histograms = {name: new_histogram() for name in HISTOGRAMS}

    def record(self, latency_us: int, lag_us: int, status: int, error: str | None,
               timing: server_timing.ServerTiming | None) -> None:
        self.requests += 1
        self.statuses[str(status)] += 1
        if error is not None:
            self.failures += 1
            add_error(self.errors, error, 1)
        self.histograms["latency"].record_value(latency_us)
        self.histograms["lag"].record_value(lag_us)
        self.histograms["intended"].record_value(min(latency_us + lag_us, HIGHEST_US))
        if timing is not None:
            self._record_server(timing)

    def _record_server(self, timing: server_timing.ServerTiming) -> None:
        if timing.app_ms is not None:
            self.histograms["server"].record_value(to_us(timing.app_ms))
        if timing.queries is not None:
            self.queries[str(timing.queries)] += 1
        self.cache_hits += timing.cache_hits or 0
        self.cache_misses += timing.cache_misses or 0

    def wire(self, complete: bool = True) -> dict[str, Any]:
        """As samples.json has it (complete), or the worker's message (empty histograms left out)."""
        out: dict[str, Any] = {"requests": self.requests, "failures": self.failures,
                               "statuses": dict(self.statuses), "errors": dict(self.errors)}
        out.update({name: hist.encode().decode("ascii") for name, hist in self.histograms.items()
                    if complete or hist.get_total_count()})
        out.update(queries=dict(self.queries), cache_hits=self.cache_hits, cache_misses=self.cache_misses)
        return out

    def merge(self, wire: dict[str, Any]) -> None:
        self.requests += wire["requests"]
        self.failures += wire["failures"]
        self.statuses.update(wire["statuses"])
        self.queries.update(wire["queries"])
        self.cache_hits += wire["cache_hits"]
        self.cache_misses += wire["cache_misses"]
        for message, count in wire["errors"].items():
            add_error(self.errors, message, count)
        for name in HISTOGRAMS:
            if name in wire:
                self.histograms[name].decode_and_add(wire[name])


class CpuMeter:
    """This process's own CPU use (process time over wall time), sampled every FLUSH_S while a test runs."""

    def __init__(self) -> None:
        self.max_percent = 0.0
        self.users_max = 0
        self._cpu_total = self._wall_total = 0.0
        self._last: tuple[float, float] | None = None

    def start(self) -> None:
        self._last = (time.monotonic(), time.process_time())

    def sample(self, users: int) -> None:
        self.users_max = max(self.users_max, users)
        if self._last is None:
            return
        wall, cpu = time.monotonic(), time.process_time()
        d_wall, d_cpu = wall - self._last[0], cpu - self._last[1]
        if d_wall > 0.05:
            self.max_percent = max(self.max_percent, 100.0 * d_cpu / d_wall)
            self._cpu_total += d_cpu
            self._wall_total += d_wall
            self._last = (wall, cpu)

    def figures(self) -> dict[str, float | int]:
        mean = 100.0 * self._cpu_total / self._wall_total if self._wall_total else 0.0
        return {"cpu_percent_max": round(self.max_percent, 1), "cpu_percent_mean": round(mean, 1),
                "users_max": self.users_max}


class Recorder:
    """One locust process's recorder; `mode` is "local", "worker" or "master"."""

    def __init__(self, environment: Any, out: str) -> None:
        self.environment = environment
        self.runner = environment.runner
        self.mode = ("master" if isinstance(self.runner, MasterRunner)
                     else "worker" if isinstance(self.runner, WorkerRunner) else "local")
        self.out = out
        self.warmup_s = float(os.environ.get("HARNESS_LOAD_WARMUP_S") or 0)
        self.max_requests = int(os.environ.get("HARNESS_LOAD_MAX_REQUESTS") or 0)
        self.intended: WeakKeyDictionary = WeakKeyDictionary()
        self.finals: set[str] = set()
        self.written = False
        self.stopped_by: str | None = None
        self.stopped: float | None = None
        self._reset(time.time())

    def _reset(self, started: float) -> None:
        self.started = started
        self.operations: dict[str, Operation] = {}
        self.workers: dict[str, dict[str, Any]] = {}
        self.warmup_requests = 0
        self.timeline: dict[int, list[int]] = {}
        self.reported = 0
        self.cpu = CpuMeter()
        self.ended = Event()

    # -- wiring ----------------------------------------------------------------------------------------------
    def install(self) -> None:
        for user_class in self.environment.user_classes:
            for cls in stamped_classes(user_class):
                wrap_wait_time(cls, self.intended)
        stamp_sleeps(self.intended)
        hooks = self.environment.events
        hooks.test_start.add_listener(self.on_test_start)
        hooks.test_stop.add_listener(self.on_test_stop)
        hooks.quit.add_listener(self.on_quit)
        if self.mode == "master":
            self.runner.register_message(SAMPLES, self.on_samples)
        else:
            hooks.request.add_listener(self.on_request)
        if self.mode == "worker":
            self.runner.register_message(FINAL, self.on_final_request)
            hooks.quitting.add_listener(self.on_final_request)  # a worker stopped on its own (Ctrl-C) flushes too
        else:
            atexit.register(self.write)

    def on_test_start(self, **_: Any) -> None:
        self._reset(time.time())
        self.stopped = None
        self.finals.clear()
        self.cpu.start()
        gevent.spawn(self._tick)

    def _tick(self) -> None:
        while not self.ended.wait(FLUSH_S):
            self.cpu.sample(self.runner.user_count)
            if self.mode == "worker":
                self.flush(final=False)

    def on_test_stop(self, **_: Any) -> None:
        self.cpu.sample(self.runner.user_count)
        self.ended.set()
        if self.mode == "worker":
            self.flush(final=False)
        elif self.mode == "master":
            self.collect_finals()
        self.stopped = time.time()

    # -- recording (local runner and workers) ----------------------------------------------------------------
    def on_request(self, name: str, response_time: float | None, response: Any = None, exception: Any = None,
                   start_time: float | None = None, url: str | None = None, **_: Any) -> None:
        elapsed_ms = response_time or 0.0
        start = start_time if start_time is not None else time.time() - elapsed_ms / 1000
        greenlet = gevent.getcurrent()
        meant = self.intended.get(greenlet)
        lag_s = max(0.0, start - meant) if meant is not None else 0.0
        self.intended[greenlet] = start + elapsed_ms / 1000
        second = self.timeline.setdefault(max(0, int(start - self.started)), [0, 0])
        second[0] += 1
        second[1] += exception is not None
        if start < self.started + self.warmup_s:
            self.warmup_requests += 1
        else:
            self.operations.setdefault(name, Operation()).record(
                to_us(elapsed_ms), to_us(lag_s * 1000), status_of(response),
                None if exception is None else first_line(exception, url, name), timing_of(response))
        if self.mode == "local":
            self.count_reported(1)

    def count_reported(self, requests: int) -> None:
        self.reported += requests
        if self.max_requests and self.reported >= self.max_requests and self.stopped_by is None:
            self.stopped_by = "requests"
            LOG.info("harness: %d requests reached (bound %d), stopping the test", self.reported, self.max_requests)
            gevent.spawn(self._stop_runner)

    def _stop_runner(self) -> None:
        options = self.environment.parsed_options
        if options is None or getattr(options, "headless", True) or getattr(options, "autoquit", -1) != -1:
            self.runner.quit()
        else:
            self.runner.stop()

    # -- the worker's side of the wire -----------------------------------------------------------------------
    def payload(self, final: bool) -> dict[str, Any]:
        operations = {name: op.wire(complete=False) for name, op in self.operations.items()}
        payload = {"final": final, "operations": operations, "warmup_requests": self.warmup_requests,
                   "timeline": [[second, *counts] for second, counts in self.timeline.items()],
                   "generator": self.cpu.figures()}
        self.operations, self.warmup_requests, self.timeline = {}, 0, {}
        return payload

    def flush(self, final: bool) -> None:
        payload = self.payload(final)
        if final or payload["operations"] or payload["warmup_requests"] or payload["timeline"]:
            self.runner.send_message(SAMPLES, payload)

    def on_final_request(self, **_: Any) -> None:
        if self.runner.state not in (STATE_INIT, STATE_STOPPED):
            self.runner.stop()  # fires test_stop here, which flushes every sample this worker recorded
        self.flush(final=True)

    # -- the master's side -----------------------------------------------------------------------------------
    def on_samples(self, msg: Any, **_: Any) -> None:
        data, worker = msg.data, msg.node_id
        for name, wire in data["operations"].items():
            self.operations.setdefault(name, Operation()).merge(wire)
        self.warmup_requests += data["warmup_requests"]
        for second, count, failures in data["timeline"]:
            entry = self.timeline.setdefault(int(second), [0, 0])
            entry[0] += count
            entry[1] += failures
        self.workers[worker] = data["generator"]
        if data["final"]:
            self.finals.add(worker)
        self.count_reported(data["warmup_requests"] + sum(wire["requests"] for wire in data["operations"].values()))

    def collect_finals(self) -> None:
        """Ask every worker still connected for its final samples and wait (bounded) for all the answers."""
        waiting = {client.id for client in self.runner.clients.all if client.state != STATE_MISSING} - self.finals
        for worker in waiting:
            self.runner.send_message(FINAL, None, client_id=worker)
        deadline = time.monotonic() + (self.environment.stop_timeout or 0) + FINAL_WAIT_S
        while waiting - self.finals and time.monotonic() < deadline:
            gevent.sleep(0.02)
        if missing := waiting - self.finals:
            LOG.error("harness: no final samples from worker(s) %s: their last second is missing", sorted(missing))

    # -- the file --------------------------------------------------------------------------------------------
    def on_quit(self, **_: Any) -> None:
        self.write()

    def write(self) -> None:
        if self.written or self.mode == "worker":
            return
        self.written = True
        document = self.document()
        path = Path(self.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(document), encoding="utf-8")
        os.replace(temporary, path)
        LOG.info("harness: samples written to %s", path)

    def document(self) -> dict[str, Any]:
        stopped = self.stopped or time.time()
        generator = self.cpu.figures()
        workers = self.workers if self.mode == "master" else {"local": generator}
        return {"version": 1, "unit": "us", "significant_digits": DIGITS, "started": self.started,
                "stopped": stopped, "warmup_s": self.warmup_s,
                "measured_s": max(0.0, stopped - self.started - self.warmup_s),
                "operations": {name: op.wire() for name, op in sorted(self.operations.items())},
                "warmup_requests": self.warmup_requests,
                "timeline": [[second, *self.timeline[second]] for second in sorted(self.timeline)],
                "generator": {"workers": [{"worker": worker, **figures} for worker, figures in sorted(workers.items())],
                              "master_cpu_percent_max": generator["cpu_percent_max"],
                              "master_cpu_percent_mean": generator["cpu_percent_mean"]},
                "stopped_by": self.stopped_by or self.stop_reason(stopped)}

    def stop_reason(self, stopped: float) -> str:
        run_time = getattr(self.environment.parsed_options, "run_time", None)
        return "time" if run_time and stopped - self.started >= run_time - 1.0 else "signal"


def status_of(response: Any) -> int:
    try:
        return int(getattr(response, "status_code", 0) or 0)
    except (TypeError, ValueError):
        return 0


def timing_of(response: Any) -> server_timing.ServerTiming | None:
    headers = getattr(response, "headers", None)
    return server_timing.parse(headers.get("Server-Timing")) if headers else None


def stamped_classes(user_class: type) -> list[type]:
    """The user class and every TaskSet under it that has its own wait_time."""
    found, pending, seen = [user_class], list(getattr(user_class, "tasks", [])), set()
    while pending:
        task = pending.pop()
        if not (inspect.isclass(task) and issubclass(task, TaskSet)) or task in seen:
            continue
        seen.add(task)
        if "wait_time" in vars(task):
            found.append(task)
        pending.extend(getattr(task, "tasks", []))
    return found


def wrap_wait_time(cls: type, intended: WeakKeyDictionary) -> None:
    """Make cls.wait_time stamp the calling greenlet with the time its next request is meant to be sent."""
    original = inspect.getattr_static(cls, "wait_time", None)
    if not inspect.isfunction(original) or getattr(original, "harness_stamps", False):
        return

    def wait_time(self: Any) -> float:
        delay = original(self)
        intended[gevent.getcurrent()] = time.time() + (delay or 0)
        return delay

    wait_time.harness_stamps = True  # type: ignore[attr-defined]
    cls.wait_time = wait_time  # type: ignore[attr-defined]


def stamp_sleeps(intended: WeakKeyDictionary) -> None:
    """Make `time.sleep(d)` (gevent's, in a locust process) stamp the calling greenlet as wait_time does."""
    original = time.sleep
    if getattr(original, "harness_stamps", False):
        return

    def sleep(seconds: float) -> None:
        intended[gevent.getcurrent()] = time.time() + max(0.0, seconds)
        original(seconds)

    sleep.harness_stamps = True  # type: ignore[attr-defined]
    time.sleep = sleep


@events.init.add_listener
def on_init(environment: Any, **_: Any) -> None:
    out = os.environ.get("HARNESS_LOAD_OUT")
    if out and environment.runner is not None:
        Recorder(environment, out).install()
