"""Every scorecard's figures, kept in an embedded database (SQLite, `reports/history.sqlite`) for trends, regressions
against the previous run, and figures measured on demand (capacity, coverage) carried over to later runs.

    history = History(path)
    history.record(card, commit)                          # one run's rows (replaced when the run is scored again)
    history.previous("p95_ms", "candidate", started)      # the last earlier run that measured it
    history.series("p95_ms", started, limit=10)           # [(run_id, legacy, candidate)], oldest first

Only figures a run measured itself are kept as measurements; a carried-over figure is not recorded again, so a
figure never outlives its carry-over window by being copied forward.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ScorecardInputError
from .model import Scorecard

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, started TEXT NOT NULL, recorded TEXT NOT NULL, "
    "commit_id TEXT, verdict TEXT NOT NULL, passed INTEGER NOT NULL, run_dir TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS figures (run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, "
    "row_id TEXT NOT NULL, side TEXT NOT NULL, value REAL, status TEXT NOT NULL, sources TEXT NOT NULL, "
    "PRIMARY KEY (run_id, row_id, side))",
    "CREATE INDEX IF NOT EXISTS figures_by_row ON figures (row_id, side)",
)


@dataclass(frozen=True, slots=True)
class Measured:
    run_id: str
    started: str
    value: float
    sources: tuple[str, ...]
    run_dir: str


class History:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                for statement in SCHEMA:
                    db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise ScorecardInputError(f"cannot use the scorecard history {path}: {exc}") from None

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db
        finally:
            db.close()

    def record(self, card: Scorecard, commit: str | None) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._connect() as db:
            db.execute("DELETE FROM runs WHERE run_id = ?", (card.run_id,))
            db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (card.run_id, card.started or now, now, commit, card.verdict.state, int(card.passed),
                        card.run_dir))
            for row in card.rows:
                for side, found, status in (("legacy", row.legacy, row.legacy_status),
                                            ("candidate", row.candidate, row.status)):
                    if found.value is None or found.from_run:
                        continue
                    db.execute("INSERT INTO figures VALUES (?, ?, ?, ?, ?, ?)",
                               (card.run_id, row.id, side, found.value, status, json.dumps(found.sources)))

    def previous(self, row_id: str, side: str, started: str) -> Measured | None:
        """The newest measurement of a row on a side from a run that started before `started`."""
        with self._connect() as db:
            found = db.execute(
                "SELECT r.run_id, r.started, f.value, f.sources, r.run_dir FROM figures f JOIN runs r USING (run_id) "
                "WHERE f.row_id = ? AND f.side = ? AND r.started < ? ORDER BY r.started DESC LIMIT 1",
                (row_id, side, started)).fetchone()
        return None if found is None else Measured(found[0], found[1], found[2], tuple(json.loads(found[3])),
                                                   found[4])

    def series(self, row_id: str, started: str, limit: int) -> list[tuple[str, float | None, float | None]]:
        """The row on both sides over the last `limit` runs up to `started` that measured it, oldest first."""
        with self._connect() as db:
            runs = db.execute(
                "SELECT DISTINCT r.run_id, r.started FROM runs r JOIN figures f USING (run_id) WHERE f.row_id = ? "
                "AND r.started <= ? ORDER BY r.started DESC LIMIT ?", (row_id, started, limit)).fetchall()
            values = {(run_id, side): value for run_id, side, value in db.execute(
                "SELECT run_id, side, value FROM figures WHERE row_id = ?", (row_id,))}
        return [(run_id, values.get((run_id, "legacy")), values.get((run_id, "candidate")))
                for run_id, _ in reversed(runs)]

    def runs(self) -> list[tuple[str, str, str]]:
        """(run_id, started, verdict) of every recorded run, oldest first."""
        with self._connect() as db:
            return list(db.execute("SELECT run_id, started, verdict FROM runs ORDER BY started"))
