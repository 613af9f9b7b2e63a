"""Password hashes in werkzeug's format (`pbkdf2:sha256:<iterations>$<salt>$<hex>` or scrypt)."""
from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256")


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):
        return False
