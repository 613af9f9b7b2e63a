"""The `targets` area: both targets started and answer their health check, so `harness verify` works end to end
before any other area exists, and every later failure is known not to be a dead target."""
from __future__ import annotations

import time

from .areas import register_area
from .config import Settings
from .results import AreaResult, Finding, Metric, Severity, gate
from .runs import Run
from .targets import Targets, first_line


@register_area("targets", order=0)
def check_targets(run: Run, settings: Settings, targets: Targets) -> AreaResult:
    metrics: list[Metric] = []
    findings: list[Finding] = []
    for target in targets:
        path = target.settings.health_path
        clock = time.perf_counter()
        response = target.client().get(path)
        elapsed_ms = (time.perf_counter() - clock) * 1000
        healthy = response.status_code == 200
        metrics += [
            Metric(id="health_status", side=target.name, value=response.status_code, target="== 200", passed=healthy),
            Metric(id="health_ms", side=target.name, value=round(elapsed_ms, 1), unit="ms"),
        ]
        if not healthy:
            body = response.get_data(as_text=True)
            said = first_line(body)
            findings.append(Finding(
                id=f"targets.health.{target.name}", check="health_answers_200", severity=Severity.CRITICAL,
                operation=f"GET {path}",
                message=f"{target.name} answered {response.status} to GET {path}"
                        f"{': ' + said if said else ' (empty body)'}; expected 200",
                evidence={"status": response.status_code, "body": body[:2000]},
                reproduce=target.reproduce("GET", path)))
        if target.not_seeded:
            findings.append(Finding(
                id=f"targets.not_seeded.{target.name}", check="seeded_alike", severity=Severity.INFO,
                message=f"{target.name} was not seeded by the harness ({target.not_seeded}); areas that compare "
                        f"data assume it holds the seed (scale {run.scale}, seed {run.seed}) as the other side does",
                evidence={"base_url": target.base_url, "database": target.describe()["database"]}))
    return AreaResult(area="targets", passed=gate(metrics, findings), metrics=metrics, findings=findings)
