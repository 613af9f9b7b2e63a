"""The traffic the passive rules read: every request named by its documented operation, the real client's
collection replayed and each documented GET crawled as each role; and the patient client that waits out a rate
limit the side names (and only one it names)."""
from __future__ import annotations

from harness.api_doc import routes
from harness.core import paths
from harness.http import Reply, Sent
from harness.security.crawl import Operations, Recorder, crawl
from harness.security.model import MAX_WAIT_S, retry_after
from harness.security.sides import Patient
from harness.seed import accounts


def test_requests_are_named_by_their_documented_operation_literal_segments_first():
    ops = Operations.from_routes(routes())
    assert ops.name("GET", "/api/v1/courses/recommended") == "GET /api/v1/courses/recommended"
    assert ops.name("get", "/api/v1/courses/1b2c/reviews?page=2") == "GET /api/v1/courses/{course_id}/reviews"
    assert ops.name("DELETE", "/api/v1/nowhere") == "DELETE /api/v1/nowhere"


def test_the_crawl_reaches_every_documented_get_and_most_operations_on_the_candidate(make_candidate):
    recorder = Recorder("candidate", "https://127.0.0.1:8443", make_candidate())
    summary = crawl(recorder, paths.POSTMAN, admin=(accounts.ADMIN.email, accounts.ADMIN.password),
                    accounts=[(accounts.STUDENT.email, accounts.STUDENT.password)])
    assert summary.replay_failures == [], summary.replay_failures
    named = {exchange.operation for exchange in recorder.exchanges}
    documented = {f"{route.method} {route.path}" for route in routes()}
    gets = {name for name in documented if name.startswith("GET ")}
    assert gets <= named, sorted(gets - named)
    assert len(named & documented) >= 60, sorted(documented - named)
    assert all(exchange.url.startswith("https://127.0.0.1:8443/") for exchange in recorder.exchanges)
    assert summary.crawled >= 2 * len(gets) - 5  # anonymous and as the student


class _Stub:
    def __init__(self, replies: list[Reply]) -> None:
        self.replies, self.sent = replies, 0

    def __call__(self, sent: Sent) -> Reply:
        self.sent += 1
        return self.replies.pop(0)


class _Run:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def progress(self, line: str) -> None:
        self.lines.append(line)


def test_a_patient_client_waits_out_the_window_the_side_names_then_sends_again():
    stub, slept = _Stub([Reply(429, [("Retry-After", "7")], b""), Reply(200, [], b"ok")]), []
    reply = Patient(stub, _Run(), "legacy", sleep=slept.append)(Sent("POST", "/api/v1/auth/login", []))
    assert reply.status == 200 and stub.sent == 2 and slept == [7.0]


def test_a_patient_client_gives_up_on_a_429_that_names_no_window_or_too_long_a_one():
    for headers in ([], [("Retry-After", str(int(MAX_WAIT_S) + 100))], [("Retry-After", "soon")]):
        stub, slept = _Stub([Reply(429, headers, b"")]), []
        assert Patient(stub, _Run(), "legacy", sleep=slept.append)(Sent("GET", "/", [])).status == 429
        assert stub.sent == 1 and slept == []


def test_the_reset_header_is_read_as_epoch_seconds():
    assert retry_after(Reply(429, [("X-RateLimit-Reset", "1030")], b""), now=1000.0) == 31.0
    assert retry_after(Reply(429, [("X-RateLimit-Reset", "999")], b""), now=1000.0) == 1.0
