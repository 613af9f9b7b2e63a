"""The contract gate: conformance of each app to the contract, differential parity of the candidate with
legacy (noise-cancelled against a second legacy instance), and route coverage, as one AreaResult.

Case sources, all sent through the fan-out so every request reaches legacy, legacy-2 and the candidate:
- `postman`: the collection the real clients used, replayed as a flow (harness/replay);
- `probes`: every operation once anonymously and once with a trailing slash (guards and the no-redirect rule);
- `schemathesis`: every phase (examples, coverage, fuzzing, stateful links) of schemathesis 4 on the contract,
  which also checks the legacy side's conformance (the responses it sees are legacy's);
- `states`: the statuses that need a state or a setting (guards, 409s, 413s, ranges, the rate-limit pass): states.py.
The candidate's own conformance is a second schemathesis run straight against it.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.results import AreaResult, Finding, Metric, Severity, gate

from . import accepted as accepted_mod
from .compare import Difference
from .conformance import CONTRACT, PHASES, ROOT, ConformanceReport, Identities, load_schema, narrowed, run
from .exchange import Exchange, Sent, curl, reply_evidence
from .fanout import FanOut, HttpSide, OperationResolver, Side, WsgiSide, operation_label
from .noise import DEFAULT_ABSOLUTE, DEFAULT_RELATIVE, Analyzer, FieldVerdict
from .routes import RouteCoverage, coverage, documented, load_contract, probe_coverage

PRIMARY, NOISE, CANDIDATE = "legacy", "legacy-2", "candidate"
ACCEPTED = ROOT / "contracts" / "accepted-differences.yaml"
POSTMAN = ROOT.parent / "shared" / "legacy-api" / "unpuzzle-postman-collection.json"
WSGI_BASE = "http://localhost"


@dataclass(slots=True)
class GateOptions:
    contract: Path = CONTRACT
    accepted: Path = ACCEPTED
    postman: Path | None = POSTMAN
    sources: tuple[str, ...] = ("postman", "probes", "schemathesis", "states", "edges")
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
    """Everything measured, for the result and for people (the CLI prints `summary_lines`)."""

    analyzer: Analyzer
    sources: Counter = field(default_factory=Counter)
    conformance: dict[str, ConformanceReport] = field(default_factory=dict)
    routes: dict[str, RouteCoverage] = field(default_factory=dict)
    replay_failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    accepted_hits: list[tuple[FieldVerdict, accepted_mod.Accepted]] = field(default_factory=list)
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


def _schemathesis(app: Any, options: GateOptions) -> ConformanceReport:
    schema = load_schema(app, Identities(app), contract=options.contract, max_examples=options.max_examples,
                         seed=options.seed, phases=options.phases, stateful_steps=options.stateful_steps,
                         stateful_examples=options.stateful_examples, narrowed_checks=narrowed())
    return run(schema)


def run_gate(targets: dict[str, Any], options: GateOptions, progress: Callable[[str], None] | None = None) -> GateRun:
    """`targets`: {"legacy", "legacy-2", "candidate"} -> an in-process WSGI app or a base URL. "legacy-2" (the
    noise side: legacy again, on its own copy of the seed) may be absent; then every difference counts."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    contract = load_contract(options.contract)
    analyzer = Analyzer(PRIMARY, CANDIDATE, NOISE if NOISE in targets else None, options.relative, options.absolute)
    sides = {name: side_for(name, target) for name, target in targets.items()}
    fan = FanOut(sides[PRIMARY], [s for n, s in sides.items() if n != PRIMARY], OperationResolver(contract["paths"]),
                 analyzer)
    result = GateRun(analyzer)
    fill = filler(seeded_path_params(options.seed))

    for source in options.sources:
        fan.source = source
        before = fan.exchanges
        say(f"contract: {source}")
        if source == "postman" and (options.postman is None or not options.postman.exists()):
            result.skipped.append(f"postman: no collection at {options.postman}")
        elif source == "postman":
            from harness.replay.postman import WsgiTransport
            from harness.replay.unpuzzle_flow import UnpuzzleReplay
            from harness.seed import accounts

            report = UnpuzzleReplay(WsgiTransport(fan), options.postman,
                                    admin=(accounts.ADMIN.email, accounts.ADMIN.password)).run()
            result.replay_failures = [f"{s.rid} {s.name}: {s.status} (want {s.expected})" for s in report.failures]
        elif source == "probes":
            _probe(fan, contract, fill)
        elif source == "schemathesis":
            result.conformance[PRIMARY] = _schemathesis(fan, options)
        elif source == "states":
            from . import states

            params = seeded_path_params(options.seed)
            params["draft_course_id"] = _draft_course(options.seed)
            result.skipped += states.drive(fan.send, targets, contract, fill, params, say)
        elif source == "edges":  # protocol edges no schema describes (edges.py), as the seeded admin
            from harness.seed import accounts

            from . import edges
            edges.run(fan, contract, fill, accounts.ADMIN.email, accounts.ADMIN.password)
        fan.drain()
        result.sources[source] = fan.exchanges - before

    if options.candidate_conformance and not isinstance(targets[CANDIDATE], str):
        say("contract: candidate conformance")
        result.conformance[CANDIDATE] = _schemathesis(targets[CANDIDATE], options)

    fan.close()
    for name in (PRIMARY, CANDIDATE):
        target = targets[name]
        if isinstance(target, str):
            result.routes[name] = probe_coverage(name, sides[name].send, contract, fill)
        else:  # a plain WSGI callable (no url_map, not Django) is probed like a URL target
            result.routes[name] = coverage(name, target, contract,
                                           probe=lambda n=name: probe_coverage(n, sides[n].send, contract, fill))
    result.wall_time = time.perf_counter() - started
    return result


# --- the result --------------------------------------------------------------------------------------------

def _check_name(field_name: str) -> str:
    if field_name == "status":
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
    evidence = {"field": v.field, "kinds": list(v.kinds), "candidate_differences": v.raw,
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


def to_result(run_: GateRun, options: GateOptions, base_urls: dict[str, str] | None = None) -> AreaResult:
    base_urls = base_urls or {}
    contract = load_contract(options.contract)
    entries = accepted_mod.load(options.accepted)
    findings: list[Finding] = []
    an = run_.analyzer
    unexplained = 0
    for v in an.verdicts():
        if not an.reported(v):
            continue
        evidence, reproduce = _evidence(v, base_urls)
        entry = next((e for e in entries if e.covers("contract", v.operation, v.field, v.kinds)), None)
        if entry is not None and not entry.expired(options.today):
            run_.accepted_hits.append((v, entry))
            evidence["accepted"] = {"reason": entry.reason, "expires": entry.expires.isoformat()}
            severity = Severity.INFO
        else:
            unexplained += 1
            severity = Severity.HIGH
        findings.append(Finding(
            id=f"parity:{v.operation}:{v.field}", check=_check_name(v.field), severity=severity,
            operation=v.operation, reproduce=reproduce, evidence=evidence,
            message=(f"candidate differs from legacy at {v.field} ({'/'.join(v.kinds)}) in {v.raw} of {v.total} "
                     f"exchanges; legacy against itself: {v.noise}")))
    for e in entries:
        if e.expired(options.today):
            findings.append(Finding(id=f"accepted-expired:{e.index}", check="accepted_difference_expired",
                                    severity=Severity.HIGH, operation=e.operation,
                                    message=f"accepted difference #{e.index} ({e.area} {e.operation} {e.field}) "
                                            f"expired on {e.expires.isoformat()}: review it again",
                                    evidence={"reason": e.reason}))
    for side, report in run_.conformance.items():
        for f in sorted({(f.operation, f.check, f.title, f.message, f.reproduction) for f in report.failures}):
            findings.append(Finding(id=f"conformance:{side}:{f[0]}:{f[1]}", check=f"conformance_{f[1]}",
                                    severity=Severity.HIGH, operation=f[0], reproduce=f[4],
                                    message=f"{side}: {f[2]}", evidence={"side": side, "detail": f[3][:2000]}))
    for side, cov in run_.routes.items():
        for route in sorted(cov.undocumented):
            findings.append(Finding(id=f"route:{side}:undocumented:{route}", check="undocumented_route",
                                    severity=Severity.HIGH, operation=route,
                                    message=f"{side} serves {route}, which the contract does not document",
                                    evidence={"side": side, "how": cov.how}))
        for route in sorted(cov.unrouted):
            findings.append(Finding(id=f"route:{side}:unrouted:{route}", check="unrouted_operation",
                                    severity=Severity.HIGH, operation=route,
                                    message=f"{side} does not serve the documented {route}",
                                    evidence={"side": side, "how": cov.how}))
    for reason in run_.skipped:
        findings.append(Finding(id=f"skipped:{reason.split(':', 1)[0]}", check="source_skipped",
                                severity=Severity.INFO, message=f"case source skipped: {reason}"))
    for failure in run_.replay_failures:
        findings.append(Finding(id=f"postman:{failure.split(' ', 1)[0]}", check="postman_replay",
                                severity=Severity.HIGH, message=f"legacy fails the Postman collection: {failure}"))

    documented_statuses = _documented_statuses(contract)
    metrics = [
        Metric("cases_sent", "both", sum(run_.sources.values()), "requests"),
        Metric("pairs_compared", "candidate", an.pairs, "pairs"),
        Metric("unexplained_differences", "candidate", unexplained, "fields", target="== 0", passed=unexplained == 0),
    ]
    from .states import unreached as unreached_pairs

    for side in (PRIMARY, CANDIDATE):
        reached = {(op, status) for op, status in an.statuses.get(side, set()) if (op, status) in documented_statuses}
        # An operation is exercised (and credited as served) only by a documented status below 500: a side that
        # answers only errors earns no coverage.
        ops = {op for op, status in reached if status < 500}
        sent_to = {op for op, _ in an.statuses.get(side, set()) if not op.startswith("unmatched")
                   and not op.endswith(" (trailing slash)")}
        metric_side = "legacy" if side == PRIMARY else "candidate"
        metrics.append(Metric("operations_exercised", metric_side, len(ops), "operations",
                              target=f"{len(documented(contract))} documented"))
        metrics.append(Metric("status_codes_reached", metric_side, len(reached), "operation x status",
                              target=f"{len(documented_statuses)} documented"))
        missed = unreached_pairs(documented_statuses, reached, run_.skipped)
        run_.unreached[side] = missed
        share = 100.0 * len(reached) / len(documented_statuses) if documented_statuses else 100.0
        metrics.append(Metric("status_coverage", metric_side, round(share, 1), "%", target=">= 90"))
        metrics.append(Metric("status_codes_unreached", metric_side, len(missed), "operation x status",
                              evidence="findings status_unreached"))
        for op, status, reason in missed:
            findings.append(Finding(id=f"status-unreached:{side}:{op}:{status}", check="status_unreached",
                                    severity=Severity.INFO, operation=op,
                                    message=f"{side} never answered the documented {status}: {reason}",
                                    evidence={"side": side, "status": status, "reason": reason}))
        cov = run_.routes.get(side)
        if cov is not None:
            total = len(documented(contract))
            # errored: routed, sent to, but never answered a documented non-5xx status (or, probed, answered one)
            errored = set(cov.errored) | {label.split(" ", 1)[1] for label in sent_to - ops}
            errored -= cov.unrouted
            for route in sorted(errored):
                findings.append(Finding(id=f"route:{side}:errored:{route}", check="route_errors",
                                        severity=Severity.HIGH, operation=route,
                                        message=f"{side} answered {route} only with a 5xx or an undocumented status: "
                                                f"not credited as served",
                                        evidence={"side": side, "how": cov.how,
                                                  "statuses": sorted(cov.errored.get(route, ()))}))
            served = total - len(cov.unrouted) - len(errored)
            pct = 100.0 * served / total if total else 100.0
            metrics.append(Metric("documentation_coverage", metric_side, round(pct, 1), "%", target="100",
                                  passed=not cov.unrouted and not cov.undocumented and not errored))
        report = run_.conformance.get(side)
        if report is not None:
            metrics.append(Metric("conformance_cases", metric_side, sum(report.cases.values()), "cases"))
    return AreaResult(area="contract", passed=gate(metrics, findings), metrics=metrics, findings=findings,
                      duration_s=round(run_.wall_time, 3))


def _unreached_lines(unreached: dict[str, list[tuple[str, int, str]]]) -> list[str]:
    """The documented (operation, status) pairs not reached, grouped by reason; once when both sides agree."""
    groups = ([("legacy and candidate", unreached[PRIMARY])] if unreached.get(PRIMARY) == unreached.get(CANDIDATE)
              else [(side, unreached.get(side, [])) for side in (PRIMARY, CANDIDATE)])
    lines = []
    for who, missed in groups:
        if not missed:
            continue
        lines.append(f"  not reached on {who} ({len(missed)} documented operation x status):")
        by_reason: dict[str, list[str]] = {}
        for op, status, reason in missed:
            by_reason.setdefault(reason, []).append(f"{op} -> {status}")
        for reason, pairs in by_reason.items():
            lines.append(f"    {reason}:")
            lines.extend(f"      {pair}" for pair in pairs)
    return lines


def summary_lines(run_: GateRun, result: AreaResult) -> list[str]:
    s = run_.analyzer.summary()
    lines = [f"contract gate: {'PASS' if result.passed else 'FAIL'} in {run_.wall_time:.1f}s",
             f"  cases sent {sum(run_.sources.values())} ("
             + ", ".join(f"{k} {v}" for k, v in run_.sources.items()) + f"); pairs compared {s['pairs_compared']}"]
    for m in result.metrics:
        if m.id in {"operations_exercised", "status_codes_reached", "status_coverage", "documentation_coverage",
                    "conformance_cases"}:
            lines.append(f"  {m.side:<9} {m.id:<24} {m.value} {m.unit}" + (f" (of {m.target})" if m.target else ""))
    lines += _unreached_lines(run_.unreached)
    blocking = [f for f in result.findings if f.severity in (Severity.CRITICAL, Severity.HIGH)]
    lines.append(f"  unexplained differences / failures: {len(blocking)}; accepted: {len(run_.accepted_hits)}")
    for f in blocking[:50]:
        lines.append(f"  FAIL {f.check}: {f.operation or ''} {f.message}")
    return lines
