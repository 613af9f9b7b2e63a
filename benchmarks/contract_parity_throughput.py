"""Differential pairs per second against schemathesis's single-app cases per second, same contract, same run.

    .venv/bin/python benchmarks/contract_parity_throughput.py [--phases examples,coverage,fuzzing] [--max-examples 5]

Three measurements on identical seeded SQLite copies, in-process, one after the other:
  A. schemathesis 4 alone against legacy (the contract's cases, every default check): cases/s;
  B. the same schemathesis configuration driving the contract gate's fan-out (legacy, legacy-2 as the noise
     baseline, the Django candidate): legacy-vs-candidate pairs/s (and all pairs/s, noise pairs included);
  C. the requests of B replayed through a fresh fan-out without schemathesis (the differential engine alone).
A pair is one request answered by legacy and by the candidate and compared field by field (deepdiff).
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


def django_app(database_url: str, upload_root: Path):
    os.environ.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "reference_django.config.settings.base",
                       "RATELIMIT_ENABLED": "0", "UPLOAD_ROOT": str(upload_root),
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000"})
    from reference_django.config.wsgi import application

    return application


@click.command()
@click.option("--phases", default="examples,coverage,fuzzing", show_default=True)
@click.option("--max-examples", default=5, show_default=True)
def main(phases: str, max_examples: int) -> None:
    from harness.contracts.conformance import Identities, legacy_app, load_schema, narrowed, run, seeded_sqlite
    from harness.contracts.exchange import Sent
    from harness.contracts.fanout import FanOut, OperationResolver, WsgiSide
    from harness.contracts.gate import CANDIDATE, NOISE, PRIMARY
    from harness.contracts.noise import Analyzer
    from harness.contracts.routes import load_contract

    phase_list = tuple(p for p in phases.split(",") if p)
    work = Path(tempfile.mkdtemp(prefix="parity-bench-"))
    seeded = seeded_sqlite(work / "seeded.sqlite3").removeprefix("sqlite:///")

    def copy(name: str) -> str:
        shutil.copy(seeded, work / f"{name}.sqlite3")
        return f"sqlite:///{work / f'{name}.sqlite3'}"

    def schema_for(app):
        return load_schema(app, Identities(app), max_examples=max_examples, seed=0, phases=phase_list,
                           narrowed_checks=narrowed())

    contract = load_contract()
    try:
        # A: schemathesis alone, one app.
        single = legacy_app(copy("single"), work / "up-single")
        started = time.perf_counter()
        report = run(schema_for(single))
        a_time = time.perf_counter() - started
        a_cases = sum(report.cases.values())

        # B: schemathesis through the fan-out.
        candidate = django_app(copy("candidate"), work / "up-candidate")
        recorded: list[Sent] = []
        analyzer = Analyzer(PRIMARY, CANDIDATE, NOISE)

        def sink(ex, maps):
            recorded.append(ex.sent[PRIMARY])
            analyzer(ex, maps)

        fan = FanOut(WsgiSide(PRIMARY, legacy_app(copy("legacy"), work / "up-legacy")),
                     [WsgiSide(NOISE, legacy_app(copy("legacy2"), work / "up-legacy2")), WsgiSide(CANDIDATE, candidate)],
                     OperationResolver(contract["paths"]), sink)
        started = time.perf_counter()
        run(schema_for(fan))
        b_time = time.perf_counter() - started
        b_pairs = fan.exchanges

        # C: the recorded requests again, fresh databases, no schemathesis.
        from django.db import connections

        connections.close_all()
        shutil.copy(seeded, work / "candidate.sqlite3")
        replay = Analyzer(PRIMARY, CANDIDATE, NOISE)
        fan_c = FanOut(WsgiSide(PRIMARY, legacy_app(copy("legacy-c"), work / "up-lc")),
                       [WsgiSide(NOISE, legacy_app(copy("legacy2-c"), work / "up-l2c")), WsgiSide(CANDIDATE, candidate)],
                       OperationResolver(contract["paths"]), replay)
        started = time.perf_counter()
        for sent in recorded:
            fan_c.send(sent)
        c_time = time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)

    a_rate, b_rate, c_rate = a_cases / a_time, b_pairs / b_time, len(recorded) / c_time
    click.echo(f"command: .venv/bin/python benchmarks/contract_parity_throughput.py --phases {phases} "
               f"--max-examples {max_examples}")
    click.echo(f"A schemathesis alone on legacy      {a_cases:>6} cases  in {a_time:6.1f} s = {a_rate:7.1f} cases/s")
    click.echo(f"B schemathesis-driven differential  {b_pairs:>6} pairs  in {b_time:6.1f} s = {b_rate:7.1f} pairs/s "
               f"({2 * b_rate:.1f}/s with the noise pairs)")
    click.echo(f"C recorded requests replayed        {len(recorded):>6} pairs  in {c_time:6.1f} s = {c_rate:7.1f} pairs/s "
               f"({2 * c_rate:.1f}/s with the noise pairs)")
    click.echo(f"ratio B/A = {b_rate / a_rate:.2f}, C/A = {c_rate / a_rate:.2f} (goal: >= 1)")


if __name__ == "__main__":
    main()
