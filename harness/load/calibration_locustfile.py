"""The calibration user: the same concurrency and think times as the profile, against the trivial endpoint
(trivial.py), named `calibration`. Loaded by locust only (runner.py), never by the harness."""
from __future__ import annotations

from locust import FastHttpUser, between, task


class Calibration(FastHttpUser):
    wait_time = between(1, 3)

    @task
    def ping(self) -> None:
        self.client.get("/calibration", name="calibration")
