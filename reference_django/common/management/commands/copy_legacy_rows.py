"""`manage.py copy_legacy_rows --from <legacy DATABASE_URL>`: the copy path of the cut-over.

Copies every row of the legacy tables (this project's models: the 21 tables of SCHEMA.md) from the legacy
database into this app's database, which `migrate` has built and which holds no rows yet:

    DATABASE_URL=postgresql://.../new python -m reference_django.manage migrate --noinput
    DATABASE_URL=postgresql://.../new python -m reference_django.manage copy_legacy_rows --from postgresql://.../legacy

- Tables go parents first (the order the models' foreign keys impose), each in key-ordered batches
  (`--batch-size`), all inside ONE transaction on the target: a failure leaves the target as it was.
- The source is read through a second Django connection, read-only (SQLite opened `mode=ro`, PostgreSQL in a
  READ ONLY REPEATABLE READ transaction, so every table comes from one snapshot), without Django's type
  converters: values travel as the legacy database stores them. JSON travels as its text, so a JSON `null`
  stays a JSON `null` and never becomes SQL NULL. Between two engines each value is converted by its field.
- A target that already holds rows in any of these tables is refused, unless `--truncate` empties them
  first (in the same transaction).
- After the copy, each table's row count on the target must equal the source's, or nothing is kept.
"""
from __future__ import annotations

import graphlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from reference_django.config.database import DatabaseUrlError, database_from_url

SOURCE_ALIAS = "copy_legacy_rows_source"
PROJECT_PACKAGE = "reference_django."

Convert = Callable[[Any], Any]


def legacy_models() -> list[type[models.Model]]:
    """The project's concrete models (the legacy tables), parents before children."""
    found = [m for m in apps.get_models() if m.__module__.startswith(PROJECT_PACKAGE)
             and m._meta.managed and not m._meta.proxy]
    graph = graphlib.TopologicalSorter()
    for model in found:
        parents = {f.related_model for f in model._meta.concrete_fields
                   if f.is_relation and f.related_model in found and f.related_model is not model}
        graph.add(model, *parents)
    try:
        return list(graph.static_order())
    except graphlib.CycleError as exc:  # no legacy table needs it; a future one would need deferred FKs
        raise CommandError(f"the models' foreign keys form a cycle: {exc.args[1]}") from None


class Command(BaseCommand):
    help = "Copy every row of the legacy tables from the legacy database (--from URL) into this database."
    # The copy touches models only; the URL layer's checks have nothing to say about it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source_url", required=True, metavar="DATABASE_URL",
                            help="The legacy database (same URL syntax as DATABASE_URL); only read.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows read and written per batch.")
        parser.add_argument("--truncate", action="store_true",
                            help="Delete the target's rows in these tables first (in the same transaction).")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The target database alias.")

    def handle(self, *args: Any, source_url: str, batch_size: int, truncate: bool, database: str,
               **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        self.verbosity = options["verbosity"]
        ordered = legacy_models()
        target = connections[database]
        started = time.perf_counter()
        with source_connection(source_url) as source:
            with transaction.atomic(using=source.alias), transaction.atomic(using=target.alias):
                read_only_snapshot(source)
                self._empty_target(target, ordered, truncate)
                copied = {m._meta.db_table: self._copy(m, source, target, batch_size) for m in ordered}
                self._verify_counts(ordered, source, target, copied)
        self._say(self.style.SUCCESS(f"Copied {sum(copied.values())} rows in {len(copied)} tables in "
                                     f"{time.perf_counter() - started:.2f} s."), 1)

    def _empty_target(self, target: BaseDatabaseWrapper, ordered: list[type[models.Model]], truncate: bool) -> None:
        holding = [m._meta.db_table for m in ordered if _has_rows(target, m._meta.db_table)]
        if not holding:
            return
        if not truncate:
            raise CommandError(f"the target database already holds rows in {', '.join(holding)}; "
                               f"pass --truncate to replace them")
        with target.cursor() as cursor:
            for model in reversed(ordered):  # children first
                cursor.execute(f"DELETE FROM {target.ops.quote_name(model._meta.db_table)}")
        self._say(f"Emptied {len(holding)} table(s) first (--truncate).", 1)

    def _copy(self, model: type[models.Model], source: BaseDatabaseWrapper, target: BaseDatabaseWrapper,
              batch_size: int) -> int:
        table = model._meta.db_table
        fields = list(model._meta.concrete_fields)
        converters = [converter(f, source, target) for f in fields]
        insert = insert_sql(table, fields, target)
        copied = 0
        try:
            with target.cursor() as cursor:
                for batch in read_batches(source, table, fields, model._meta.pk.column, batch_size):
                    cursor.executemany(insert, [[c(v) for c, v in zip(converters, row, strict=True)] for row in batch])
                    copied += len(batch)
        except DatabaseError as exc:
            raise CommandError(f"copying {table} failed after {copied} rows: {_first_line(exc)}") from None
        self._say(f"{table}: {copied} rows", 2)
        return copied

    def _verify_counts(self, ordered: list[type[models.Model]], source: BaseDatabaseWrapper,
                       target: BaseDatabaseWrapper, copied: dict[str, int]) -> None:
        for model in ordered:
            table = model._meta.db_table
            counts = {side: _count(conn, table) for side, conn in (("source", source), ("target", target))}
            if not counts["source"] == counts["target"] == copied[table]:
                raise CommandError(f"{table}: the source holds {counts['source']} rows, {copied[table]} were "
                                   f"copied and the target holds {counts['target']}; nothing was kept")

    def _say(self, message: str, level: int) -> None:
        if self.verbosity >= level:
            self.stdout.write(message)


# -- the source connection ----------------------------------------------------------------------------------

@contextmanager
def source_connection(url: str) -> Iterator[BaseDatabaseWrapper]:
    """A read-only Django connection on `url` under a temporary alias, removed afterwards."""
    try:
        settings = database_from_url(url)
    except DatabaseUrlError as exc:
        raise CommandError(f"--from: {str(exc).removeprefix('DATABASE_URL: ')}") from None
    if settings["ENGINE"].endswith("sqlite3"):
        path = Path(settings["NAME"])
        if not path.is_file():
            raise CommandError(f"--from: no SQLite database file at {path}")
        # mode=ro: the legacy file is never written (not even switched to WAL); detect_types=0: values as stored.
        settings = {**settings, "NAME": f"file:{path.resolve()}?mode=ro", "OPTIONS": {"detect_types": 0}}
    connections.settings[SOURCE_ALIAS] = connections.configure_settings({DEFAULT_DB_ALIAS: settings})[DEFAULT_DB_ALIAS]
    try:
        connection = connections[SOURCE_ALIAS]
        try:
            connection.ensure_connection()
        except DatabaseError as exc:
            raise CommandError(f"--from: cannot open the legacy database: {_first_line(exc)}") from None
        yield connection
    finally:
        connections[SOURCE_ALIAS].close()
        del connections[SOURCE_ALIAS]
        connections.settings.pop(SOURCE_ALIAS, None)


def read_only_snapshot(source: BaseDatabaseWrapper) -> None:
    """On PostgreSQL, read every table from one snapshot and refuse writes (the first statement of the
    transaction). A SQLite read transaction is a snapshot already, and the file is opened read-only."""
    if source.vendor == "postgresql":
        with source.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def read_batches(source: BaseDatabaseWrapper, table: str, fields: list[models.Field], key: str,
                 batch_size: int) -> Iterator[list[tuple]]:
    """The rows of `table` in key order, `batch_size` at a time (keyset pagination: each batch is one
    indexed range read, however deep into the table)."""
    quote = source.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    key_index = [f.column for f in fields].index(key)
    first = f"SELECT {columns} FROM {quote(table)} ORDER BY {quote(key)} LIMIT %s"
    after = f"SELECT {columns} FROM {quote(table)} WHERE {quote(key)} > %s ORDER BY {quote(key)} LIMIT %s"
    last = None
    with source.cursor() as cursor:
        while True:
            if last is None:
                cursor.execute(first, [batch_size])
            else:
                cursor.execute(after, [last, batch_size])
            rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            if len(rows) < batch_size:
                return
            last = rows[-1][key_index]


# -- values from one engine to another ----------------------------------------------------------------------

def insert_sql(table: str, fields: list[models.Field], target: BaseDatabaseWrapper) -> str:
    quote = target.ops.quote_name
    # JSON travels as text; PostgreSQL is told it is JSON, SQLite stores the text as the legacy app did.
    cast_json = target.vendor == "postgresql"
    marks = ["CAST(%s AS jsonb)" if cast_json and isinstance(f, models.JSONField) else "%s" for f in fields]
    return (f"INSERT INTO {quote(table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(marks)})")


def converter(field: models.Field, source: BaseDatabaseWrapper, target: BaseDatabaseWrapper) -> Convert:
    """How one column's stored value becomes the value to insert on the target."""
    if isinstance(field, models.JSONField):
        if target.vendor == "postgresql":
            # A bare JSON number or boolean comes back from SQLite as a number: give PostgreSQL its JSON text.
            return lambda value: value if value is None or isinstance(value, str) else json.dumps(value)
        return _as_is
    if source.vendor == target.vendor:
        return _as_is  # the same engine stores the value exactly as the legacy database holds it

    def through_field(value: Any) -> Any:
        if value is None:
            return None
        value = field.to_python(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # the legacy DDL stores UTC (SCHEMA.md §0)
        return field.get_db_prep_save(value, connection=target)

    return through_field


def _as_is(value: Any) -> Any:
    return value


def _has_rows(connection: BaseDatabaseWrapper, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
        return cursor.fetchone() is not None


def _count(connection: BaseDatabaseWrapper, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
