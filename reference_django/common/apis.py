"""P52 GET /health: the one route outside /api/v1 and the one JSON body without the envelope."""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from .serializers import iso
from .views import ApiView


class HealthApi(ApiView):
    guard = "public"

    def get(self, request: Request) -> Response:
        body = {"status": "healthy", "version": settings.APP_VERSION, "timestamp": iso(timezone.now()),
                "database": "ok"}
        try:
            with connection.cursor() as cur:
                cur.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - whatever stops the query, the answer is 503 "unreachable", not a 500
            body.update(status="unhealthy", database="unreachable")
            return Response(body, status=503)
        return Response(body)
