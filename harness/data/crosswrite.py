"""`harness data cross-write`: both apps on ONE database (the blue-green window), each honouring what the
other writes.

    report = check_cross_write(legacy_wsgi_app, candidate_wsgi_app, "postgresql://.../shared")
    result = report.to_area_result()

For every writable resource (`crosswrite_journey.JOURNEY`) and both directions:
  1. the write goes through one app (the writer);
  2. each read that shows it goes through BOTH apps, at once, and the two replies must be the same
     (`harness.http.compare.compare`: status, the headers a client reads, the body field by field;
     timestamps included, since both read the same rows); rate-limit counters are per app and left out;
  3. the rows the write changed (inserted, updated, deleted, in every table) are kept, normalised
     (`rowdelta`: generated ids, the run's tag, tokens and "now" abstracted).
The journey runs once with legacy writing and once with the candidate writing, each on its own fresh
users and course (the run's tag tells them apart), and the rows each step left must be the same both
times: the two apps write the same rows for the same request.

The apps are given as WSGI callables (an HTTP target's forwarder will do), called through `harness.http`'s
in-process side: the harness imports neither.
The database is only read, to take the row snapshots, which cover every table but the framework ones:
meant for a seeded scratch database, not a production-sized one.
"""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.core.results import AreaResult, Finding, Metric, Severity, gate
from harness.http import (
    Reply,
    Sent,
    Side,
    Upload,
    WsgiSide,
    access_token,
    curl,
    json_at,
    json_request,
    login_request,
    multipart_request,
    reply_evidence,
)
from harness.http.compare import Difference, compare
from harness.seed import accounts

from .connect import DataInputError, open_engine, shown
from .crosswrite_journey import JOURNEY, Call, Step
from .rowdelta import NormalDelta, Placeholders, RowMismatch, Snapshots, compare_deltas

AREA = "data-crosswrite"
SIDES = ("legacy", "candidate")
REPRODUCE_BASE = "http://127.0.0.1:5000"
#: Sent on every request, so the user agent each app records (sessions, activity) is compared too.
USER_AGENT = "harness-cross-write/1"
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_:.-]+)\}")
#: Per-app counters, not data: two apps on one database never share them unless their limiter storage is shared.
UNCOMPARED = re.compile(r"^header:(x-ratelimit-.*|retry-after)$")
Progress = Callable[[str], None]
WSGIApp = Callable[..., Iterable[bytes]]


@dataclass(slots=True)
class CrossWriteOptions:
    #: An account holding `user:manage_roles` (the journey grants the instructor role); the seed's admin by default.
    admin_email: str = accounts.ADMIN.email
    admin_password: str = accounts.ADMIN.password
    steps: tuple[Step, ...] = JOURNEY
    progress: Progress | None = None


@dataclass(slots=True)
class ReadCheck:
    read: str  # "GET /api/v1/instructor/courses/{course}"
    sent: Sent | None = None
    replies: dict[str, Reply] = field(default_factory=dict)
    differences: dict[str, Difference] = field(default_factory=dict)
    skipped: str | None = None  # why the read could not be sent


@dataclass(slots=True)
class StepRun:
    """One step of one journey: the write through `writer`, the reads through both apps, the rows."""

    step: Step
    writer: str
    sent: Sent | None = None
    reply: Reply | None = None
    skipped: str | None = None  # why the step could not run (a name an earlier write should have given)
    reads: list[ReadCheck] = field(default_factory=list)
    rows: NormalDelta | None = None
    seconds: float = 0.0

    @property
    def wrote(self) -> bool:
        return self.reply is not None and self.reply.status == self.step.status


@dataclass(slots=True)
class CrossWriteReport:
    database: str
    runs: list[StepRun] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    started: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return gate(self.metrics, self.findings)

    def to_area_result(self, targets: dict[str, dict[str, Any]] | None = None) -> AreaResult:
        """`targets`: the core targets' descriptions (`Target.describe()`), when the apps came from them."""
        return AreaResult(area=AREA, passed=self.passed, metrics=list(self.metrics), findings=list(self.findings),
                          started=self.started, duration_s=round(self.seconds, 3), targets=targets or {})


# -- the entry point -----------------------------------------------------------------------------------------

def check_cross_write(legacy_app: WSGIApp, candidate_app: WSGIApp, database_url: str,
                      options: CrossWriteOptions | None = None) -> CrossWriteReport:
    """Run the journey twice (legacy writing, then the candidate writing) against two apps that share the
    database at `database_url`. DataInputError / DatabaseUnreachable when the database cannot be read."""
    options = options or CrossWriteOptions()
    say = options.progress or (lambda message: None)
    clock = time.perf_counter()
    apps = {"legacy": WsgiSide("legacy", legacy_app), "candidate": WsgiSide("candidate", candidate_app)}
    engine = open_engine(database_url)
    report = CrossWriteReport(shown(engine), started=datetime.now(UTC).isoformat())
    try:
        snapshots = Snapshots(engine)
        admin = _log_in(apps["legacy"], options.admin_email, options.admin_password)
        nonce = uuid.uuid4().hex[:6]
        journeys: dict[str, list[StepRun]] = {}
        for writer in SIDES:
            say(f"cross-write: journey written through {writer}")
            state = Journey(tag=f"xw{writer[0]}{nonce}", tokens={"admin": admin})
            journeys[writer] = [_run_step(step, writer, apps, state, snapshots) for step in options.steps]
    finally:
        engine.dispose()
    for runs in journeys.values():
        report.runs.extend(runs)
    _findings(report, journeys)
    report.seconds = time.perf_counter() - clock
    return report


def _log_in(app: Side, email: str, password: str) -> str:
    reply = app.send(login_request(email, password, [("User-Agent", USER_AGENT)]))
    token = access_token(reply)
    if token is None:
        raise DataInputError(f"the admin account {email} cannot log in through legacy (HTTP {reply.status}); "
                             f"the journey needs it to grant roles")
    return token


# -- one journey --------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Journey:
    """What one writer's journey has learnt so far: names of ids and the callers' tokens."""

    tag: str
    tokens: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def fill(self, value: Any) -> Any:
        """`value` with every {name} replaced (KeyError names the first one not known yet)."""
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: self._lookup(m.group(1)), value)
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.fill(v) for v in value)
        return value

    def _lookup(self, name: str) -> str:
        return self.tag if name == "tag" else self.names[name]

    def keep(self, call: Call, reply: Reply) -> None:
        for name, path in call.keep.items():
            found = json_at(reply.json, path)
            if found is None:
                continue
            if name.startswith("token:"):
                self.tokens[name.removeprefix("token:")] = found
            else:
                self.names[name] = str(found)

    def id_names(self) -> dict[str, str]:
        return {value.lower(): name for name, value in self.names.items()}

    def request(self, call: Call) -> Sent:
        """The call as sent: path and body filled in, the caller's Bearer token (no cookies, so no CSRF)."""
        headers = [("User-Agent", USER_AGENT)]
        if call.as_ is not None:
            token = self.tokens.get(call.as_)
            if token is None:
                raise KeyError(f"token:{call.as_}")
            headers.append(("Authorization", f"Bearer {token}"))
        path = self.fill(call.path)
        if call.files is not None or call.form is not None:
            uploads = [Upload(name, self.fill(filename), data, content_type)
                       for name, (filename, content_type, data) in (call.files or {}).items()]
            return multipart_request(call.method, path, self.fill(call.form or {}), uploads, headers)
        return json_request(call.method, path, self.fill(call.json), headers)


def _run_step(step: Step, writer: str, apps: Mapping[str, Side], journey: Journey,
              snapshots: Snapshots) -> StepRun:
    run = StepRun(step, writer)
    clock = time.perf_counter()
    try:
        run.sent = journey.request(step.write)
    except KeyError as exc:
        run.skipped = f"needs {exc.args[0]}, which an earlier step did not give"
        return run
    before = snapshots.take()
    started = datetime.now(UTC)
    run.reply = apps[writer].send(run.sent)
    finished = datetime.now(UTC)
    delta = snapshots.take().delta(before)
    journey.keep(step.write, run.reply)
    run.rows = delta.normalised(Placeholders(journey.id_names(), journey.tag, started, finished))
    for read in step.reads:
        try:
            sent = journey.request(read)
        except KeyError as exc:
            run.reads.append(ReadCheck(read.label(), skipped=f"needs {exc.args[0]}, which the write did not give"))
            continue
        replies = {side: apps[side].send(sent) for side in SIDES}
        differences = {f: d for f, d in compare(replies["legacy"], replies["candidate"]).items()
                       if not UNCOMPARED.match(f)}
        run.reads.append(ReadCheck(read.label(), sent, replies, differences))
    run.seconds = time.perf_counter() - clock
    return run


# -- findings ------------------------------------------------------------------------------------------------

def _step_not_run(run: StepRun) -> list[Finding]:
    """A step whose write could not be sent (it needs a name an earlier write did not give)."""
    if not run.skipped:
        return []
    return [_not_checked(run, f"{run.step.resource} through {run.writer}: not checked, it {run.skipped}")]


def _write_refused(run: StepRun) -> list[Finding]:
    """A write sent that did not get its documented status."""
    return [_write_failed(run)] if not run.skipped and not run.wrote else []


def _reads_differ(run: StepRun) -> list[Finding]:
    """Each read of a write sent: one that could not be made, or each field the two apps read differently."""
    if run.skipped:
        return []
    found: list[Finding] = []
    for read in run.reads:
        if read.skipped:
            found.append(_not_checked(run, f"{run.step.resource} through {run.writer}: {read.read} not read, it "
                                           f"{read.skipped}", read.read))
        else:
            found.extend(_read_finding(run, read, f, d) for f, d in sorted(read.differences.items()))
    return found


#: What every step of both journeys is checked for, in the order its findings are listed.
STEP_CHECKS: tuple[Callable[[StepRun], list[Finding]], ...] = (_step_not_run, _write_refused, _reads_differ)


def _rows_differ(journeys: dict[str, list[StepRun]]) -> list[Finding]:
    """Each step both apps wrote: every row the write through legacy left that the write through the candidate
    did not leave the same."""
    by_resource = {run.step.resource: run for run in journeys["candidate"]}
    found: list[Finding] = []
    for run in journeys["legacy"]:
        other = by_resource.get(run.step.resource)
        if other is None or run.rows is None or other.rows is None or not (run.wrote and other.wrote):
            continue
        found.extend(_row_finding(run, other, mismatch) for mismatch in compare_deltas(run.rows, other.rows))
    return found


def _findings(report: CrossWriteReport, journeys: dict[str, list[StepRun]]) -> None:
    """The steps' findings (`STEP_CHECKS`, step by step, legacy's journey first), then the rows', then the metrics."""
    report.findings.extend(found for runs in journeys.values() for run in runs
                           for check in STEP_CHECKS for found in check(run))
    rows = _rows_differ(journeys)
    report.findings.extend(rows)
    report.metrics += _metrics(report.database, journeys, row_differences=len(rows))


def _metrics(database: str, journeys: dict[str, list[StepRun]], *, row_differences: int) -> list[Metric]:
    runs = [run for runs in journeys.values() for run in runs]
    compared = [read for run in runs if not run.skipped for read in run.reads if not read.skipped]
    read_differences = sum(len(read.differences) for read in compared)
    steps = len(journeys["legacy"])
    return [
        Metric("crosswrite_resources", "both", steps, "steps", evidence=f"one database: {database}"),
        Metric("crosswrite_writes_ok", "both", sum(r.wrote for r in runs), "writes", target=f"== {2 * steps}",
               passed=all(r.wrote for r in runs)),
        Metric("crosswrite_reads_compared", "both", len(compared), "reads"),
        Metric("crosswrite_read_differences", "both", read_differences, "fields", target="== 0",
               passed=read_differences == 0),
        Metric("crosswrite_row_differences", "both", row_differences, "rows", target="== 0",
               passed=row_differences == 0),
    ]


def _not_checked(run: StepRun, message: str, read: str = "") -> Finding:
    """A write or read the journey could not make: what it would have checked is unknown, so it fails."""
    return Finding(id=f"crosswrite:{run.writer}:{run.step.resource}:not-checked{':' + read if read else ''}",
                   check="cross_write_checked", severity=Severity.HIGH, operation=run.step.resource, message=message,
                   evidence={"writer": run.writer, "resource": run.step.resource, "read": read or None})


def _write_failed(run: StepRun) -> Finding:
    assert run.reply is not None and run.sent is not None
    return Finding(
        id=f"crosswrite:{run.writer}:{run.step.resource}:write", check="cross_write_write",
        severity=Severity.HIGH, operation=run.step.resource,
        message=f"{run.step.resource}: {run.step.write.label()} through {run.writer} answered {run.reply.status}, "
                f"not {run.step.status}; what depends on it is not checked",
        evidence={"writer": run.writer, "request": _request_evidence(run.sent), "reply": _reply_evidence(run.reply)},
        reproduce=_curl(run.sent))


def _read_finding(run: StepRun, read: ReadCheck, field_name: str, difference: Difference) -> Finding:
    assert read.sent is not None
    return Finding(
        id=f"crosswrite:{run.writer}:{run.step.resource}:{read.read}:{field_name}", check="cross_write_read",
        severity=Severity.HIGH, operation=run.step.resource,
        message=(f"{run.step.resource} written through {run.writer}: {read.read} reads differently through legacy "
                 f"and candidate at {field_name}: legacy {_short(difference.primary)}, candidate "
                 f"{_short(difference.other)}"),
        evidence={"writer": run.writer, "resource": run.step.resource, "read": read.read, "field": field_name,
                  "kind": difference.kind, "legacy": difference.primary, "candidate": difference.other,
                  "write": _request_evidence(run.sent) if run.sent else None,
                  "replies": {side: _reply_evidence(reply) for side, reply in read.replies.items()}},
        reproduce=f"{_curl(run.sent)}  # through {run.writer}; then, on both apps: {_curl(read.sent)}"
        if run.sent else "")


def _row_finding(legacy: StepRun, candidate: StepRun, mismatch: RowMismatch) -> Finding:
    columns = ",".join(mismatch.columns) or mismatch.kind
    return Finding(
        id=f"crosswrite:rows:{legacy.step.resource}:{mismatch.table}:{columns}", check="cross_write_rows",
        severity=Severity.HIGH, operation=legacy.step.resource,
        message=f"{legacy.step.resource}: the same write leaves different rows: {mismatch.message}",
        evidence={"resource": legacy.step.resource, "table": mismatch.table, "kind": mismatch.kind,
                  "columns": list(mismatch.columns), "legacy": mismatch.legacy, "candidate": mismatch.candidate,
                  "rows_written": {"legacy": legacy.rows.summary() if legacy.rows else {},
                                   "candidate": candidate.rows.summary() if candidate.rows else {}}},
        reproduce=f"{_curl(legacy.sent)}  # once through each app, then compare the {mismatch.table} rows"
        if legacy.sent else "")


# -- small pieces -------------------------------------------------------------------------------------------

def _curl(sent: Sent) -> str:
    """The request as a curl command, its caller's token left for the reader to fill in."""
    headers = [(k, "Bearer $TOKEN" if k == "Authorization" else v) for k, v in sent.headers]
    return curl(Sent(sent.method, sent.path, headers, sent.body), REPRODUCE_BASE)


def _request_evidence(sent: Sent) -> dict[str, Any]:
    body = sent.body[:2000].decode("utf-8", "replace") if sent.body else None
    return {"method": sent.method, "path": sent.path,
            "headers": [[k, "Bearer <token>" if k == "Authorization" else v] for k, v in sent.headers], "body": body}


def _reply_evidence(reply: Reply) -> dict[str, Any]:
    return reply_evidence(reply, limit=2000)


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
