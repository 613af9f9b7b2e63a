"""Engine and request-scoped session: plain SQLAlchemy 2, no Flask-SQLAlchemy."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from .models import Base


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # FK ON DELETE clauses only act with this on
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def init_db(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["db_engine"] = engine
    app.extensions["db_session"] = scoped_session(factory)

    @app.teardown_appcontext
    def _remove_session(_exc):
        app.extensions["db_session"].remove()


def create_schema(engine: sa.Engine) -> None:
    Base.metadata.create_all(engine)


def session() -> Session:
    return current_app.extensions["db_session"]()


def engine() -> sa.Engine:
    return current_app.extensions["db_engine"]
