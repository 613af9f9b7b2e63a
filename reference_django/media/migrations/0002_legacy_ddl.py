"""The legacy DDL on top of Django's (SCHEMA.md §0): ON DELETE on every FK, no pattern-ops indexes.

Idempotent, so `migrate --fake-initial` on a legacy-built database changes nothing (common/migration_ops.py).
"""
from __future__ import annotations

from django.db import migrations

from reference_django.common.migration_ops import DropPatternOpsIndexes, SetForeignKeyOnDelete


class Migration(migrations.Migration):

    dependencies = [
        ("media", "0001_initial"),
    ]

    operations = [
        DropPatternOpsIndexes("mediafile"),
        SetForeignKeyOnDelete("mediafile", "user", "CASCADE", constraint_name="fk_media_file_user"),
        SetForeignKeyOnDelete("mediafile", "course", "SET NULL"),
        SetForeignKeyOnDelete("mediafile", "course_section", "SET NULL"),
        DropPatternOpsIndexes("uploadsession"),
        SetForeignKeyOnDelete("uploadsession", "user", "CASCADE"),
        SetForeignKeyOnDelete("uploadsession", "course", "SET NULL"),
        SetForeignKeyOnDelete("uploadsession", "media_file", "SET NULL"),
    ]
