"""The real clients' Postman collection, replayed end to end against the legacy app (both engines)."""
from __future__ import annotations

from pathlib import Path

from harness.replay.postman import Reply, WsgiTransport, extract, load_collection
from harness.replay.unpuzzle_flow import UnpuzzleReplay
from harness.seed import accounts

COLLECTION = Path(__file__).resolve().parents[3].parent / "shared" / "legacy-api" / "unpuzzle-postman-collection.json"


def test_collection_has_the_61_documented_requests_in_order():
    reqs = load_collection(COLLECTION)
    assert len(reqs) == 61
    assert (reqs[0].rid, reqs[0].method, reqs[0].url) == ("P1", "POST", "{{base_url}}/api/v1/auth/signup")
    assert (reqs[51].rid, reqs[51].url) == ("P52", "{{base_url}}/health")
    assert (reqs[60].rid, reqs[60].url) == ("P61", "{{base_url}}/api/v1/media/user/storage-usage")


def test_script_extraction_reads_body_paths_and_cookies():
    login = load_collection(COLLECTION)[1]
    reply = Reply(200, [("Set-Cookie", "access_token=AAA; Path=/; HttpOnly"),
                        ("Set-Cookie", "refresh_token=RRR; Path=/; HttpOnly")],
                  b'{"data": {"user": {"id": "u1"}, "csrf_token": "c1", "session_id": "s1"}}')
    assert extract(login, reply) == {"user_id": "u1", "csrf_token": "c1", "session_id": "s1",
                                     "access_token": "AAA", "refresh_token": "RRR"}
    assert extract(login, Reply(401, [], b'{"data": {"csrf_token": "x"}}')) == {}


def test_every_collection_request_gets_its_documented_status(app):
    replay = UnpuzzleReplay(WsgiTransport(app), COLLECTION, admin=(accounts.ADMIN.email, accounts.ADMIN.password))
    report = replay.run()
    played = {s.rid for s in report.collection_steps}
    assert played == {f"P{i}" for i in range(1, 62)}, "every collection request is played"
    assert not report.failures, report.summary()
