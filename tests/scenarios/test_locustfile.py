"""The load scenarios (scenarios/): every request they can send is a contract operation, accounts are spread over
users and workers as documented, and a real locust run against each app, served seeded on SQLite, exercises every
user class without a single failed request.

locust is only ever run as a subprocess: importing it here would let gevent monkey-patch the test process.
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness.seed import accounts
from scenarios import operations
from scenarios.pool import Account, AccountFileError, AccountPool, load_accounts, parse_accounts
from scenarios.think import between, think_scale
from tests.apps import build_app, close_app
from tests.conftest import seeded_database
from tests.support.servers import serve_wsgi

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
LOCUSTFILE = SCENARIOS / "locustfile.py"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
REQUEST_NAME = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /")
APPS = ("flask", "django")
RUN_SECONDS = 12
#: harness.example.toml's test settings for both targets (besides the database and the upload folder).
APP_SETTINGS = {"RATELIMIT_ENABLED": False, "REDIS_URL": None, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000"}
#: One operation only each class sends, so the merged statistics still show that every class was active.
SIGNATURE = {
    "CatalogueVisitor": operations.COURSE_REVIEWS.name,
    "Student": operations.HEARTBEAT.name,
    "Instructor": operations.CREATE_COURSE.name,
}


def contract_operations() -> set[str]:
    spec = yaml.safe_load((ROOT / "contracts" / "openapi.yaml").read_text(encoding="utf-8"))
    return {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item
            if method in HTTP_METHODS}


CONTRACT = contract_operations()


# -- names ----------------------------------------------------------------------------------------------------------
def test_every_operation_the_journeys_can_send_is_an_operation_of_the_contract():
    names = [op.name for op in operations.ALL]
    assert len(names) > 30 and len(set(names)) == len(names)
    assert sorted(set(names) - CONTRACT) == []


def request_names_in_source(path: Path) -> tuple[set[str], list[str]]:
    """The "METHOD /path" strings written in a module, and the `name=` arguments that are not `<op>.name`."""
    found: set[str] = set()
    loose: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and REQUEST_NAME.match(node.value):
            found.add(node.value)
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "name" and not (isinstance(keyword.value, ast.Attribute)
                                                  and keyword.value.attr == "name"):
                    loose.append(f"{path.name}:{node.lineno}")
    return found, loose


def test_no_scenario_module_names_a_request_any_other_way():
    modules = sorted(SCENARIOS.rglob("*.py"))
    assert LOCUSTFILE in modules
    names, loose = set(), []
    for module in modules:
        found, unnamed = request_names_in_source(module)
        names |= found
        loose += unnamed
    assert sorted(names - CONTRACT) == [] and loose == []


def test_the_source_check_sees_a_request_named_outside_the_operations(tmp_path):
    stray = tmp_path / "stray.py"
    stray.write_text('client.get("/api/v1/courses/1", name="GET /api/v1/courses/1")\n')
    found, loose = request_names_in_source(stray)
    assert found == {"GET /api/v1/courses/1"} and found - CONTRACT and loose == ["stray.py:1"]


# -- accounts and think times ---------------------------------------------------------------------------------------
def test_without_an_accounts_file_users_log_in_as_the_documented_and_small_scale_accounts():
    found = load_accounts({})
    emails = [a.email for a in found["students"]]
    assert emails[:2] == [accounts.STUDENT.email, accounts.STUDENT2.email]
    assert "student3@seed.unpuzzle.test" in emails and Account("student6@seed.unpuzzle.test", "Password123!") \
        in found["students"]
    assert [a.email for a in found["instructors"]] == [accounts.INSTRUCTOR.email, accounts.INSTRUCTOR2.email]


def test_an_accounts_file_mixes_shared_and_own_passwords(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps({"password": "Password123!",
                                "students": ["s1@x.test", {"email": "student@unpuzzle.test", "password": "Student1!"}],
                                "instructors": [{"email": "i1@x.test"}]}))
    found = load_accounts({"HARNESS_LOAD_ACCOUNTS": str(path)})
    assert found["students"] == [Account("s1@x.test", "Password123!"), Account("student@unpuzzle.test", "Student1!")]
    assert found["instructors"] == [Account("i1@x.test", "Password123!")]


@pytest.mark.parametrize("document", [{"students": ["s1@x.test"], "instructors": []},
                                      {"students": [{"password": "p"}]}, {"students": "s1@x.test"}])
def test_a_malformed_accounts_document_is_refused(document):
    with pytest.raises(AccountFileError):
        parse_accounts(document)


def test_workers_start_on_different_accounts_and_never_share_one():
    pool = [Account(f"s{n}@x.test", "p") for n in range(10)]
    workers = [AccountPool(pool, worker_index=w, worker_count=3) for w in range(3)]
    leases = [[worker.lease().account.email for _ in range(3)] for worker in workers]
    assert len({taken[0] for taken in leases}) == 3
    assert len({email for taken in leases for email in taken}) == 9


def test_a_user_learns_that_its_account_is_shared_once_a_worker_has_more_users_than_accounts():
    pool = AccountPool([Account("a@x.test", "p"), Account("b@x.test", "p")])
    first, second = pool.lease(), pool.lease()
    assert not first.shared and not second.shared
    third = pool.lease()
    assert third.account == first.account and first.shared and third.shared
    third.release()
    assert not first.shared


def test_think_times_are_jittered_and_scaled():
    draws = [between(3, 8, scale=1.0)() for _ in range(200)]
    assert all(3 <= d <= 8 for d in draws) and len(set(draws)) > 150
    assert all(0.3 <= d <= 0.8 for d in (between(3, 8, scale=0.1)() for _ in range(50)))
    assert think_scale({}) == 1.0 and think_scale({"HARNESS_LOAD_THINK_SCALE": "0.05"}) == 0.05
    with pytest.raises(ValueError):
        think_scale({"HARNESS_LOAD_THINK_SCALE": "-1"})


# -- a real run against each app ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Run:
    returncode: int
    stats: list[dict]
    log: str

    @property
    def requests(self) -> dict[str, int]:
        return {entry["name"]: entry["num_requests"] for entry in self.stats}

    @property
    def failures(self) -> dict[str, int]:
        return {entry["name"]: entry["num_failures"] for entry in self.stats if entry["num_failures"]}


def run_locust(url: str, out: Path) -> Run:
    env = {**os.environ, "HARNESS_LOAD_THINK_SCALE": "0.05"}  # whole journeys, seconds apart, in a short run
    env.pop("HARNESS_LOAD_ACCOUNTS", None)
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", "12", "-r", "12",
         "-t", f"{RUN_SECONDS}s", "--host", url, "--json-file", str(out), "--csv", str(out), "--only-summary"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_SECONDS + 30)
    stats_file, failures_file = out.with_suffix(".json"), out.with_name(out.name + "_failures.csv")
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else []
    failures = failures_file.read_text() if failures_file.exists() else ""
    return Run(done.returncode, stats, failures + done.stderr[-6000:])


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory) -> dict[str, Run]:
    """Both apps served seeded on SQLite (the test settings of harness.example.toml), with locust run against
    both at once so the module stays well under a minute."""
    with ExitStack() as stack:
        urls = {}
        for kind in APPS:
            folder = tmp_path_factory.mktemp(kind)
            db_url = stack.enter_context(seeded_database(request, "sqlite", folder))
            app = build_app(kind, {"DATABASE_URL": db_url, "UPLOAD_ROOT": str(folder / "uploads"), **APP_SETTINGS})
            stack.callback(close_app, app)
            urls[kind] = stack.enter_context(serve_wsgi(app.wsgi if kind == "django" else app))
        with ThreadPoolExecutor(len(APPS)) as executor:
            futures = {kind: executor.submit(run_locust, url, tmp_path_factory.mktemp("locust") / kind)
                       for kind, url in urls.items()}
            return {kind: future.result() for kind, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["flask", "django"])
def test_a_short_run_exercises_every_user_class_without_a_failed_request(runs, kind):
    run = runs[kind]
    assert run.stats, run.log
    assert run.failures == {}, run.log
    assert run.returncode == 0, run.log  # locust's own verdict: no failure and no exception in a journey
    assert "Traceback" not in run.log
    idle = [cls for cls, name in SIGNATURE.items() if not run.requests.get(name)]
    assert idle == [], f"user classes that sent nothing of their own: {idle}"
    assert sum(run.requests.values()) > 150
    assert len(run.requests) >= 20  # most of the journeys' operations were reached, not just their first steps


@pytest.mark.slow
@pytest.mark.parametrize("kind", APPS)
def test_every_request_of_a_run_is_named_by_a_contract_operation(runs, kind):
    stats = runs[kind].stats
    assert all(entry["name"].startswith(entry["method"] + " ") for entry in stats)  # the name is what was sent
    names = {entry["name"] for entry in stats}
    assert len(names) >= 10 and sorted(names - CONTRACT) == []
