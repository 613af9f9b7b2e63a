"""One table on one database, and the few queries the row differ sends it.

A key range is `lo <= key < hi` (either end open), on the table's key columns (row-value comparisons
for composite keys). Inside a range, `bounds` cut it into len(bounds) + 1 buckets; the database
assigns each row its bucket (a binary tree of CASE comparisons), so both
sides agree on membership as long as both order keys the same way (see `row_plan.key_order`).

Two ways to checksum a bucket:
  SqlChecksums (PostgreSQL on both sides): count(*), the sum of a 64-bit hash of each row, and
      count(col) per column, all computed in the database; nothing but one row per bucket travels. A
      row's hash is the XOR of its values' hashes by their types' own hash functions, each seeded by
      the column's position (`normalise.pg_value_hash`): no value is printed as text, the costly part
      of hashing a row's text (about four times slower on a million rows).
  PythonChecksums (SQLite, or two different engines): rows of the range are read with their bucket
      and hashed in Python over the canonical texts of `normalise.Normaliser` (`normalise.row_hash`).
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .normalise import Normaliser, key_text, pg_value_hash, row_hash
from .types import CanonicalType

Key = tuple
#: Sessions of the row differ on PostgreSQL: canonical output formats, never a write, and no JIT (it
#: compiled the checksum expression for ~6 s per million-row query, longer than running it).
PG_SESSION = ("-c TimeZone=UTC -c extra_float_digits=1 -c DateStyle=ISO,YMD -c default_transaction_read_only=on "
              "-c jit=off")
_BYTEWISE_COLLATIONS = {"c", "posix", "c.utf-8", "c.utf8", "ucs_basic", "binary"}


@dataclass(slots=True)
class Bucket:
    rows: int = 0
    checksum: int | Decimal = 0
    non_null: list[int] = field(default_factory=list)  # per compared column


@dataclass(slots=True)
class QueryLog:
    """The SQL a side ran, one example per kind, for the evidence; and how long queries took."""

    examples: dict[str, str] = field(default_factory=dict)
    queries: int = 0
    seconds: float = 0.0

    def record(self, kind: str, sql: str, params: dict) -> None:
        self.queries += 1
        if kind not in self.examples:
            bounds = sum(1 for k in params if k.startswith("b") and k.endswith("_0"))
            shown = {k: v for k, v in params.items() if not k.startswith("b")} | (
                {"bounds": f"<{bounds} keys as :b<i>_<column>>"} if bounds else {})
            self.examples[kind] = sql.strip() + (f"\n-- params: {shown}" if shown else "")


class TableSide:
    """Queries on one side's table. `columns` are the compared columns, in the order both sides use."""

    def __init__(self, engine: sa.Engine, table: str, key: Sequence[str], columns: Sequence[str],
                 types: dict[str, CanonicalType], normalisers: dict[str, Normaliser], *, collate_c: bool = False,
                 bytewise: bool = False) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.table = table
        self.key = tuple(key)
        self.columns = tuple(columns)
        self.types = types
        self.normalisers = normalisers
        self.q = engine.dialect.identifier_preparer.quote
        self.table_sql = self.q(table)
        text_keys = {k for k in self.key if types[k].family in ("text", "other")}
        self.key_exprs = self._key_exprs(text_keys if collate_c else set())
        self.key_sql = _row_value(self.key_exprs)
        # Bucket tests run once per row per tree level. Where the column's collation already orders by
        # code point (C.UTF-8, say), COLLATE "C" gives the same order by memcmp, about twice as fast;
        # range predicates keep the plain column so its index serves them.
        self.bucket_key_sql = _row_value(self._key_exprs(text_keys if bytewise or collate_c else set()))
        self.select_exprs = [self._select_expr(c) for c in self.columns]
        self.log = QueryLog()

    def _key_exprs(self, collated: set[str]) -> list[str]:
        """The key columns, those in `collated` compared by code point."""
        return [f'{self.q(k)} COLLATE "C"' if k in collated else self.q(k) for k in self.key]

    def _select_expr(self, column: str) -> str:
        # psycopg reads a JSON null and an SQL NULL alike (None); their text keeps them apart ('null').
        as_text = self.dialect == "postgresql" and self.types[column].family == "json"
        return f"{self.q(column)}::text" if as_text else self.q(column)

    # -- plumbing -------------------------------------------------------------------------------------
    def run(self, kind: str, sql: str, params: dict | None = None, *, settings: str = "") -> list[tuple]:
        """Run one query; `settings` (PostgreSQL SET LOCAL statements) apply to it alone."""
        params = params or {}
        self.log.record(kind, sql, params)
        started = time.perf_counter()
        with self.engine.connect() as conn:
            if settings and self.dialect == "postgresql":
                conn.exec_driver_sql(settings)
            rows = conn.execute(sa.text(sql), params).all()
        self.log.seconds += time.perf_counter() - started
        return [tuple(r) for r in rows]

    def _point(self, name: str, key: Key, params: dict) -> str:
        for i, value in enumerate(key):
            params[f"{name}_{i}"] = value
        return _row_value([f":{name}_{i}" for i in range(len(key))])

    def range_sql(self, lo: Key | None, hi: Key | None, params: dict) -> str:
        parts = []
        if lo is not None:
            parts.append(f"{self.key_sql} >= {self._point('lo', lo, params)}")
        if hi is not None:
            parts.append(f"{self.key_sql} < {self._point('hi', hi, params)}")
        return " AND ".join(parts) if parts else "1 = 1"

    def bucket_sql(self, bounds: Sequence[Key], params: dict) -> str:
        """The bucket of a row as a balanced tree of CASEs: log2(len(bounds)) comparisons per row
        (PostgreSQL's width_bucket over a text array costs about three times as much)."""
        if not bounds:
            return "0"
        names = [self._point(f"b{i}", b, params) for i, b in enumerate(bounds)]

        def tree(first: int, last: int) -> str:  # buckets first..last; bound i starts bucket i + 1
            if first == last:
                return str(first)
            middle = (first + last + 1) // 2
            return (f"CASE WHEN {self.bucket_key_sql} < {names[middle - 1]} THEN {tree(first, middle - 1)} "
                    f"ELSE {tree(middle, last)} END")

        return tree(0, len(bounds))

    @property
    def _key_list(self) -> str:
        return ", ".join(self.q(k) for k in self.key)

    @property
    def _order(self) -> str:
        return ", ".join(self.key_exprs)

    # -- what the differ asks -------------------------------------------------------------------------
    def count(self) -> int:
        return int(self.run("count", f"SELECT count(*) FROM {self.table_sql}")[0][0])

    def null_keys(self) -> int:
        where = " OR ".join(f"{self.q(k)} IS NULL" for k in self.key)
        return int(self.run("null_keys", f"SELECT count(*) FROM {self.table_sql} WHERE {where}")[0][0])

    def duplicate_keys(self, limit: int) -> tuple[int, list[tuple[Key, int]]]:
        """(how many keys occur more than once, the first `limit` of them with their counts)."""
        sql = (f"SELECT {self._key_list}, count(*) AS n FROM {self.table_sql} GROUP BY {self._key_list} "
               f"HAVING count(*) > 1 ORDER BY {self._order}")
        rows = self.run("duplicates", sql)
        return len(rows), [(tuple(r[:-1]), int(r[-1])) for r in rows[:limit]]

    def sample_points(self, total: int, pieces: int) -> list[Key]:
        """About pieces - 1 keys cutting the whole table into even parts (sampled on big PostgreSQL tables)."""
        if pieces <= 1 or total == 0:
            return []
        if self.dialect == "postgresql" and total > 100_000:
            percent = min(100.0, 100.0 * pieces * 20 / total)
            keys = self.run("sample", f"SELECT {self._key_list} FROM {self.table_sql} "
                                      f"TABLESAMPLE SYSTEM ({percent:.6f}) ORDER BY {self._order}")
            step = max(1, len(keys) // pieces)
            return _distinct([tuple(k) for k in keys[step::step]])[: pieces - 1]
        return self.split_points(None, None, total, pieces)

    def split_points(self, lo: Key | None, hi: Key | None, rows: int, pieces: int) -> list[Key]:
        """Keys cutting [lo, hi) (holding `rows` rows) into about `pieces` even parts."""
        step = max(1, math.ceil(rows / pieces))
        params: dict = {"step": step}
        where = self.range_sql(lo, hi, params)
        sql = (f"SELECT {self._key_list} FROM (SELECT {self._key_list}, row_number() OVER (ORDER BY {self._order}) "
               f"AS rn FROM {self.table_sql} WHERE {where}) AS numbered "
               f"WHERE (rn - 1) % :step = 0 AND rn > 1 ORDER BY rn")
        return _distinct([tuple(r) for r in self.run("split", sql, params)])

    def fetch(self, lo: Key | None, hi: Key | None) -> list[tuple]:
        """Every row of [lo, hi): key values first, then the compared columns, raw from the driver."""
        params: dict = {}
        where = self.range_sql(lo, hi, params)
        cols = ", ".join([self._key_list, *self.select_exprs])
        return self.run("fetch", f"SELECT {cols} FROM {self.table_sql} WHERE {where}", params)

    def fetch_keys(self, keys: Sequence[Key]) -> list[tuple]:
        """The rows with these keys (same layout as `fetch`), in chunks of a few hundred keys."""
        out: list[tuple] = []
        cols = ", ".join([self._key_list, *self.select_exprs])
        target = self._key_list if len(self.key) == 1 else f"({self._key_list})"
        for start in range(0, len(keys), 500):
            params: dict = {}
            points = ", ".join(self._point(f"k{i}", key, params) for i, key in enumerate(keys[start:start + 500]))
            out += self.run("fetch_keys", f"SELECT {cols} FROM {self.table_sql} WHERE {target} IN ({points})", params)
        return out

    def checksums(self, lo: Key | None, hi: Key | None, bounds: Sequence[Key]) -> list[Bucket]:
        raise NotImplementedError


class SqlChecksums(TableSide):
    """Bucket checksums computed by PostgreSQL."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        rules = [self.normalisers[c].rule for c in (*self.key, *self.columns)]
        hashes = [pg_value_hash(self.q(name), self.types[name], rule, seed)
                  for seed, (name, rule) in enumerate(zip((*self.key, *self.columns), rules, strict=True), 1)]
        # Seeds differ per position, so equal values in two columns, or two values swapped between
        # columns, never cancel out in the XOR.
        self.hash_sql = " # ".join(hashes)

    def checksums(self, lo: Key | None, hi: Key | None, bounds: Sequence[Key]) -> list[Bucket]:
        params: dict = {}
        where = self.range_sql(lo, hi, params)
        bucket = self.bucket_sql(bounds, params)
        non_null = "".join(f", count({self.q(c)})" for c in self.columns)
        sql = (f"SELECT {bucket} AS bucket, count(*), coalesce(sum({self.hash_sql}), 0){non_null} "
               f"FROM {self.table_sql} WHERE {where} GROUP BY 1")
        out = [Bucket(non_null=[0] * len(self.columns)) for _ in range(len(bounds) + 1)]
        # The planner cannot know a CASE yields few buckets and would sort every row to group them.
        for row in self.run("checksum", sql, params, settings="SET LOCAL enable_sort = off"):
            out[int(row[0])] = Bucket(int(row[1]), row[2], [int(n) for n in row[3:]])
        return out

    def row_hashes(self, lo: Key | None, hi: Key | None) -> list[tuple]:
        """(key values..., row hash) of every row of [lo, hi): what a leaf compares before fetching rows."""
        params: dict = {}
        where = self.range_sql(lo, hi, params)
        return self.run("row_hashes", f"SELECT {self._key_list}, {self.hash_sql} FROM {self.table_sql} WHERE {where}",
                        params)


class PythonChecksums(TableSide):
    """Bucket checksums computed here, over canonical texts, for engines that cannot agree in SQL."""

    def checksums(self, lo: Key | None, hi: Key | None, bounds: Sequence[Key]) -> list[Bucket]:
        params: dict = {}
        where = self.range_sql(lo, hi, params)
        bucket = self.bucket_sql(bounds, params)
        cols = ", ".join([self._key_list, *self.select_exprs])
        rows = self.run("checksum", f"SELECT {bucket} AS bucket, {cols} FROM {self.table_sql} WHERE {where}", params)
        width = len(self.key)
        norms = [self.normalisers[c] for c in self.columns]
        out = [Bucket(non_null=[0] * len(self.columns)) for _ in range(len(bounds) + 1)]
        for row in rows:
            target = out[int(row[0])]
            key, values = row[1:1 + width], row[1 + width:]
            texts = tuple(map(key_text, key)) + tuple(n.hash_text(v) for n, v in zip(norms, values, strict=True))
            target.rows += 1
            target.checksum += row_hash(texts)
            for i, value in enumerate(values):
                if value is not None:
                    target.non_null[i] += 1
        return out


def _row_value(exprs: list[str]) -> str:
    """One expression as it is, several as a row value: `(a, b)`."""
    return exprs[0] if len(exprs) == 1 else f"({', '.join(exprs)})"


def _distinct(keys: list[Key]) -> list[Key]:
    out: list[Key] = []
    for k in keys:
        if not out or out[-1] != k:
            out.append(k)
    return out


def pg_collations(engine: sa.Engine, table: str, columns: Sequence[str]) -> tuple[str, ...]:
    """The collation each of these (text) columns of `table` orders by."""
    sql = sa.text("""
        SELECT coalesce(nullif(co.collname, 'default'),
                        (SELECT datcollate FROM pg_database WHERE datname = current_database()))
        FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE a.attrelid = CAST(:table AS regclass) AND a.attname = ANY(:columns) AND a.attcollation <> 0
        ORDER BY a.attnum""")
    with engine.connect() as conn:
        return tuple(r[0] or "" for r in conn.execute(sql, {"table": engine.dialect.identifier_preparer.quote(table),
                                                            "columns": list(columns)}))


def pg_collation_bytewise(engine: sa.Engine, table: str, columns: Sequence[str]) -> bool:
    """Whether PostgreSQL orders these (text) columns by code point, as Python and SQLite do."""
    return all(n.lower() in _BYTEWISE_COLLATIONS for n in pg_collations(engine, table, columns))

