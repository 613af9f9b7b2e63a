"""P52 GET /health: the one route outside /api/v1 and the one JSON body without the envelope."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify

from .. import db
from ..api import Api, ApiResource
from ..auth.identity import public
from ..models import utcnow
from ..serializers import iso


class Health(ApiResource):
    @public
    def get(self):
        body = {"status": "healthy", "version": current_app.config["APP_VERSION"], "timestamp": iso(utcnow()),
                "database": "ok"}
        status = 200
        try:
            with db.engine().connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception:  # noqa: BLE001 - whatever stops the query, the answer is 503 "unreachable", not a 500
            body.update(status="unhealthy", database="unreachable")
            status = 503
        resp = jsonify(body)
        resp.status_code = status
        return resp


def register(api: Api) -> None:
    api.add_resource(Health, "/health", endpoint="health")
