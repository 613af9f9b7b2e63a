"""Migration operations that bring Django's DDL to the legacy DDL (SCHEMA.md §0).

Django 5.2 emulates `on_delete` in Python and writes FK constraints with no ON DELETE clause, and it
adds a `varchar_pattern_ops` (`*_like`) index to every VARCHAR primary key on PostgreSQL. The legacy
DDL has ON DELETE CASCADE / SET NULL on every FK and no pattern-ops indexes, and both apps share one
database during the blue-green window, so the port's migrations fix both.

Every operation here is idempotent: it reads the catalog first and does nothing when the database
already has the legacy shape. That is what keeps `migrate --fake-initial` on a database built by the
legacy app a no-op on the 21 tables. They change the database only, never the migration state, and
unapplying them leaves the database as it is (the tables they touch are dropped by unapplying 0001).

Foreign keys end up as in the legacy DDL: named `<table>_<column>_fkey` (PostgreSQL's own name for an
unnamed FK, which SQLAlchemy's DDL gets) unless SCHEMA.md names them, and NOT DEFERRABLE, so Django runs
on the same constraint semantics as on a legacy-built database.

Caveat for later migrations: Django rewrites an FK constraint without ON DELETE whenever it alters the
FK field (PostgreSQL) or remakes the table (SQLite: any AlterField and most constraint changes). Such a
migration must repeat `SetForeignKeyOnDelete` for the FKs of the tables it touches.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import NotSupportedError, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

#: SQL action per Django on_delete handler, and the pg_constraint.confdeltype code of each action.
SQL_ACTIONS: dict[Callable[..., Any], str] = {models.CASCADE: "CASCADE", models.SET_NULL: "SET NULL"}
PG_DELETE_CODES = {"CASCADE": "c", "SET NULL": "n"}


class DatabaseOnlyOperation(Operation):
    """An operation on the database alone: the migration state stays as it is."""

    reversible = True
    reduces_to_sql = False

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_backwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor,
                           from_state: ProjectState, to_state: ProjectState) -> None:
        pass  # see the module docstring: the constraint or missing index is left as it is


class SetForeignKeyOnDelete(DatabaseOnlyOperation):
    """Make `<model>.<field>`'s FK constraint `ON DELETE <on_delete>` under its legacy name.

    `on_delete` is written out ("CASCADE" or "SET NULL") so the migration reads like the DDL; it must
    agree with the field's Django `on_delete`, which is checked when the migration runs.
    """

    def __init__(self, model_name: str, name: str, on_delete: str, constraint_name: str | None = None) -> None:
        if on_delete not in PG_DELETE_CODES:
            raise ValueError(f"on_delete must be one of {sorted(PG_DELETE_CODES)}, not {on_delete!r}")
        self.model_name, self.name, self.on_delete, self.constraint_name = model_name, name, on_delete, constraint_name

    def deconstruct(self) -> tuple[str, list, dict]:
        kwargs = {"constraint_name": self.constraint_name} if self.constraint_name else {}
        return self.__class__.__qualname__, [self.model_name, self.name, self.on_delete], kwargs

    def describe(self) -> str:
        return f"Set ON DELETE {self.on_delete} on the FK of {self.model_name}.{self.name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.name.lower()}_on_delete"

    def database_forwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor,
                          from_state: ProjectState, to_state: ProjectState) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        field = model._meta.get_field(self.name)
        declared = SQL_ACTIONS.get(field.remote_field.on_delete)
        if declared != self.on_delete:
            raise ValueError(f"{app_label}.{self.model_name}.{self.name}: the model says on_delete={declared!r}, "
                             f"the migration ON DELETE {self.on_delete}", params=None)
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            self._postgresql(schema_editor, model, field)
        elif vendor == "sqlite":
            self._sqlite(schema_editor, model, field)
        else:
            raise NotSupportedError(f"SetForeignKeyOnDelete supports PostgreSQL and SQLite, not {vendor}")

    def _postgresql(self, schema_editor: BaseDatabaseSchemaEditor, model: type[models.Model],
                    field: models.ForeignKey) -> None:
        table, column = model._meta.db_table, field.column
        name = self.constraint_name or f"{table}_{column}_fkey"
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                """SELECT con.conname, con.confdeltype, con.condeferrable
                   FROM pg_constraint con
                   JOIN pg_class rel ON rel.oid = con.conrelid
                   JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace
                   JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = ANY (con.conkey)
                   WHERE con.contype = 'f' AND nsp.nspname = current_schema()
                     AND rel.relname = %s AND att.attname = %s""",
                [table, column])
            existing = [(conname, str(code), deferrable) for conname, code, deferrable in cursor.fetchall()]
        if existing == [(name, PG_DELETE_CODES[self.on_delete], False)]:
            return  # already the legacy constraint (a legacy-built database, or a second run)
        quote = schema_editor.quote_name
        for conname, _code, _deferrable in existing:
            schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(conname)}", params=None)
        target = field.target_field
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} FOREIGN KEY ({quote(column)}) "
            f"REFERENCES {quote(target.model._meta.db_table)} ({quote(target.column)}) ON DELETE {self.on_delete}",
            params=None)

    def _sqlite(self, schema_editor: BaseDatabaseSchemaEditor, model: type[models.Model],
                field: models.ForeignKey) -> None:
        # SQLite cannot alter a constraint: the table is rebuilt with the clause rewritten.
        table, column = model._meta.db_table, field.column
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"PRAGMA foreign_key_list({schema_editor.quote_name(table)})")
            # rows: id, seq, table, from, to, on_update, on_delete, match
            actions = {row[6] for row in cursor.fetchall() if row[3] == column}
        if actions == {self.on_delete}:
            return
        rebuild_sqlite_table(schema_editor, table,
                             lambda sql: set_fk_clause(sql, column, self.on_delete, self.constraint_name))


class DropPatternOpsIndexes(DatabaseOnlyOperation):
    """Drop the `*_like` (varchar/text_pattern_ops) indexes Django adds on PostgreSQL to a model's table.

    The legacy DDL has none; its primary keys and uniques are served by their plain b-tree indexes.
    """

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def deconstruct(self) -> tuple[str, list, dict]:
        return self.__class__.__qualname__, [self.model_name], {}

    def describe(self) -> str:
        return f"Drop Django's pattern-ops indexes of {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_drop_like_indexes"

    def database_forwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor,
                          from_state: ProjectState, to_state: ProjectState) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "postgresql" or not self.allow_migrate_model(
                schema_editor.connection.alias, model):
            return  # only Django's PostgreSQL backend creates them
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                """SELECT DISTINCT idx.relname
                   FROM pg_index ind
                   JOIN pg_class idx ON idx.oid = ind.indexrelid
                   JOIN pg_class rel ON rel.oid = ind.indrelid
                   JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace
                   JOIN pg_opclass opc ON opc.oid = ANY (ind.indclass::oid[])
                   WHERE nsp.nspname = current_schema() AND rel.relname = %s
                     AND opc.opcname IN ('varchar_pattern_ops', 'text_pattern_ops', 'bpchar_pattern_ops')""",
                [model._meta.db_table])
            names = [row[0] for row in cursor.fetchall()]
        for name in sorted(names):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}", params=None)


# --- SQLite: the table rebuild of https://www.sqlite.org/lang_altertable.html#otheralter ------------

_CREATE_TABLE = re.compile(r'^\s*CREATE\s+TABLE\s+("[^"]+"|`[^`]+`|\[[^\]]+\]|\w+)\s*\(', re.IGNORECASE)
_REFERENCES = re.compile(r'REFERENCES\s+("[^"]+"|`[^`]+`|\[[^\]]+\]|\w+)\s*\([^)]*\)', re.IGNORECASE)
_TABLE_FK = re.compile(r'\s*(CONSTRAINT\s+\S+\s+)?FOREIGN\s+KEY\s*\(\s*([^)]+?)\s*\)', re.IGNORECASE)
_FK_TAIL = re.compile(r"\s+(ON\s+DELETE\s+(SET\s+NULL|SET\s+DEFAULT|CASCADE|RESTRICT|NO\s+ACTION)"
                      r"|(NOT\s+)?DEFERRABLE(\s+INITIALLY\s+(DEFERRED|IMMEDIATE))?)", re.IGNORECASE)


def rebuild_sqlite_table(schema_editor: BaseDatabaseSchemaEditor, table: str,
                         transform: Callable[[str], str]) -> None:
    """Rebuild `table` from its CREATE TABLE statement passed through `transform`, keeping rows and indexes.

    This is SQLite's documented 12-step procedure; Django's SQLite schema editor has already turned
    FK enforcement off and opened the transaction, and checks the FKs when the migration ends.
    """
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        (create_sql,) = cursor.fetchone()
        cursor.execute("SELECT sql FROM sqlite_master WHERE tbl_name = %s AND type IN ('index', 'trigger') "
                       "AND sql IS NOT NULL", [table])
        dependents = [row[0] for row in cursor.fetchall()]
    quote = schema_editor.quote_name
    scratch = f"new__{table}"
    new_sql = _CREATE_TABLE.sub(f"CREATE TABLE {quote(scratch)} (", transform(create_sql), count=1)
    # params=None: the statements are sent verbatim (a stored `%` must not be read as a placeholder).
    schema_editor.execute(new_sql, params=None)
    schema_editor.execute(f"INSERT INTO {quote(scratch)} SELECT * FROM {quote(table)}", params=None)
    schema_editor.execute(f"DROP TABLE {quote(table)}", params=None)
    schema_editor.execute(f"ALTER TABLE {quote(scratch)} RENAME TO {quote(table)}", params=None)
    for sql in dependents:
        schema_editor.execute(sql, params=None)


def set_fk_clause(create_sql: str, column: str, on_delete: str, constraint_name: str | None = None) -> str:
    """`create_sql` with the FK on `column` as a table constraint `FOREIGN KEY (column) REFERENCES t (id)
    ON DELETE <on_delete>` (not deferrable), the form SQLAlchemy writes.

    Django writes a column's FK inline (`"x_id" varchar(36) REFERENCES "t" ("id") DEFERRABLE ...`);
    that form is moved to a table constraint because SQLAlchemy's SQLite inspector reads the ON DELETE
    action of table constraints only, and the harness compares schemas with that inspector.
    """
    head, body, tail = _split_table_body(create_sql)
    items = _split_top_level(body)
    for i, item in enumerate(items):
        if not _is_fk_of(item, column):
            continue
        reference = _REFERENCES.search(item)
        target, rest = reference.group(0), _FK_TAIL.sub("", item[reference.end():])
        if _TABLE_FK.match(item):
            items[i] = f"{item[:reference.start()]}{target} ON DELETE {on_delete}{rest}"
        else:
            column_part = re.sub(r"\s+CONSTRAINT\s+\S+\s*$", "", item[:reference.start()]).rstrip()
            items[i] = column_part + rest
            name = f"CONSTRAINT {constraint_name} " if constraint_name else ""
            items.append(f' {name}FOREIGN KEY ("{column}") {target} ON DELETE {on_delete}')
        return head + ",".join(items) + tail
    raise ValueError(f"no foreign key on column {column!r} in {create_sql!r}")


def _unquote(identifier: str) -> str:
    return identifier[1:-1] if identifier[:1] in {'"', "`", "["} else identifier


def _is_fk_of(item: str, column: str) -> bool:
    if not _REFERENCES.search(item):
        return False
    table_level = _TABLE_FK.match(item)
    if table_level:
        return _unquote(table_level.group(2)) == column
    first = re.match(r'\s*("[^"]+"|`[^`]+`|\[[^\]]+\]|\w+)', item)
    return bool(first) and _unquote(first.group(1)) == column


def _split_table_body(create_sql: str) -> tuple[str, str, str]:
    """(`CREATE TABLE x (`, the comma-separated definitions, `)` and anything after it)."""
    start = _CREATE_TABLE.match(create_sql).end()
    depth, quote = 1, ""
    for pos in range(start, len(create_sql)):
        char = create_sql[pos]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "[":
            quote = "]"
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return create_sql[:start], create_sql[start:pos], create_sql[pos:]
    raise ValueError(f"unbalanced CREATE TABLE statement: {create_sql!r}")


def _split_top_level(body: str) -> list[str]:
    """Split column and constraint definitions on the commas outside parentheses and quotes."""
    items, depth, quote, start = [], 0, "", 0
    for pos, char in enumerate(body):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "[":
            quote = "]"
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(body[start:pos])
            start = pos + 1
    items.append(body[start:])
    return items
