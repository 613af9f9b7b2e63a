"""Fixtures for the tests of harness/security: both bundled apps in-process, each on its own copy of one seeded
SQLite file (made once per test process), reached through `WsgiSide.send`; flaws are injected into a copy of the
candidate as WSGI middleware around it (tests/harness/contract/faults.py's `ResponseRewriter`) or by a setting.

    make_legacy(**config) -> send        make_candidate(**config) -> send
    candidate_app(**config) -> wsgi      the candidate's WSGI handler itself, to wrap with a flaw

Config keys are the apps' own (RATELIMIT_ENABLED, JWT_SECRET, ...); rate limits are off unless a test turns them on.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest

from harness.http import Reply, Sent
from harness.http.sides import WsgiSide
from tests.support.contract_fixtures import legacy_app, seeded_sqlite

Send = Callable[[Sent], Reply]


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory) -> str:
    """A seeded SQLite database (scale small, seed 0), made once per test process; tests copy it."""
    return seeded_sqlite(tmp_path_factory.mktemp("security") / "seeded.sqlite3").removeprefix("sqlite:///")


@pytest.fixture
def make_legacy(seeded_file, tmp_path) -> Callable[..., Send]:
    made = iter(range(1000))

    def make(**config: Any) -> Send:
        n = next(made)
        path = tmp_path / f"legacy-{n}.sqlite3"
        shutil.copy(seeded_file, path)
        return WsgiSide("legacy", legacy_app(f"sqlite:///{path}", tmp_path / f"uploads-legacy-{n}", **config)).send
    return make


@pytest.fixture
def candidate_app(seeded_file, tmp_path) -> Any:
    """`candidate_app(**config)`: the candidate's WSGI handler on its own copy of the seed (one Django per test
    process: a second call re-points the same Django at a new copy)."""
    from tests.apps import DjangoApp

    opened: list[DjangoApp] = []
    made = iter(range(1000))

    def make(**config: Any) -> Any:
        n = next(made)
        path = tmp_path / f"candidate-{n}.sqlite3"
        shutil.copy(seeded_file, path)
        app = DjangoApp({"DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_ENABLED": False, "REDIS_URL": None,
                         "UPLOAD_ROOT": str(tmp_path / f"uploads-candidate-{n}"),
                         "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000", **config})
        opened.append(app)
        return app.wsgi
    yield make
    for app in reversed(opened):
        app.close()


@pytest.fixture
def make_candidate(candidate_app) -> Callable[..., Send]:
    return lambda **config: WsgiSide("candidate", candidate_app(**config)).send
