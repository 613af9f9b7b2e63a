"""Run schemathesis 4 against an app in-process (WSGI) with contracts/openapi.yaml, and summarise the run.

The pieces the contract gate and the conformance tests share:
- `Identities`: logs the documented accounts in once (POST /api/v1/auth/login) and hands out `Bearer` tokens, plus
  a brand-new signed-up user for the operations that destroy the caller's session or account;
- `load_schema(app, ...)`: the contract bound to the app, with the auth provider that picks the caller per
  operation (`ROLE_FOR` / `DESTRUCTIVE`) and a deterministic, bounded schemathesis configuration;
- `run(schema)`: drives the schemathesis engine (all phases: examples, coverage, fuzzing, stateful) and returns a
  `ConformanceReport` (cases per phase, wall time, failures by operation and check).
The app the tests run it on (a seeded legacy instance) is built by tests/support/contract_fixtures.py.
"""
from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.core import paths
from harness.http import WsgiSide, access_token, credentials, json_request, login_request
from harness.seed import accounts

CONTRACT, NARROWED = paths.OPENAPI, paths.NARROWED
PHASES = ("examples", "coverage", "fuzzing", "stateful")

#: The caller per API.md row id. The admin passes every owner, instructor and enrolment guard (access.py), so it
#: reaches every guarded branch; anything not listed runs as the admin.
ROLE_FOR: dict[str, accounts.Account] = {}
DEFAULT_ROLE = accounts.ADMIN
#: Operations that revoke the caller's session(s), delete the caller or rewrite the caller's credentials: each
#: of their cases runs as a user signed up just for it, so the seeded accounts' tokens stay valid.
DESTRUCTIVE = frozenset({"P3", "P7", "P8", "P14", "P15"})


class Identities:
    """Bearer tokens of the seeded accounts (one login per account, cached) and of throwaway users."""

    def __init__(self, app) -> None:
        self.app = app
        self._side = WsgiSide("conformance", app)  # any WSGI callable: an app, the fan-out
        self._tokens: dict[str, str] = {}
        self._counter = itertools.count()
        self.logins = 0
        self.throwaways = 0

    def _login(self, email: str, password: str) -> str:
        reply = self._side.send(login_request(email, password))
        token = access_token(reply)
        assert token, (email, reply.status, reply.json)
        self.logins += 1
        return token

    def token(self, account: accounts.Account) -> str:
        if account.key not in self._tokens:
            self._tokens[account.key] = self._login(account.email, account.password)
        return self._tokens[account.key]

    def throwaway(self) -> str:
        """Sign a new user up and log it in: a session (and account) a case may destroy."""
        n = next(self._counter)
        email, password = f"conformance-{n}@throwaway.test", "Throwaway123!"
        reply = self._side.send(json_request("POST", "/api/v1/auth/signup", credentials(email, password)))
        assert reply.status == 201, (email, reply.status, reply.json)
        self.throwaways += 1
        return self._login(email, password)

    def for_operation(self, api_id: str | None) -> str:
        if api_id in DESTRUCTIVE:
            return self.throwaway()
        return self.token(ROLE_FOR.get(api_id or "", DEFAULT_ROLE))


def api_id(operation) -> str | None:
    return operation.definition.raw.get("x-api-id")


def narrowed(path: Path = NARROWED) -> list[dict[str, str]]:
    """The reviewed list of narrowed checks: [{operation, check, reason}]."""
    if not path.exists():
        return []
    return list(yaml.safe_load(path.read_text()) or [])


def config(*, max_examples: int = 5, seed: int = 0, phases: Iterable[str] = PHASES, stateful_steps: int = 8,
           stateful_examples: int = 20,
           narrowed_checks: list[dict[str, str]] | None = None):
    """A deterministic, bounded schemathesis configuration: every default check on, except the narrowed ones."""
    import schemathesis

    phases = set(phases)
    operations = []
    for entry in narrowed_checks or []:
        operations.append({"include-operation-id": entry["operation"], "checks": {entry["check"]: {"enabled": False}}})
    data: dict[str, Any] = {
        "seed": seed,
        "workers": 1,
        "suppress-health-check": ["all"],
        "generation": {"max-examples": max_examples, "deterministic": True, "no-shrink": True,
                       "database": "none", "mode": "all"},
        "phases": {
            "examples": {"enabled": "examples" in phases},
            "coverage": {"enabled": "coverage" in phases},
            "fuzzing": {"enabled": "fuzzing" in phases},
            "stateful": {"enabled": "stateful" in phases, "max-steps": stateful_steps,
                         "generation": {"max-examples": stateful_examples}},
        },
        "warnings": False,
    }
    if operations:
        data["operations"] = operations
    return schemathesis.Config.from_dict(data)


def load_schema(app, identities: Identities, *, contract: Path = CONTRACT, operation_ids: Iterable[str] | None = None,
                **config_kw: Any):
    """The contract, bound to the WSGI app, authenticated per operation by `identities` (optionally only the
    operations with the given operationIds)."""
    import schemathesis

    schema = schemathesis.openapi.from_path(contract, config=config(**config_kw))
    if operation_ids is not None:
        schema = schema.include(operation_id=list(operation_ids))
    schema.app = app
    schema.config.update(base_url="http://localhost")

    @schema.auth(refresh_interval=None)
    class _Bearer:
        def get(self, case, ctx):
            return identities.for_operation(api_id(case.operation))

        def set(self, case, data, ctx):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


def reach_seeded_objects(schema, ids: Mapping[str, str], weight: int = 2,
                         created: Callable[[str], list[str]] | None = None) -> None:
    """Most generated cases address objects that exist: each path parameter named in `ids` takes that seeded id in
    `weight` cases out of `weight + 2`, an id the run created for it (`created(name)`: the objects earlier
    requests made) in one, and keeps the generated value in the last (invented ids stay a minority, so the 404
    paths are still exercised). Without created ids for any of the case's parameters, the seeded id takes that
    share too."""
    import hypothesis.strategies as st

    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        seeded = {name: ids.get(name, value) for name, value in path_parameters.items()}
        if seeded == path_parameters:
            return st.just(path_parameters)
        made = [{**seeded, name: value} for name in path_parameters for value in (created or _none)(name)]
        fresh = st.sampled_from(made) if made else st.just(seeded)
        shares = [st.just(seeded)] * weight + [fresh, st.just(path_parameters)]
        return st.sampled_from(range(len(shares))).flatmap(shares.__getitem__)

    schema.hook(flatmap_path_parameters)


def _none(_name: str) -> list[str]:
    return []


@dataclass(frozen=True)
class Failure:
    phase: str
    operation: str  # "P17 GET /api/v1/courses/{course_id}"
    check: str
    title: str
    message: str
    reproduction: str


@dataclass
class ConformanceReport:
    cases: Counter = field(default_factory=Counter)  # phase -> cases sent
    operations: dict[str, set[str]] = field(default_factory=dict)  # phase -> operation labels exercised
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    phase_status: dict[str, str] = field(default_factory=dict)
    phase_time: dict[str, float] = field(default_factory=dict)
    wall_time: float = 0.0
    stop_reason: str = ""

    def failing(self) -> set[tuple[str, str]]:
        """{(operation label, check name)}"""
        return {(f.operation, f.check) for f in self.failures}


def _label(schema, label: str) -> str:
    """'GET /api/v1/x' -> 'P17 GET /api/v1/x' (the contract's x-api-id in front)."""
    method, _, path = label.partition(" ")
    try:
        op = schema[path][method]
    except Exception:  # noqa: BLE001 - a label the schema does not know (an undocumented path)
        return label
    return f"{api_id(op)} {label}"


@contextmanager
def _wsgi_probe_fix() -> Iterator[None]:
    """Work around a schemathesis 4.32 bug: the `ignored_auth` check re-sends a case without credentials through
    `send_probe`, which strips the `requests` session from the engine's transport kwargs but keeps the
    socket-level `max_redirects`/`verify`/`cert`/`proxies`; the WSGI transport only drops those when a session is
    given, so werkzeug's `EnvironBuilder` raises TypeError and the check errors on every WSGI operation. Drop them
    for in-process calls, as the transport itself does on its session path."""
    from schemathesis.transport.wsgi import WSGITransport

    original = WSGITransport.send

    def send(self, case, *, session=None, **kwargs):
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return original(self, case, session=session, **kwargs)

    WSGITransport.send = send
    try:
        yield
    finally:
        WSGITransport.send = original


def run(schema) -> ConformanceReport:
    """Run every enabled phase of the schemathesis engine on `schema` and collect a report."""
    with _wsgi_probe_fix():
        return _run(schema)


def _record_scenario(report: ConformanceReport, schema, event) -> None:
    """A finished scenario: its cases, the operations they exercised and every failed check."""
    from schemathesis.engine import Status

    phase, rec = event.phase.value, event.recorder
    report.cases[phase] += len(rec.cases)
    report.operations.setdefault(phase, set()).update(
        _label(schema, node.value.operation.label) for node in rec.cases.values())
    for case_id, checks in rec.checks.items():
        op = rec.cases[case_id].value.operation.label if case_id in rec.cases else rec.label
        for check in checks:
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                report.failures.append(Failure(
                    phase=phase, operation=_label(schema, op), check=check.name, title=failure.title,
                    message=(failure.message or "")[:2000], reproduction=check.failure_info.code_sample))


class _Recorder:
    """Turns the engine's events into the report: one handler per event type (`handlers`)."""

    def __init__(self, schema) -> None:
        self.schema = schema
        self.report = ConformanceReport()
        self.phase_started: dict[str, float] = {}

    def handlers(self) -> dict[type, Callable[[Any], None]]:
        from schemathesis.engine import events

        return {events.ScenarioFinished: lambda e: _record_scenario(self.report, self.schema, e),
                events.PhaseStarted: self.phase_started_at, events.PhaseFinished: self.phase_finished,
                events.NonFatalError: self.error, events.FatalError: self.fatal,
                events.EngineFinished: self.finished}

    def phase_started_at(self, event) -> None:
        self.phase_started[event.phase.name.value] = time.perf_counter()

    def phase_finished(self, event) -> None:
        name = event.phase.name.value
        self.report.phase_status[name] = event.status.value
        if name in self.phase_started:
            self.report.phase_time[name] = time.perf_counter() - self.phase_started[name]

    def error(self, event) -> None:
        self.report.errors.append(f"[{event.phase}] {event.label}: {event.value!r}"[:1000])

    def fatal(self, event) -> None:
        raise event.exception

    def finished(self, event) -> None:
        self.report.stop_reason = event.stop_reason.value


def _run(schema) -> ConformanceReport:
    from schemathesis import engine

    recorder = _Recorder(schema)
    handlers = recorder.handlers()
    started = time.perf_counter()
    for event in engine.from_schema(schema).execute():
        handler = next((h for kind, h in handlers.items() if isinstance(event, kind)), None)
        if handler is not None:
            handler(event)
    recorder.report.wall_time = time.perf_counter() - started
    return recorder.report


#: Names benchmarks/contract_parity_throughput.py imports from this module; they are the tests' fixtures now.
