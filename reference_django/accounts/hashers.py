"""Password hashes in the legacy (werkzeug) format, so one users table serves both apps.

Decision (issue: cut-over safe): new and re-hashed passwords keep werkzeug's format
`pbkdf2:sha256:<iterations>$<salt>$<hex>`, so the Flask app still verifies every hash Django writes, for
as long as both run. Verification also accepts werkzeug's `scrypt:<n>:<r>:<p>$<salt>$<hex>`. A login whose
stored hash is weaker than the configured method (fewer iterations, or another method) is re-hashed.
Django's hasher registry keys on the text before the first `$`, which here carries the iteration count,
so `User.check_password` calls `verify` directly; the hasher class serves `make_password` (createsuperuser).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher

SALT_CHARS = string.ascii_letters + string.digits
SALT_LENGTH = 16


def _derive(method: str, salt: str, password: str) -> str:
    name, *args = method.split(":")
    if name == "pbkdf2":
        digest = args[0] if args else "sha256"
        iterations = int(args[1]) if len(args) > 1 else 1_000_000
        return hashlib.pbkdf2_hmac(digest, password.encode(), salt.encode(), iterations).hex()
    if name == "scrypt":
        n, r, p = (int(a) for a in args) if args else (2**15, 8, 1)
        return hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p,
                              maxmem=132 * n * r * p, dklen=64).hex()
    raise ValueError(f"unsupported password hash method {method!r}")


def configured_method() -> str:
    """PASSWORD_HASH_METHOD written out in full, as werkzeug writes it into a hash, so needs_rehash can
    compare: "pbkdf2" / "pbkdf2:sha256" -> "pbkdf2:sha256:1000000", "scrypt" -> "scrypt:32768:8:1"."""
    name, *args = settings.PASSWORD_HASH_METHOD.split(":")
    if name == "pbkdf2":
        return f"pbkdf2:{args[0] if args else 'sha256'}:{args[1] if len(args) > 1 else 1_000_000}"
    if name == "scrypt" and not args:
        return f"scrypt:{2**15}:8:1"
    return settings.PASSWORD_HASH_METHOD


def hash_password(password: str, method: str | None = None) -> str:
    method = method or configured_method()
    salt = "".join(secrets.choice(SALT_CHARS) for _ in range(SALT_LENGTH))
    return f"{method}${salt}${_derive(method, salt, password)}"


def verify(stored: str | None, password: str) -> bool:
    if not stored or stored.count("$") < 2:
        return False
    method, salt, expected = stored.split("$", 2)
    try:
        return hmac.compare_digest(_derive(method, salt, password), expected)
    except (ValueError, TypeError, OverflowError, MemoryError):
        return False


def needs_rehash(stored: str | None) -> bool:
    """True when the stored hash is not in the configured method (a cheaper or different one)."""
    if not stored or "$" not in stored:
        return True
    return stored.split("$", 1)[0] != configured_method()


class WerkzeugPBKDF2PasswordHasher(BasePasswordHasher):
    """Django's hasher interface over the werkzeug format (used by `make_password`)."""

    algorithm = "pbkdf2:sha256"

    def salt(self) -> str:
        return "".join(secrets.choice(SALT_CHARS) for _ in range(SALT_LENGTH))

    def encode(self, password: str, salt: str) -> str:
        method = configured_method()
        return f"{method}${salt}${_derive(method, salt, password)}"

    def decode(self, encoded: str) -> dict:
        method, salt, hash_ = encoded.split("$", 2)
        return {"algorithm": method, "salt": salt, "hash": hash_}

    def verify(self, password: str, encoded: str) -> bool:
        return verify(encoded, password)

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {"algorithm": decoded["algorithm"], "salt": decoded["salt"][:4] + "…", "hash": decoded["hash"][:6] + "…"}

    def must_update(self, encoded: str) -> bool:
        return needs_rehash(encoded)

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass
