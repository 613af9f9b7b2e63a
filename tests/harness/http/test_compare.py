"""harness/http/compare.py: each kind of difference a client could notice is named at its field."""

from __future__ import annotations

import json

import pytest

from harness.contract.exchange import Reply
from harness.http.compare import compare, general


def reply(body, status=200, headers=()):
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    return Reply(status, [("Content-Type", "application/json"), *headers], raw)


BASE = {
    "ok": True,
    "data": {
        "user": {"email": "a@b.c", "roles": [{"name": "student"}]},
        "courses": [{"id": "1"}, {"id": "2"}],
        "count": 2,
    },
}


def test_identical_replies_have_no_difference():
    assert compare(reply(BASE), reply(json.loads(json.dumps(BASE)))) == {}


@pytest.mark.parametrize(
    "mutate, field, kind",
    [
        (
            lambda b: b["data"]["user"].update(emailAddress=b["data"]["user"].pop("email")),
            "body.data.user.email",
            "missing",
        ),
        (lambda b: b["data"]["user"].update(extra=1), "body.data.user.extra", "extra"),
        (lambda b: b["data"].update(count="2"), "body.data.count", "type"),
        (lambda b: b["data"].update(count=3), "body.data.count", "value"),
        (lambda b: b["data"]["courses"].reverse(), "body.data.courses", "ordering"),
        (lambda b: b["data"]["courses"].pop(), "body.data.courses", "members"),
        (lambda b: b["data"]["user"]["roles"].append({"name": "admin"}), "body.data.user.roles[1]", "extra"),
    ],
)
def test_each_kind_of_body_change_is_named_at_its_field(mutate, field, kind):
    other = json.loads(json.dumps(BASE))
    mutate(other)
    diffs = compare(reply(BASE), reply(other))
    assert field in diffs and diffs[field].kind == kind, diffs


def _courses(n: int, updated: str = "2026-01-01T00:00:00Z") -> list[dict]:
    return [{"id": f"c{i}", "title": f"Course {i}", "rating": 4.5, "updatedAt": updated, "tags": [f"t{i}"]}
            for i in range(n)]


def test_a_list_of_resources_in_another_order_is_one_ordering_difference_whatever_else_differs():
    # ties ordered the other way round, and one field of one resource changed on top: one `ordering` at the list
    # and the changed field at its own resource's path (not one difference per field of every misplaced entry)
    legacy = {"data": {"courses": _courses(8)}}
    candidate = {"data": {"courses": list(reversed(_courses(8)))}}
    candidate["data"]["courses"][0]["title"] = "Renamed"  # the resource c7
    diffs = compare(reply(legacy), reply(candidate))
    assert diffs["body.data.courses"].kind == "ordering"
    assert set(diffs) == {"body.data.courses", "body.data.courses[7].title"}, sorted(diffs)
    assert diffs["body.data.courses[7].title"].other == "Renamed"


def test_a_page_holding_other_resources_is_one_members_difference_naming_them():
    legacy = {"data": {"courses": _courses(5)}}
    candidate = {"data": {"courses": _courses(4) + [{**_courses(6)[5]}]}}
    diffs = compare(reply(legacy), reply(candidate))
    assert set(diffs) == {"body.data.courses"}, sorted(diffs)
    assert diffs["body.data.courses"].kind == "members"
    assert (diffs["body.data.courses"].primary, diffs["body.data.courses"].other) == (["c4"], ["c5"])


def test_lists_of_resources_that_agree_compare_position_by_position():
    same = {"data": {"courses": _courses(3)}}
    changed = {"data": {"courses": _courses(3, updated="2026-05-01T00:00:00Z")}}
    diffs = compare(reply(same), reply(changed))
    assert set(diffs) == {f"body.data.courses[{i}].updatedAt" for i in range(3)}


def test_status_and_headers_are_compared():
    a = reply(BASE, 201, [("X-Total-Count", "5"), ("Allow", "GET, HEAD, OPTIONS")])
    b = reply(BASE, 200, [("Allow", "OPTIONS, GET, HEAD")])  # same methods, other order: no difference
    diffs = compare(a, b)
    assert diffs["status"].kind == "status"
    assert diffs["header:x-total-count"].kind == "missing"
    assert "header:allow" not in diffs


def test_a_changed_cookie_attribute_is_its_own_field():
    a = reply(BASE, headers=[("Set-Cookie", "access_token=x; Max-Age=3600; HttpOnly; Path=/; SameSite=Lax")])
    b = reply(BASE, headers=[("Set-Cookie", "access_token=x; Max-Age=3600; Path=/; SameSite=Lax")])
    diffs = compare(a, b)
    assert set(diffs) == {"cookie:access_token.httponly"}


def test_a_non_json_body_against_a_json_one_is_a_type_change():
    a = Reply(200, [("Content-Type", "video/mp4")], b"\x00\x01")
    b = reply({"ok": False}, 404)
    assert compare(a, b)["body"].kind == "type"


def test_list_indices_are_generalised_for_counting():
    assert general("body.data.courses[12].tags[0]") == "body.data.courses[*].tags[*]"


@pytest.mark.parametrize("a, b", [(1, True), (1, 1.0), (0, False)])
def test_numbers_and_booleans_that_python_calls_equal_are_still_a_type_change(a, b):
    assert compare(reply({"x": a}), reply({"x": b}))["body.x"].kind == "type"


def test_spacing_and_key_order_are_not_differences():
    a = Reply(200, [("Content-Type", "application/json")], b'{"a": 1, "b": [1, 2]}')
    b = Reply(200, [("Content-Type", "application/json")], b'{"b":[1,2],"a":1}\n')
    assert compare(a, b) == {}


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("2026-11-26T10:45:01.123456Z", "2026-11-26T10:45:03.000001Z", True),  # stamped a moment apart
        ("20261126T104559Z", "20261126T104600Z", True),  # AWS basic format across a second
        ("2026-11-26T10:45:21.984466Z", "2026-11-26T10:45:22Z", True),  # a zero fraction is left out, not a format
        ("2026-11-26T10:45:21.984466Z", "2026-11-26T10:45:22", False),  # but a zone dropped is one
        ("2026-11-26T10:45:01Z", "2026-11-26T11:45:01Z", False),  # an hour: a real change
        ("2026-11-26T10:45:01Z", "2026-11-26T10:45:01+00:00", False),  # another format: a client may notice
        ("2026-11-26", "2026-11-27", False),  # dates are values
    ],
)
def test_timestamps_a_moment_apart_are_the_same_moment(a, b, same):
    assert ("body.at" not in compare(reply({"at": a}), reply({"at": b}))) is same
