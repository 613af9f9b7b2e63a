"""Model fields whose SQLite column types carry the legacy DDL's names; on PostgreSQL they are Django's own.

Django's SQLite backend declares a JSONField `text` (plus a JSON_VALID check), a FloatField `real` and
a DecimalField `decimal`; the legacy DDL (SQLAlchemy's) says `JSON`, `DOUBLE` and `NUMERIC(10, 2)`, with
no check. SQLite stores both spellings alike, but a writer that reflects the schema reads the declared
name: the harness seed, for one, binds a dict to a column reflected as JSON and fails on TEXT. With these
fields `migrate` writes the legacy names, and keeps writing them whenever Django rebuilds a table.
"""
from __future__ import annotations

from typing import Any

from django.db import models


def _on_sqlite(connection: Any) -> bool:
    return connection.vendor == "sqlite"


class JSONField(models.JSONField):
    def db_type(self, connection: Any) -> str | None:
        return "JSON" if _on_sqlite(connection) else super().db_type(connection)

    def db_check(self, connection: Any) -> str | None:
        return None if _on_sqlite(connection) else super().db_check(connection)

    def cast_db_type(self, connection: Any) -> str | None:
        # CAST(x AS JSON) would apply SQLite's NUMERIC affinity; casts keep Django's own type.
        return "text" if _on_sqlite(connection) else super().cast_db_type(connection)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # Under a JSON (NUMERIC-affinity) column SQLite hands back a bare JSON number as a number.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return super().from_db_value(value, expression, connection)


class FloatField(models.FloatField):
    def db_type(self, connection: Any) -> str | None:
        return "DOUBLE" if _on_sqlite(connection) else super().db_type(connection)


class DecimalField(models.DecimalField):
    def db_type(self, connection: Any) -> str | None:
        if _on_sqlite(connection):
            return f"NUMERIC({self.max_digits}, {self.decimal_places})"
        return super().db_type(connection)
