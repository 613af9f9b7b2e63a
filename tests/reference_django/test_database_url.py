"""The reference app's DATABASE_URL on PostgreSQL: parameters bound by the server, so a statement a connection
runs again and again is prepared and planned once (as legacy's SQLAlchemy + psycopg does), unless the URL says
otherwise. The whole API suite runs on these settings (tests/api, PostgreSQL half)."""
from __future__ import annotations

import pytest

from reference_django.config.database import database_from_url
from tests.apps import DjangoApp

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_recycled) -> str:
    return pg_recycled[0]


def prepared_after_repeats(url: str) -> int:
    """Statements the server holds prepared on Django's connection after the same ORM query ran ten times."""
    application = DjangoApp({"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False, "REDIS_URL": None})
    try:
        from django.db import connection

        from reference_django.courses.models import Course

        for _ in range(10):
            assert Course.objects.filter(is_deleted=False, is_published=True).count() > 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return cursor.fetchone()[0]
    finally:
        application.close()


def test_a_repeated_statement_is_prepared_by_the_server(pg_url):
    assert database_from_url(pg_url)["OPTIONS"]["server_side_binding"] is True
    assert prepared_after_repeats(pg_url) >= 1


def test_the_url_can_turn_server_side_binding_off(pg_url):
    off = f"{pg_url}{'&' if '?' in pg_url else '?'}server_side_binding=false"
    assert database_from_url(off)["OPTIONS"]["server_side_binding"] is False
    assert prepared_after_repeats(off) == 0  # the text carries the values: nothing to prepare
