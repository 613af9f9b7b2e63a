"""Active probes of one side's data boundaries, as API.md describes them: who may read or change whose rows (§1.8
owner and media-owner guards; sessions, progress, the tutor chat), which fields a user may set about itself (P1
signup, P14 profile: unknown fields are ignored), what the documented reads do with hostile filter and path values,
and what the side's errors and answers give away. Everything goes through the API (ids are discovered or created as
their owner, never read from a database), so the probes run against any target.

    run_data_probes(send, side, *, owner, other, instructor, other_instructor, seed=0, examples=25,
                    families=FAMILIES) -> list[Proof]
    secrets_in(reply) -> list[str]      what a reply gives away, one line each (the area runs it over the crawl's
                                        replies too)

`owner` and `other` are two students, `instructor` and `other_instructor` two instructors (e-mail and password of
seeded accounts); a side that refuses one of their logins raises TargetError. Each Proof keeps the attacking
request (`sent`) for a curl reproduction. The families, by probe id (each module says what `refused` means):

    idor.<resource>.<action>    probes_data_idor.py: progress, reflections, media, courses, sessions of the owner's,
                                read, changed or deleted by a user of the same role who does not own them
    mass_assignment.profile     the profile update (P14) with role fields (`ROLE_FIELDS`: roles, role, is_admin,
                                isSuperuser, ...): refused = the roles and permissions afterwards (a profile read
                                and a fresh login's token claims) hold nothing the user lacked before; a 200 that
                                ignores the fields is refused, as the effect is what counts
    mass_assignment.signup      a signup (P1) with the same fields: refused = the account holds nothing a plain
                                signup's account lacks
    injection.<read>.<param>    probes_data_injection.py: classic and hypothesis-generated values (`seed`,
                                `examples` of them) in each filter and path parameter of the documented reads
    debug.<case>                probes_data_leaks.py: errors provoked; no traceback, debug page or version banner,
                                no 5xx
    secrets.<kind>              probes_data_leaks.py: no password hash, private key or access key id in any answer
                                the probes above saw

A probe that cannot be set up (the owner holds no such row and the side would not create one) is reported not
refused, saying so: the probes fail closed. A 429 is waited out (its Retry-After, a minute at most) and sent again.
"""
from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from harness.core.errors import ConfigError
from harness.http import Send

from .model import Proof
from .probes_data_idor import idor
from .probes_data_injection import injection
from .probes_data_leaks import debug, secret_probes, secrets_in
from .probes_data_run import PROFILE, Account, Actor, Cast, Run, Seen, claims_of, code, data

__all__ = ["FAMILIES", "ROLE_FIELDS", "run_data_probes", "secrets_in"]

FAMILIES = ("debug", "injection", "idor", "mass_assignment", "secrets")
#: Role fields a mass assignment would set, on the profile update and on a signup.
ROLE_FIELDS: dict[str, Any] = {
    "roles": ["admin", "instructor"], "role": "admin", "is_admin": True, "isAdmin": True, "admin": True,
    "is_staff": True, "isStaff": True, "is_superuser": True, "isSuperuser": True, "primary_role": "admin",
    "user_type": "admin", "userType": "admin", "groups": ["admin"],
    "permissions": ["user:manage_roles", "user:manage", "course:delete", "content:moderate"],
    "app_metadata": {"roles": ["admin"], "role": "admin"},
}
PROBE_PASSWORD = "Probe-Passw0rd!"


def run_data_probes(send: Send, side: str, *, owner: Account, other: Account, instructor: Account,
                    other_instructor: Account, seed: int = 0, examples: int = 25,
                    families: Collection[str] = FAMILIES) -> list[Proof]:
    """Every probe of the module docstring against one side (`families` a subset of FAMILIES), in an order that
    keeps each from spoiling the next: the reads first, each resource's deletions last, the secrets over
    everything seen."""
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise ConfigError(f"data probes: unknown family {unknown[0]!r} (known: {', '.join(FAMILIES)})")
    if examples < 0:
        raise ConfigError(f"data probes: examples must be 0 or more, not {examples}")
    run = Run(send, side)
    cast = Cast(run.log_in(owner, "owner"), run.log_in(other, "other"), run.log_in(instructor, "instructor"),
                run.log_in(other_instructor, "other instructor"))
    if "debug" in families:
        debug(run, cast.owner)
    if "injection" in families:
        injection(run, cast, seed, examples)
    if "idor" in families:
        idor(run, cast)
    if "mass_assignment" in families:
        _profile(run, cast.owner)
        _signup_probe(run)
    if "secrets" in families:
        secret_probes(run)
    return run.proofs


# --- mass assignment -------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Standing:
    """What a user may do, as the side says it: role names and permissions (profile), role claims (token)."""

    roles: frozenset[str]
    permissions: frozenset[str]
    claims: frozenset[str]

    def gained(self, before: Standing) -> list[str]:
        return sorted({f"role {r}" for r in (self.roles | self.claims) - (before.roles | before.claims)}
                      | {f"permission {p}" for p in self.permissions - before.permissions})

    def __str__(self) -> str:
        return (f"roles [{', '.join(sorted(self.roles))}], token roles [{', '.join(sorted(self.claims))}], "
                f"{len(self.permissions)} permissions")


def _names(values: Any) -> frozenset[str]:
    listed = values if isinstance(values, list) else []
    return frozenset(str(v.get("name")) if isinstance(v, dict) else str(v) for v in listed)


def standing(run: Run, account: Account, user: Mapping[str, Any] | None = None) -> Standing:
    """A fresh login's token claims (`roles`, `role`) and its profile read (roles, permissions); when the login is
    refused (a new account may have to confirm its e-mail first), the User object `user` the side answered."""
    actor = run.try_log_in(account) if user is not None else run.log_in(account, "probed")
    if actor is None:
        return Standing(_names((user or {}).get("roles")), _names((user or {}).get("permissions")), frozenset())
    profile = data(run.request(actor, "GET", PROFILE).reply)
    claims = claims_of(actor.token)
    role_claims = _names(claims.get("roles")) | ({str(claims["role"])} if "role" in claims else set())
    return Standing(_names(profile.get("roles")), _names(profile.get("permissions")), frozenset(role_claims))


def _profile(run: Run, owner: Actor) -> None:
    before = standing(run, owner.account)
    seen = run.request(owner, "PUT", PROFILE, ROLE_FIELDS)
    after = standing(run, owner.account)
    gained = after.gained(before)
    detail = (f"PUT {PROFILE} with {', '.join(ROLE_FIELDS)}: {code(seen.reply)}; afterwards {after}; "
              + (f"GAINED {', '.join(gained)}" if gained else "nothing gained"))
    run.prove("mass_assignment.profile", not gained, detail, seen, before=str(before), after=str(after),
              gained=gained)


def _signup(run: Run, extra: Mapping[str, Any]) -> tuple[Seen, Standing | None]:
    email = f"data-probe-{secrets.token_hex(5)}@unpuzzle.test"
    seen = run.request(None, "POST", "/api/v1/auth/signup",
                       {"email": email, "password": PROBE_PASSWORD, "metadata": {"full_name": "Data Probe"}, **extra})
    if not 200 <= seen.reply.status < 300:
        return seen, None
    user = data(seen.reply).get("user")
    return seen, standing(run, (email, PROBE_PASSWORD), user if isinstance(user, dict) else {})


def _signup_probe(run: Run) -> None:
    """A plain signup (the control), then one with the role fields: the second may hold nothing the first lacks."""
    plain, control = _signup(run, {})
    if control is None:
        run.not_run("mass_assignment.signup", f"a plain signup was refused ({code(plain.reply)})")
        return
    seen, after = _signup(run, ROLE_FIELDS)
    gained = after.gained(control) if after else []
    outcome = f"afterwards {after}" if after else "no account made"
    detail = (f"POST /api/v1/auth/signup with {', '.join(ROLE_FIELDS)}: {code(seen.reply)}; {outcome} (a plain "
              f"signup: {control}); " + (f"GAINED {', '.join(gained)}" if gained else "nothing gained"))
    run.prove("mass_assignment.signup", not gained, detail, seen, control=str(control),
              after=str(after) if after else None, gained=gained)
