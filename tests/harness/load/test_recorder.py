"""The recorder inside real locust runs (subprocesses: locust is never imported here) against a tiny threaded
server in this process that sleeps a known time and answers with a Server-Timing header: nothing lost across
workers, exact per-operation latency and server figures, warm-up kept out, the request bound, and SIGTERM."""
from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.load.latency import Samples, load_samples, summarize
from harness.load.server_timing import header

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
RECORDER = ROOT / "harness" / "load" / "recorder.py"
#: path -> (handler sleep ms, Server-Timing header or None, status)
ROUTES = {
    "/slow": (40, header(40.0, 3.0, 4, cache_hits=1, cache_misses=0), 200),
    "/fast": (10, header(10.0, 1.0, 2, cache_hits=0, cache_misses=1), 200),
    "/broken": (0, None, 503),
}
#: how far above the handler's sleep the client-side median and p90 may be (the median is what a user of the
#: harness reads first; the tail also carries this machine's scheduling noise: 2 CPUs, three locust processes and
#: the other test worker, which alone pushed a p95 to 64 ms over a 40 ms sleep while its p90 stayed at 42 ms)
MEDIAN_SLACK_MS, TAIL_SLACK_MS = 5.0, 20.0
LOCUSTFILE = """
import time
from locust import FastHttpUser, constant, task

class Reader(FastHttpUser):
    wait_time = constant(0.1)

    @task(3)
    def slow(self):
        self.client.get("/slow", name="GET /slow")

    @task(3)
    def fast(self):
        self.client.get("/fast", name="GET /fast")

    @task(1)
    def broken(self):
        self.client.get("/broken", name="GET /broken")
"""
HOG = """
class Hog(FastHttpUser):
    fixed_count = 1
    wait_time = constant(0.2)

    @task
    def burn(self):
        end = time.perf_counter() + 0.3  # holds the whole process: every other user here sends late
        while time.perf_counter() < end:
            pass
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        sleep_ms, timing, status = ROUTES[self.path]
        time.sleep(sleep_ms / 1000)
        body = b"ok"
        self.send_response(status)
        if timing:
            self.send_header("Server-Timing", timing)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the user was stopped mid-request
            pass

    def log_message(self, *_args) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connects from users spawned together: a 1 s SYN retry

    def handle_error(self, request, client_address) -> None:
        pass  # connections locust drops when it stops its users


@contextmanager
def serving() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Run:
    folder: Path
    samples: Samples | None
    locust_total: int | None
    wall_s: float
    returncode: int
    log: str

    @classmethod
    def load(cls, folder: Path) -> Run:
        meta = json.loads((folder / "meta.json").read_text())
        samples, stats = folder / "out" / "samples.json", folder / "locust.json"
        locust_total = sum(e["num_requests"] for e in json.loads(stats.read_text())) if stats.exists() else None
        return cls(folder, load_samples(samples) if samples.exists() else None, locust_total, meta["wall_s"],
                   meta["returncode"], (folder / "locust.log").read_text())


class Locust:
    """One locust subprocess (master and its forked workers in their own session)."""

    def __init__(self, folder: Path, host: str, *, run_time: str, processes: int = 2, hog: bool = False,
                 **env: str) -> None:
        folder.mkdir()
        self.folder = folder
        locustfile = folder / "locustfile.py"
        locustfile.write_text(LOCUSTFILE + (HOG if hog else ""))
        command = [sys.executable, "-m", "locust", "-f", f"{locustfile},{RECORDER}", "--headless", "-u", "10",
                   "-r", "10", "-t", run_time, "--host", host, "--json-file", str(folder / "locust"),
                   "--only-summary", "--loglevel", "INFO"]
        if processes:
            port = free_port()
            command += ["--processes", str(processes), "--master-bind-port", str(port), "--master-port", str(port)]
        environment = {**os.environ, "HARNESS_LOAD_OUT": str(folder / "out" / "samples.json"), **env}
        if not environment["HARNESS_LOAD_OUT"]:
            del environment["HARNESS_LOAD_OUT"]
        self.log = (folder / "locust.log").open("w")
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=folder, env=environment, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        # the moment the process ends, not the moment the test gets round to finish() (a run that stopped early
        # must not be charged for the time the test spent on the others)
        self.ended: float | None = None
        self._reaper = threading.Thread(target=self._reap, daemon=True)
        self._reaper.start()

    def _reap(self) -> None:
        self.process.wait()
        self.ended = time.monotonic()

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in (self.folder / "locust.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.1)

    def finish(self, timeout: float = 40) -> None:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._reaper.join(timeout=5)
        self.log.close()
        meta = {"wall_s": (self.ended or time.monotonic()) - self.started, "returncode": self.process.returncode}
        (self.folder / "meta.json").write_text(json.dumps(meta))


RUNS = ("main", "bounded", "local", "terminated", "inert")


def run_all(folder: Path) -> None:
    """The main distributed run alone (its latency is the precise one), then four shorter ones side by side."""
    with serving() as host:
        Locust(folder / "main", host, run_time="6s", HARNESS_LOAD_WARMUP_S="2").finish()
        others = [Locust(folder / "bounded", host, run_time="40s", HARNESS_LOAD_MAX_REQUESTS="150"),
                  Locust(folder / "local", host, run_time="40s", processes=0, HARNESS_LOAD_MAX_REQUESTS="100"),
                  Locust(folder / "terminated", host, run_time="40s", hog=True),
                  Locust(folder / "inert", host, run_time="2s", processes=0, HARNESS_LOAD_OUT="")]
        # mid-run: the master has started its users (the hog's worker may never report "All users spawned": it is
        # busy 60 % of the time, and waiting for that line made the signal come 30 s late)
        others[2].wait_for("Sending spawn jobs")
        time.sleep(3)
        others[2].process.send_signal(signal.SIGTERM)
        for run in others:
            run.finish()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, worker_id) -> dict[str, Run]:
    """The runs, made once per test session: under xdist the first worker here makes them, the others wait on a
    lock and read the same folders (several copies side by side would skew each other's latency)."""
    if worker_id == "master":
        folder = tmp_path_factory.mktemp("locust")
        run_all(folder)
    else:
        folder = tmp_path_factory.getbasetemp().parent / "harness-load-recorder"
        folder.mkdir(exist_ok=True)
        with (folder / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not (folder / "done").exists():
                    run_all(folder)
                    (folder / "done").write_text("")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    return {name: Run.load(folder / name) for name in RUNS}


def measured(run: Run) -> Samples:
    assert run.samples is not None, f"no samples.json; locust said:\n{run.log[-3000:]}"
    return run.samples


def total(run: Run) -> int:
    return measured(run).requests + measured(run).warmup_requests


def test_every_request_locust_counted_reaches_samples_json_across_workers(runs):
    main = runs["main"]
    assert main.returncode in (0, 1), main.log[-3000:]
    assert len(measured(main).workers) == 2
    assert measured(main).requests > 100
    assert total(main) == main.locust_total
    assert sum(requests for _, requests, _ in measured(main).timeline) == main.locust_total


def test_per_operation_latency_matches_the_servers_sleep(runs):
    operations = measured(runs["main"]).operations
    assert set(operations) == {"GET /slow", "GET /fast", "GET /broken"}
    for name, sleep_ms in (("GET /slow", 40), ("GET /fast", 10)):
        latency = summarize(operations[name].latency)
        assert sleep_ms <= latency.p50_ms <= sleep_ms + MEDIAN_SLACK_MS, (name, latency)
        assert latency.p50_ms <= latency.p90_ms <= sleep_ms + TAIL_SLACK_MS, (name, latency)
        assert latency.p90_ms <= latency.p95_ms, (name, latency)
        server = summarize(operations[name].server)
        assert server.count == operations[name].requests
        assert server.p50_ms == pytest.approx(sleep_ms, rel=1e-3) and server.p95_ms == pytest.approx(sleep_ms, rel=1e-3)


def test_queries_cache_statuses_and_errors_are_what_the_server_sent(runs):
    operations = measured(runs["main"]).operations
    slow, fast, broken = operations["GET /slow"], operations["GET /fast"], operations["GET /broken"]
    assert slow.queries == {4: slow.requests} and fast.queries == {2: fast.requests}
    assert (slow.cache_hits, slow.cache_misses) == (slow.requests, 0)
    assert (fast.cache_hits, fast.cache_misses) == (0, fast.requests)
    assert slow.statuses == {"200": slow.requests} and slow.failures == 0
    assert broken.statuses == {"503": broken.requests} and broken.failures == broken.requests > 0
    assert sum(broken.errors.values()) == broken.failures
    assert all("503" in text and "GET /broken" in text and "127.0.0.1" not in text for text in broken.errors)
    assert summarize(broken.server).count == 0 and broken.queries == {}


def test_warm_up_samples_are_counted_apart_and_kept_out_of_the_figures(runs):
    main = runs["main"]
    in_warmup = sum(requests for second, requests, _ in measured(main).timeline if second < 2)
    assert measured(main).warmup_requests == in_warmup > 0
    assert measured(main).requests == main.locust_total - in_warmup
    assert measured(main).stopped_by == "time"
    assert measured(main).measured_s == pytest.approx(4.0, abs=0.7)


def test_an_unhindered_generator_sends_on_time_and_intended_latency_is_never_below_latency(runs):
    for op in measured(runs["main"]).operations.values():
        lag, latency, intended = summarize(op.lag), summarize(op.latency), summarize(op.intended)
        assert lag.count == latency.count == intended.count == op.requests
        assert lag.p95_ms < 25.0, (op.name, lag)  # the hog below pushes it past 200 ms
        assert intended.p95_ms >= latency.p95_ms and intended.max_ms >= latency.max_ms


def test_the_generators_own_load_is_reported(runs):
    workers = measured(runs["main"]).workers
    assert sum(worker.users_max for worker in workers) == 10
    assert all(worker.cpu_percent_max >= worker.cpu_percent_mean > 0 for worker in workers)


@pytest.mark.parametrize("name", ["bounded", "local"])
def test_the_request_bound_stops_the_run_early(runs, name):
    run = runs[name]
    bound = int({"bounded": 150, "local": 100}[name])
    assert measured(run).stopped_by == "requests"
    assert run.wall_s < 20, run.log[-3000:]
    assert bound <= total(run) == run.locust_total


def test_sigterm_to_the_master_still_writes_every_sample(runs):
    run = runs["terminated"]
    assert measured(run).stopped_by == "signal"
    assert measured(run).requests > 0 and total(run) == run.locust_total
    assert run.wall_s < 20, run.log[-3000:]
    assert [path.name for path in (run.folder / "out").iterdir()] == ["samples.json"]  # no temporary file left


def test_a_process_held_by_a_busy_user_shows_as_send_lag(runs):
    """The hog holds its worker for 0.3 s at a time: requests there go out late, and only the intended-time
    latency (latency + lag) shows it."""
    overall = measured(runs["terminated"]).overall()
    lag, latency, intended = summarize(overall.lag), summarize(overall.latency), summarize(overall.intended)
    assert lag.max_ms > 100, lag
    # A request in flight while the hog runs is read late too, so the maxima can meet; and how many requests queue
    # behind the hog depends on where the SIGTERM cuts the run (6 % to over 10 % of them), so no one quantile is
    # sure to hold them. The mean is: every late request adds its lag to the intended time (without the hog the
    # lag's p95 stays under 25 ms, its mean a few ms).
    assert intended.mean_ms > latency.mean_ms + 10, (intended, latency)


def test_without_harness_load_out_the_recorder_is_inert(runs):
    run = runs["inert"]
    assert run.locust_total > 0 and run.returncode in (0, 1), run.log[-3000:]
    assert not list(run.folder.rglob("samples.json")) and "harness" not in run.log
