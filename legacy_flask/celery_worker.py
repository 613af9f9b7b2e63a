"""Entry point of a Celery worker for the legacy app, configured from the environment like the app:

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 DATABASE_URL=... celery -A legacy_flask.celery_worker worker --pool solo
"""
from __future__ import annotations

from . import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
