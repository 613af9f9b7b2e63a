"""harness/contract/noise.py: a candidate difference is reported unless a second legacy instance shows it too."""

from __future__ import annotations

import json

from harness.contract.exchange import Exchange, Reply
from harness.contract.idmap import IdMap
from harness.contract.noise import Analyzer


def reply(body, status=200):
    return Reply(status, [("Content-Type", "application/json")], json.dumps(body).encode())


def feed(analyzer, primary, noise, candidate, n=10, op="P16 GET /api/v1/courses"):
    maps = {"legacy-2": IdMap(), "candidate": IdMap()}
    for i in range(n):
        ex = Exchange(i, op, "test")
        ex.replies = {"legacy": primary(i), "legacy-2": noise(i), "candidate": candidate(i)}
        analyzer(ex, maps)


def reported(analyzer):
    return {(v.operation, v.field) for v in analyzer.verdicts() if analyzer.reported(v)}


def test_a_field_that_varies_on_both_pairs_is_noise():
    a = Analyzer("legacy", "candidate", "legacy-2")
    feed(a, lambda i: reply({"at": f"t{i}"}), lambda i: reply({"at": f"u{i}"}), lambda i: reply({"at": f"v{i}"}))
    assert reported(a) == set()
    assert a.verdicts()[0].raw == 10 and a.verdicts()[0].noise == 10


def test_a_field_only_the_candidate_changes_is_reported():
    a = Analyzer("legacy", "candidate", "legacy-2")
    feed(a, lambda i: reply({"count": 1}), lambda i: reply({"count": 1}), lambda i: reply({"count": "1"}))
    assert reported(a) == {("P16 GET /api/v1/courses", "body.count")}


def test_thresholds_let_a_rarely_noisier_candidate_pass():
    a = Analyzer("legacy", "candidate", "legacy-2", relative=50.0, absolute=20.0)
    # candidate differs 6/10, noise 5/10: 10 % absolute, 17 % relative -> below both thresholds
    feed(
        a,
        lambda i: reply({"x": 0}),
        lambda i: reply({"x": 1 if i < 5 else 0}),
        lambda i: reply({"x": 1 if i < 6 else 0}),
    )
    assert reported(a) == set()
    strict = Analyzer("legacy", "candidate", "legacy-2", relative=1.0, absolute=1.0)
    feed(
        strict,
        lambda i: reply({"x": 0}),
        lambda i: reply({"x": 1 if i < 5 else 0}),
        lambda i: reply({"x": 1 if i < 6 else 0}),
    )
    assert reported(strict) == {("P16 GET /api/v1/courses", "body.x")}


def test_without_a_noise_side_every_difference_is_reported():
    a = Analyzer("legacy", "candidate", None)
    feed(a, lambda i: reply({"x": 0}), lambda i: reply({"x": 0}), lambda i: reply({"x": 1}, 201))
    assert reported(a) == {("P16 GET /api/v1/courses", "status"), ("P16 GET /api/v1/courses", "body.x")}
