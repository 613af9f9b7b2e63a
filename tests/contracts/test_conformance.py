"""Each app (legacy Flask, reference Django) against contracts/openapi.yaml with schemathesis 4, in-process (WSGI).

Every operation of the contract, every default check, all four phases of the schemathesis engine: examples,
coverage, fuzzing and stateful (the contract's `links`). Callers are the seeded accounts, logged in once each
through POST /api/v1/auth/login and sent as `Authorization: Bearer`; the admin passes every owner, instructor and
enrolment guard, so it runs the guarded operations. The operations that end the caller's session or account
(P3, P7, P8, P14, P15) get a user signed up for each case (harness/contract/conformance.py).

The run is deterministic (fixed seed, derandomised generation) and bounded (about a minute on 2 cores). It prints
the cases per phase and the wall time (visible with `-s`) and records them as junit properties. Checks narrowed
for an operation are listed, with the reason, in contracts/narrowed-checks.yaml.

The drift test proves the run would catch a renamed response field, a changed status and an undocumented route.
"""
from __future__ import annotations

import functools
import shutil

import pytest

from harness.contract import conformance
from harness.seed import accounts
from tests.support.contract_fixtures import conformance_summary, legacy_app, route_drift

#: Fuzzing examples per operation, and stateful scenarios/steps: three times the gate's default depth (5 and 20),
#: ~3,000 cases per app in about a minute on 2 cores.
MAX_EXAMPLES = 15
STATEFUL_EXAMPLES = 60
STATEFUL_STEPS = 12


@pytest.fixture
def legacy(sqlite_template, tmp_path):
    """The legacy app on a fresh copy of the seeded SQLite database (scale small, seed 0), rate limits off."""
    path = tmp_path / "conformance.sqlite3"
    shutil.copy(sqlite_template, path)
    app = legacy_app(f"sqlite:///{path}", tmp_path / "uploads")
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture(params=["legacy", "django"])
def app_under_test(request, sqlite_template, tmp_path):
    """Each app, the same way: the legacy app, or the Django app's WSGI handler, on a fresh seeded copy."""
    if request.param == "legacy":
        yield request.getfixturevalue("legacy")
        return
    from tests.apps import DjangoApp

    path = tmp_path / "conformance.sqlite3"
    shutil.copy(sqlite_template, path)
    app = DjangoApp({"DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_ENABLED": False,
                     "UPLOAD_ROOT": str(tmp_path / "uploads"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000"})
    yield app.wsgi
    app.close()


def _fail_message(report: conformance.ConformanceReport) -> str:
    lines = [conformance_summary(report)]
    seen = set()
    for f in report.failures:
        if (f.operation, f.check) not in seen:
            seen.add((f.operation, f.check))
            lines += [f"--- {f.operation} / {f.check}: {f.title}", f.message[:800], f.reproduction[:800]]
    return "\n".join(lines)


@pytest.mark.slow
def test_each_app_conforms_to_the_contract(app_under_test, record_property):
    identities = conformance.Identities(app_under_test)
    schema = conformance.load_schema(app_under_test, identities, narrowed_checks=conformance.narrowed(),
                                     max_examples=MAX_EXAMPLES, stateful_examples=STATEFUL_EXAMPLES,
                                     stateful_steps=STATEFUL_STEPS)
    report = conformance.run(schema)

    print("\n" + conformance_summary(report))
    print(f"  auth: {identities.logins} logins, {identities.throwaways} throwaway users")
    for phase in conformance.PHASES:
        record_property(f"cases_{phase}", report.cases.get(phase, 0))
        record_property(f"seconds_{phase}", round(report.phase_time.get(phase, 0.0), 1))
    record_property("wall_time_seconds", round(report.wall_time, 1))

    assert report.stop_reason == "completed", _fail_message(report)
    assert not report.errors, _fail_message(report)
    assert not report.failures, _fail_message(report)
    # Every phase ran, and the generated phases reached every operation of the contract.
    operations = len(list(schema.get_all_operations()))
    assert operations == 70
    for phase in conformance.PHASES:
        assert report.phase_status.get(phase) == "success", _fail_message(report)
        assert report.cases[phase] > 0, phase
    for phase in ("coverage", "fuzzing"):
        assert len(report.operations[phase]) == operations, sorted(report.operations[phase])
    # The links were followed: the stateful phase chained more than one operation.
    assert len(report.operations["stateful"]) > 10, sorted(report.operations["stateful"])
    # The seeded accounts stayed usable: one login per role used, destructive cases on throwaway users.
    assert identities.logins - identities.throwaways == 1  # the admin


def test_every_route_is_documented_and_every_operation_routed(legacy):
    undocumented, unrouted = route_drift(legacy)
    assert undocumented == set()
    assert unrouted == set()


def test_narrowed_checks_are_reasoned():
    import schemathesis.specs.openapi.checks
    import yaml
    from schemathesis.checks import CHECKS

    names = set(CHECKS.get_all_names())

    contract = yaml.safe_load(conformance.CONTRACT.read_text())
    operation_ids = {op["operationId"] for item in contract["paths"].values() for op in item.values()
                     if isinstance(op, dict) and "operationId" in op}
    for entry in conformance.narrowed():
        assert set(entry) == {"operation", "check", "reason"}, entry
        assert entry["operation"] in operation_ids, entry
        assert len(entry["reason"]) > 40, entry
        assert entry["check"] in names, entry
    # The narrowing is scoped: off on its operation only, on for every other operation.
    import schemathesis

    entries = conformance.narrowed()
    schema = schemathesis.openapi.from_path(conformance.CONTRACT, config=conformance.config(narrowed_checks=entries))
    for result in schema.get_all_operations():
        operation = result.ok()
        checks = schema.config.checks_config_for(operation=operation)
        off = {e["check"] for e in entries if e["operation"] == operation.definition.raw["operationId"]}
        for name in {e["check"] for e in entries}:
            assert getattr(checks, name).enabled is (name not in off), (operation.label, name)


def test_conformance_catches_drift(legacy, monkeypatch, record_property):
    from legacy_flask import serializers

    # (a) A renamed response field: CourseSummary.shortDescription -> short_description.
    original_summary = serializers.course_summary

    @functools.wraps(original_summary)
    def renamed(*args, **kwargs):
        out = original_summary(*args, **kwargs)
        out["short_description"] = out.pop("shortDescription")
        return out

    monkeypatch.setattr(serializers, "course_summary", renamed)

    # (b) A changed status: P1 signup answers 200 instead of 201.
    signup_view = legacy.view_functions["auth_signup"]

    @functools.wraps(signup_view)
    def signup_200(*args, **kwargs):
        resp = legacy.make_response(signup_view(*args, **kwargs))
        if resp.status_code == 201:
            resp.status_code = 200
        return resp

    legacy.view_functions["auth_signup"] = signup_200

    # (c) An undocumented route.
    legacy.add_url_rule("/api/v1/undocumented", "undocumented", lambda: {"ok": True})

    identities = conformance.Identities(legacy)
    schema = conformance.load_schema(legacy, identities, operation_ids=["listCourses", "signup"], max_examples=5,
                                     phases=("examples", "coverage", "fuzzing"))
    report = conformance.run(schema)
    print("\n" + conformance_summary(report))
    record_property("drift_cases", sum(report.cases.values()))

    failing = report.failing()
    assert ("P16 GET /api/v1/courses", "response_schema_conformance") in failing, _fail_message(report)
    renamed_failures = [f for f in report.failures if f.operation.startswith("P16 ")]
    assert any("short_description" in f.message or "shortDescription" in f.message
               for f in renamed_failures), _fail_message(report)
    assert ("P1 POST /api/v1/auth/signup", "status_code_conformance") in failing, _fail_message(report)
    assert any("200" in f.message for f in report.failures
               if f.operation.startswith("P1 ") and f.check == "status_code_conformance"), _fail_message(report)
    # Nothing else drifted: only the two operations, and the seeded admin's token was enough.
    assert {op for op, _ in failing} == {"P16 GET /api/v1/courses", "P1 POST /api/v1/auth/signup"}, failing

    undocumented, unrouted = route_drift(legacy)
    assert undocumented == {"GET /api/v1/undocumented"}
    assert unrouted == set()


def test_drift_baseline_is_clean(legacy):
    """The same narrowed run on the untouched app passes, so the drift test's failures are the drift's."""
    identities = conformance.Identities(legacy)
    schema = conformance.load_schema(legacy, identities, operation_ids=["listCourses", "signup"], max_examples=5,
                                     phases=("examples", "coverage", "fuzzing"))
    report = conformance.run(schema)
    assert not report.failures and not report.errors, _fail_message(report)
    assert report.cases["coverage"] > 0 and report.cases["fuzzing"] > 0


def test_destructive_operations_use_throwaway_users(legacy):
    identities = conformance.Identities(legacy)
    admin = identities.for_operation("P16")
    assert identities.for_operation("P31") == admin == identities.token(accounts.ADMIN)
    for rid in sorted(conformance.DESTRUCTIVE):
        token = identities.for_operation(rid)
        assert token != admin
        me = legacy.test_client().get("/api/v1/user/profile", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.get_json()["data"]["email"].endswith("@throwaway.test")
    assert identities.logins == 1 + len(conformance.DESTRUCTIVE)
