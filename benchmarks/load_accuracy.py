"""How exact `harness load` is, on a server whose latency is known, and whether its generator-health check tells an
overloaded generator from a light one.

    .venv/bin/python benchmarks/load_accuracy.py [--seconds 60] [--users 6]

A. Accuracy: a WSGI app (known_latency.application) sleeps a value from a fixed table before it answers: every
   whole millisecond from 20 to 129 ms, in a shuffled order that repeats, so the true distribution is uniform on
   those 110 values and its p95 (nearest rank) is 124 ms. `harness load` measures it with a light profile; the
   benchmark prints the harness's exact p95 (client side, and the server's own from Server-Timing) beside
   locust's own p95 from its CSV (rounded to its buckets), each against the true value.
B. Saturation: the same app without the sleep, once with a light load (the detector must stay quiet) and once
   with far more users than one locust worker can drive, with no think time (it must fire: the run is invalid).

Every run is a real `harness load` (gunicorn, locust master + worker processes, the recorder), candidate side only.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
TRUE_P95_MS = 124.0  # nearest rank of 20..129 ms: the 105th of 110 values
PROFILE = """
[profiles.bench]
users = {users}
spawn_rate = {users}
duration_s = {seconds}
warmup_s = 3
max_requests = 2000000
think_scale = {think}
processes = 1
calibration_s = {calibration}
"""
LOCUSTFILE = """
import atexit, json, os

from locust import FastHttpUser, between, events, task

RAW = []  # (start_time, response_time ms) of every request this process sent: the exact truth


@events.request.add_listener
def keep(request_type, name, response_time, start_time=None, **_):
    RAW.append((start_time, response_time))


@atexit.register
def dump():
    if RAW and os.environ.get("RAW_OUT"):
        with open(f"{os.environ['RAW_OUT']}.{os.getpid()}.json", "w") as out:
            json.dump(RAW, out)


class Client(FastHttpUser):
    wait_time = between(0.05, 0.15)

    @task
    def sleep(self):
        self.client.get("/sleep", name="GET /sleep")
"""


def run(folder: Path, app: str, *, users: int, seconds: int, think: float, calibration: int,
        fast: bool = False) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.toml").write_text(PROFILE.format(users=users, seconds=seconds, think=think,
                                                         calibration=calibration))
    (folder / "locustfile.py").write_text(LOCUSTFILE)
    env = 'KNOWN_LATENCY_FAST = "1"' if fast else ""
    (folder / "harness.toml").write_text(f"""
[candidate]
kind = "wsgi"
app = "{app}"
seed = false
[candidate.env]
{env}
[load]
profile = "bench"
profiles = "profiles.toml"
locustfile = "locustfile.py"
sides = ["candidate"]
""")
    import os

    done = subprocess.run([sys.executable, "-m", "harness.cli", "load", "--config", str(folder / "harness.toml"),
                           "--out", str(folder / "reports")], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "RAW_OUT": str(folder / "raw")})
    result_path = folder / "reports" / "latest" / "load.json"
    if not result_path.is_file():
        raise SystemExit(f"harness load wrote no result (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(result_path.read_text())


def figures(result: dict) -> dict:
    return next(f["evidence"] for f in result["findings"] if f["check"] == "load_figures")


def exact_p95(folder: Path, result_dir: Path) -> tuple[float, int]:
    """The nearest-rank p95 of every raw sample the locust workers kept, warm-up excluded as the harness does."""
    samples = json.loads((result_dir / "load" / "candidate" / "run" / "samples.json").read_text())
    since = samples["started"] + samples["warmup_s"]
    raw = sorted(rt for path in folder.glob("raw.*.json") for start, rt in json.loads(path.read_text())
                 if start is not None and start >= since)
    rank = -(-95 * len(raw) // 100)  # ceil(0.95 n)
    return raw[rank - 1], len(raw)


def locust_p95(result_dir: Path) -> float | None:
    for stats in result_dir.glob("load/candidate/run/locust_stats.csv"):
        for row in csv.DictReader(stats.open()):
            if row["Name"] == "GET /sleep":
                return float(row["95%"])
    return None


@click.command()
@click.option("--seconds", default=60, show_default=True, help="Duration of the accuracy run.")
@click.option("--users", default=6, show_default=True,
              help="Users of the accuracy run (fewer than the server's 8 threads: no queueing in the server).")
def main(seconds: int, users: int) -> None:
    app = "benchmarks.known_latency:application"
    with tempfile.TemporaryDirectory(prefix="load-accuracy-") as scratch:
        base = Path(scratch)
        result = run(base / "accuracy", app, users=users, seconds=seconds, think=1.0, calibration=3)
        evidence = figures(result)
        op = evidence["operations"]["GET /sleep"]
        run_dir = (base / "accuracy" / "reports" / "latest").resolve()
        theirs = locust_p95(run_dir)
        truth, count = exact_p95(base / "accuracy", run_dir)
        print(f"A. accuracy: {op['requests']} requests measured by the harness, {count} raw samples kept by the "
              f"locust worker itself; exact p95 of those raw samples {truth:.3f} ms (the server's sleeps alone: "
              f"{TRUE_P95_MS:.0f} ms)")
        print(f"   harness p95 (client)      {op['p95_ms']:8.3f} ms  off by {op['p95_ms'] - truth:+.3f} ms "
              f"(95 % CI {op['p95_ci_ms'][0]:.3f}–{op['p95_ci_ms'][1]:.3f})")
        print(f"   harness p95 (server)      {op['server_p95_ms']:8.3f} ms  against the sleeps' {TRUE_P95_MS:.0f} ms: "
              f"off by {op['server_p95_ms'] - TRUE_P95_MS:+.3f} ms")
        if theirs is not None:
            print(f"   locust's own p95 (CSV)    {theirs:8.3f} ms  off by {theirs - truth:+.3f} ms "
                  "(its buckets; its CSV also counts the warm-up)")
        print(f"   generator: {'; '.join(evidence['invalid']) or 'healthy'}; send lag p95 "
              f"{evidence['overall']['lag_p95_ms']} ms")
        light = run(base / "light", app, users=10, seconds=12, think=1.0, calibration=3, fast=True)
        heavy = run(base / "heavy", app, users=3000, seconds=20, think=0.0, calibration=3, fast=True)
        for label, outcome in (("light (10 users)", light), ("overloaded (3000 users, no think time)", heavy)):
            side = figures(outcome)
            print(f"B. {label}: {side['overall']['requests']} requests, p95 {side['overall']['p95_ms']} ms, "
                  f"lag p95 {side['overall']['lag_p95_ms']} ms -> "
                  f"{'INVALID: ' + '; '.join(side['invalid']) if side['invalid'] else 'valid'}")
    print("command: .venv/bin/python benchmarks/load_accuracy.py "
          f"--seconds {seconds} --users {users}")


if __name__ == "__main__":
    main()
