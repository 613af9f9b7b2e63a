"""Test runs: rate limits off and cheap password hashes (the seed's PBKDF2 cost)."""
from __future__ import annotations

from .base import *  # noqa: F401,F403

RATELIMIT_ENABLED = False
PASSWORD_HASH_METHOD = "pbkdf2:sha256:10000"
