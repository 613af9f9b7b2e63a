"""harness/contract/personas.py and callers.py: every operation as each caller its guard tells apart, by each
transport; a guard the candidate dropped fails the gate at that operation, naming who was let in and how."""
from __future__ import annotations

import json
from collections import defaultdict

import jwt
import pytest

from harness.contract.callers import identify, seeded_accounts
from harness.contract.gate import GateOptions, run_gate, to_result
from harness.contract.personas import PersonaDriver, operations, persona_ids
from harness.http import Reply, Sent
from harness.seed import accounts
from tests.harness.contract.conftest import blocking
from tests.harness.contract.faults import csrf_not_required, ownership_removed


class FakeApp:
    """Answers logins with a token naming the account, and everything else with 200; records what it was sent."""

    def __init__(self) -> None:
        self.ids = {key: user_id for user_id, key in seeded_accounts().items()}
        self.by_email = {a.email: a.key for a in accounts.DOCUMENTED}
        self.sent: list[Sent] = []

    def __call__(self, sent: Sent) -> Reply:
        self.sent.append(sent)
        if sent.path == "/api/v1/auth/login":
            email = json.loads(sent.body)["email"]
            key = self.by_email.get(email, email)  # a user the source signed up: its e-mail stands for its id
            token = jwt.encode({"sub": self.ids.get(key, key), "sid": f"sid-{key}"}, "k" * 32, algorithm="HS256")
            data = {"access_token": token, "csrf_token": f"csrf-{key}", "session_id": f"sid-{key}"}
        else:
            data = {"sessionKey": "upload-session", "file_path": "videos/x.mp4", "filename": "x.mp4",
                    "sessionId": "chat-session"}
        return Reply(200, [("Content-Type", "application/json")], json.dumps({"data": data}).encode())


@pytest.fixture(scope="module")
def sequence(contract) -> list[tuple[str, str]]:
    """(request, caller) for every request the personas source sends, in order, named as findings name them."""
    app = FakeApp()
    PersonaDriver(app, persona_ids()).run(operations(contract))
    name = identify(seeded_accounts())
    return [(f"{sent.method} {sent.path.split('?')[0]}", name(sent)) for sent in app.sent]


@pytest.fixture(scope="module")
def matrix(sequence):
    """request -> its callers, in order."""
    calls = defaultdict(list)
    for request, caller in sequence:
        calls[request].append(caller)
    return calls


def test_an_owned_write_is_tried_by_every_other_caller_then_served_to_its_owner_by_both_transports(matrix):
    ids = persona_ids()
    calls = matrix[f"PUT /api/v1/instructor/courses/{ids['course_id']}"]
    assert calls == ["anonymous", "instructor2 · cookie without csrf", "instructor · bearer", "student2 · bearer",
                     "student · bearer", "instructor · cookie+csrf",  # refused, before any row changes
                     "instructor2 · bearer", "instructor2 · cookie+csrf"]  # the owner's own writes, served


def test_an_owned_read_is_sent_as_every_persona_and_the_owner_reads_by_cookie_too(matrix):
    calls = matrix[f"GET /api/v1/media/media/{persona_ids()['media_file_id']}"]
    assert sorted(calls) == sorted(["anonymous", "instructor · bearer", "student2 · bearer", "student · bearer",
                                    "admin · bearer", "instructor2 · bearer", "instructor2 · cookie without csrf"])


def test_a_students_own_rows_belong_to_the_enrolled_student(matrix):
    ids = persona_ids()
    progress = matrix[f"PUT /api/v1/student/videos/{ids['video_id']}/progress"]
    assert progress[-2:] == ["student2 · bearer", "student2 · cookie+csrf"]
    assert "instructor2 · bearer" in progress[:-2]  # the course owner is one of the others here
    # another user's auth session: every non-owner tries to delete it; the owner never deletes its own
    assert "student2 · bearer" not in matrix["DELETE /api/v1/auth/sessions/sid-student2"]
    assert "student · bearer" in matrix["DELETE /api/v1/auth/sessions/sid-student2"]


def test_writes_on_the_callers_own_account_are_sent_by_both_transports_as_users_of_their_own(sequence):
    for request in ("POST /api/v1/auth/logout", "PUT /api/v1/user/profile", "DELETE /api/v1/user/profile",
                    "POST /api/v1/auth/sessions/revoke-all"):
        callers = [caller for sent, caller in sequence if sent == request]
        assert callers == ["anonymous", "signed-up user · bearer", "signed-up user · cookie+csrf"], request
    own = [sent for sent, caller in sequence if sent.startswith("DELETE /api/v1/auth/sessions/sid-persona-")]
    assert len(own) == len(set(own)) == 2  # each signed-up user deletes its own session


def test_the_admin_never_writes_and_the_owners_deletions_come_last(matrix, sequence):
    admin_writes = [op for op, calls in matrix.items() if not op.startswith("GET") and op != "POST /api/v1/auth/login"
                    and {"admin · bearer", "admin · cookie+csrf"} & set(calls)]
    assert admin_writes == []
    course = persona_ids()["course_id"]
    owner = [request for request, caller in sequence if caller.startswith("instructor2 · ")]
    assert owner[-2:] == [f"DELETE /api/v1/instructor/courses/{course}"] * 2  # the course goes last
    deleting = [request for request in owner[-12:] if request.startswith("DELETE")]
    assert len(deleting) >= 8  # videos, sections, media, files, then the course: after every other owned write


def _gate(make_legacy, candidate, tmp_path):
    options = GateOptions(sources=("personas",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    run = run_gate({"legacy": make_legacy("legacy"), "legacy-2": make_legacy("legacy-2"), "candidate": candidate},
                   options)
    return run, to_result(run, options)


def test_the_faithful_bundled_pair_passes_and_owners_reach_their_rows(make_legacy, django_candidate, tmp_path):
    run, result = _gate(make_legacy, django_candidate, tmp_path)
    assert blocking(result) == [], [f.message for f in blocking(result)]
    statuses = run.analyzer.statuses["candidate"]
    for op in ("P56 GET /api/v1/media/media/{media_file_id}", "P30 GET /api/v1/instructor/courses/{course_id}",
               "P23 GET /api/v1/student/courses/{course_id}/progress"):
        assert {(op, 200), (op, 403)} <= statuses, op  # served to its owner, refused to the others
    assert ("P55 GET /api/v1/media/upload/progress/{session_key}", 404) in statuses  # someone else's upload


def test_a_dropped_owner_check_on_one_read_fails_at_that_operation_naming_who_was_let_in(make_legacy, tmp_path):
    _, result = _gate(make_legacy, ownership_removed(make_legacy("candidate")), tmp_path)
    (hit,) = [f for f in blocking(result) if f.operation == "P56 GET /api/v1/media/media/{media_file_id}"
              and f.evidence["field"] == "status"]
    assert hit.check == "access_parity"
    assert (hit.evidence["example"]["legacy"], hit.evidence["example"]["candidate"]) == (403, 200)
    assert {"instructor · bearer", "student · bearer"} <= set(hit.evidence["callers"])
    assert "instructor · bearer" in hit.message


def test_a_cookie_write_without_its_csrf_header_is_caught_on_the_owners_own_row(make_legacy, tmp_path):
    candidate = csrf_not_required(make_legacy("candidate"), path_suffix="/publish")
    _, result = _gate(make_legacy, candidate, tmp_path)
    hits = [f for f in blocking(result) if f.operation == "P34 POST /api/v1/instructor/courses/{course_id}/publish"
            and f.evidence["field"] == "status"]
    assert hits and hits[0].evidence["callers"] == {"instructor2 · cookie without csrf": 1}
