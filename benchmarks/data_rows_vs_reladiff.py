"""`harness data rows` against reladiff on the same two PostgreSQL tables, in the same run.

    .venv/bin/python benchmarks/data_rows_vs_reladiff.py [--rows 1000000] [--workers 2] [--repeat 2]
                                                         [--admin-url URL] [--keep]

Builds two scratch databases on the server (a table of --rows rows made with generate_series, shaped
like the shared schema: VARCHAR(36) UUID keys, varchar, text with NULLs and '', NUMERIC(10,2), double,
boolean, TIMESTAMPTZ, JSONB), copies the first into the second and seeds 10 differences there (2 rows
dropped, 2 added, 6 changed: numeric, varchar, NULL -> '', timestamp +1 us, boolean, JSONB). Then it
times both tools on the same tables and columns, alternating which runs first, --repeat times each:
  - harness: harness.data.rows.diff_rows in this process (PostgreSQL-side checksums);
  - reladiff: its Python API (hashdiff, the cross-database algorithm) in its own virtualenv,
    reports/.bench-venv, created here on first use (pip install reladiff psycopg2-binary). reladiff is a
    benchmark-only tool, not a project dependency.
It checks that both report exactly the seeded keys, prints rows/s of each (table rows / seconds of the
best run) and the ratio, with the commands, and drops the databases unless --keep.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

import click
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_ADMIN_URL = os.environ.get("HARNESS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BENCH_VENV = ROOT / "reports" / ".bench-venv"
TABLE = "ledger_entries"
COLUMNS = ("account_id", "title", "note", "amount", "score", "settled", "booked_at", "payload")

CREATE = f"""
CREATE TABLE {TABLE} (
    id VARCHAR(36) PRIMARY KEY,
    account_id VARCHAR(36) NOT NULL,
    title VARCHAR(255) NOT NULL,
    note TEXT,
    amount NUMERIC(10, 2) NOT NULL,
    score DOUBLE PRECISION,
    settled BOOLEAN NOT NULL,
    booked_at TIMESTAMPTZ NOT NULL,
    payload JSONB NOT NULL
)"""

FILL = f"""
INSERT INTO {TABLE}
SELECT md5('row' || i)::uuid::text,
       md5('account' || (i % 5000))::uuid::text,
       'entry ' || i,
       CASE WHEN i % 7 = 0 THEN NULL WHEN i % 7 = 1 THEN 'x' ELSE repeat('n', 1 + i % 40) END,
       (i % 1000000) / 100.0,
       i * 0.25,
       i % 3 = 0,
       timestamptz '2025-01-01 00:00:00+00' + i * interval '1 second' + (i % 1000) * interval '1 microsecond',
       jsonb_build_object('n', i, 'tag', 'tag' || (i % 10))
FROM generate_series(1, :rows) AS i"""


def seeded_differences(rows: int) -> tuple[list[str], set[str]]:
    """SQL for the candidate and the keys it touches. Row numbers are spread over the table."""

    def key(i: int) -> str:
        return str(uuid.UUID(__import__("hashlib").md5(f"row{i}".encode()).hexdigest()))

    picks = [rows * k // 11 + 3 for k in range(1, 11)]
    null_note = rows * 4 // 7 // 7 * 7  # i % 7 == 0: a row whose note is NULL
    sql = [
        f"DELETE FROM {TABLE} WHERE id = '{key(picks[0])}'",
        f"DELETE FROM {TABLE} WHERE id = '{key(picks[1])}'",
        f"UPDATE {TABLE} SET amount = amount + 0.01 WHERE id = '{key(picks[2])}'",
        f"UPDATE {TABLE} SET title = title || ' (edited)' WHERE id = '{key(picks[3])}'",
        f"UPDATE {TABLE} SET note = '' WHERE id = '{key(null_note)}'",  # a NULL note becomes ''
        f"UPDATE {TABLE} SET booked_at = booked_at + interval '1 microsecond' WHERE id = '{key(picks[5])}'",
        f"UPDATE {TABLE} SET settled = NOT settled WHERE id = '{key(picks[6])}'",
        f"UPDATE {TABLE} SET payload = payload || '{{\"tag\": \"changed\"}}' WHERE id = '{key(picks[7])}'",
    ]
    extra = [str(uuid.UUID(int=0x1234 + n)) for n in range(2)]
    sql += [
        f"INSERT INTO {TABLE} SELECT '{k}', account_id, title, note, amount, score, settled, booked_at, payload "
        f"FROM {TABLE} WHERE id = '{key(picks[8 + n])}'"
        for n, k in enumerate(extra)
    ]
    keys = {
        key(picks[0]),
        key(picks[1]),
        key(picks[2]),
        key(picks[3]),
        key(null_note),
        key(picks[5]),
        key(picks[6]),
        key(picks[7]),
        *extra,
    }
    return sql, keys


RELADIFF_SCRIPT = r"""
import json, sys, time
import reladiff
legacy, candidate, table = sys.argv[1], sys.argv[2], sys.argv[3]
columns, threads = sys.argv[4].split(","), int(sys.argv[5])
a = reladiff.connect_to_table(legacy, table, "id", extra_columns=tuple(columns), thread_count=threads)
b = reladiff.connect_to_table(candidate, table, "id", extra_columns=tuple(columns), thread_count=threads)
started = time.perf_counter()  # after connecting and reading the schema: the diff alone
diff = list(reladiff.diff_tables(a, b, algorithm="hashdiff", threaded=True, max_threadpool_size=threads,
                                  skip_sort_results=True))  # its sort fails on a NULL next to a value
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "keys": sorted({row[1][0] for row in diff}), "diff_rows": len(diff)}))
"""


def ensure_reladiff() -> Path:
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        click.echo(f"creating {BENCH_VENV} with reladiff (benchmark only) ...", err=True)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import reladiff, psycopg2"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "reladiff", "psycopg2-binary"], check=True)
    return python


def libpq_url(url: str) -> str:
    """reladiff speaks psycopg2 and wants plain postgresql:// URLs."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def run_reladiff(python: Path, legacy: str, candidate: str, workers: int) -> dict:
    done = subprocess.run(
        [
            str(python),
            "-c",
            RELADIFF_SCRIPT,
            libpq_url(legacy),
            libpq_url(candidate),
            TABLE,
            ",".join(COLUMNS),
            str(workers),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise click.ClickException(f"reladiff failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_harness(legacy: str, candidate: str, workers: int) -> dict:
    import harness.seed  # noqa: F401 - imported before the clock starts, as reladiff is (import time is not diff time)
    from harness.data.rows import RowsOptions, diff_rows

    started = time.perf_counter()  # from here: connecting, reflecting, counting and diffing
    report = diff_rows(legacy, candidate, tables=[TABLE], options=RowsOptions(workers=workers))
    seconds = time.perf_counter() - started
    table = report.tables[0]
    if table.error:
        raise click.ClickException(f"harness failed: {table.error}")
    return {
        "seconds": seconds,
        "keys": sorted(d.key["id"] for d in table.differences),
        "diff_rows": table.differing_rows,
        "segments": table.segments,
        "leaves": table.leaves,
    }


@click.command()
@click.option(
    "--admin-url",
    default=DEFAULT_ADMIN_URL,
    show_default=True,
    help="A PostgreSQL URL allowed to CREATE and DROP DATABASE (env HARNESS_TEST_POSTGRES_URL).",
)
@click.option("--rows", type=click.IntRange(min=1000), default=1_000_000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="Worker threads per database, for both tools.",
)
@click.option("--repeat", type=click.IntRange(1, 10), default=2, show_default=True, help="Runs per tool; best counts.")
@click.option("--keep", is_flag=True, help="Keep the two databases (their URLs are printed).")
def main(admin_url: str, rows: int, workers: int, repeat: int, keep: bool) -> None:
    python = ensure_reladiff()
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:8]
    names = (f"bench_legacy_{suffix}", f"bench_candidate_{suffix}")
    legacy, candidate = (
        sa.engine.make_url(admin_url).set(database=n).render_as_string(hide_password=False) for n in names
    )
    try:
        started = time.perf_counter()
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{names[0]}"'))
        engine = sa.create_engine(legacy)
        with engine.begin() as conn:
            conn.execute(sa.text(CREATE))
            conn.execute(sa.text(FILL), {"rows": rows})
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"'))
        statements, expected = seeded_differences(rows)
        engine = sa.create_engine(candidate)
        with engine.begin() as conn:
            for statement in statements:
                assert conn.execute(sa.text(statement)).rowcount == 1, statement
        engine.dispose()
        for url in (legacy, candidate):  # both tools then read tables with fresh statistics and visibility maps
            engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text(f"VACUUM ANALYZE {TABLE}"))
            engine.dispose()
        click.echo(
            f"built 2 x {rows:,} rows and seeded {len(expected)} differences in {time.perf_counter() - started:.1f} s"
        )

        results: dict[str, list[dict]] = {"harness": [], "reladiff": []}
        for attempt in range(repeat):
            order = ("harness", "reladiff") if attempt % 2 else ("reladiff", "harness")
            for tool in order:
                outcome = (
                    run_harness(legacy, candidate, workers)
                    if tool == "harness"
                    else run_reladiff(python, legacy, candidate, workers)
                )
                results[tool].append(outcome)
                click.echo(f"  run {attempt + 1} {tool:<8} {outcome['seconds']:.2f} s, {len(outcome['keys'])} keys")
        best = {tool: min(runs, key=lambda r: r["seconds"]) for tool, runs in results.items()}
        shown = lambda u: sa.engine.make_url(u).render_as_string(hide_password=True)  # noqa: E731
        click.echo(
            "harness command: "
            + shlex.join(["harness", "data", "rows", "--legacy-db", shown(legacy), "--candidate-db", shown(candidate),
                          "--tables", TABLE, "--workers", str(workers)])
        )
        click.echo(
            f"reladiff command: reladiff {shown(libpq_url(legacy))} {TABLE} {shown(libpq_url(candidate))} {TABLE} "
            f"-k id {' '.join('-c ' + c for c in COLUMNS)} -j {workers} -a hashdiff --skip-sort-results"
        )
        for tool in ("harness", "reladiff"):
            run = best[tool]
            click.echo(
                f"{tool:<8} {run['seconds']:7.2f} s  {rows / run['seconds']:>12,.0f} rows/s  {len(run['keys'])} keys"
            )
        agree = all(set(r["keys"]) == expected for runs in results.values() for r in runs)
        ratio = best["reladiff"]["seconds"] / best["harness"]["seconds"]
        click.echo(
            f"ratio harness/reladiff: {ratio:.2f}x (goal >= 2x); both report exactly the "
            f"{len(expected)} seeded keys: {'yes' if agree else 'NO'}"
        )
        if not agree:
            for tool, run in best.items():
                click.echo(
                    f"  {tool}: missed {sorted(expected - set(run['keys']))}, "
                    f"extra {sorted(set(run['keys']) - expected)}"
                )
            raise SystemExit(1)
    finally:
        if keep:
            click.echo(f"kept: {legacy} {candidate}")
        else:
            with admin.connect() as conn:
                for name in names:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
