"""Which seeded account each simulated user logs in as.

HARNESS_LOAD_ACCOUNTS names a JSON file written by whoever seeded the database under load:

    {"password": "<shared password>",
     "students":    ["student3@seed.unpuzzle.test", {"email": "student@unpuzzle.test", "password": "..."}, ...],
     "instructors": [...]}

An entry is an email (it logs in with the shared "password") or an {"email", "password"} object (the documented
accounts have passwords of their own). Without the variable: the documented accounts of harness/seed/accounts.py
and the generated ones of the small scale, which is what `harness serve` seeds by default.

Users take the accounts round-robin, interleaved across locust processes: worker `index` of `count` owns the
accounts at positions index, index + count, index + 2*count, ... and its users take those in turn. So workers
start on different accounts and never share one, and no two users share an account until a worker has more users
than accounts; after that sharing is unavoidable, and `Lease.shared` tells a journey to skip the writes that would
race with the other holder (dropping a course the other one is watching, deleting its leftovers).
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.seed import accounts
from harness.seed.plan import SCALES

ENV_FILE = "HARNESS_LOAD_ACCOUNTS"
ROLES = ("students", "instructors")


@dataclass(frozen=True, slots=True)
class Account:
    email: str
    password: str


class AccountFileError(ValueError):
    """HARNESS_LOAD_ACCOUNTS names a file that is missing or not in the documented shape."""


def parse_accounts(document: dict[str, Any]) -> dict[str, list[Account]]:
    """The accounts per role ("students", "instructors") of an accounts document."""
    shared = document.get("password")
    parsed: dict[str, list[Account]] = {}
    for role in ROLES:
        entries = document.get(role) or []
        if not isinstance(entries, list):
            raise AccountFileError(f"{role!r} must be a list of emails or {{email, password}} objects")
        parsed[role] = [_account(entry, shared, role) for entry in entries]
    return parsed


def _account(entry: Any, shared: str | None, role: str) -> Account:
    if isinstance(entry, str) and shared:
        return Account(entry, shared)
    if isinstance(entry, dict) and entry.get("email") and (entry.get("password") or shared):
        return Account(entry["email"], entry.get("password") or shared)
    raise AccountFileError(f"an entry of {role!r} has no email or no password (and there is no shared one): "
                           f"{entry!r}")


def default_accounts() -> dict[str, list[Account]]:
    """The documented students and instructors, then the generated users of the small scale."""
    small = SCALES["small"]
    first_student, first_instructor = len(accounts.STUDENTS) + 1, len(accounts.INSTRUCTORS) + 1
    generated = accounts.GENERATED_PASSWORD
    return {
        "students": [Account(a.email, a.password) for a in accounts.STUDENTS]
        + [Account(f"student{n}@seed.unpuzzle.test", generated)
           for n in range(first_student, first_student + small.generated_students)],
        "instructors": [Account(a.email, a.password) for a in accounts.INSTRUCTORS]
        + [Account(f"instructor{n}@seed.unpuzzle.test", generated)
           for n in range(first_instructor, first_instructor + small.generated_instructors)],
    }


def load_accounts(environ: dict[str, str] | os._Environ = os.environ) -> dict[str, list[Account]]:
    path = environ.get(ENV_FILE)
    if not path:
        return default_accounts()
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AccountFileError(f"{ENV_FILE}={path}: {exc}") from None
    parsed = parse_accounts(document)
    for role, found in parsed.items():
        if not found:
            raise AccountFileError(f"{ENV_FILE}={path} lists no {role}")
    return parsed


@dataclass(slots=True)
class Lease:
    account: Account
    pool: AccountPool

    @property
    def shared(self) -> bool:
        """Another user of this process holds the same account (workers never overlap: see the module doc)."""
        return self.pool.holders[self.account.email] > 1

    def release(self) -> None:
        self.pool.holders[self.account.email] -= 1


@dataclass(slots=True)
class AccountPool:
    """The accounts of one role, handed out round-robin from this worker's slot."""

    accounts: list[Account]
    worker_index: int = 0
    worker_count: int = 1
    taken: int = 0
    holders: Counter[str] = field(default_factory=Counter)

    @property
    def own(self) -> list[Account]:
        """This worker's share of the accounts (one account when there are more workers than accounts)."""
        count = max(self.worker_count, self.worker_index + 1)
        return self.accounts[self.worker_index::count] or [self.accounts[self.worker_index % len(self.accounts)]]

    def lease(self) -> Lease:
        own = self.own
        account = own[self.taken % len(own)]
        self.taken += 1
        self.holders[account.email] += 1
        return Lease(account, self)
