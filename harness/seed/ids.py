"""Deterministic identities: the same (seed, table, n) always gives the same UUID v4 and timestamp."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache

#: Every seeded timestamp is an offset from here, so reseeding never depends on the clock.
EPOCH = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)


def seeded_uuid(seed: int, table: str, n: int | str) -> str:
    """str(uuid.UUID(bytes=sha256(...)[:16], version=4)), formatted by hand: it runs once per seeded row."""
    b = bytearray(hashlib.sha256(f"{seed}:{table}:{n}".encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def at(minutes: float) -> datetime:
    return EPOCH + timedelta(minutes=minutes)


@lru_cache(maxsize=256)
def password_hash(seed: int, salt_key: str, password: str, iterations: int = 10_000) -> str:
    """A werkzeug-format PBKDF2 hash with a salt derived from the seed.

    Seeded hashes use 10,000 iterations (werkzeug's own default is far higher) so that logins by
    thousands of seeded users under load measure the framework, not PBKDF2. Both apps verify them.
    """
    salt = hashlib.sha256(f"{seed}:salt:{salt_key}".encode()).hexdigest()[:16]
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2:sha256:{iterations}${salt}${digest}"
