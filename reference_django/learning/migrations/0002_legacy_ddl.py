"""The legacy DDL on top of Django's (SCHEMA.md §0): ON DELETE on every FK, no pattern-ops indexes.

Idempotent, so `migrate --fake-initial` on a legacy-built database changes nothing (common/migration_ops.py).
"""
from __future__ import annotations

from django.db import migrations

from reference_django.common.migration_ops import DropPatternOpsIndexes, SetForeignKeyOnDelete


class Migration(migrations.Migration):

    dependencies = [
        ("learning", "0001_initial"),
    ]

    operations = [
        DropPatternOpsIndexes("quizattempt"),
        SetForeignKeyOnDelete("quizattempt", "user", "CASCADE"),
        SetForeignKeyOnDelete("quizattempt", "quiz", "CASCADE"),
        SetForeignKeyOnDelete("quizattempt", "video", "CASCADE"),
        DropPatternOpsIndexes("enrollment"),
        SetForeignKeyOnDelete("enrollment", "user", "CASCADE"),
        SetForeignKeyOnDelete("enrollment", "course", "CASCADE"),
        DropPatternOpsIndexes("courseprogress"),
        SetForeignKeyOnDelete("courseprogress", "user", "CASCADE"),
        SetForeignKeyOnDelete("courseprogress", "course", "CASCADE"),
        SetForeignKeyOnDelete("courseprogress", "section", "CASCADE"),
        DropPatternOpsIndexes("videoprogress"),
        SetForeignKeyOnDelete("videoprogress", "user", "CASCADE"),
        SetForeignKeyOnDelete("videoprogress", "video", "CASCADE"),
        SetForeignKeyOnDelete("videoprogress", "course", "CASCADE"),
        DropPatternOpsIndexes("review"),
        SetForeignKeyOnDelete("review", "user", "CASCADE"),
        SetForeignKeyOnDelete("review", "course", "CASCADE"),
    ]
