"""Celery: eager by default (covered by the P57 tests), and on a real Redis broker with a real worker."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import sqlalchemy as sa

from legacy_flask.models import MediaFile


def test_process_goes_through_redis_to_a_worker(app_config, redis_url, seeded):
    import redis

    from harness.seed import accounts
    from legacy_flask import create_app

    media_id = seeded.media_ids(0)[1]
    app = create_app({**app_config, "CELERY_BROKER_URL": redis_url})
    try:
        caller = app.test_client()
        caller.post("/api/v1/auth/login", json={"email": accounts.INSTRUCTOR.email, "password": accounts.INSTRUCTOR.password})
        csrf = caller.get("/api/v1/auth/csrf-token").get_json()["data"]["csrf_token"]
        engine = app.extensions["db_engine"]

        def completed_at():
            with engine.connect() as conn:
                return conn.execute(sa.select(MediaFile.processing_completed_at).where(MediaFile.id == media_id)).scalar()

        before = completed_at()
        resp = caller.post(f"/api/v1/media/media/{media_id}/process", headers={"X-CSRF-Token": csrf})
        assert resp.status_code == 200
        assert completed_at() == before, "with a broker the task is queued, not run in the request"
        assert redis.Redis.from_url(redis_url).llen("celery") == 1

        env = {**os.environ, "DATABASE_URL": app_config["DATABASE_URL"], "CELERY_BROKER_URL": redis_url,
               "UPLOAD_ROOT": app_config["UPLOAD_ROOT"], "REDIS_URL": ""}
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "legacy_flask.celery_worker", "worker",
                                   "--pool", "solo", "--concurrency", "1", "--without-heartbeat", "--without-gossip",
                                   "--without-mingle", "--loglevel", "WARNING"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 30
            while completed_at() == before:
                assert worker.poll() is None, worker.stdout.read()
                assert time.monotonic() < deadline, "the worker did not process the task"
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(timeout=15)
        with engine.connect() as conn:
            status = conn.execute(sa.select(MediaFile.processing_status).where(MediaFile.id == media_id)).scalar()
        assert status == "completed"
    finally:
        app.extensions["db_engine"].dispose()
