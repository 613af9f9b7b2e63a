"""Stable choices: a hash of the inputs picks among options, the same in every process and on every
machine (Python's hash() is salted per process, so it is not used)."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def digest(*parts: object) -> int:
    """A stable integer for `parts`."""
    raw = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


def pick(options: Sequence[T], *key: object) -> T:
    """The option that `key` hashes to."""
    return options[digest(*key) % len(options)]
