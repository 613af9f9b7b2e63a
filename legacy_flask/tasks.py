"""Celery tasks. Eager (in-process) by default; on Redis when CELERY_BROKER_URL / REDIS_URL is set."""
from __future__ import annotations

from celery import Celery
from flask import Flask

celery_app = Celery("legacy_flask")


def init_celery(app: Flask) -> None:
    broker = app.config.get("CELERY_BROKER_URL")
    celery_app.conf.update(
        broker_url=broker or "memory://",
        result_backend=None,
        task_always_eager=broker is None,
        task_eager_propagates=True,
    )
    app.extensions["celery"] = celery_app
