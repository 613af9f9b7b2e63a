"""The `wsgi` target: an app imported into this process from an import string, a factory called with its
settings (`app_config` + DATABASE_URL), a module-level app configured by the environment at import."""
from __future__ import annotations

import contextlib
import importlib
import inspect
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .config import TargetSettings, ensure_importable_from_cwd, render
from .errors import TargetError
from .runs import Run
from .target_base import Target, WSGIApp, one_line

#: Module-level apps this process has imported, with the database they were configured for: such an app is
#: configured once per process (at import), so it cannot serve a second database.
_IMPORTED_APPS: dict[str, str] = {}


class WsgiTarget(Target):
    """An app imported into this process."""

    kind = "wsgi"

    def __init__(self, settings: TargetSettings, run: Run) -> None:
        super().__init__(settings, run)
        self._app: WSGIApp | None = None

    @property
    def wsgi_app(self) -> WSGIApp:
        if self._app is None:
            raise TargetError(f"{self.name}: not started")
        return self._app

    def start(self) -> None:
        module_name, _, attribute = (self.settings.app or "").partition(":")
        called = attribute.endswith("()")
        ensure_importable_from_cwd()
        # The environment is the app's configuration channel at import and factory time (Django reads its
        # settings on import); it is put back afterwards so the other target can be configured differently.
        with patched_environ(self.target_env()):
            found = self._attribute(module_name, attribute.removesuffix("()"))
            factory = self.settings.factory
            if factory is None:
                factory = called or looks_like_factory(found)
            self._app = self._call_factory(found, called) if factory else self._module_app(found)
        if not callable(self._app):
            raise self.settings.bad("app", "a WSGI application or a factory returning one")

    def _attribute(self, module_name: str, attribute: str) -> Any:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # noqa: BLE001 - any import failure means the target cannot start
            raise TargetError(f"{self.name}: cannot import {module_name}: {one_line(exc)}") from None
        if not hasattr(module, attribute):
            raise self.settings.bad("app", f"an attribute of module {module_name} (it has no {attribute!r})")
        return getattr(module, attribute)

    def _call_factory(self, factory: Callable[..., Any], called: bool) -> WSGIApp:
        config = {name: render(value, self.placeholders()) if isinstance(value, str) else value
                  for name, value in self.settings.app_config.items()}
        try:
            if called and not config:
                return factory()  # gunicorn's `module:factory()` spelling: no arguments
            return factory({**config, "DATABASE_URL": self.database_url})
        except Exception as exc:  # noqa: BLE001 - the app's own start-up failed
            raise TargetError(f"{self.name}: {self.settings.app} failed to create the app: {one_line(exc)}") from None

    def _module_app(self, app: WSGIApp) -> WSGIApp:
        spec = self.settings.app or ""
        previous = _IMPORTED_APPS.setdefault(spec, self.database_url or "")
        if previous != (self.database_url or ""):
            raise TargetError(f"{self.name}: {spec} is a module-level app this process already configured for "
                              f"{previous}; it cannot serve a second database in the same process (use "
                              f"kind = \"spawn\" for it)")
        return app


def looks_like_factory(obj: Any) -> bool:
    """A plain function that cannot take WSGI's (environ, start_response) is an app factory; an app object
    (Flask, Django's WSGIHandler) or a two-argument function is the app itself."""
    if not inspect.isfunction(obj):
        return False
    required = [p for p in inspect.signature(obj).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(required) < 2


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
