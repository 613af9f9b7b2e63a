"""The legacy Unpuzzle backend: Flask 3 + SQLAlchemy 2 + Flask-RESTful + custom JWT + Flask-SocketIO."""
from __future__ import annotations

from typing import Any

from flask import Flask

from . import db, errors, server_timing
from .api import Api
from .config import load_settings
from .extensions import socketio
from .ratelimit import init_rate_limiter


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """App factory. Settings: defaults < environment < `config` (see config.py)."""
    app = Flask(__name__)
    app.config.update(load_settings(config))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = True  # a slash-suffixed path is a 404, never a redirect (API.md §1.1)

    db.init_db(app)
    if app.config.get("CREATE_SCHEMA", True):
        db.create_schema(app.extensions["db_engine"])
    init_rate_limiter(app)
    errors.install(app)

    api = Api(app, catch_all_404s=True)
    from .resources import register_all

    register_all(api)

    from . import bucket, sockets, tasks

    bucket.mount(app)
    server_timing.install(app)  # off unless SERVER_TIMING; inside Socket.IO's middleware, outside the rest

    tasks.init_celery(app)
    socketio.init_app(app, async_mode="threading", cors_allowed_origins=[],
                      message_queue=app.config.get("REDIS_URL") or None, logger=False, engineio_logger=False)
    sockets.register(socketio)
    return app
