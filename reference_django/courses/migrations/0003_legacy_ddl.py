"""The legacy DDL on top of Django's (SCHEMA.md §0): ON DELETE on every FK, no pattern-ops indexes.

Idempotent, so `migrate --fake-initial` on a legacy-built database changes nothing (common/migration_ops.py).
"""
from __future__ import annotations

from django.db import migrations

from reference_django.common.migration_ops import DropPatternOpsIndexes, SetForeignKeyOnDelete


class Migration(migrations.Migration):

    dependencies = [
        ("courses", "0002_initial"),
    ]

    operations = [
        DropPatternOpsIndexes("course"),
        SetForeignKeyOnDelete("course", "instructor", "CASCADE"),
        DropPatternOpsIndexes("coursesection"),
        SetForeignKeyOnDelete("coursesection", "course", "CASCADE"),
        DropPatternOpsIndexes("video"),
        SetForeignKeyOnDelete("video", "course", "CASCADE"),
        SetForeignKeyOnDelete("video", "section", "SET NULL"),
        SetForeignKeyOnDelete("video", "media_file", "SET NULL"),
        DropPatternOpsIndexes("quiz"),
        SetForeignKeyOnDelete("quiz", "video", "CASCADE"),
        SetForeignKeyOnDelete("quiz", "course", "CASCADE"),
    ]
