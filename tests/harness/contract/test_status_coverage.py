"""Status coverage of the contract gate (issue 10, items 6 and 11): the result lists every documented
(operation, status) pair a side never answered, with the reason when it cannot be reached; the `states` source
drives the pairs that need a state or a setting (and so catches a candidate that answers them differently); a
plain WSGI candidate is probed for route coverage instead of crashing; a side that answers only errors earns no
coverage."""
from __future__ import annotations

import json

import pytest

from harness.contract.gate import GateOptions, run_gate, to_result
from harness.contract.states import UNREACHABLE, configured, unreached
from harness.report.summaries import summary_lines
from tests.harness.contract.conftest import blocking
from tests.harness.contract.faults import ResponseRewriter
from tests.support.servers import serve_wsgi

ENROLL = "P21 POST /api/v1/student/courses/{course_id}/enroll"
HEALTH = "P52 GET /health"
PROFILE = "P13 GET /api/v1/user/profile"


def metrics_of(result):
    return {(m.id, m.side): m for m in result.metrics}


def test_unreached_pairs_are_listed_per_side_with_their_reasons(make_legacy, tmp_path):
    """Probes alone never enrol twice nor exhaust a rate limit: those pairs are listed, on both sides, with the
    generic or the structural reason; the listing is in the metrics, the findings and the printed summary."""
    options = GateOptions(sources=("probes",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    run = run_gate({"legacy": make_legacy("legacy"), "candidate": make_legacy("candidate")}, options)
    result = to_result(run, options)
    assert result.passed, [f.message for f in blocking(result)]
    for side in ("legacy", "candidate"):
        missed = {(op, status): reason for op, status, reason in run.unreached[side]}
        assert missed[(ENROLL, 409)] == "not reached by the sources of this run"
        assert missed[(HEALTH, 503)] == UNREACHABLE[("P52", 503)]
        assert "429" in missed[(ENROLL, 429)]
        reached = {p for p in run.analyzer.statuses[side]}
        assert not reached & set(missed), "a reached pair is listed as unreached"
        assert (ENROLL, 401) in reached and (ENROLL, 401) not in missed
        m = metrics_of(result)
        assert m[("status_codes_unreached", side)].value == len(missed)
        assert m[("status_codes_reached", side)].value + len(missed) == 367
        listed = {(f.operation, f.evidence["status"]) for f in result.findings
                  if f.check == "status_unreached" and f.evidence["side"] == side}
        assert listed == set(missed)
    text = "\n".join(summary_lines(result))
    assert "not reached on legacy and candidate" in text and f"{ENROLL} -> 409" in text


def test_a_skipped_settings_pass_is_the_reason_of_its_statuses():
    documented = {(ENROLL, 429), (ENROLL, 409), ("P47 POST /api/v1/videos/upload", 413)}
    skipped = ["states: rate-limit pass (429) skipped: candidate is reached by URL (http://127.0.0.1:1): ..."]
    got = {(op, status): reason for op, status, reason in unreached(documented, {(ENROLL, 409)}, skipped)}
    assert got[(ENROLL, 429)] == skipped[0]
    assert (ENROLL, 409) not in got
    assert got[("P47 POST /api/v1/videos/upload", 413)] == "not reached by the sources of this run"


def test_settings_cannot_be_switched_on_a_url_or_plain_callable_side(make_legacy):
    app = make_legacy("legacy")
    with configured({"legacy": app, "candidate": "http://127.0.0.1:9"}, {"RATELIMIT_ENABLED": True}) as why:
        assert "reached by URL" in why
        assert app.config["RATELIMIT_ENABLED"] is False  # nothing switched
    with configured({"legacy": app}, {"RATELIMIT_ENABLED": True}) as why:
        assert why is None and app.config["RATELIMIT_ENABLED"] is True
    assert app.config["RATELIMIT_ENABLED"] is False


def stateful_faults(app):
    """A candidate that answers a repeated enrolment 200 (not 409) and a refused request 503 (not 429)."""
    def rewrite(environ, status, headers, body):
        if environ["PATH_INFO"].endswith("/enroll") and status.startswith("409"):
            status = "200 OK"
        if status.startswith("429"):
            status = "503 Service Unavailable"
        return status, headers, body
    return ResponseRewriter(app, rewrite)


@pytest.mark.slow
def test_the_states_source_reaches_stateful_statuses_and_catches_a_candidate_answering_them_differently(
        make_legacy, tmp_path):
    options = GateOptions(sources=("states",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    run = run_gate({"legacy": make_legacy("legacy"), "legacy-2": make_legacy("legacy-2"),
                    "candidate": stateful_faults(make_legacy("candidate"))}, options)
    result = to_result(run, options)
    legacy = run.analyzer.statuses["legacy"]
    assert {(ENROLL, 409), (ENROLL, 429), ("P48 POST /api/v1/thumbnails/upload", 413),
            ("P51 GET /api/v1/uploads/{category}/{filename}", 206)} <= legacy
    assert not run.skipped
    status_findings = {f.operation for f in blocking(result) if f.evidence.get("field") == "status"}
    assert ENROLL in status_findings
    assert "P2 POST /api/v1/auth/login" in status_findings  # its 429, answered 503
    assert not result.passed


def passthrough(app):
    def plain_wsgi(environ, start_response):  # a function: no url_map, not Django
        return app(environ, start_response)
    return plain_wsgi


def test_a_plain_function_wsgi_candidate_is_probed_for_route_coverage(make_legacy, tmp_path):
    options = GateOptions(sources=("probes",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    run = run_gate({"legacy": make_legacy("legacy"), "candidate": passthrough(make_legacy("candidate"))}, options)
    result = to_result(run, options)
    assert run.routes["candidate"].how == "probe" and run.routes["legacy"].how == "url_map"
    assert not run.routes["candidate"].unrouted
    m = metrics_of(result)
    assert m[("documentation_coverage", "candidate")].value == 100.0
    assert m[("operations_exercised", "candidate")].value == 70
    assert result.passed, [f.message for f in blocking(result)]


def all_500(environ, start_response):
    body = json.dumps({"ok": False, "error": {"code": "INTERNAL_ERROR", "message": "boom"}}).encode()
    start_response("500 Internal Server Error", [("Content-Type", "application/json"),
                                                 ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def all_500_url():
    with serve_wsgi(all_500) as url:
        yield url


@pytest.mark.parametrize("kind", ["url", "function"])
def test_a_candidate_answering_only_errors_is_credited_with_no_coverage(kind, make_legacy, tmp_path, request):
    candidate = request.getfixturevalue("all_500_url") if kind == "url" else all_500
    options = GateOptions(sources=("probes",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    run = run_gate({"legacy": make_legacy("legacy"), "candidate": candidate}, options)
    result = to_result(run, options)
    m = metrics_of(result)
    assert m[("operations_exercised", "candidate")].value == 0
    assert m[("documentation_coverage", "candidate")].value == 0.0
    assert m[("documentation_coverage", "candidate")].passed is False
    assert m[("status_codes_reached", "candidate")].value <= 1  # P54's documented 500 at most
    assert m[("documentation_coverage", "legacy")].value == 100.0
    errored = {f.operation for f in blocking(result) if f.check == "route_errors"}
    assert "GET /api/v1/user/profile" in errored and len(errored) == 70
    assert not result.passed


def test_a_cookie_write_that_no_longer_needs_its_csrf_header_is_caught(make_legacy, tmp_path):
    """Issue 17's transport fault: the states source sends every guarded write as a cookie session without the
    CSRF header, so a candidate that forgot the check on one view (P28) fails at that operation."""
    from tests.harness.contract.faults import csrf_not_required

    options = GateOptions(sources=("states",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    run = run_gate({"legacy": make_legacy("legacy"), "legacy-2": make_legacy("legacy-2"),
                    "candidate": csrf_not_required(make_legacy("candidate"))}, options)
    result = to_result(run, options)
    assert not result.passed
    review = "P28 POST /api/v1/student/courses/{course_id}/review"
    assert [f for f in blocking(result) if f.operation == review], [(f.operation, f.check) for f in blocking(result)]
