"""Engine catalog queries for what SQLAlchemy's inspector does not tell (or tells lossily).

PostgreSQL: exact types (format_type, keeping timestamp precision), defaults and identity from
pg_attribute/pg_attrdef, indexes from pg_index (key expressions, DESC / NULLS order, operator classes,
access method, INCLUDE columns, partial-index predicates; indexes backing a PK/UNIQUE/EXCLUDE
constraint are left to those), foreign-key actions from information_schema.referential_constraints,
sequences with the column that owns them.
SQLite: declared types from PRAGMA table_info, ON DELETE/UPDATE from PRAGMA foreign_key_list, index
keys and their order from PRAGMA index_list/index_xinfo, predicates and expressions from the
CREATE INDEX text in sqlite_master (the inspector drops DESC and expression keys).
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .model import ForeignKey, Index, Sequence
from .sqltext import canonical_sql

# -- PostgreSQL ---------------------------------------------------------------------------------------

PG_COLUMNS = sa.text("""
SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type,
       pg_get_expr(d.adbin, d.adrelid) AS "default", a.attidentity AS identity, a.attgenerated AS generated
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
""")

PG_INDEXES = sa.text("""
SELECT t.relname AS table_name, i.relname AS index_name, ix.indisunique AS is_unique, am.amname AS method,
       pg_get_expr(ix.indpred, ix.indrelid) AS predicate, ix.indnkeyatts AS key_count,
       ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnatts) AS k
             ORDER BY k) AS keys,
       ix.indoption::int2[] AS options,
       ARRAY(SELECT CASE WHEN opc.opcdefault THEN '' ELSE opc.opcname END
             FROM unnest(ix.indclass::oid[]) WITH ORDINALITY AS u(oid, ord)
             JOIN pg_opclass opc ON opc.oid = u.oid ORDER BY u.ord) AS opclasses
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = i.relam
WHERE n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x'))
""")

# referential_constraints names a constraint but not its table; table_constraints supplies it.
PG_FK_ACTIONS = sa.text("""
SELECT tc.table_name, rc.constraint_name, rc.delete_rule, rc.update_rule
FROM information_schema.referential_constraints rc
JOIN information_schema.table_constraints tc
  ON tc.constraint_schema = rc.constraint_schema AND tc.constraint_name = rc.constraint_name
WHERE rc.constraint_schema = current_schema() AND tc.constraint_type = 'FOREIGN KEY'
""")

PG_SEQUENCES = sa.text("""
SELECT s.relname AS name, format_type(seq.seqtypid, NULL) AS data_type, seq.seqstart AS start,
       seq.seqincrement AS increment, owner.relname AS owner_table, a.attname AS owner_column
FROM pg_sequence seq
JOIN pg_class s ON s.oid = seq.seqrelid
JOIN pg_namespace n ON n.oid = s.relnamespace
LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class owner ON owner.oid = d.refobjid
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE n.nspname = current_schema()
""")

_IDENTITY = {"a": "always", "d": "by default"}


def pg_columns(conn: sa.Connection) -> dict[str, dict[str, dict]]:
    """{table: {column: {"type", "default", "identity"}}} with PostgreSQL's own spelling of each."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in conn.execute(PG_COLUMNS).mappings():
        out[row["table_name"]][row["column_name"]] = {
            "type": row["type"], "default": row["default"], "identity": _IDENTITY.get(row["identity"] or ""),
            "generated": bool(row["generated"])}
    return out


def pg_indexes(conn: sa.Connection) -> dict[str, list[Index]]:
    out: dict[str, list[Index]] = defaultdict(list)
    for row in conn.execute(PG_INDEXES).mappings():
        keys: list[str] = []
        for position, key in enumerate(row["keys"][: row["key_count"]]):
            option = row["options"][position] if position < len(row["options"]) else 0
            keys.append(_index_key(key, bool(option & 1), bool(option & 2), row["opclasses"][position]))
        include = tuple(canonical_sql(k) for k in row["keys"][row["key_count"]:])
        out[row["table_name"]].append(Index(row["index_name"], tuple(keys), bool(row["is_unique"]),
                                            canonical_sql(row["predicate"]), row["method"], include))
    return out


def _index_key(expression: str, descending: bool, nulls_first: bool, opclass: str = "") -> str:
    text = canonical_sql(expression) or ""
    if opclass:
        text += f" {opclass}"
    if descending:
        text += " DESC"
    if nulls_first != descending:  # only the non-default NULLS placement is spelled out
        text += " NULLS FIRST" if nulls_first else " NULLS LAST"
    return text


def pg_fk_actions(conn: sa.Connection) -> dict[tuple[str, str], tuple[str, str]]:
    """{(table, constraint name): (delete rule, update rule)}"""
    return {(r.table_name, r.constraint_name): (r.delete_rule, r.update_rule) for r in conn.execute(PG_FK_ACTIONS)}


def pg_sequences(conn: sa.Connection) -> list[Sequence]:
    out = []
    for row in conn.execute(PG_SEQUENCES).mappings():
        owner = f"{row['owner_table']}.{row['owner_column']}" if row["owner_table"] and row["owner_column"] else None
        out.append(Sequence(row["name"], row["data_type"], int(row["start"]), int(row["increment"]), owner))
    return out


# -- SQLite ---------------------------------------------------------------------------------------------

_SQLITE_ACTIONS = {"": "NO ACTION", "NONE": "NO ACTION"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_columns(conn: sa.Connection, table: str) -> dict[str, dict]:
    """{column: {"type": declared type, "identity": rowid/autoincrement or None}}"""
    rows = conn.exec_driver_sql(f"PRAGMA table_xinfo({_q(table)})").mappings().all()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                               (table,)).scalar() or ""
    single_pk = sum(1 for r in rows if r["pk"]) == 1
    # generated / virtual columns (hidden) are not stored values
    return {r["name"]: {"type": r["type"] or "", "identity": _sqlite_identity(r, single_pk, sql)}
            for r in rows if r.get("hidden", 0) in (0, None)}


def _sqlite_identity(column: Mapping[str, Any], single_pk: bool, table_sql: str) -> str | None:
    """INTEGER PRIMARY KEY aliases the rowid: the engine assigns it, like a serial column."""
    if not (single_pk and column["pk"] and (column["type"] or "").upper() == "INTEGER"):
        return None
    return "autoincrement" if re.search(r"\bAUTOINCREMENT\b", table_sql, re.IGNORECASE) else "rowid"


def sqlite_foreign_keys(conn: sa.Connection, table: str) -> list[ForeignKey]:
    groups: dict[int, list] = defaultdict(list)
    for row in conn.exec_driver_sql(f"PRAGMA foreign_key_list({_q(table)})").mappings():
        groups[row["id"]].append(row)
    out = []
    for rows in groups.values():
        rows.sort(key=lambda r: r["seq"])
        first = rows[0]
        targets = tuple(r["to"] for r in rows)
        out.append(ForeignKey(None, tuple(r["from"] for r in rows), first["table"],
                              targets if all(targets) else (),  # REFERENCES t without columns means its PK
                              _SQLITE_ACTIONS.get(first["on_delete"].upper(), first["on_delete"].upper()),
                              _SQLITE_ACTIONS.get(first["on_update"].upper(), first["on_update"].upper())))
    return out


def sqlite_indexes(conn: sa.Connection, table: str) -> list[Index]:
    """Indexes created with CREATE INDEX (not the automatic ones behind PRIMARY KEY / UNIQUE)."""
    out = []
    for entry in conn.exec_driver_sql(f"PRAGMA index_list({_q(table)})").mappings().all():
        if entry["origin"] != "c":
            continue
        name = entry["name"]
        sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                                   (name,)).scalar() or ""
        written, predicate = _split_create_index(sql)
        info = [r for r in conn.exec_driver_sql(f"PRAGMA index_xinfo({_q(name)})").mappings() if r["key"]]
        keys = tuple(_sqlite_index_key(row, written[position] if position < len(written) else None)
                     for position, row in enumerate(sorted(info, key=lambda r: r["seqno"])))
        out.append(Index(name, keys, bool(entry["unique"]), canonical_sql(predicate), "btree"))
    return out


def _sqlite_index_key(row: Mapping[str, Any], written: str | None) -> str:
    """One key of an index from PRAGMA index_xinfo, and as the CREATE INDEX text wrote it."""
    if row["cid"] == -2:  # an expression: only the CREATE INDEX text has it
        expression = _strip_order(written) if written is not None else "?"
    else:
        expression = row["name"]
    key = _index_key(expression, bool(row["desc"]), bool(row["desc"]))
    if (row["coll"] or "BINARY").upper() != "BINARY":
        key += f" COLLATE {row['coll'].lower()}"
    return key


def _split_create_index(sql: str) -> tuple[list[str], str | None]:
    """`CREATE INDEX i ON t (a, lower(b) DESC) WHERE c IS NULL` -> (["a", "lower(b) DESC"], "c IS NULL")."""
    match = re.search(r"\bON\s+(?:\"[^\"]+\"|\S+?)\s*\(", sql, re.IGNORECASE)
    if not match:
        return [], None
    depth, start, items = 1, match.end(), []
    i = start
    while i < len(sql) and depth:
        ch = sql[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if (ch == "," and depth == 1) or depth == 0:
            items.append(sql[start:i].strip())
            start = i + 1
        i += 1
    rest = sql[i:]
    where = re.search(r"\bWHERE\b(.*)$", rest, re.IGNORECASE | re.DOTALL)
    return items, (where.group(1).strip() if where else None)


def _strip_order(key: str) -> str:
    return re.sub(r"\s+(ASC|DESC)\s*$", "", re.sub(r"\s+COLLATE\s+\S+", "", key, flags=re.IGNORECASE),
                  flags=re.IGNORECASE)
