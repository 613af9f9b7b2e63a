"""Fixtures of the core's tests: a stand-in app under a fresh module name, settings files, runs."""
from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.core import Run, Settings, load_settings, new_run
from harness.core import areas as area_registry

STANDIN = Path(__file__).with_name("standin_app.py")


@pytest.fixture
def standin(tmp_path, monkeypatch) -> str:
    """The stand-in app's module name: a fresh copy per test, so a module-level app is imported anew."""
    name = f"standin_{uuid.uuid4().hex[:10]}"
    folder = tmp_path / "apps"
    folder.mkdir()
    shutil.copy(STANDIN, folder / f"{name}.py")
    monkeypatch.syspath_prepend(str(folder))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def standin_dir(standin, tmp_path) -> Path:
    return tmp_path / "apps"


@pytest.fixture
def settings_from(tmp_path) -> Callable[..., Settings]:
    """Settings from a harness.toml with `text`, nothing from the real environment unless given."""
    def load(text: str = "", *, environ: dict[str, str] | None = None, **options) -> Settings:
        (tmp_path / "harness.toml").write_text(text)
        return load_settings(environ=environ or {}, options=options, cwd=tmp_path)
    return load


@pytest.fixture
def run(tmp_path) -> Run:
    return new_run(tmp_path / "reports", seed=0, scale="small")


@pytest.fixture
def isolated_registry(monkeypatch) -> dict:
    """The area registry, restored after the test."""
    registry = dict(area_registry._AREAS)
    monkeypatch.setattr(area_registry, "_AREAS", registry)
    return registry
