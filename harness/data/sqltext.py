"""Canonical text of SQL fragments (defaults, CHECK expressions, index predicates and expressions).

Engines give the same definition back in different spellings: PostgreSQL deparses
`rating BETWEEN 1 AND 5` as `((rating >= 1) AND (rating <= 5))` and adds casts (`'active'::character
varying`, `(0)::double precision`), SQLite returns the text as written. Both are brought to one
spelling: casts and grouping parentheses dropped, keywords lower-cased (string literals untouched),
identifiers unquoted, BETWEEN expanded, whitespace collapsed. Dropping grouping parentheses can make
two differently grouped boolean expressions look alike; definitions that differ only in grouping are
rare enough in a schema to accept that.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

_TYPE_WORDS = r"(?:\"[^\"]+\"|[a-z_][a-z0-9_]*(?:\s+(?:precision|varying|with(?:out)?\s+time\s+zone))?)"
_CAST = re.compile(r"::\s*" + _TYPE_WORDS + r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s*\[\])*", re.IGNORECASE)
_BETWEEN = re.compile(r"([\w.]+) between (\S+) and (\S+)")
_NOW = {"now()", "current_timestamp", "transaction_timestamp()", "datetime('now')", "current_timestamp()",
        "localtimestamp", "statement_timestamp()", "clock_timestamp()"}
_TRUE = {"true", "1", "'t'", "'true'", "'1'", "'y'", "'yes'", "'on'"}
_FALSE = {"false", "0", "'f'", "'false'", "'0'", "'n'", "'no'", "'off'"}
_KEYWORDS = {"and", "or", "when", "then", "else", "case", "where", "is", "like", "between", "select"}
_NEXTVAL = re.compile(r"^nextval\('(?P<seq>[^']+)'\)$")


def _outside_quotes(sql: str):
    """Yield (chunk, quoted) pieces: single-quoted literals are kept whole (with '' escapes)."""
    i, start, n = 0, 0, len(sql)
    while i < n:
        if sql[i] == "'":
            if i > start:
                yield sql[start:i], False
            j = i + 1
            while j < n:
                if sql[j] == "'" and j + 1 < n and sql[j + 1] == "'":
                    j += 2
                    continue
                if sql[j] == "'":
                    break
                j += 1
            yield sql[i:j + 1], True
            i = start = j + 1
            continue
        i += 1
    if start < n:
        yield sql[start:], False


def _drop_grouping(sql: str) -> str:
    """Remove parentheses that group (keep a call's: `lower(email)`, `now()`)."""
    out: list[str] = []
    calls: list[bool] = []
    for chunk, quoted in _outside_quotes(sql):
        if quoted:
            out.append(chunk)
            continue
        for ch in chunk:
            if ch == "(":
                before = "".join(out).rstrip()
                word = re.search(r"[\w\"]+$", before)
                is_call = bool(word) and word.group().lower() not in _KEYWORDS
                calls.append(is_call)
                if is_call:
                    out.append(ch)
            elif ch == ")":
                if calls.pop() if calls else True:
                    out.append(ch)
            else:
                out.append(ch)
    return "".join(out)


def canonical_sql(sql: str | None) -> str | None:
    """One spelling for an SQL expression; None stays None."""
    if sql is None:
        return None
    pieces = []
    for chunk, quoted in _outside_quotes(sql.strip()):
        if not quoted:
            chunk = _CAST.sub("", chunk).replace('"', "").lower()
        pieces.append(chunk)
    text = _drop_grouping("".join(pieces))
    text = " ".join(_spaced(text).split())
    text = _BETWEEN.sub(r"\1 >= \2 and \1 <= \3", text)
    return text.replace("( ", "(").replace(" )", ")")


def _spaced(text: str) -> str:
    """Spaces around comparison operators, none inside call parentheses, outside literals."""
    out = []
    for chunk, quoted in _outside_quotes(text):
        if not quoted:
            chunk = re.sub(r"\s*(<>|!=|>=|<=|=|<|>)\s*", r" \1 ", chunk)
            chunk = re.sub(r"\s*,\s*", ", ", chunk)
        out.append(chunk)
    return "".join(out)


def sequence_of_default(sql: str | None) -> str | None:
    """The sequence a `nextval('x_id_seq'::regclass)` default draws from, else None."""
    text = canonical_sql(sql)
    match = _NEXTVAL.match(text or "")
    return match["seq"] if match else None


def canonical_default(sql: str | None, family: str) -> str | None:
    """A column default in one spelling for its type family: `'active'::character varying` and
    `'active'` agree, so do `false` and `0` on a boolean, `'{}'::jsonb` and `'{ }'`, `now()` and
    `CURRENT_TIMESTAMP`, `0` and `0.0` on a number. NULL as a default is no default."""
    text = canonical_sql(sql)
    if text is None or text == "null":
        return None
    if text in _NOW:
        return "now()"
    return _DEFAULT_BY_FAMILY.get(family, _as_is)(text)


def _as_is(text: str) -> str:
    return text


def _boolean_default(text: str) -> str:
    return "true" if text in _TRUE else "false" if text in _FALSE else text


def _number_default(text: str) -> str:
    try:
        number = Decimal(_unquote(text))
    except InvalidOperation:
        return text
    return "0" if number == 0 else format(number.normalize(), "f")


def _json_default(text: str) -> str:
    try:
        return "'" + json.dumps(json.loads(_unquote(text)), sort_keys=True, separators=(",", ":")) + "'"
    except ValueError:
        return text


_DEFAULT_BY_FAMILY = {"boolean": _boolean_default, "integer": _number_default, "numeric": _number_default,
                      "float": _number_default, "json": _json_default}


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text
