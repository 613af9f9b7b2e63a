"""Pagination (API.md §1.5): page/limit query, `data.pagination` meta and the X-* headers."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from .fields import Int, QuerySerializer
from .parsing import query

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


def page_params(request: Request, default_limit: int = 20) -> Page:
    class PageQuery(QuerySerializer):
        page = Int(min=1, default=1)
        limit = Int(min=1, default=default_limit)

    q = query(request, PageQuery)
    return Page(page=q["page"], limit=min(q["limit"], MAX_LIMIT))


def paginate(queryset: QuerySet, page: Page) -> tuple[list[Any], int]:
    """Rows of one page of `queryset` (already ordered) and the total count, in two queries."""
    total = queryset.order_by().count()
    return list(queryset[page.offset:page.offset + page.limit]), total


def paged(resp: Response, page: Page, total: int) -> Response:
    meta = page.meta(total)
    resp["X-Total-Count"] = str(meta["total"])
    resp["X-Page"] = str(meta["page"])
    resp["X-Per-Page"] = str(meta["limit"])
    resp["X-Total-Pages"] = str(meta["pages"])
    return resp
