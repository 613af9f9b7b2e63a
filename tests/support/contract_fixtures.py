"""The bundled legacy app as the contract tests use it: a freshly seeded SQLite file and the app on it.

The app is reached through an import string (`LEGACY_FACTORY`), never by importing its internals:
- `seeded_sqlite(path)`: the shared schema in a new SQLite file, seeded; its URL;
- `legacy_app(db_url, upload_root)`: the app on that database, rate limits off;
- `route_drift(app)`: the routes the app serves and the contract lacks, and the reverse.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from harness.contract.conformance import CONTRACT, PHASES, ConformanceReport

LEGACY_FACTORY = "legacy_flask:create_app"


def app_factory(spec: str = LEGACY_FACTORY):
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def seeded_sqlite(path: Path, *, scale: str = "small", seed: int = 0, factory: str = LEGACY_FACTORY) -> str:
    """Create the shared schema in a new SQLite file (by starting the app once) and seed it; return its URL."""
    from harness.seed import seed_database

    url = f"sqlite:///{path}"
    app = app_factory(factory)({"DATABASE_URL": url, "TESTING": True})
    app.extensions["db_engine"].dispose()
    seed_database(url, scale=scale, seed=seed)
    return url


def legacy_app(db_url: str, upload_root: Path, factory: str = LEGACY_FACTORY, **extra: Any):
    """The app on `db_url`, rate limits off, and signups hashed at the seed's PBKDF2 cost (at werkzeug's
    default cost a signup takes ~0.25 s and they would take most of the run; the hash format is the same)."""
    return app_factory(factory)({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
                                 "UPLOAD_ROOT": str(upload_root), "REDIS_URL": None,
                                 "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000", **extra})


def route_drift(app, contract: Path = CONTRACT) -> tuple[set[str], set[str]]:
    """(undocumented, unrouted): "METHOD /path" pairs the app routes but the contract lacks, and the reverse.

    schemathesis only generates cases for operations the contract declares, so it cannot see a route the contract
    does not know; route coverage (harness/contract/routes.py) compares the app's own routes with the contract's
    paths instead."""
    from harness.contract.routes import coverage, load_contract

    found = coverage("app", app, load_contract(contract))
    return found.undocumented, found.unrouted


def conformance_summary(self: ConformanceReport) -> str:
    """A schemathesis run per phase (cases, operations, time, status) and its failures, printed by the
    conformance tests."""
    lines = [f"schemathesis conformance: wall time {self.wall_time:.1f}s, stop reason {self.stop_reason}"]
    for phase in PHASES:
        ops = self.operations.get(phase, set())
        lines.append(f"  {phase:<9} {self.cases.get(phase, 0):>6} cases on {len(ops):>3} operations"
                     f"  {self.phase_time.get(phase, 0.0):6.1f}s  [{self.phase_status.get(phase, 'not run')}]")
    lines.append(f"  total     {sum(self.cases.values()):>6} cases; {len(self.failures)} failures, "
                 f"{len(self.errors)} errors")
    for f in sorted({(f.phase, f.operation, f.check, f.title) for f in self.failures}):
        lines.append(f"  FAIL [{f[0]}] {f[1]}: {f[2]} - {f[3]}")
    for e in self.errors:
        lines.append(f"  ERROR {e}")
    return "\n".join(lines)
