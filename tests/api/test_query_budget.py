"""The plan's query target (< 10 SQL statements per request) over the real clients' whole flow: every request
of the Postman collection, on each app and engine, counted as it runs. Run with `-s` to see the table of the
most statements per operation (the figures quoted for the migration: `pytest tests/api/test_query_budget.py -s`).

Transaction control (BEGIN/COMMIT) is not counted on either app: SQLAlchemy sends it outside its statement
events, and Django's count (`count_sql`, pytest-django's CaptureQueriesContext) drops it to match.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from harness.replay.postman import WsgiTransport
from harness.replay.unpuzzle_flow import UnpuzzleReplay
from harness.report.replay import step_lines
from harness.seed import accounts

COLLECTION = Path(__file__).resolve().parents[2].parent / "shared" / "legacy-api" / "unpuzzle-postman-collection.json"
#: The legacy app's own overruns (see test_auth.LEGACY_OVER_BUDGET): P10 reloads the target's roles and permissions.
LEGACY_OVER_BUDGET = {"P10"}


class CountingTransport(WsgiTransport):
    def __init__(self, app, count_sql) -> None:
        super().__init__(app.wsgi if app.kind == "django" else app)
        self.count_sql = count_sql
        self.counts: dict[str, int] = defaultdict(int)
        self.current = "?"

    def send(self, req):
        with self.count_sql() as sql:
            reply = super().send(req)
        self.counts[self.current] = max(self.counts[self.current], len(sql))
        return reply


class CountingReplay(UnpuzzleReplay):
    def send(self, rid, **kw):
        self.transport.current = rid
        return super().send(rid, **kw)


def test_every_request_of_the_client_flow_stays_under_ten_statements(app, count_sql):
    transport = CountingTransport(app, count_sql)
    report = CountingReplay(transport, COLLECTION, admin=(accounts.ADMIN.email, accounts.ADMIN.password)).run()
    assert not report.failures, step_lines(report)
    counts = dict(transport.counts)
    print(f"\n{app.kind}: most statements per request, by Postman row id")
    print("  " + "  ".join(f"{rid}={n}" for rid, n in sorted(counts.items(), key=lambda kv: int(kv[0][1:]))))
    allowed = LEGACY_OVER_BUDGET if app.kind == "flask" else set()
    over = {rid: n for rid, n in counts.items() if n >= 10 and rid not in allowed}
    assert not over, over
    assert len(counts) == 61
