"""The legacy DDL on top of Django's (SCHEMA.md §0): ON DELETE on every FK, no pattern-ops indexes.

Idempotent, so `migrate --fake-initial` on a legacy-built database changes nothing (common/migration_ops.py).
"""
from __future__ import annotations

from django.db import migrations

from reference_django.common.migration_ops import DropPatternOpsIndexes, SetForeignKeyOnDelete


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        DropPatternOpsIndexes("user"),
        DropPatternOpsIndexes("role"),
        DropPatternOpsIndexes("permission"),
        DropPatternOpsIndexes("userrole"),
        SetForeignKeyOnDelete("userrole", "user", "CASCADE"),
        SetForeignKeyOnDelete("userrole", "role", "CASCADE"),
        SetForeignKeyOnDelete("userrole", "assigned_by", "SET NULL"),
        DropPatternOpsIndexes("rolepermission"),
        SetForeignKeyOnDelete("rolepermission", "role", "CASCADE"),
        SetForeignKeyOnDelete("rolepermission", "permission", "CASCADE"),
        DropPatternOpsIndexes("userpermission"),
        SetForeignKeyOnDelete("userpermission", "user", "CASCADE"),
        SetForeignKeyOnDelete("userpermission", "permission", "CASCADE"),
        SetForeignKeyOnDelete("userpermission", "granted_by", "SET NULL"),
        DropPatternOpsIndexes("usersession"),
        SetForeignKeyOnDelete("usersession", "user", "CASCADE"),
        DropPatternOpsIndexes("useractivity"),
        SetForeignKeyOnDelete("useractivity", "user", "SET NULL"),
        SetForeignKeyOnDelete("useractivity", "session", "SET NULL"),
    ]
