"""harness/contract/edges.py: the protocol-edge source covers every operation, stays small and deterministic,
reports nothing on the bundled pair (legacy against the Django candidate) and catches, on a faulty copy of the
candidate, each kind of fault it exists for: first-vs-last duplicate cookie, `//` handling, HEAD."""
from __future__ import annotations

import json

import pytest

from harness.contract import accepted as accepted_mod
from harness.contract import edges
from harness.contract.fanout import FanOut, OperationResolver, WsgiSide
from harness.contract.gate import ACCEPTED, GateOptions, filler, run_gate, seeded_path_params, to_result
from harness.contract.noise import Analyzer
from harness.contract.routes import documented, load_contract
from harness.core.results import Severity
from harness.core.reviewed import load_reviewed
from harness.seed import accounts

CONTRACT = load_contract()
FILL = filler(seeded_path_params())


def unexplained(make_legacy, candidate) -> list[tuple[str, str, str]]:
    """(operation, field, edge source) of every difference the gate would fail on, after the accepted list."""
    analyzer = Analyzer("legacy", "candidate", "legacy-2")
    fan = FanOut(WsgiSide("legacy", make_legacy("legacy")),
                 [WsgiSide("legacy-2", make_legacy("legacy-2")), WsgiSide("candidate", candidate)],
                 OperationResolver(CONTRACT["paths"]), analyzer)
    fan.source = "edges"
    edges.run(fan, CONTRACT, FILL, accounts.ADMIN.email, accounts.ADMIN.password)
    fan.close()
    entries = load_reviewed(ACCEPTED, area=accepted_mod.AREA)
    return sorted((v.operation, v.field, v.samples[0].exchange.source) for v in analyzer.verdicts()
                  if analyzer.reported(v) and not any(accepted_mod.covers(e, v.operation, v.field, v.kinds)
                                                      for e in entries))


# --- faults injected into a copy of the candidate: Django's defaults, which the candidate had before -------

def _envelope_404(start_response):
    body = json.dumps({"ok": False, "success": False,
                       "error": {"code": "NOT_FOUND", "message": "Resource not found", "details": None}}).encode()
    start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def last_cookie_wins(app):
    """Of two `access_token` cookies, the last is read (Django's dict)."""
    def wrapped(environ, start_response):
        pairs = [p.strip() for p in environ.get("HTTP_COOKIE", "").split(";") if p.strip()]
        tokens = [p for p in pairs if p.startswith("access_token=")]
        if len(tokens) > 1:
            environ = {**environ, "HTTP_COOKIE": "; ".join([p for p in pairs if p not in tokens] + tokens[-1:])}
        return app(environ, start_response)
    return wrapped


def unmerged_slashes(app):
    """A path with an empty segment is a 404 (Django's resolver), never merged as werkzeug merges it."""
    def wrapped(environ, start_response):
        if "//" in environ.get("PATH_INFO", ""):
            return _envelope_404(start_response)
        return app(environ, start_response)
    return wrapped


def head_with_body(app):
    """HEAD answered with the GET's body."""
    def wrapped(environ, start_response):
        if environ.get("REQUEST_METHOD") == "HEAD":
            environ = {**environ, "REQUEST_METHOD": "GET"}
        return app(environ, start_response)
    return wrapped


#: fault -> (edge kinds whose exchanges must show it, the field, a test on the operation named)
FAULTS = {
    "last_cookie_wins": (last_cookie_wins, "edges:cookie-dup", "status",
                         lambda op: op == "P13 GET /api/v1/user/profile"),
    "unmerged_slashes": (unmerged_slashes, "edges:path-", "status",
                         lambda op: op.startswith("unmatched") and "//" in op),
    "head_with_body": (head_with_body, "edges:head", "body", lambda op: op.startswith("unmatched HEAD ")),
}


def test_every_operation_gets_edges_and_the_plan_is_small_and_deterministic():
    first, second = edges.plan(CONTRACT, FILL, "tok"), edges.plan(CONTRACT, FILL, "tok")
    assert first == second
    assert 300 <= len(first) <= 700
    resolve = OperationResolver(CONTRACT["paths"])
    hit = {resolve(e.sent.method, e.sent.path).split(" ", 1)[0] for e in first}
    ids = {op.api_id for op in edges.operations(CONTRACT, FILL)}
    assert len(ids) == len(documented(CONTRACT))
    # every operation is sent as itself (cookies, HEAD, bodies) or by its path mangled (`//`, empty variable)
    mangled = {op.api_id for op in edges.operations(CONTRACT, FILL)
               if any(e.kind == "path-double-slash" and e.sent.method == op.method
                      and e.sent.path.replace("//", "/") == op.path for e in first)}
    assert ids <= hit | mangled
    kinds = {e.kind for e in first}
    assert {"cookie-dup-empty-first", "cookie-dup-garbage-last", "path-double-slash", "path-empty-var", "head",
            "options", "query-dup", "content-type-case", "content-type-charset", "body-empty", "body-on-get",
            "body-oversized", "header-oversized", "body-bytes", "query-bytes", "path-bytes", "path-percent",
            "path-case", "path-trailing-slash"} <= kinds


def test_the_bundled_pair_reports_nothing(make_legacy, django_candidate):
    options = GateOptions(sources=("edges",), candidate_conformance=False, accepted=ACCEPTED)
    run = run_gate({"legacy": make_legacy("legacy"), "legacy-2": make_legacy("legacy-2"),
                    "candidate": django_candidate}, options)
    result = to_result(run, options)
    blocking = [f for f in result.findings if f.severity in (Severity.CRITICAL, Severity.HIGH)]
    assert blocking == [], [(f.operation, f.evidence.get("field"), f.message) for f in blocking]
    assert 300 <= run.sources["edges"] <= 700
    # the one reviewed difference: the candidate's merged-slash 308 names its Location, legacy's does not
    assert {v.field for v, _ in run.accepted_hits} == {"header:location"}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_caught(fault, make_legacy, django_candidate):
    inject, source, field, operation = FAULTS[fault]
    found = unexplained(make_legacy, inject(django_candidate))
    hits = [f for f in found if f[2].startswith(source) and f[1] == field and operation(f[0])]
    assert hits, found[:20]
