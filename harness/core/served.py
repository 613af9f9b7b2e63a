"""The WSGI entry point gunicorn serves for the areas that need a real server: `harness.core.served:application`.

The load and security areas serve an in-process (wsgi) target under a production server (serving.py), so the
app must be built in the server's own process the way the harness would build it: a module-level app imported
(configured by the environment, as Django's is), or a factory called with its `app_config` and DATABASE_URL.
What to build is in the JSON file named by HARNESS_SERVED_SPEC, which serving.py writes beside the server's log:

    {"app": "legacy_flask:create_app", "factory": null, "config": {"RATELIMIT_ENABLED": false, ...}}

`python -m harness.core.served` builds the app once and exits: serving.py runs it as a prepare step, so
whatever the app does the first time it starts (a Flask app creating its schema) is done before gunicorn's
workers start side by side and race to do it.
"""
from __future__ import annotations

import importlib
import json
import os
from typing import Any

from harness.core.targets import looks_like_factory


def build(spec: dict[str, Any]) -> Any:
    module_name, _, attribute = spec["app"].partition(":")
    called = attribute.endswith("()")
    found = getattr(importlib.import_module(module_name), attribute.removesuffix("()"))
    factory = spec.get("factory")
    if factory is None:
        factory = called or looks_like_factory(found)
    if not factory:
        return found
    config = dict(spec.get("config") or {})
    if called and not config:
        return found()
    return found({**config, "DATABASE_URL": os.environ.get("DATABASE_URL")})


def _application() -> Any:
    path = os.environ.get("HARNESS_SERVED_SPEC")
    if not path:
        raise RuntimeError("HARNESS_SERVED_SPEC is not set: served by `harness load` and `harness security` only")
    with open(path, encoding="utf-8") as spec:
        return build(json.load(spec))


application = _application() if os.environ.get("HARNESS_SERVED_SPEC") else None


if __name__ == "__main__":
    if application is None:
        raise SystemExit("HARNESS_SERVED_SPEC is not set")
    print(f"built {type(application).__name__} once before the server starts")
