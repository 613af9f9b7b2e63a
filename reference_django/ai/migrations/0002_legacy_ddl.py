"""The legacy DDL on top of Django's (SCHEMA.md §0): ON DELETE on every FK, no pattern-ops indexes.

Idempotent, so `migrate --fake-initial` on a legacy-built database changes nothing (common/migration_ops.py).
"""
from __future__ import annotations

from django.db import migrations

from reference_django.common.migration_ops import DropPatternOpsIndexes, SetForeignKeyOnDelete


class Migration(migrations.Migration):

    dependencies = [
        ("ai", "0001_initial"),
    ]

    operations = [
        DropPatternOpsIndexes("aichat"),
        SetForeignKeyOnDelete("aichat", "user", "CASCADE"),
        SetForeignKeyOnDelete("aichat", "course", "CASCADE"),
        SetForeignKeyOnDelete("aichat", "video", "CASCADE"),
        DropPatternOpsIndexes("courserecommendation"),
        SetForeignKeyOnDelete("courserecommendation", "user", "CASCADE"),
        SetForeignKeyOnDelete("courserecommendation", "course", "CASCADE"),
    ]
