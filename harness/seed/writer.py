"""Write seed rows into any database that has the shared schema, with SQLAlchemy Core only.

The target's tables are reflected, never imported from an app, so the same rows can be given to
the legacy database, the candidate's database, or any copy of the schema.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import sqlalchemy as sa

SEED_TABLES = ("roles", "permissions", "role_permissions", "users", "user_roles", "user_permissions",
               "courses", "course_sections", "media_files", "videos", "quizzes", "upload_sessions",
               "enrollments", "course_progress", "video_progress", "quiz_attempts", "reviews", "ai_chats",
               "course_recommendations", "user_sessions", "user_activities")


class SeedError(RuntimeError):
    pass


@dataclass(slots=True)
class SeedReport:
    url: str
    scale: str
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0


def reflect(engine: sa.Engine) -> sa.MetaData:
    md = sa.MetaData()
    present = set(sa.inspect(engine).get_table_names())
    missing = [t for t in SEED_TABLES if t not in present]
    if missing:
        raise SeedError(f"the database has no {', '.join(missing)} table(s): create the schema first "
                        f"(start the app once, or run its migrations)")
    md.reflect(engine, only=list(SEED_TABLES))
    return md


def is_empty(conn: sa.Connection, md: sa.MetaData) -> bool:
    return all(conn.execute(sa.select(sa.literal(1)).select_from(md.tables[t]).limit(1)).first() is None
               for t in SEED_TABLES)


def clear(conn: sa.Connection, md: sa.MetaData) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in SEED_TABLES) + " CASCADE"))
        return
    for table in reversed(md.sorted_tables):
        conn.execute(table.delete())


def write(engine: sa.Engine, chunks: Iterable[tuple[str, list[dict]]], report: SeedReport, *,
          reset: bool = False, progress: Callable[[str, int], None] | None = None) -> SeedReport:
    md = reflect(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        if reset:
            clear(conn, md)
        elif not is_empty(conn, md):
            raise SeedError("the database already holds rows; pass reset=True (--reset) to replace them")
        for table, rows in chunks:
            conn.execute(md.tables[table].insert(), rows)
            report.rows[table] = report.rows.get(table, 0) + len(rows)
            if progress:
                progress(table, len(rows))
    report.seconds = time.perf_counter() - started
    return report
