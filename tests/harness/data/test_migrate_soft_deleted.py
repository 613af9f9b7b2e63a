"""The copy path of `harness data migrate-check` over the seed's soft-deleted rows (every mixin table has
some): the faithful `copy_legacy_rows` carries every one of them (test_migrate.py), and a copy that leaves them
behind is reported, named by table. The faulty candidate is a copy of the bundled one whose copy reads and counts
through a soft-delete filter, as a port that copies through its default managers would: its own row-count check
still passes, so only the harness can tell. SQLite and PostgreSQL (the `db_url` param)."""
from __future__ import annotations

import pytest

from harness.data.census import take_census
from harness.data.migrate import DjangoCommands, MigrateOptions, check_migration
from tests.reference_django.test_schema import PROJECT_ROOT
from tests.scratch_databases import empty_database_beside

SETTINGS = {"DJANGO_SETTINGS_MODULE": "reference_django.config.settings.base"}
#: Tables no foreign key points at: leaving their soft-deleted rows behind orphans nothing.
LEAF_TABLES = ("enrollments", "reviews", "course_progress", "video_progress", "quiz_attempts", "ai_chats",
               "course_recommendations")

#: reference_django's manage command with `copy_legacy_rows` reading and counting only the rows that are not
#: soft-deleted in the tables named by the first argument.
SKIPPING_MANAGE = """
import sys
import django
django.setup()
from django.core.management import execute_from_command_line
from reference_django.common.management.commands import copy_legacy_rows as command

skipped = set(sys.argv[1].split(","))
real_read, real_count = command.read_batches, command._count

def read_batches(source, table, fields, key, batch_size):
    flag = [f.column for f in fields].index("is_deleted") if table in skipped else None
    for batch in real_read(source, table, fields, key, batch_size):
        yield [row for row in batch if flag is None or not row[flag]]

def count(connection, table):
    if table not in skipped:
        return real_count(connection, table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)} WHERE NOT is_deleted")
        return cursor.fetchone()[0]

command.read_batches, command._count = read_batches, count
execute_from_command_line(["manage.py", *sys.argv[2:]])
"""


@pytest.fixture
def empty_url(db_url, tmp_path):
    with empty_database_beside(db_url, tmp_path) as url:
        yield url


def skipping_candidate(*skipped: str) -> DjangoCommands:
    return DjangoCommands(manage=("{python}", "-c", SKIPPING_MANAGE, ",".join(skipped)), env=SETTINGS,
                          cwd=PROJECT_ROOT)


def findings_of(report, check: str) -> list:
    return [f for f in report.findings if f.check == check]


def test_a_copy_that_leaves_soft_deleted_rows_behind_is_caught_by_table(db_url, empty_url):
    flagged = {t for t, c in take_census(db_url).tables.items() if c.soft_deleted}
    assert len(flagged) == 18  # the seed soft-deletes rows in every table with the mixin

    report = check_migration(db_url, empty_url, MigrateOptions(skipping_candidate(*LEAF_TABLES), paths=("copy",)))

    assert not report.passed
    assert [(s.name, s.ok) for s in report.steps] == [("migrate", True), ("copy", True)]  # its own check passed
    lost = findings_of(report, "copy_soft_deleted_preserved")
    assert sorted(f.operation for f in lost) == sorted(f"table {t}" for t in LEAF_TABLES)
    assert {(f.evidence["after"], "soft-deleted rows after" in f.message) for f in lost} == {(0, True)}
    assert {f.evidence["table"] for f in findings_of(report, "row_missing")} == set(LEAF_TABLES)  # the row differ
