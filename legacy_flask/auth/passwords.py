"""Password hashes in werkzeug's format (`pbkdf2:sha256:<iterations>$<salt>$<hex>` or scrypt)."""
from __future__ import annotations

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """A new hash with the configured method (PASSWORD_HASH_METHOD; werkzeug's PBKDF2 cost by default)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):
        return False
