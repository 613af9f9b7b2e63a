"""Fixtures for the tests of harness/contract: the golden contract, read and validated once per session; the
seeded SQLite file every gate test copies (made once per test process); legacy instances and the bundled
candidate in-process, each on its own copy."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from harness.contract.specdiff import load_spec
from harness.core.results import Severity
from tests.support.contract_fixtures import legacy_app, seeded_sqlite

CONTRACT_PATH = Path(__file__).resolve().parents[3] / "contracts" / "openapi.yaml"


@pytest.fixture(scope="session")
def contract_path() -> Path:
    return CONTRACT_PATH


@pytest.fixture(scope="session")
def contract() -> dict[str, Any]:
    """The parsed contract. Shared: copy it (copy.deepcopy) before editing."""
    return load_spec(CONTRACT_PATH)


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory) -> str:
    """A seeded SQLite database (scale small, seed 0), made once per test process; tests copy it."""
    return seeded_sqlite(tmp_path_factory.mktemp("gate") / "seeded.sqlite3").removeprefix("sqlite:///")


@pytest.fixture
def make_legacy(seeded_file, tmp_path):
    """`make_legacy(name)`: the legacy app in-process on its own copy of the seed."""
    def make(name: str):
        path = tmp_path / f"{name}.sqlite3"
        shutil.copy(seeded_file, path)
        return legacy_app(f"sqlite:///{path}", tmp_path / f"uploads-{name}")
    return make


@pytest.fixture
def database_of(tmp_path):
    """`database_of(name)`: the database URL of the app `make_legacy(name)` made (of `django_candidate` for
    "candidate")."""
    return lambda name: f"sqlite:///{tmp_path / f'{name}.sqlite3'}"


@pytest.fixture
def django_candidate(seeded_file, tmp_path):
    """The bundled candidate (reference_django) in-process on its own copy of the seed: its WSGI handler."""
    from tests.apps import DjangoApp

    path = tmp_path / "candidate.sqlite3"
    shutil.copy(seeded_file, path)
    app = DjangoApp({"DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_ENABLED": False, "REDIS_URL": None,
                     "UPLOAD_ROOT": str(tmp_path / "uploads-candidate"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000"})
    yield app.wsgi
    app.close()


def blocking(result) -> list:
    """The findings that fail a gate (critical and high)."""
    return [f for f in result.findings if f.severity in (Severity.CRITICAL, Severity.HIGH)]
