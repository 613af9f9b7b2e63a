"""The contract gate: conformance of each app to the contract, differential parity of the candidate with
legacy (noise-cancelled against a second legacy instance), and route coverage, as one AreaResult.

The sources of cases are the registry `SOURCES` (name -> Source, in the order a run lists them by default); all
are sent through the fan-out, so every request reaches legacy, legacy-2 and the candidate:
- `postman`: the collection the real clients used, replayed as a flow (harness/replay);
- `probes`: every operation once anonymously and once with a trailing slash (guards and the no-redirect rule);
- `schemathesis`: every phase (examples, coverage, fuzzing, stateful links) of schemathesis 4 on the contract,
  which also checks the legacy side's conformance (the responses it sees are legacy's);
- `roundtrip`: writes on objects it creates itself, each read back through every operation that shows it, state
  transitions taken twice and undone, nullable fields written absent, null and empty, e-mails in other spellings:
  roundtrip.py;
- `personas`: every operation as each caller its guard tells apart (anonymous, the owner, another user of the
  same role, an instructor who owns nothing, the admin), by Bearer and by cookie with and without the CSRF header,
  on rows with an owner: personas.py;
- `states`: the statuses that need a state or a setting (guards, 409s, 413s, ranges, the rate-limit pass): states.py;
- `edges`: protocol edges no schema describes: edges.py.
A source, or a part of one, that cannot run is a `Skip` with a typed `SkipReason`. The candidate's own
conformance is a second schemathesis run straight against it.

`to_result` applies `CHECKS` (on the whole run) and `SIDE_CHECKS` (on legacy, then on the candidate): each check
is a small function yielding its findings and metrics.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from harness.core import paths
from harness.core.results import AreaResult, Finding, Metric, Severity, gate
from harness.core.reviewed import Reviewed, expired_findings, for_area, load_reviewed, split
from harness.http.compare import Difference

from . import accepted as accepted_mod
from .callers import identify, seeded_accounts
from .conformance import (
    CONTRACT,
    PHASES,
    ConformanceReport,
    Identities,
    load_schema,
    narrowed,
    reach_seeded_objects,
    run,
)
from .created import CreatedIds
from .exchange import Exchange, Sent, curl, reply_evidence
from .fanout import FanOut, HttpSide, OperationResolver, Side, WsgiSide, operation_label
from .noise import DEFAULT_ABSOLUTE, DEFAULT_RELATIVE, Analyzer, FieldVerdict
from .routes import RouteCoverage, coverage, documented, load_contract, probe_coverage
from .tokens import TokenLedger
from .tokens import findings as token_findings
from .writes import WriteLedger

PRIMARY, NOISE, CANDIDATE = "legacy", "legacy-2", "candidate"
#: The sides the result measures, in the order of its metrics and findings.
SIDES = (PRIMARY, CANDIDATE)
ACCEPTED, POSTMAN = paths.ACCEPTED, paths.POSTMAN
WSGI_BASE = "http://localhost"


class SkipReason(Enum):
    """Why a source of cases (or a part of one, or the candidate's conformance run) did not run."""

    DISABLED = "switched off by the gate's options"
    MISSING_INPUT = "its input file does not exist"
    NOT_APPLICABLE_TO_URL_TARGET = "a side is reached by URL"
    NO_SETTINGS_MAPPING = "a side's settings cannot be switched"
    REFUSED_BY_LEGACY = "legacy refused a request the source builds on"


@dataclass(frozen=True, slots=True)
class Skip:
    source: str
    reason: SkipReason
    detail: str  # what a person reads after the source's name

    def __str__(self) -> str:
        return f"{self.source}: {self.detail}"


@dataclass(slots=True)
class GateOptions:
    contract: Path = CONTRACT
    accepted: Path = ACCEPTED
    postman: Path | None = POSTMAN
    sources: tuple[str, ...] = ("postman", "probes", "schemathesis", "roundtrip", "personas", "states", "edges")
    phases: tuple[str, ...] = PHASES
    max_examples: int = 5
    stateful_steps: int = 8
    stateful_examples: int = 20
    candidate_conformance: bool = True
    relative: float = DEFAULT_RELATIVE
    absolute: float = DEFAULT_ABSOLUTE
    seed: int = 0
    today: dt.date = field(default_factory=dt.date.today)


@dataclass(slots=True)
class GateRun:
    """Everything measured; `to_result` turns it into the area's result (harness/report renders that)."""

    analyzer: Analyzer
    #: what the tokens each side minted say (a second sink of the fan-out)
    tokens: TokenLedger = field(default_factory=TokenLedger)
    #: the ids the run's requests created, by path parameter (a third sink; generated cases draw on them)
    created: CreatedIds = field(default_factory=lambda: CreatedIds(PRIMARY))
    #: every write exchange legacy answered with a 2xx, and the ids it named (a sink too: writes.py)
    writes: WriteLedger = field(default_factory=WriteLedger)
    #: what the checks registered for after the traffic (harness/core/traffic.py) found once the sources ran
    after_traffic: list[Finding | Metric] = field(default_factory=list)
    sources: Counter = field(default_factory=Counter)
    conformance: dict[str, ConformanceReport] = field(default_factory=dict)
    routes: dict[str, RouteCoverage] = field(default_factory=dict)
    replay_failures: list[str] = field(default_factory=list)
    #: the sources (or parts) that could not run on these targets or inputs: each is an info finding
    skipped: list[Skip] = field(default_factory=list)
    #: what the options switched off or the targets rule out by design (no finding)
    not_run: list[Skip] = field(default_factory=list)
    accepted_hits: list[tuple[FieldVerdict, Reviewed]] = field(default_factory=list)
    wall_time: float = 0.0
    #: side -> the documented (operation, status) pairs not reached, each with why (filled by `to_result`)
    unreached: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)


def side_for(name: str, target: Any) -> Side:
    return HttpSide(name, target) if isinstance(target, str) else WsgiSide(name, target)


def seeded_path_params(seed: int = 0, scale: str = "small") -> dict[str, str]:
    """A real row of the shared seed for each path parameter name (the same ids on every side)."""
    from harness.seed import SCALES, Graph
    from harness.seed.ids import seeded_uuid

    g = Graph(SCALES[scale], seed)
    video = g.video_index(0, 0)
    return {"course_id": g.course_id(0), "video_id": seeded_uuid(seed, "videos", video),
            "quiz_id": seeded_uuid(seed, "quizzes", video), "section_id": seeded_uuid(seed, "course_sections", 0),
            "media_file_id": seeded_uuid(seed, "media_files", 0), "user_id": g.user_id(g.student_user(0)),
            "session_id": "00000000-0000-4000-8000-000000000000", "session_key": "probe-unknown-session",
            "category": "videos", "filename": "probe-missing.mp4"}


def generated_ids(seed: int = 0, scale: str = "small") -> dict[str, str]:
    """Real rows for the generated cases to reach: those of the seed's second course (published, the first
    instructor's), its first video, that video's quiz, its first section, the instructor's second media file and the
    second student. Not the rows of `seeded_path_params`, which the probes, states and edges sources read and expect
    as seeded: the generated cases may change or delete what they reach."""
    from harness.seed import SCALES, Graph
    from harness.seed.ids import seeded_uuid

    g, course = Graph(SCALES[scale], seed), 1
    video = g.video_index(course, 0)
    return {"course_id": g.course_id(course), "video_id": seeded_uuid(seed, "videos", video),
            "quiz_id": seeded_uuid(seed, "quizzes", video),
            "section_id": seeded_uuid(seed, "course_sections", course * SCALES[scale].sections_per_course),
            "media_file_id": seeded_uuid(seed, "media_files", 1), "user_id": g.user_id(g.student_user(1))}


def _draft_course(seed: int = 0, scale: str = "small") -> str:
    """A course of the seed that stays a draft (the last one of the first instructor)."""
    from harness.seed import SCALES, Graph

    g = Graph(SCALES[scale], seed)
    return next(g.course_id(c) for c in range(SCALES[scale].courses_per_instructor) if not g.is_published(c))


def filler(params: dict[str, str]) -> Callable[[str], str]:
    import re

    return lambda template: re.sub(r"\{([^}]+)\}", lambda m: params.get(m.group(1), "probe"), template)


def _probe(fan: FanOut, contract: dict[str, Any], fill: Callable[[str], str]) -> None:
    """Each operation anonymously (a dropped auth check answers 2xx where legacy says 401), and with a
    trailing slash (legacy: 404, never a redirect)."""
    headers = [("Content-Type", "application/json")]
    for op in sorted(documented(contract)):
        method, template = op.split(" ", 1)
        path = fill(template)
        body = b"{}" if method in {"POST", "PUT", "PATCH", "DELETE"} else b""
        fan.send(Sent(method, path, list(headers), body))
        fan.send(Sent(method, path + "/", list(headers), body))


def _schemathesis(app: Any, options: GateOptions, created: Callable[[str], list[str]] | None = None
                  ) -> ConformanceReport:
    schema = load_schema(app, Identities(app), contract=options.contract, max_examples=options.max_examples,
                         seed=options.seed, phases=options.phases, stateful_steps=options.stateful_steps,
                         stateful_examples=options.stateful_examples, narrowed_checks=narrowed())
    reach_seeded_objects(schema, generated_ids(options.seed), created=created)
    return run(schema)


# --- the sources of cases ----------------------------------------------------------------------------------

@dataclass(slots=True)
class SourceContext:
    """What a source of cases works with: the fan-out it sends through and what the run measured so far."""

    fan: FanOut
    sides: dict[str, Side]
    targets: dict[str, Any]
    contract: dict[str, Any]
    fill: Callable[[str], str]
    options: GateOptions
    result: GateRun
    say: Callable[[str], None]

    @classmethod
    def of(cls, targets: dict[str, Any], options: GateOptions, say: Callable[[str], None]) -> SourceContext:
        contract = load_contract(options.contract)
        analyzer = Analyzer(PRIMARY, CANDIDATE, NOISE if NOISE in targets else None, options.relative,
                            options.absolute, caller=identify(seeded_accounts(options.seed)))
        sides = {name: side_for(name, target) for name, target in targets.items()}
        result = GateRun(analyzer)

        def sink(exchange: Exchange, maps: dict[str, Any]) -> None:
            analyzer(exchange, maps)
            result.tokens(exchange, maps)
            result.created(exchange, maps)
            result.writes(exchange, maps)

        fan = FanOut(sides[PRIMARY], [s for n, s in sides.items() if n != PRIMARY],
                     OperationResolver(contract["paths"]), sink)
        return cls(fan, sides, targets, contract, filler(seeded_path_params(options.seed)), options, result, say)


def _postman_missing(ctx: SourceContext) -> Skip | None:
    postman = ctx.options.postman
    if postman is None or not postman.exists():
        return Skip("postman", SkipReason.MISSING_INPUT, f"no collection at {postman}")
    return None


def _postman(ctx: SourceContext) -> None:
    from harness.replay.postman import WsgiTransport
    from harness.replay.unpuzzle_flow import UnpuzzleReplay
    from harness.seed import accounts

    report = UnpuzzleReplay(WsgiTransport(ctx.fan), ctx.options.postman,
                            admin=(accounts.ADMIN.email, accounts.ADMIN.password)).run()
    ctx.result.replay_failures = [f"{s.rid} {s.name}: {s.status} (want {s.expected})" for s in report.failures]


def _probes(ctx: SourceContext) -> None:
    _probe(ctx.fan, ctx.contract, ctx.fill)


def _schemathesis_cases(ctx: SourceContext) -> None:
    ctx.result.conformance[PRIMARY] = _schemathesis(ctx.fan, ctx.options, created=ctx.result.created.pool)


def _states(ctx: SourceContext) -> list[Skip]:
    from . import states  # imported when used: states.py builds on this module's Skip

    params = seeded_path_params(ctx.options.seed)
    params["draft_course_id"] = _draft_course(ctx.options.seed)
    return states.drive(ctx.fan.send, ctx.targets, ctx.contract, ctx.fill, params, ctx.say)


def _roundtrip(ctx: SourceContext) -> list[Skip]:
    """Writes read back on the source's own objects (roundtrip.py), the instructor made by the seeded admin."""
    from harness.seed import accounts

    from . import roundtrip

    return roundtrip.run(ctx.fan.send, (accounts.ADMIN.email, accounts.ADMIN.password))


def _personas(ctx: SourceContext) -> None:
    """Every operation as each caller its guard tells apart, by each transport (personas.py)."""
    from . import personas

    personas.drive(ctx.fan.send, ctx.contract, ctx.options.seed)


def _edges(ctx: SourceContext) -> None:
    """Protocol edges no schema describes (edges.py), as the seeded admin."""
    from harness.seed import accounts

    from . import edges

    edges.run(ctx.fan, ctx.contract, ctx.fill, accounts.ADMIN.email, accounts.ADMIN.password)


@dataclass(frozen=True, slots=True)
class Source:
    """A source of cases: `drive` sends them (returning the parts it skipped); `skip` says why it cannot run."""

    drive: Callable[[SourceContext], list[Skip] | None]
    skip: Callable[[SourceContext], Skip | None] = lambda _ctx: None

    def run(self, ctx: SourceContext) -> list[Skip]:
        skip = self.skip(ctx)
        return [skip] if skip is not None else list(self.drive(ctx) or [])


#: Every source of cases, by the name the options list it under.
SOURCES: dict[str, Source] = {
    "postman": Source(_postman, skip=_postman_missing),
    "probes": Source(_probes),
    "schemathesis": Source(_schemathesis_cases),
    "roundtrip": Source(_roundtrip),
    "personas": Source(_personas),
    "states": Source(_states),
    "edges": Source(_edges),
}


def _candidate_conformance(ctx: SourceContext) -> Skip | None:
    """schemathesis straight against the candidate (in-process only); why not, when it does not run."""
    if not ctx.options.candidate_conformance:
        return Skip("candidate conformance", SkipReason.DISABLED, "candidate_conformance is off")
    if isinstance(ctx.targets[CANDIDATE], str):
        return Skip("candidate conformance", SkipReason.NOT_APPLICABLE_TO_URL_TARGET,
                    "the candidate is reached by URL; the conformance run calls an in-process app")
    ctx.say("contract: candidate conformance")
    ctx.result.conformance[CANDIDATE] = _schemathesis(ctx.targets[CANDIDATE], ctx.options)
    return None


def _send_source(ctx: SourceContext, name: str) -> None:
    """Every case of the source through the fan-out, counted under its name (0 when it is skipped)."""
    ctx.fan.source = name
    before = ctx.fan.exchanges
    ctx.say(f"contract: {name}")
    ctx.result.skipped += SOURCES[name].run(ctx)
    ctx.fan.drain()
    ctx.result.sources[name] = ctx.fan.exchanges - before


def _route_coverage(ctx: SourceContext, name: str) -> RouteCoverage:
    """The side's routes against the contract's; a URL or a plain WSGI callable (no url_map, not Django) is
    probed, one request per documented operation."""
    def probe() -> RouteCoverage:
        return probe_coverage(name, ctx.sides[name].send, ctx.contract, ctx.fill)

    target = ctx.targets[name]
    return probe() if isinstance(target, str) else coverage(name, target, ctx.contract, probe=probe)


def _after_traffic(ctx: SourceContext, databases: Mapping[str, str]) -> list[Finding | Metric]:
    """Every check an area registered for after the traffic (harness/core/traffic.py; the data area's compares the
    rows the writes left), on the sides' databases: nothing without legacy's and the candidate's."""
    from harness.core.areas import discover_areas
    from harness.core.traffic import Traffic, traffic_checks

    if PRIMARY not in databases or CANDIDATE not in databases:
        return []
    discover_areas()  # the areas register their checks when imported
    traffic = Traffic({side: url for side, url in databases.items() if side in ctx.sides},
                      {side: idmap.to_primary for side, idmap in ctx.fan.maps.items()}, ctx.result.writes,
                      PRIMARY, CANDIDATE, NOISE)
    produced: list[Finding | Metric] = []
    for name, check in traffic_checks().items():
        ctx.say(f"contract: {name.replace('_', ' ')}")
        produced += check(traffic)
    return produced


def run_gate(targets: dict[str, Any], options: GateOptions, progress: Callable[[str], None] | None = None, *,
             databases: Mapping[str, str] | None = None) -> GateRun:
    """`targets`: {"legacy", "legacy-2", "candidate"} -> an in-process WSGI app or a base URL. "legacy-2" (the
    noise side: legacy again, on its own copy of the seed) may be absent; then every difference counts.
    `databases`: side -> its database URL; with legacy's and the candidate's, the rows the traffic left are
    compared too (`_after_traffic`; legacy-2's, when given, is the noise baseline)."""
    unknown = set(options.sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown case source(s) {', '.join(sorted(unknown))}; known: {', '.join(SOURCES)}")
    started = time.perf_counter()
    ctx = SourceContext.of(targets, options, progress or (lambda _msg: None))
    result = ctx.result
    result.not_run += [Skip(name, SkipReason.DISABLED, "not among the options' sources")
                       for name in SOURCES if name not in options.sources]
    for name in options.sources:
        _send_source(ctx, name)
    # before the candidate's own conformance run, which writes to the candidate's database alone
    result.after_traffic = _after_traffic(ctx, databases or {})
    not_run = _candidate_conformance(ctx)
    if not_run is not None:
        result.not_run.append(not_run)
    ctx.fan.close()
    for name in SIDES:
        result.routes[name] = _route_coverage(ctx, name)
    result.wall_time = time.perf_counter() - started
    return result


# --- the result --------------------------------------------------------------------------------------------

def _refused(status: Any) -> bool:
    return status in (401, 403, 404)


def _check_name(v: FieldVerdict) -> str:
    """`access_parity` when one side refused (401, 403, 404) what the other served (a 2xx): a guard differs."""
    field_name = v.field
    if field_name == "status":
        diff = v.samples[0].difference if v.samples else None
        served = diff is not None and any(isinstance(s, int) and 200 <= s < 300 for s in (diff.primary, diff.other))
        if served and (_refused(diff.primary) or _refused(diff.other)):
            return "access_parity"
        return "status_parity"
    if field_name.startswith("header:"):
        return "header_parity"
    if field_name.startswith("cookie:"):
        return "cookie_parity"
    return "body_parity"


def _evidence(v: FieldVerdict, base_urls: dict[str, str]) -> tuple[dict[str, Any], str]:
    sample = v.samples[0]
    ex: Exchange = sample.exchange
    diff: Difference = sample.difference
    legacy_curl = curl(ex.sent[PRIMARY], base_urls.get(PRIMARY, WSGI_BASE))
    candidate_curl = curl(ex.sent[CANDIDATE], base_urls.get(CANDIDATE, WSGI_BASE))
    evidence = {"field": v.field, "kinds": list(v.kinds), "candidate_differences": v.raw, "callers": v.callers,
                "consequences": v.consequences,
                "legacy_noise": v.noise, "exchanges": v.total, "source": ex.source,
                "example": {"field": sample.field, "kind": diff.kind, "legacy": diff.primary, "candidate": diff.other},
                "request": {"legacy": legacy_curl, "candidate": candidate_curl},
                "responses": {"legacy": reply_evidence(ex.replies[PRIMARY]),
                              "candidate": reply_evidence(ex.replies[CANDIDATE])}}
    return evidence, f"{legacy_curl}\n{candidate_curl}"


def _documented_statuses(contract: dict[str, Any]) -> set[tuple[str, int]]:
    out = set()
    for path, item in contract["paths"].items():
        for method, op in item.items():
            if method in {"get", "put", "post", "delete", "patch"}:
                label = operation_label(op, method, path)
                out |= {(label, int(code)) for code in op.get("responses", {}) if str(code).isdigit()}
    return out


@dataclass(frozen=True, slots=True)
class Facts:
    """What the checks read besides the run and the options, derived once per result."""

    operations: set[str]  # the documented "METHOD /path"s
    statuses: set[tuple[str, int]]  # the documented (operation label, status) pairs
    entries: list[Reviewed]  # the contract area's reviewed exceptions
    base_urls: dict[str, str]

    @classmethod
    def of(cls, options: GateOptions, base_urls: dict[str, str]) -> Facts:
        contract = load_contract(options.contract)
        entries = for_area(load_reviewed(options.accepted, area=accepted_mod.AREA, missing_ok=True), accepted_mod.AREA)
        return cls(documented(contract), _documented_statuses(contract), entries, base_urls)


Produced = Iterator[Finding | Metric]


def _covers(entry: Reviewed, v: FieldVerdict) -> bool:
    return accepted_mod.covers(entry, v.operation, v.field, v.kinds)


def _parity_finding(facts: Facts, v: FieldVerdict, entry: Reviewed | None) -> Finding:
    evidence, reproduce = _evidence(v, facts.base_urls)
    if entry is not None:
        evidence["accepted"] = {"reason": entry.reason, "expires": entry.expires.isoformat()}
    return Finding(id=f"parity:{v.operation}:{v.field}", check=_check_name(v),
                   severity=Severity.HIGH if entry is None else Severity.INFO, operation=v.operation,
                   reproduce=reproduce, evidence=evidence,
                   message=(f"candidate differs from legacy at {v.field} ({'/'.join(v.kinds)}) in {v.raw} of {v.total} "
                            f"exchanges{_sent_by(v.callers)}; legacy against itself: {v.noise}"
                            f"{_with_it(v.consequences)}"))


def _with_it(consequences: list[str], shown: int = 4) -> str:
    """"; with it, 3 fields that differ only there: body.data, body.error, cookie:access_token"."""
    if not consequences:
        return ""
    more = f" and {len(consequences) - shown} more" if len(consequences) > shown else ""
    return (f"; with it, {len(consequences)} field(s) that differ only there: "
            f"{', '.join(consequences[:shown])}{more}")


def _sent_by(callers: dict[str, int], shown: int = 3) -> str:
    """", sent by student · bearer (2), instructor · cookie+csrf (1)": the callers that showed a difference."""
    if not callers:
        return ""
    top = sorted(callers.items(), key=lambda item: (-item[1], item[0]))
    more = f" and {len(top) - shown} more" if len(top) > shown else ""
    return ", sent by " + ", ".join(f"{who} ({n})" for who, n in top[:shown]) + more


def cases_sent(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    """How many requests the run sent to every side, in all and per source of cases (`cases_sent.<source>`)."""
    yield Metric("cases_sent", "both", sum(run_.sources.values()), "requests")
    for source, count in run_.sources.items():
        yield Metric(f"cases_sent.{source}", "both", count, "requests")


def fold_into_status(verdicts: list[FieldVerdict]) -> list[FieldVerdict]:
    """A field of an operation that differs only in exchanges where the status differs too is a consequence of the
    status (a refused request answers another envelope, sets no cookie): named in the status's finding
    (`consequences`), not a finding of its own. A field that also differs where the statuses agree stays one."""
    status = {v.operation: v for v in verdicts if v.field == "status"}
    kept = []
    for v in verdicts:
        cause = status.get(v.operation)
        if cause is not None and v is not cause and v.exchanges and v.exchanges <= cause.exchanges:
            cause.consequences.append(v.field)
        else:
            kept.append(v)
    return kept


def parity(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    """Each field where the candidate differs from legacy beyond legacy's own noise; one a live reviewed
    exception covers is informational (and listed in `run_.accepted_hits`)."""
    reported = fold_into_status(list(filter(run_.analyzer.reported, run_.analyzer.verdicts())))
    reviewed = split(reported, facts.entries, _covers, today=options.today)
    run_.accepted_hits += reviewed.accepted
    accepted = {id(v): entry for v, entry in reviewed.accepted}
    for v in reported:
        yield _parity_finding(facts, v, accepted.get(id(v)))
    unexplained = len(reviewed.remaining)
    yield Metric("pairs_compared", "candidate", run_.analyzer.pairs, "pairs")
    yield Metric("unexplained_differences", "candidate", unexplained, "fields", target="== 0", passed=unexplained == 0)


def expired_acceptances(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    """A reviewed exception past its expiry date fails the gate by itself."""
    yield from expired_findings(accepted_mod.AREA, [e for e in facts.entries if e.expired(options.today)],
                                options.today)


def conformance_failures(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    """What schemathesis found on each side it ran on (legacy through the fan-out, the candidate directly)."""
    for side, report in run_.conformance.items():
        for f in sorted({(f.operation, f.check, f.title, f.message, f.reproduction) for f in report.failures}):
            yield Finding(id=f"conformance:{side}:{f[0]}:{f[1]}", check=f"conformance_{f[1]}",
                          severity=Severity.HIGH, operation=f[0], reproduce=f[4],
                          message=f"{side}: {f[2]}", evidence={"side": side, "detail": f[3][:2000]})


def route_drift(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    """Routes a side serves that the contract lacks, and documented operations a side does not serve."""
    for side, cov in run_.routes.items():
        for route in sorted(cov.undocumented):
            yield Finding(id=f"route:{side}:undocumented:{route}", check="undocumented_route",
                          severity=Severity.HIGH, operation=route,
                          message=f"{side} serves {route}, which the contract does not document",
                          evidence={"side": side, "how": cov.how})
        for route in sorted(cov.unrouted):
            yield Finding(id=f"route:{side}:unrouted:{route}", check="unrouted_operation",
                          severity=Severity.HIGH, operation=route,
                          message=f"{side} does not serve the documented {route}",
                          evidence={"side": side, "how": cov.how})


def skipped_sources(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    """Each source (or part of one) these targets or inputs kept from running: informational, and the reason
    of the statuses only it reaches."""
    for skip in run_.skipped:
        yield Finding(id=f"skipped:{skip.source}", check="source_skipped", severity=Severity.INFO,
                      message=f"case source skipped: {skip}")


def postman_replay(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    """Legacy must pass the collection its real clients used."""
    for failure in run_.replay_failures:
        yield Finding(id=f"postman:{failure.split(' ', 1)[0]}", check="postman_replay",
                      severity=Severity.HIGH, message=f"legacy fails the Postman collection: {failure}")


@dataclass(frozen=True, slots=True)
class SideStatuses:
    reached: set[tuple[str, int]]  # documented (operation, status) pairs the side answered
    exercised: set[str]  # operations credited as served: a documented status below 500 (errors earn nothing)
    sent_to: set[str]  # operations a request was routed to (not unmatched, not the trailing-slash probe)

    @classmethod
    def of(cls, run_: GateRun, facts: Facts, side: str) -> SideStatuses:
        answered = run_.analyzer.statuses.get(side, set())
        reached = {(op, status) for op, status in answered if (op, status) in facts.statuses}
        routed = {op for op, _ in answered if not op.startswith("unmatched") and not op.endswith(" (trailing slash)")}
        return cls(reached, {op for op, status in reached if status < 500}, routed)


def status_coverage(run_: GateRun, options: GateOptions, facts: Facts, side: str) -> Produced:
    """The documented operations and (operation, status) pairs the side answered, and each one it never did
    with why (filling `run_.unreached`)."""
    from .states import unreached

    seen = SideStatuses.of(run_, facts, side)
    yield Metric("operations_exercised", side, len(seen.exercised), "operations",
                 target=f"{len(facts.operations)} documented")
    yield Metric("status_codes_reached", side, len(seen.reached), "operation x status",
                 target=f"{len(facts.statuses)} documented")
    missed = run_.unreached[side] = unreached(facts.statuses, seen.reached, run_.skipped)
    share = 100.0 * len(seen.reached) / len(facts.statuses) if facts.statuses else 100.0
    yield Metric("status_coverage", side, round(share, 1), "%", target=">= 90")
    yield Metric("status_codes_unreached", side, len(missed), "operation x status",
                 evidence="findings status_unreached")
    for op, status, reason in missed:
        yield Finding(id=f"status-unreached:{side}:{op}:{status}", check="status_unreached",
                      severity=Severity.INFO, operation=op,
                      message=f"{side} never answered the documented {status}: {reason}",
                      evidence={"side": side, "status": status, "reason": reason})


#: The sources whose requests are generated from the contract (not a recorded client flow).
GENERATED = ("schemathesis",)


def success_coverage(run_: GateRun, options: GateOptions, facts: Facts, side: str) -> Produced:
    """How many documented operations the side answered with a 2xx at all, and through generated cases alone
    (requests that reach a real object, not a 404 for an invented id); the operations generated cases never got a
    2xx from, with the requests that reached one per source."""
    by_operation: dict[str, Counter] = {}
    for (who, operation, source), count in run_.analyzer.successes.items():
        if who == side and not operation.startswith("unmatched") and "(trailing slash)" not in operation:
            by_operation.setdefault(operation, Counter())[source] += count
    documented_ops = {label for label, _ in facts.statuses}
    reached = {op for op in by_operation if op in documented_ops}
    generated = {op for op in reached if any(by_operation[op][source] for source in GENERATED)}
    total = len(documented_ops) or 1
    yield Metric("operations_reaching_2xx", side, len(reached), "operations", target=f"{total} documented")
    yield Metric("operations_reaching_2xx_generated", side, round(100.0 * len(generated) / total, 1), "%",
                 evidence="finding success_coverage")
    missing = sorted(documented_ops - generated)
    yield Finding(id=f"success-coverage:{side}", check="success_coverage", severity=Severity.INFO,
                  message=f"{side}: {len(generated)} of {total} documented operations answered a 2xx to generated "
                          f"cases ({len(reached)} to any source); {len(missing)} only to recorded flows or never",
                  evidence={"side": side, "generated_sources": list(GENERATED),
                            "by_operation": {op: dict(by_operation[op]) for op in sorted(by_operation)},
                            "without_generated_2xx": missing})


def documentation_coverage(run_: GateRun, options: GateOptions, facts: Facts, side: str) -> Produced:
    """The share of documented operations the side serves: routed, and answered with a documented non-5xx
    status (a route that only errors is reported, not credited)."""
    cov = run_.routes.get(side)
    if cov is None:
        return
    seen = SideStatuses.of(run_, facts, side)
    errored = set(cov.errored) | {label.split(" ", 1)[1] for label in seen.sent_to - seen.exercised}
    errored -= cov.unrouted
    for route in sorted(errored):
        yield Finding(id=f"route:{side}:errored:{route}", check="route_errors", severity=Severity.HIGH,
                      operation=route,
                      message=f"{side} answered {route} only with a 5xx or an undocumented status: "
                              f"not credited as served",
                      evidence={"side": side, "how": cov.how, "statuses": sorted(cov.errored.get(route, ()))})
    total = len(facts.operations)
    served = total - len(cov.unrouted) - len(errored)
    pct = 100.0 * served / total if total else 100.0
    yield Metric("documentation_coverage", side, round(pct, 1), "%", target="100",
                 passed=not cov.unrouted and not cov.undocumented and not errored)


def conformance_cases(run_: GateRun, options: GateOptions, facts: Facts, side: str) -> Produced:
    """How many cases schemathesis sent to the side (none when it did not run there)."""
    report = run_.conformance.get(side)
    if report is not None:
        yield Metric("conformance_cases", side, sum(report.cases.values()), "cases")


#: The checks on the whole run, then those applied to each side (`SIDES`), in the order of the result.
def token_semantics(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    """What the tokens say (tokens.py): lifetimes against what the replies declare and against legacy's, claims."""
    yield from token_findings(run_.tokens, PRIMARY, CANDIDATE)


def after_traffic(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    """What the checks registered for after the traffic found (the data area's `rows_after_traffic`: a row only on
    one side, or a column that differs beyond legacy's own noise, named with the last write that touched it)."""
    yield from run_.after_traffic


CHECKS: tuple[Callable[[GateRun, GateOptions, Facts], Produced], ...] = (
    cases_sent, parity, expired_acceptances, conformance_failures, route_drift, skipped_sources, postman_replay,
    token_semantics, after_traffic,
)
SIDE_CHECKS: tuple[Callable[[GateRun, GateOptions, Facts, str], Produced], ...] = (
    status_coverage, success_coverage, documentation_coverage, conformance_cases,
)


def _apply_checks(run_: GateRun, options: GateOptions, facts: Facts) -> Produced:
    for check in CHECKS:
        yield from check(run_, options, facts)
    for side in SIDES:
        for side_check in SIDE_CHECKS:
            yield from side_check(run_, options, facts, side)


def to_result(run_: GateRun, options: GateOptions, base_urls: dict[str, str] | None = None) -> AreaResult:
    produced = list(_apply_checks(run_, options, Facts.of(options, base_urls or {})))
    findings = [item for item in produced if isinstance(item, Finding)]
    metrics = [item for item in produced if isinstance(item, Metric)]
    return AreaResult(area="contract", passed=gate(metrics, findings), metrics=metrics, findings=findings,
                      duration_s=round(run_.wall_time, 3))
