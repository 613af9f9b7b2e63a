"""How fast `harness seed` loads PostgreSQL. Run on demand, not in the test suite:

    .venv/bin/python benchmarks/seed_throughput.py [--scale large] [--seed 0] [--admin-url URL]

Creates a scratch database, runs the real command on it (`harness seed ... --create-schema --json`)
in a fresh process, prints rows per table, the total, seconds and rows/s with the command that
produced them, and drops the database again, whatever happened.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import uuid

import click
import sqlalchemy as sa

DEFAULT_ADMIN_URL = os.environ.get("HARNESS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@click.command()
@click.option("--admin-url", default=DEFAULT_ADMIN_URL, show_default=True,
              help="A PostgreSQL URL allowed to CREATE and DROP DATABASE (env HARNESS_TEST_POSTGRES_URL).")
@click.option("--scale", type=click.Choice(["small", "medium", "large"]), default="large", show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
def main(admin_url: str, scale: str, seed: int) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"harness_bench_{uuid.uuid4().hex[:10]}"
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    command = [sys.executable, "-m", "harness.cli", "seed", "--db", url, "--scale", scale, "--seed", str(seed),
               "--create-schema", "--json", "--quiet"]
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise click.ClickException(f"harness seed exited {done.returncode}: {done.stderr.strip()}")
        report = json.loads(done.stdout)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    width = max(map(len, report["rows"]))
    click.echo(f"command: {shlex.join(command).replace(url, shown)}")
    click.echo(f"database: {shown} (scratch, dropped); load method: {report['method']}")
    for table, rows in report["rows"].items():
        click.echo(f"  {table:<{width}} {rows:>10,}")
    click.echo(f"  {'total':<{width}} {report['total']:>10,} rows")
    click.echo(f"seed: {report['seconds']:.1f} s, {report['rows_per_second']:,.0f} rows/s "
               f"(whole command incl. start-up and schema: {wall:.1f} s, {report['total'] / wall:,.0f} rows/s)")


if __name__ == "__main__":
    main()
