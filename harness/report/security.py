"""The security area's summary lines and its evidence files, rendered from security.json alone.

    security/bandit.json        bandit's own JSON per side (written by bandit during the run: security/<side>/)
    security/bandit.sarif       SARIF 2.1.0, a run per side, each result with its fingerprint and baselineState
    security/bandit.html        both sides' issues, counts by severity
    security/<side>/zap-report.json   ZAP's traditional-json report of that side's alerts, exactly ZAP's shape
    security/<side>/zap-report.html   ZAP-style HTML report
    security/zap.sarif          SARIF, a run per side
    security/security.sarif     bandit's, ZAP's and the probes' runs in one log, for a code-scanning upload
    security/<side>/grade.json  the Observatory tests, score, grade and the steps to A+
    security/grade.html         both sides' grades side by side
    security/<side>/audit.json  the dependency audit (checked, vulnerable, unchecked, the data's age)
    security/probes.json        every probe on both sides: refused or not, with its curl reproduction
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.core.results import BLOCKING, AreaResult, Finding, Severity

from .observatory import grade_html, grade_lines
from .sarif import sarif_log, sarif_result, sarif_rule, sarif_run
from .security_static import audit_lines, bandit_html, bandit_sarif
from .zap import traditional_json, zap_html, zap_sarif

SHOWN = 40


def _evidence(result: AreaResult, check: str) -> dict[str, dict[str, Any]]:
    """The evidence finding of `check` (bandit_report, zap_report, ...) per side."""
    return {f.evidence["side"]: f.evidence for f in result.findings if f.check == check}


def _generated(result: AreaResult) -> datetime:
    try:
        return datetime.fromisoformat(result.started.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def _sites(evidence: Mapping[str, Any]) -> list[dict[str, Any]]:
    by_site: dict[str, list[dict[str, Any]]] = {}
    for alert in evidence.get("alerts", []):
        by_site.setdefault(alert.get("site") or evidence.get("base_url") or "", []).append(alert)
    return [{"name": site, "alerts": alerts} for site, alerts in by_site.items()]


def _dump(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_security_files(run_dir: Path, result: AreaResult) -> list[Path]:
    folder = run_dir / "security"
    bandit_runs, written = _bandit_files(folder, result)
    zap_runs, zap_written = _zap_files(folder, result)
    written += zap_written
    if bandit_runs or zap_runs or _evidence(result, "probe_report"):
        written.append(_dump(folder / "security.sarif", sarif_log(bandit_runs + zap_runs + _probe_runs(result))))
    grades = _evidence(result, "grade_report")
    written += [_dump(folder / side / "grade.json", evidence) for side, evidence in grades.items()]
    if grades:
        written.append(_text(folder / "grade.html", grade_html(grades)))
    written += [_dump(folder / side / "audit.json", evidence)
                for side, evidence in _evidence(result, "audit_report").items()]
    probes = _evidence(result, "probe_report")
    if probes:
        written.append(_dump(folder / "probes.json", {side: e["proofs"] for side, e in probes.items()}))
    return written


def _bandit_files(folder: Path, result: AreaResult) -> tuple[list[dict[str, Any]], list[Path]]:
    """bandit.sarif and bandit.html; the SARIF runs, for security.sarif."""
    bandit = _evidence(result, "bandit_report")
    if not bandit:
        return [], []
    issues = {side: evidence["issues"] for side, evidence in bandit.items()}
    roots = {side: Path(evidence["run"].get("root", side)).name for side, evidence in bandit.items()}
    version = next(iter(bandit.values()))["run"].get("version", "")
    sarif = bandit_sarif(issues, roots, version)
    return sarif["runs"], [_dump(folder / "bandit.sarif", sarif),
                           _text(folder / "bandit.html", bandit_html(issues, roots, version))]


def _zap_files(folder: Path, result: AreaResult) -> tuple[list[dict[str, Any]], list[Path]]:
    """Per side ZAP's traditional-json and HTML reports; zap.sarif with a run per side (returned too)."""
    runs: list[dict[str, Any]] = []
    written: list[Path] = []
    for side, evidence in _evidence(result, "zap_report").items():
        sites = _sites(evidence)
        written += [_text(folder / side / "zap-report.json", traditional_json(sites, _generated(result))),
                    _text(folder / side / "zap-report.html", zap_html(sites, _generated(result)))]
        run = zap_sarif(sites)["runs"][0]
        run["automationDetails"] = {"id": f"zap/{side}/"}
        runs.append(run)
    if runs:
        written.append(_dump(folder / "zap.sarif", sarif_log(runs)))
    return runs, written


def _probe_runs(result: AreaResult) -> list[dict[str, Any]]:
    """A SARIF run per side of the probes that side did not refuse (and grade failures), at the operation."""
    runs = []
    for side in ("legacy", "candidate"):
        found = [f for f in result.findings if f.check in ("probe", "grade") and f.evidence.get("side") == side]
        if not found and side not in _evidence(result, "probe_report"):
            continue
        rules = {f.evidence.get("rule") or f.check: sarif_rule(f.evidence.get("rule") or f.check, f.check,
                                                              f.message.split(":")[0]) for f in found}
        results = [sarif_result(f.evidence.get("rule") or f.check, f.severity, f.message,
                                properties={"operation": f.operation, "rule_severity": f.evidence.get("rule_severity"),
                                            "reproduce": f.reproduce}) for f in found]
        run = sarif_run(name="harness security probes", version="1", rules=list(rules.values()), results=results)
        run["automationDetails"] = {"id": f"probes/{side}/"}
        runs.append(run)
    return runs


def security_summary(result: AreaResult) -> list[str]:
    lines = [f"security gate: {'PASS' if result.passed else 'FAIL'} in {result.duration_s:.1f}s"]
    lines += grade_lines(_evidence(result, "grade_report"))
    lines += audit_lines(_evidence(result, "audit_report"))
    for side, evidence in _evidence(result, "bandit_report").items():
        states: dict[str, int] = {}
        for issue in evidence["issues"]:
            states[issue.get("baseline_state", "new")] = states.get(issue.get("baseline_state", "new"), 0) + 1
        shown = ", ".join(f"{count} {state}" for state, count in sorted(states.items())) or "none"
        lines.append(f"  {side}: bandit {len(evidence['issues'])} issues ({shown})")
    for metric in result.metrics:
        if metric.id in ("zap_exit_code", "probes_refused"):
            lines.append(f"  {metric.side}: {metric.id} {metric.value}{f' {metric.target}' if metric.target else ''}")
    lines += _weaknesses(result.findings)
    blocking = [f for f in result.findings if f.severity in BLOCKING]
    lines.append(f"  blocking findings: {len(blocking)} of {len(result.findings)}")
    lines += [f"  FAIL {f.check}: {f.message}" for f in blocking[:SHOWN]]
    return lines


def _weaknesses(findings: list[Finding]) -> list[str]:
    """Legacy's weaknesses by rule: the migration's reason, listed, never failing the gate."""
    by_rule: dict[str, int] = {}
    for finding in findings:
        if finding.evidence.get("side") == "legacy" and finding.severity == Severity.INFO and \
                finding.evidence.get("rule_severity") and finding.check in ("bandit", "zap", "probe", "dependency") \
                and finding.evidence.get("rule") != "data-age":
            key = f"{finding.check} {finding.evidence.get('rule') or ''} [{finding.evidence['rule_severity']}]"
            by_rule[key] = by_rule.get(key, 0) + 1
    if not by_rule:
        return []
    return ["  legacy weaknesses by rule:"] + [f"    {key} x{count}" for key, count in sorted(by_rule.items())]
