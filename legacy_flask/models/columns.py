"""Column shorthands so each table reads like its SCHEMA.md table: type, null, DB default."""
from __future__ import annotations

import json as _json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import mapped_column

from .base import JSONType, Money, TZDateTime, fk, json_default, utcnow


def string(length: int, *, nullable: bool = False, default: str | None = None, **kw: Any):
    extra = {} if default is None else {"server_default": sa.text(f"'{default}'"), "default": default}
    return mapped_column(sa.String(length), nullable=nullable, **extra, **kw)


def text(*, nullable: bool = False, default: str | None = None, **kw: Any):
    extra = {} if default is None else {"server_default": sa.text(f"'{default}'"), "default": default}
    return mapped_column(sa.Text, nullable=nullable, **extra, **kw)


def boolean(default: bool):
    return mapped_column(sa.Boolean, nullable=False, server_default=sa.true() if default else sa.false(),
                         default=default)


def integer(default: int | None = None, *, nullable: bool = False, big: bool = False):
    type_ = sa.BigInteger if big else sa.Integer
    extra = {} if default is None else {"server_default": sa.text(str(default)), "default": default}
    return mapped_column(type_, nullable=nullable, **extra)


def double(default: float | None = None, *, nullable: bool = False):
    extra = {} if default is None else {"server_default": sa.text(str(default)), "default": default}
    return mapped_column(sa.Double, nullable=nullable, **extra)


def money(default: int | None = None, *, nullable: bool = False):
    extra = {} if default is None else {"server_default": sa.text(str(default)), "default": default}
    return mapped_column(Money, nullable=nullable, **extra)


def json(default: str | None, *, nullable: bool = False, name: str | None = None):
    """`default` is the JSON literal ('{}' or '[]'), or None for no default.

    `name` sets the DB column name where the attribute cannot carry it (`metadata` is
    reserved on declarative classes, so such columns are mapped as `metadata_`).
    """
    args = (name,) if name else ()
    if default is None:
        return mapped_column(*args, JSONType, nullable=nullable)
    return mapped_column(*args, JSONType, nullable=nullable, server_default=json_default(default),
                         default=lambda: _json.loads(default))


def timestamp(*, nullable: bool = True, now: bool = False):
    extra = {"server_default": sa.func.now(), "default": utcnow} if now else {}
    return mapped_column(TZDateTime, nullable=nullable, **extra)


def foreign_key(target: str, ondelete: str, *, nullable: bool = False, index: bool = True):
    """Every FK column is VARCHAR(36) with a plain b-tree index (SCHEMA.md §0)."""
    return mapped_column(sa.String(36), fk(target, ondelete), nullable=nullable, index=index)
