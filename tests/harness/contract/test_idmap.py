"""harness/contract/idmap.py: ids a side minted are translated both ways, ids inside text included."""

from __future__ import annotations

import json

from harness.contract.exchange import Reply, Sent
from harness.contract.idmap import IdMap

A, B = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def reply(body, headers=()):
    return Reply(201, [("Content-Type", "application/json"), *headers], json.dumps(body).encode())


def test_an_id_minted_by_each_side_is_mapped_for_later_requests_and_back_for_comparison():
    m = IdMap()
    m.learn_replies(reply({"data": {"id": A}}), reply({"data": {"id": B}}))
    sent = m.translate(
        Sent("PUT", f"/api/v1/instructor/courses/{A}?x={A}", [("X-Ref", A)], json.dumps({"id": A}).encode())
    )
    assert B in sent.path and A not in sent.path and sent.headers == [("X-Ref", B)] and B.encode() in sent.body
    back = m.untranslate(reply({"data": {"id": B}}))
    assert back.json == {"data": {"id": A}}


def test_ids_inside_text_and_cookies_are_learned():
    m = IdMap()
    m.learn_replies(
        reply({"file": f"{A}_video.mp4"}, [("Set-Cookie", "refresh_token=aaaaaaaaaa.bbbbbbbbbb.cccccccccc; Path=/")]),
        reply({"file": f"{B}_video.mp4"}, [("Set-Cookie", "refresh_token=dddddddddd.eeeeeeeeee.ffffffffff; Path=/")]),
    )
    assert m.forward == {A: B, "aaaaaaaaaa.bbbbbbbbbb.cccccccccc": "dddddddddd.eeeeeeeeee.ffffffffff"}


def test_plain_values_and_equal_ids_are_not_mapped():
    m = IdMap()
    m.learn_replies(reply({"title": "x", "id": A, "n": 1}), reply({"title": "y", "id": A, "n": 2}))
    assert len(m) == 0


def test_binary_bodies_keep_their_bytes():
    m = IdMap()
    m.learn(A, B)
    body = b"\xff\xd8" + A.encode() + b"\x00\x80"
    assert m.translate(Sent("POST", "/u", [], body)).body == b"\xff\xd8" + B.encode() + b"\x00\x80"
