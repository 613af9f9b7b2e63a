"""Declarative base and the column types and mixin shared by every legacy table.

SCHEMA.md is the authority: VARCHAR(36) application-generated UUID keys, TIMESTAMPTZ, JSONB
(plain JSON on SQLite), DB-level defaults, and the BaseModel/AuditableModel/versioning mixin
(marked +M there) on every table but the three association tables.
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

#: JSONB on PostgreSQL, JSON (TEXT affinity) on SQLite.
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
TZDateTime = sa.DateTime(timezone=True)
Money = sa.Numeric(10, 2, asdecimal=True)


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def fk(target: str, ondelete: str, **kw) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete, **kw)


def json_default(literal: str) -> sa.TextClause:
    """A DB-level default for a JSON column: `'{}'` / `'[]'`."""
    return sa.text(f"'{literal}'")




NAMING_CONVENTION = {
    # SCHEMA.md §0: names the sources give are kept verbatim (passed explicitly);
    # every other name follows ix_<table>__<cols>, uq_<table>__<cols>, ck_<table>__<rule>.
    "ix": "ix_%(table_name)s__%(column_0_N_name)s",
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "ck": "%(constraint_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id, sort_order=-1)


class ModelMixin(IdMixin):
    """The +M columns: timestamps, soft delete, audit ids (no FK), optimistic-lock version."""

    created_at: Mapped[datetime] = mapped_column(TZDateTime, nullable=False, server_default=sa.func.now(),
                                                 default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True, default=utcnow, onupdate=utcnow)
    is_deleted: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false(), default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    created_by_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    updated_by_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    deleted_by_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default=sa.text("1"), default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        # Every UPDATE becomes `... WHERE id = :id AND version = :v`; no row -> StaleDataError -> 409.
        return {"version_id_col": cls.version}

    def soft_delete(self, by: str | None = None) -> None:
        self.is_deleted = True
        self.deleted_at = utcnow()
        self.deleted_by_id = by
