"""Celery: eager by default (covered by the P57 tests), and on a real Redis broker with a real worker. Both
apps register the legacy task names and payloads, so a message either app queues is run by either app's
worker (the blue-green window has both on one queue)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.models import MediaFile

#: The `celery -A` target of each app's worker.
WORKERS = {"flask": "legacy_flask.celery_worker", "django": "reference_django.config.celery"}


@pytest.fixture
def app_config(app_config, redis_url):
    return {**app_config, "CELERY_BROKER_URL": redis_url}


def start_worker(kind: str, app_config: dict) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app_config["DATABASE_URL"], "UPLOAD_ROOT": app_config["UPLOAD_ROOT"],
           "CELERY_BROKER_URL": app_config["CELERY_BROKER_URL"], "REDIS_URL": "",
           "DJANGO_SETTINGS_MODULE": "reference_django.config.settings.test"}
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", WORKERS[kind], "worker", "--pool", "solo",
                             "--concurrency", "1", "--without-heartbeat", "--without-gossip", "--without-mingle",
                             "--loglevel", "WARNING"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("worker_kind", sorted(WORKERS))
def test_process_goes_through_redis_to_a_worker(app, app_config, redis_url, seeded, make_caller, worker_kind):
    import redis

    media_id = seeded.media_ids(0)[1]
    caller = make_caller(accounts.INSTRUCTOR, via="bearer")
    engine = app.extensions["db_engine"]

    def processing() -> tuple:
        with engine.connect() as conn:
            return conn.execute(sa.select(MediaFile.processing_status, MediaFile.processing_completed_at)
                                .where(MediaFile.id == media_id)).one()

    before = processing()
    resp = caller.post(f"/api/v1/media/media/{media_id}/process")
    assert resp.status_code == 200
    assert processing() == before, "with a broker the task is queued, not run in the request"
    assert redis.Redis.from_url(redis_url).llen("celery") == 1

    worker = start_worker(worker_kind, app_config)
    try:
        deadline = time.monotonic() + 60
        while processing()[1] == before[1]:
            assert worker.poll() is None, worker.stdout.read()
            assert time.monotonic() < deadline, "the worker did not process the task"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=15)
    assert processing()[0] == "completed"
