"""Pagination (API.md §1.5): page/limit query, `data.pagination` meta and the X-* headers."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Response
from sqlalchemy.orm import Session

from .validation import Int, parse_query

MAX_LIMIT = 100


@dataclass(slots=True)
class Page:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def meta(self, total: int) -> dict[str, int]:
        return {"page": self.page, "limit": self.limit, "total": total,
                "pages": math.ceil(total / self.limit) if total else 0}


def page_params(default_limit: int = 20) -> Page:
    q = parse_query({"page": Int(min=1, default=1), "limit": Int(min=1, default=default_limit)})
    return Page(page=q["page"], limit=min(q["limit"], MAX_LIMIT))


def paginate(session: Session, stmt: sa.Select, page: Page) -> tuple[list[Any], int]:
    """Rows of one page of `stmt` (already ordered) and the total count, in two queries."""
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.limit(page.limit).offset(page.offset)).unique())
    return rows, total


def paged(resp: Response, page: Page, total: int) -> Response:
    meta = page.meta(total)
    resp.headers["X-Total-Count"] = str(meta["total"])
    resp.headers["X-Page"] = str(meta["page"])
    resp.headers["X-Per-Page"] = str(meta["limit"])
    resp.headers["X-Total-Pages"] = str(meta["pages"])
    return resp


__all__ = ["Page", "page_params", "paginate", "paged"]
