"""Pagination (API.md §1.5): page/limit query, `data.pagination` meta and the X-* headers."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Window
from rest_framework.request import Request
from rest_framework.response import Response

from .exceptions import ApiError
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


@functools.cache
def _page_query(default_limit: int) -> type[QuerySerializer]:
    """The page/limit serializer class, built once per default (a class statement per request costs)."""
    class PageQuery(QuerySerializer):
        page = Int(min=1, default=1)
        limit = Int(min=1, default=default_limit)

    return PageQuery


def page_params(request: Request, default_limit: int = 20) -> Page:
    q = query(request, _page_query(default_limit))
    return Page(page=q["page"], limit=min(q["limit"], MAX_LIMIT))


def valid_page(request: Request, default_limit: int = 20) -> Page | None:
    """page_params, or None where they would be refused (for a caller that must refuse something else first)."""
    try:
        return page_params(request, default_limit)
    except ApiError:
        return None


def page_of(meta: dict[str, int]) -> Page:
    """The Page a `data.pagination` meta was made for."""
    return Page(page=meta["page"], limit=meta["limit"])


def paginate(queryset: QuerySet, page: Page) -> tuple[list[Any], int]:
    """Rows of one page of `queryset` (already ordered) and the total count, in two queries."""
    total = queryset.order_by().count()
    return list(queryset[page.offset:page.offset + page.limit]), total


def paginate_ids(queryset: QuerySet, page: Page) -> tuple[list[Any], int]:
    """The primary keys of one page of `queryset` (already ordered) and the total count, in one query: the
    total rides along as COUNT(*) OVER () (a second query only for a page past the end)."""
    rows = list(queryset.annotate(total_count=Window(Count("pk"))).values_list("pk", "total_count")
                [page.offset:page.offset + page.limit])
    if rows:
        return [pk for pk, _ in rows], rows[0][1]
    return [], queryset.order_by().count() if page.offset else 0


def paged(resp: Response, page: Page, total: int) -> Response:
    meta = page.meta(total)
    resp["X-Total-Count"] = str(meta["total"])
    resp["X-Page"] = str(meta["page"])
    resp["X-Per-Page"] = str(meta["limit"])
    resp["X-Total-Pages"] = str(meta["pages"])
    return resp
