"""Deterministic seed data for the shared schema, outside both apps (DESIGN.md "Boundaries").

    seed_database("sqlite:///reports/legacy.sqlite3", scale="small", seed=0)

The same (scale, seed) always yields the same rows, UUIDs and password hashes included.
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from . import accounts
from .builder import Graph, build
from .plan import SCALES, Scale
from .writer import SeedError, SeedReport, write


def seed_database(url_or_engine: str | sa.Engine, *, scale: str = "small", seed: int = 0, reset: bool = False,
                  progress: Callable[[str, int], None] | None = None) -> SeedReport:
    if scale not in SCALES:
        raise SeedError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    engine = sa.create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    report = SeedReport(url=engine.url.render_as_string(hide_password=True), scale=scale, seed=seed)
    try:
        return write(engine, build(SCALES[scale], seed), report, reset=reset, progress=progress)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


__all__ = ["Graph", "SCALES", "Scale", "SeedError", "SeedReport", "accounts", "build", "seed_database"]
