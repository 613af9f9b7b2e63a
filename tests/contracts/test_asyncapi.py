"""contracts/asyncapi.yaml, the AsyncAPI 3.0.0 contract of the Socket.IO channel (API.md §4).

1. The document is valid against the official AsyncAPI 3.0.0 JSON Schema (npm `@asyncapi/specs`, fetched and
   cached by harness.contract.asyncapi), and the validator rejects broken copies.
2. It matches the app's code both ways: the events legacy_flask handles and emits (read from the source by AST),
   and the REST routes that emit each event (AST of the resources + the app's URL map + API.md's route table).
3. A live run conforms: every declared trigger of every server event, fired for real, reaches exactly the
   clients of the declared rooms, and every payload sent or received validates against the contract.
"""

from __future__ import annotations

import ast
import copy
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness import api_doc
from harness.contract import asyncapi

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contracts" / "asyncapi.yaml"
APP_PACKAGE = ROOT / "legacy_flask"
#: .ci/run sets it: there a missing official schema is a failure, locally a skip.
REQUIRED = os.environ.get("HARNESS_REQUIRE_POSTGRES", "") == "1"

DOCUMENT = asyncapi.load(CONTRACT)


@pytest.fixture(scope="module")
def official_schema() -> dict[str, Any]:
    try:
        return asyncapi.official_schema()
    except asyncapi.SpecsUnavailable as exc:
        if REQUIRED:
            pytest.fail(f"the official AsyncAPI schema is required in CI: {exc}")
        pytest.skip(f"the official AsyncAPI schema is unavailable: {exc}")


@pytest.fixture(scope="module")
def payloads() -> dict[str, Any]:
    return asyncapi.payload_validators(DOCUMENT)


def server_operations() -> dict[str, dict[str, Any]]:
    """Server event name -> its `send` operation."""
    out = {}
    for name, (op_id,) in asyncapi.operation_messages(DOCUMENT, "send").items():
        out[name] = DOCUMENT["operations"][op_id]
    return out


def trigger_key(trigger: dict[str, Any]) -> str:
    return f"route:{trigger['route']}" if "route" in trigger else f"client_event:{trigger['client_event']}"


# --- 1. the official schema --------------------------------------------------------------------------------


def test_the_contract_is_valid_asyncapi_3(official_schema):
    assert [str(p) for p in asyncapi.validate(DOCUMENT, official_schema)] == []


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        *parents, last = path.strip("/").split("/")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


_DELETE = object()


@pytest.mark.parametrize(
    "mutate, rule, where",
    [
        pytest.param(_set("/asyncapi", "2.6.0"), "schema", "/asyncapi", id="asyncapi-2-version"),
        pytest.param(_set("/info/title", _DELETE), "schema", "/info", id="info-without-title"),
        pytest.param(
            _set("/servers/legacy/protocol", _DELETE), "schema", "/servers/legacy", id="server-without-protocol"
        ),
        pytest.param(
            _set("/operations/send_error/action", "publish"),
            "schema",
            "/operations/send_error/action",
            id="asyncapi-2-action",
        ),
        pytest.param(
            _set("/components/messages/error/messageId", "error"),
            "schema",
            "/components/messages/error",
            id="message-unknown-field",
        ),
        pytest.param(
            _set("/components/messages/error/payload/type", "objekt"),
            "schema",
            "/components/messages/error/payload/type",
            id="payload-bad-type",
        ),
        pytest.param(
            _set("/channels/connection/bindings/ws/method", "PUT"),
            "schema",
            "/channels/connection/bindings/ws/method",
            id="ws-binding-method",
        ),
        pytest.param(
            _set("/channels/courseRoom/messages/new_review/$ref", "#/components/messages/nope"),
            "reference",
            "/channels/courseRoom/messages/new_review/$ref",
            id="dangling-ref",
        ),
        pytest.param(
            _set("/operations/send_error/messages/0/$ref", "#/channels/courseRoom/messages/new_review"),
            "operation-messages",
            "/operations/send_error/messages/0",
            id="message-of-another-channel",
        ),
        pytest.param(
            _set("/channels/courseRoom/address", "course_{id}"),
            "channel-parameters",
            "/channels/courseRoom/address",
            id="address-parameter-undeclared",
        ),
    ],
)
def test_the_validator_rejects_a_broken_copy(official_schema, mutate, rule, where):
    broken = copy.deepcopy(DOCUMENT)
    mutate(broken)
    problems = asyncapi.validate(broken, official_schema)
    assert any(p.rule == rule and p.where == where for p in problems), [str(p) for p in problems]


# --- the contract's own conventions ---------------------------------------------------------------------------


def test_every_payload_is_closed_and_server_payloads_require_every_key(payloads):
    server = set(server_operations())
    for name, message in asyncapi.messages(DOCUMENT).items():
        payload = asyncapi.resolve(DOCUMENT, f"#/components/messages/{message['x-component']}/payload")
        assert payload.get("additionalProperties") is False, name
        properties, required = set(payload["properties"]), set(payload.get("required", ()))
        assert required <= properties, name
        if name in server:
            assert required == properties, f"{name}: the server always sends every key"
        for example in message.get("examples", ()):
            errors = [e.message for e in payloads[name].iter_errors(example["payload"])]
            assert errors == [], f"example of {name}: {errors}"


def test_every_server_event_says_who_gets_it_and_what_triggers_it():
    addresses = {c["address"] for c in DOCUMENT["channels"].values() if c.get("address")}
    for name, operation in server_operations().items():
        spec = operation.get("x-socketio") or {}
        channel = asyncapi.resolve(DOCUMENT, operation["channel"]["$ref"])
        assert spec.get("triggers"), name
        if spec.get("to") == "sender":
            assert channel["address"] is None, f"{name}: sender-only events travel on the connection"
        else:
            assert spec["to"] and set(spec["to"]) <= addresses, name
            assert channel["address"] in spec["to"], f"{name}: its channel is one of its rooms"


def test_route_triggers_name_the_documented_routes():
    documented = {r.rid: r for r in api_doc.routes()}
    for name, operation in server_operations().items():
        for trigger in operation["x-socketio"]["triggers"]:
            if "route" in trigger:
                route = documented[trigger["route"]]
                assert (trigger["method"], trigger["path"]) == (route.method, route.path), (name, trigger)


# --- 2. the contract against the app's code ------------------------------------------------------------------


@dataclass
class Function:
    """What one function of the app does with Socket.IO, read from its source."""

    emits: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)


def _modules() -> dict[str, ast.Module]:
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(APP_PACKAGE.rglob("*.py"))
    }


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_emit(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "emit") or (
        isinstance(func, ast.Attribute) and func.attr == "emit"
    )


def _scan(func: ast.AST) -> Function:
    out = Function()
    for node in ast.walk(func):
        if isinstance(node, ast.Call):
            if _is_emit(node) and node.args and _literal(node.args[0]):
                out.emits.add(_literal(node.args[0]))
            elif isinstance(node.func, ast.Name):
                out.calls.add(node.func.id)
    return out


def _non_literal_emits(module: ast.Module) -> list[ast.Call]:
    """Emits whose event name is not a literal, except a forwarding wrapper `def emit(event, ...)`."""
    allowed = set()
    for func in ast.walk(module):
        if isinstance(func, ast.FunctionDef) and func.name == "emit":
            params = {a.arg for a in func.args.args}
            allowed |= {
                id(c)
                for c in ast.walk(func)
                if isinstance(c, ast.Call)
                and _is_emit(c)
                and c.args
                and isinstance(c.args[0], ast.Name)
                and c.args[0].id in params
            }
    return [
        c
        for c in ast.walk(module)
        if isinstance(c, ast.Call) and _is_emit(c) and id(c) not in allowed and not (c.args and _literal(c.args[0]))
    ]


def _handlers(module: ast.Module) -> dict[str, ast.FunctionDef]:
    """Socket.IO handlers: functions decorated with `<x>.on("name")` or a registering decorator `event("name")`
    (a module-level function or closure whose body calls `.on(...)`)."""
    registrars = {
        f.name
        for f in ast.walk(module)
        if isinstance(f, ast.FunctionDef)
        and any(
            isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "on" for c in ast.walk(f)
        )
    }
    out = {}
    for func in ast.walk(module):
        if not isinstance(func, ast.FunctionDef):
            continue
        for deco in func.decorator_list:
            if not (isinstance(deco, ast.Call) and deco.args and _literal(deco.args[0])):
                continue
            target = deco.func
            if (isinstance(target, ast.Attribute) and target.attr == "on") or (
                isinstance(target, ast.Name) and target.id in registrars
            ):
                out[_literal(deco.args[0])] = func
    return out


def _app_events() -> tuple[set[str], set[str]]:
    handled, emitted = set(), set()
    for name, module in _modules().items():
        assert _non_literal_emits(module) == [], f"{name}: an emit whose event name the AST cannot read"
        handled |= set(_handlers(module))
        emitted |= _scan(module).emits
    return handled, emitted


def test_the_client_events_are_the_ones_the_app_handles():
    handled, _ = _app_events()
    assert set(asyncapi.operation_messages(DOCUMENT, "receive")) == handled


def test_the_server_events_are_the_ones_the_app_emits():
    _, emitted = _app_events()
    assert set(asyncapi.operation_messages(DOCUMENT, "send")) == emitted


def test_each_client_event_triggers_what_its_handler_emits():
    """A handler's own emits are its declared triggers; `error` may also come from the shared wrapper."""
    declared: dict[str, set[str]] = {}
    for name, operation in server_operations().items():
        for trigger in operation["x-socketio"]["triggers"]:
            if "client_event" in trigger:
                declared.setdefault(trigger["client_event"], set()).add(name)
    handlers = {event: func for module in _modules().values() for event, func in _handlers(module).items()}
    for event, func in handlers.items():
        emits = _scan(func).emits
        assert emits <= declared.get(event, set()), event
        assert declared.get(event, set()) - emits <= {"error"}, event


def _events_by_method() -> dict[tuple[str, str, str], set[str]]:
    """(module, class, http method) -> the events a Resource method emits, directly or through the
    module-level helpers it calls."""
    out = {}
    for module_name, module in _modules().items():
        helpers = {f.name: _scan(f) for f in module.body if isinstance(f, ast.FunctionDef)}

        def closure(fn: Function, seen: frozenset[str] = frozenset(), helpers: dict = helpers) -> set[str]:
            events = set(fn.emits)
            for callee in fn.calls - seen:
                if callee in helpers:
                    events |= closure(helpers[callee], seen | {callee}, helpers)
            return events

        for cls in (n for n in module.body if isinstance(n, ast.ClassDef)):
            for method in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                out[(module_name, cls.name, method.name)] = closure(_scan(method))
    return out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_route_triggers_are_the_routes_whose_code_emits(app):
    by_method = _events_by_method()
    documented = {(r.method, r.pattern): r.rid for r in api_doc.routes()}
    from_code: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view_class is None:
            continue
        pattern = re.sub(r"<(?:[^<>:]+:)?[^<>]+>", "{}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            events = next(
                (
                    by_method[key]
                    for cls in view_class.__mro__
                    if (key := (cls.__module__, cls.__name__, method.lower())) in by_method
                ),
                set(),
            )
            for event in events:
                from_code.setdefault(event, set()).add(documented[(method, pattern)])
    declared = {
        name: {t["route"] for t in op["x-socketio"]["triggers"] if "route" in t}
        for name, op in server_operations().items()
    }
    assert {k: v for k, v in declared.items() if v} == from_code


# --- 3. a live run -------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Client:
    name: str
    sio: Any
    rooms: set[str] = field(default_factory=set)

    def events(self) -> list[tuple[str, list[Any]]]:
        # Read the queue directly: get_received() refuses once the server dropped the client, and the
        # expired-token case is exactly that.
        out = [(p["name"], p["args"]) for p in self.sio.queue]
        self.sio.queue.clear()
        return out


class Stage:
    """Three connected clients in known rooms, the REST callers behind them, and every payload seen."""

    def __init__(self, app, payloads, seeded, student, instructor, instructor2) -> None:
        self.app, self.payloads, self.seeded = app, payloads, seeded
        self.student, self.instructor = student, instructor
        self.course = seeded.enrolled_course  # instructor's; student enrolled
        self.open_course = seeded.open_course  # instructor's; published, student not enrolled
        self.draft_course = seeded.draft_course  # instructor's
        self.video = seeded.video_ids(0)[1]  # not a preview
        self.clients: list[Client] = []
        self.owner = self.connect("owner", instructor.access_token)
        self.learner = self.connect("learner", student.access_token)
        self.outsider = self.connect("outsider", instructor2.access_token)
        for course in (self.course, self.open_course, self.draft_course):
            self.send(self.owner, "join_course", {"course_id": course})
            self.owner.rooms |= {f"course_{course}", f"instructor_{course}"}
        self.send(self.learner, "join_course", {"course_id": self.course})
        self.learner.rooms.add(f"course_{self.course}")
        self.send(self.outsider, "join_course", {"course_id": seeded.other_instructor_course})
        self.outsider.rooms |= {
            f"course_{seeded.other_instructor_course}",
            f"instructor_{seeded.other_instructor_course}",
        }
        for client, video in (
            (self.owner, self.video),
            (self.learner, self.video),
            (self.outsider, seeded.video_ids(3)[1]),
        ):
            self.send(client, "join_video", {"video_id": video})
            client.rooms.add(f"video_{video}")
        setup = self.drain()
        assert [name for name, _ in setup[self.learner]].count("joined_course") == 1, setup
        assert all(name != "error" for events in setup.values() for name, _ in events), setup

    def connect(self, name: str, token: str) -> Client:
        from legacy_flask.extensions import socketio

        auth = {"token": token}
        self.check_client_payload("connect", auth, valid=True)
        client = Client(name, socketio.test_client(self.app, auth=auth))
        self.clients.append(client)
        return client

    def send(self, client: Client, event: str, payload: Any, *, valid: bool = True) -> None:
        self.check_client_payload(event, payload, valid)
        client.sio.emit(event, payload)

    def check_client_payload(self, event: str, payload: Any, valid: bool) -> None:
        """What this test sends is what the contract lets a client send (or deliberately not)."""
        errors = list(self.payloads[event].iter_errors(payload))
        assert (not errors) is valid, (event, payload, [e.message for e in errors])

    def drain(self) -> dict[Client, list[tuple[str, Any]]]:
        """Every client's new events, each payload checked against the contract."""
        out = {}
        for client in self.clients:
            out[client] = []
            for name, args in client.events():
                assert name in self.payloads, f"{client.name} got {name!r}, an event the contract does not declare"
                assert len(args) == 1, (name, args)
                errors = [
                    f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in self.payloads[name].iter_errors(args[0])
                ]
                assert errors == [], f"{name} payload {args[0]} breaks the contract: {errors}"
                out[client].append((name, args[0]))
        return out

    def close(self) -> None:
        for client in self.clients:
            if client.sio.is_connected():
                client.sio.disconnect()

    def expired_token(self) -> str:
        from legacy_flask.auth import tokens

        user = self.student.user
        with self.app.app_context():
            token, _ = tokens.issue(
                user["id"],
                self.student.session_id,
                user["email"],
                [r["name"] for r in user["roles"]],
                "access",
                now=datetime.now(UTC) - timedelta(hours=2),
            )
        return token

    def rest(self, caller, method: str, path: str, **kw: Any) -> None:
        resp = caller.request(method, path, **kw)
        assert 200 <= resp.status_code < 300, (method, path, resp.status_code, resp.get_json())

    def video_ids(self) -> list[str]:
        resp = self.instructor.get(f"/api/v1/instructor/courses/{self.course}")
        return [v["id"] for v in resp.get_json()["data"]["videos"]]


@dataclass
class Fired:
    sender: Client | None  # the client whose handshake or event it was; None for a REST write
    course_id: str | None = None
    video_id: str | None = None


def _bad_event(event: str) -> Callable[[Stage], Fired]:
    def fire(s: Stage) -> Fired:
        s.send(s.learner, event, {}, valid=False)
        return Fired(s.learner)

    return fire


def _connect(s: Stage) -> Fired:
    return Fired(s.connect("newcomer", s.student.access_token))


def _connect_expired(s: Stage) -> Fired:
    return Fired(s.connect("newcomer", s.expired_token()))


def _join_course(s: Stage) -> Fired:
    s.send(s.learner, "join_course", {"course_id": s.course})
    return Fired(s.learner, course_id=s.course)


def _join_video(s: Stage) -> Fired:
    s.send(s.learner, "join_video", {"video_id": s.video})  # already a member: the owner hears of it again
    return Fired(s.learner, video_id=s.video)


def _video_progress(s: Stage) -> Fired:
    s.send(
        s.learner, "video_progress", {"video_id": s.video, "course_id": s.course, "progress": 42.5, "timestamp": 120}
    )
    return Fired(s.learner, course_id=s.course, video_id=s.video)


def _chat(s: Stage) -> Fired:
    s.send(
        s.learner,
        "send_chat_message",
        {"video_id": s.video, "message": "What is a closure?", "timestamp": "2025-08-21T18:30:00Z"},
    )
    return Fired(s.learner, video_id=s.video)


def _rest(
    caller: str,
    method: str,
    path: str,
    body: Callable[[Stage], Any] | None = None,
    course: str = "course",
    video: str | None = "video",
) -> Callable[[Stage], Fired]:
    def fire(s: Stage) -> Fired:
        s.rest(
            getattr(s, caller),
            method,
            path.format(
                s=s, quiz=s.seeded.quiz_id(0, 0), first_video=s.seeded.video_ids(0)[0], media=s.seeded.media_ids(0)[1]
            ),
            json=body(s) if body else None,
        )
        return Fired(None, course_id=getattr(s, course), video_id=getattr(s, video) if video else None)

    return fire


#: (server event, trigger) -> how the live run fires it. Keys must be exactly the contract's triggers.
FIRE: dict[tuple[str, str], Callable[[Stage], Fired]] = {
    ("connected", "client_event:connect"): _connect,
    ("error", "client_event:connect"): _connect_expired,
    ("error", "client_event:join_course"): _bad_event("join_course"),
    ("error", "client_event:leave_course"): _bad_event("leave_course"),
    ("error", "client_event:join_video"): _bad_event("join_video"),
    ("error", "client_event:video_progress"): _bad_event("video_progress"),
    ("error", "client_event:send_chat_message"): _bad_event("send_chat_message"),
    ("joined_course", "client_event:join_course"): _join_course,
    ("joined_video", "client_event:join_video"): _join_video,
    ("user_joined_video", "client_event:join_video"): _join_video,
    ("student_progress", "client_event:video_progress"): _video_progress,
    ("new_chat_message", "client_event:send_chat_message"): _chat,
    ("new_enrollment", "route:P21"): _rest(
        "student",
        "POST",
        "/api/v1/student/courses/{s.open_course}/enroll",
        lambda s: {},
        course="open_course",
        video=None,
    ),
    ("progress_update", "route:P25"): _rest(
        "student",
        "PUT",
        "/api/v1/student/videos/{s.video}/progress",
        lambda s: {"watchedSeconds": 30, "lastPosition": 30},
    ),
    ("quiz_submission", "route:P27"): _rest(
        "student", "POST", "/api/v1/student/videos/{first_video}/quiz/{quiz}/answer", lambda s: {"answer": 0}
    ),
    ("new_review", "route:P28"): _rest(
        "student",
        "POST",
        "/api/v1/student/courses/{s.course}/review",
        lambda s: {"rating": 5, "comment": "Clear and well paced."},
    ),
    ("course_updated", "route:P32"): _rest(
        "instructor",
        "PUT",
        "/api/v1/instructor/courses/{s.course}",
        lambda s: {"title": "A renamed course", "price": 12.5},
    ),
    ("course_updated", "route:P34"): _rest(
        "instructor", "POST", "/api/v1/instructor/courses/{s.draft_course}/publish", course="draft_course", video=None
    ),
    ("course_updated", "route:P35"): _rest("instructor", "POST", "/api/v1/instructor/courses/{s.course}/unpublish"),
    ("course_updated", "route:P37"): _rest(
        "instructor",
        "POST",
        "/api/v1/instructor/courses/{s.course}/videos",
        lambda s: {"title": "Extra", "videoUrl": "https://cdn.test/extra.mp4"},
    ),
    ("course_updated", "route:P38"): _rest(
        "instructor", "PUT", "/api/v1/instructor/videos/{s.video}", lambda s: {"title": "A renamed video"}
    ),
    ("course_updated", "route:P39"): _rest("instructor", "DELETE", "/api/v1/instructor/videos/{s.video}"),
    ("course_updated", "route:P40"): _rest(
        "instructor",
        "PUT",
        "/api/v1/instructor/courses/{s.course}/videos/reorder",
        lambda s: {"videoIds": s.video_ids()[::-1]},
    ),
    ("course_updated", "route:P58"): _rest(
        "instructor", "POST", "/api/v1/media/media/{media}/attach-video", lambda s: {"videoId": s.video}
    ),
}

TRIGGERS = [(name, trigger_key(t), t) for name, op in server_operations().items() for t in op["x-socketio"]["triggers"]]


def test_the_live_run_fires_exactly_the_declared_triggers():
    assert set(FIRE) == {(name, key) for name, key, _ in TRIGGERS}


@pytest.fixture
def stage(app, payloads, seeded, student, instructor, instructor2):
    s = Stage(app, payloads, seeded, student, instructor, instructor2)
    yield s
    s.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "event, key",
    [(name, key) for name, key, _ in TRIGGERS],
    ids=[f"{name}-{key.split(':')[1]}" for name, key, _ in TRIGGERS],
)
def test_each_trigger_reaches_exactly_the_declared_recipients_with_a_conforming_payload(stage, event, key):
    if (event, key) not in FIRE:
        pytest.fail(f"the contract declares {key} -> {event}, which this test cannot fire yet")
    spec = server_operations()[event]["x-socketio"]
    fired = FIRE[(event, key)](stage)
    got = stage.drain()
    if spec["to"] == "sender":
        expected = {fired.sender}
    else:
        rooms = {room.format(course_id=fired.course_id, video_id=fired.video_id) for room in spec["to"]}
        expected = {c for c in stage.clients if c.rooms & rooms}
        if fired.sender is not None and not spec.get("include_sender", True):
            expected.discard(fired.sender)
    assert expected, f"{event}: nobody in the declared rooms, the run proves nothing"
    receivers = {client.name: [name for name, _ in events].count(event) for client, events in got.items()}
    assert receivers == {c.name: int(c in expected) for c in stage.clients}, {
        c.name: {"rooms": sorted(c.rooms), "got": [name for name, _ in events]} for c, events in got.items()
    }
