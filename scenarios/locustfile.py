"""The user classes of the load area: who uses Unpuzzle, how often, and how fast (scenarios/README.md).

    locust -f scenarios/locustfile.py --host http://127.0.0.1:5000        (against `harness serve legacy`)

Each simulated user repeats sessions of its kind (scenarios/journeys/): a session is one visit, from landing (or
login) to leaving (or logout), with a person's think time between two actions and a video player's ~10 s progress
interval while watching. Every request is named by its contract operation (scenarios/operations.py).

The traffic mix, by class weight: an online-course marketplace is mostly browsed. Most visits come from people
who are not logged in: search, landing pages, course pages and reviews (visitors 60). The traffic of those who
are logged in is dominated by learners watching videos, whose players report progress every few seconds, so
students make up most of the rest (35). Authors are a small minority of users and edit rarely (instructors 5).
"""
from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root: scenarios.*, harness.seed

from scenarios.api import Api, JourneyAborted  # noqa: E402
from scenarios.journeys.catalogue import CatalogueVisit  # noqa: E402
from scenarios.journeys.instructor import AuthoringSession  # noqa: E402
from scenarios.journeys.student import StudentSession  # noqa: E402
from scenarios.pool import AccountPool, Lease, load_accounts  # noqa: E402
from scenarios.think import between, heartbeat_interval  # noqa: E402

log = logging.getLogger("scenarios")
ACCOUNTS = load_accounts()  # read at import: a wrong HARNESS_LOAD_ACCOUNTS stops locust before any user starts
POOLS: dict[str, AccountPool] = {}


def _pool(user: FastHttpUser, role: str) -> AccountPool:
    """The role's accounts for this process, made when its first user starts: by then a worker knows its index
    (the master sends it before any user), and forked workers (--processes N) inherit N as the worker count."""
    if role not in POOLS:
        runner = user.environment.runner
        index = max(int(getattr(runner, "worker_index", 0) or 0), 0)
        options = user.environment.parsed_options
        count = int(os.environ.get("HARNESS_LOAD_WORKERS") or getattr(options, "processes", 0) or 1)
        POOLS[role] = AccountPool(ACCOUNTS[role], worker_index=index, worker_count=max(count, 1))
    return POOLS[role]


class SessionUser(FastHttpUser):
    """A user that logs in as its own account, repeats sessions, and ends each one logged out."""

    abstract = True
    role = ""
    lease: Lease | None = None

    def on_start(self) -> None:
        self.lease = _pool(self, self.role).lease()

    def on_stop(self) -> None:
        if self.lease is not None:
            self.lease.release()
            self.lease = None

    def think(self) -> None:
        self.wait()  # the class's wait_time; ends the session at once when locust is stopping the user

    def session(self, journey_class: type) -> None:
        assert self.lease is not None
        api = Api(self.client)
        try:
            api.login(self.lease.account.email, self.lease.account.password)
            self.think()
            journey_class(api, self.think, exclusive=not self.lease.shared, **self.journey_options()).run()
            self.think()
            api.logout()
        except JourneyAborted as exc:  # already counted as a failed request; the next session starts afresh
            log.debug("%s session of %s ended early: %s", self.role, self.lease.account.email, exc)
            self.leave(api)

    def leave(self, api: Api) -> None:
        """Log out after a failed step, so that failures do not leave active sessions behind."""
        try:
            if api.logged_in:
                api.logout()
        except JourneyAborted:
            pass
        self.client.cookiejar.clear()

    def journey_options(self) -> dict[str, Any]:
        return {}


class CatalogueVisitor(FastHttpUser):
    """Anonymous: browses, searches, filters and pages the catalogue, opens courses, reads reviews."""

    weight = 60
    wait_time = between(3, 8)  # reading a list of cards or a course page

    @task
    def visit(self) -> None:
        try:
            CatalogueVisit(Api(self.client), self.wait).run()
        except JourneyAborted as exc:
            log.debug("catalogue visit ended early: %s", exc)


class Student(SessionUser):
    """Logged in: my courses, recommendations, enrolment, videos with progress heartbeats, quizzes, the AI tutor,
    completion, a review now and then, token refresh, logout."""

    weight = 35
    role = "students"
    wait_time = between(2, 6)  # between two clicks in the player and the course pages

    def journey_options(self) -> dict[str, Any]:
        return {"heartbeat": self.player_interval}

    @staticmethod
    def player_interval() -> None:
        time.sleep(heartbeat_interval())  # cooperative: locust runs with gevent's monkey-patching

    @task
    def study(self) -> None:
        self.session(StudentSession)


class Instructor(SessionUser):
    """Logged in as an author: own courses, then a course built, uploaded to, published and deleted again."""

    weight = 5
    role = "instructors"
    wait_time = between(5, 15)  # filling in a form, choosing a file

    @task
    def author(self) -> None:
        self.session(AuthoringSession)
