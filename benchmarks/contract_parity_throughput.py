"""Differential pairs per second against schemathesis's single-app cases per second, same contract, same run.

    .venv/bin/python benchmarks/contract_parity_throughput.py [--phases examples,coverage,fuzzing] [--max-examples 5]
    .venv/bin/python benchmarks/contract_parity_throughput.py --http   # each app a gunicorn server on loopback

Three measurements on identical seeded SQLite copies, in-process, one after the other:
  A. schemathesis 4 alone against legacy (the contract's cases, every default check): cases/s;
  B. the same schemathesis configuration driving the contract gate's fan-out (legacy, legacy-2 as the noise
     baseline, the Django candidate): legacy-vs-candidate pairs/s (and all pairs/s, noise pairs included);
  C. the requests of B replayed through a fresh fan-out without schemathesis (the differential engine alone).
A pair is one request answered by legacy and by the candidate and compared field by field (deepdiff).

With --http every app is a gunicorn server on a free loopback port (A's legacy too, so A and B pay the same
HTTP cost), and the fan-out sends each request to the three servers at once.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


BASE_ENV = {"RATELIMIT_ENABLED": "0", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000"}


class Servers:
    """gunicorn processes on loopback, stopped (process group) on exit."""

    def __init__(self) -> None:
        self.procs = []

    def start(self, app: str, database_url: str, upload_root: Path, extra: dict[str, str] | None = None) -> str:
        import subprocess

        from harness.core.targets import free_port, probe

        port = free_port()
        env = {**os.environ, **BASE_ENV, "DATABASE_URL": database_url, "UPLOAD_ROOT": str(upload_root), **(extra or {})}
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", app],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            if probe(url + "/health")[0] == 200:
                return url
            time.sleep(0.1)
        raise RuntimeError(f"{app} did not start on {url}")

    def stop(self) -> None:
        import signal

        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass


def django_app(database_url: str, upload_root: Path):
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "reference_django.config.settings.base",
            "RATELIMIT_ENABLED": "0",
            "UPLOAD_ROOT": str(upload_root),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000",
        }
    )
    from reference_django.config.wsgi import application

    return application


@click.command()
@click.option("--phases", default="examples,coverage,fuzzing", show_default=True)
@click.option("--max-examples", default=5, show_default=True)
@click.option("--http", is_flag=True, help="Serve each app with gunicorn on loopback instead of in-process.")
def main(phases: str, max_examples: int, http: bool) -> None:
    from harness.contract.conformance import Identities, load_schema, narrowed, run
    from harness.contract.exchange import Sent
    from harness.contract.fanout import FanOut, HttpSide, OperationResolver, WsgiSide
    from harness.contract.gate import CANDIDATE, NOISE, PRIMARY
    from harness.contract.noise import Analyzer
    from harness.contract.routes import load_contract
    from harness.core.targets import http_forwarder
    from tests.support.contract_fixtures import legacy_app, seeded_sqlite

    phase_list = tuple(p for p in phases.split(",") if p)
    work = Path(tempfile.mkdtemp(prefix="parity-bench-"))
    seeded = seeded_sqlite(work / "seeded.sqlite3").removeprefix("sqlite:///")

    def copy(name: str) -> str:
        shutil.copy(seeded, work / f"{name}.sqlite3")
        return f"sqlite:///{work / f'{name}.sqlite3'}"

    def schema_for(app, base_url: str | None = None):
        schema = load_schema(
            app if base_url is None else http_forwarder(base_url),
            Identities(app if base_url is None else http_forwarder(base_url)),
            max_examples=max_examples,
            seed=0,
            phases=phase_list,
            narrowed_checks=narrowed(),
        )
        if base_url is not None:
            schema.app = None
            schema.config.update(base_url=base_url)
        return schema

    servers = Servers()
    legacy_spec, django_spec = "legacy_flask:create_app()", "reference_django.config.wsgi:application"
    django_env = {"DJANGO_SETTINGS_MODULE": "reference_django.config.settings.base"}

    def side(name: str, db: str, spec: str, env: dict[str, str] | None = None):
        if http:
            return HttpSide(name, servers.start(spec, copy(db), work / f"up-{db}", env))
        app = (
            legacy_app(copy(db), work / f"up-{db}") if spec == legacy_spec else django_app(copy(db), work / f"up-{db}")
        )
        return WsgiSide(name, app)

    contract = load_contract()
    try:
        # A: schemathesis alone, one app.
        if http:
            single_url = servers.start(legacy_spec, copy("single"), work / "up-single")
            schema_a = schema_for(None, single_url)
        else:
            schema_a = schema_for(legacy_app(copy("single"), work / "up-single"))
        started = time.perf_counter()
        report = run(schema_a)
        a_time = time.perf_counter() - started
        a_cases = sum(report.cases.values())

        # B: schemathesis through the fan-out.
        recorded: list[Sent] = []
        analyzer = Analyzer(PRIMARY, CANDIDATE, NOISE)

        def sink(ex, maps):
            recorded.append(ex.sent[PRIMARY])
            analyzer(ex, maps)

        candidate = side(CANDIDATE, "candidate", django_spec, django_env)
        fan = FanOut(
            side(PRIMARY, "legacy", legacy_spec),
            [side(NOISE, "legacy2", legacy_spec), candidate],
            OperationResolver(contract["paths"]),
            sink,
        )
        started = time.perf_counter()
        run(schema_for(fan))
        fan.close()
        b_time = time.perf_counter() - started
        b_pairs = fan.exchanges

        # C: the recorded requests again, fresh databases, no schemathesis.
        replay = Analyzer(PRIMARY, CANDIDATE, NOISE)
        if http:
            candidate_c = side(CANDIDATE, "candidate-c", django_spec, django_env)
        else:  # one in-process Django per interpreter: the same app, its database file restored
            from django.db import connections

            connections.close_all()
            shutil.copy(seeded, work / "candidate.sqlite3")
            candidate_c = candidate
        fan_c = FanOut(
            side(PRIMARY, "legacy-c", legacy_spec),
            [side(NOISE, "legacy2-c", legacy_spec), candidate_c],
            OperationResolver(contract["paths"]),
            replay,
        )
        started = time.perf_counter()
        for sent in recorded:
            fan_c.send(sent)
        fan_c.close()
        c_time = time.perf_counter() - started
    finally:
        servers.stop()
        shutil.rmtree(work, ignore_errors=True)

    a_rate, b_rate, c_rate = a_cases / a_time, b_pairs / b_time, len(recorded) / c_time
    click.echo(
        f"command: .venv/bin/python benchmarks/contract_parity_throughput.py --phases {phases} "
        f"--max-examples {max_examples}{' --http' if http else ''}"
    )
    click.echo(f"A schemathesis alone on legacy      {a_cases:>6} cases  in {a_time:6.1f} s = {a_rate:7.1f} cases/s")
    click.echo(
        f"B schemathesis-driven differential  {b_pairs:>6} pairs  in {b_time:6.1f} s = {b_rate:7.1f} pairs/s "
        f"({2 * b_rate:.1f}/s with the noise pairs)"
    )
    click.echo(
        f"C recorded requests replayed        {len(recorded):>6} pairs  in {c_time:6.1f} s = {c_rate:7.1f} pairs/s "
        f"({2 * c_rate:.1f}/s with the noise pairs)"
    )
    click.echo(f"ratio B/A = {b_rate / a_rate:.2f}, C/A = {c_rate / a_rate:.2f} (goal: >= 1)")


if __name__ == "__main__":
    main()
