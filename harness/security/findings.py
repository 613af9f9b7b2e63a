"""The security area's result: what each side's checks found, judged by the gates (`result`).

A finding's severity is the gate's verdict: critical or high when it fails the area, lower when it is reported
only; its own rating (bandit's severity, ZAP's risk, the advisory's, the probe's) is kept in
`evidence.rule_severity`. So:
    - a candidate finding blocks when its rating is among the gates' blocking ones for its check (bandit: a NEW
      issue, count-aware against the baseline; ZAP: a rule the rules file makes FAIL; a probe the candidate does not
      refuse), or when the candidate accepts an attack legacy refuses (always);
    - a legacy finding never blocks: it is listed by rule (`legacy weakness`), the migration's reason;
    - a candidate finding covered by a live entry of the reviewed exceptions (`area: security`, keys check, side,
      rule, operation, package) is kept, marked accepted, and does not block; an expired entry blocks by itself.
Each side's whole evidence (bandit issues, audit, ZAP-shaped alerts, grade, probes) rides in one info finding per
check and side, from which harness/report/security.py writes the artefacts.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.core.results import BLOCKING, AreaResult, Finding, Metric, Severity
from harness.core.reviewed import expired_findings, for_area, load_reviewed, split
from harness.http import curl, reply_evidence

from . import zap
from .model import RISK, Proof
from .sides import SideOutcome

if TYPE_CHECKING:
    from .area import SecurityOptions

AREA = "security"
RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}
#: What a probe that is not refused is worth, by family (the first part of its id).
PROBE_SEVERITY = {"jwt": Severity.CRITICAL, "idor": Severity.HIGH, "mass_assignment": Severity.CRITICAL,
                  "injection": Severity.HIGH, "csrf": Severity.HIGH, "cors": Severity.HIGH,
                  "secrets": Severity.HIGH, "bruteforce": Severity.MEDIUM, "debug": Severity.MEDIUM}
BANDIT = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}


def verdict_severity(rating: Severity, blocks: bool) -> Severity:
    """High (or the rating, when critical) for a finding that blocks; at most medium for one reported only."""
    if blocks:
        return rating if rating in BLOCKING else Severity.HIGH
    return rating if RANK[rating] <= RANK[Severity.MEDIUM] else Severity.MEDIUM


def _item(check: str, side: str, rating: Severity, blocks: bool, message: str, ident: str, *,
          rule: str = "", operation: str | None = None, package: str = "", evidence: dict[str, Any] | None = None,
          reproduce: str = "") -> Finding:
    if side == "legacy":
        severity, message = Severity.INFO, f"legacy weakness [{rating}]: {message}"
    else:
        severity = verdict_severity(rating, blocks)
    keys = {"check": check, "side": side, "rule": rule, "package": package, "rule_severity": str(rating)}
    return Finding(id=f"{AREA}.{check}.{side}.{ident}", check=check, severity=severity, message=message,
                   operation=operation, evidence={**keys, **(evidence or {})}, reproduce=reproduce)


# -- per check --------------------------------------------------------------------------------------------------

def bandit_findings(opts: SecurityOptions, outcome: SideOutcome) -> list[Finding]:
    found = []
    for issue in outcome.issues:
        rating = BANDIT.get(issue.severity.upper(), Severity.LOW)
        new = issue.baseline_state == "new"
        blocks = new and str(rating) in opts.gates.static_block
        state = "" if new else f" ({issue.baseline_state} against the baseline)"
        finding = _item("bandit", outcome.side, rating, blocks,
                        f"{issue.test_id} {issue.test_name} at {issue.path}:{issue.line}{state}: {issue.text}",
                        f"{issue.fingerprint[:16]}.{issue.line}", rule=issue.test_id,
                        evidence={"path": issue.path, "line": issue.line, "baseline_state": issue.baseline_state,
                                  "fingerprint": issue.fingerprint})
        if not new:  # reviewed into the baseline (or gone): reported, never blocking
            finding.severity = Severity.INFO
        found.append(finding)
    return found


def audit_findings(opts: SecurityOptions, outcome: SideOutcome) -> list[Finding]:
    result, side, found = outcome.audit, outcome.side, []
    if result is None:
        return found
    for vuln in result.vulnerable:
        rating = Severity(vuln.severity)
        fixed = f"; fixed in {', '.join(vuln.fixed_versions)}" if vuln.fixed_versions else "; no fixed version"
        found.append(_item("dependency", side, rating, str(rating) in opts.gates.audit_block,
                           f"{vuln.name} {vuln.version}: {vuln.id} ({', '.join(vuln.aliases) or 'no alias'})"
                           f"{fixed}: {vuln.summary}", f"{vuln.name}.{vuln.id}", rule=vuln.id, package=vuln.name,
                           evidence=asdict(vuln)))
    for unchecked in result.unchecked:  # fails closed: a package that could not be checked is never a pass
        found.append(_item("dependency", side, Severity.HIGH, True,
                           f"{unchecked.name} {unchecked.version or ''} could not be checked: {unchecked.reason}",
                           f"{unchecked.name}.unchecked", rule="unchecked", package=unchecked.name,
                           evidence=asdict(unchecked)))
    age = result.data_age_days
    if age is not None and age > opts.gates.max_age_days:
        found.append(_item("dependency", side, Severity.LOW, False,
                           f"{result.data_line}: older than {opts.gates.max_age_days} days; point [audit] "
                           f"advisories at a fresh copy of the advisory database", "data-age", rule="data-age"))
    return found


def zap_findings(opts: SecurityOptions, outcome: SideOutcome, rules: zap.RulesConfig | None) -> list[Finding]:
    found = []
    for alert in zap.in_scope(outcome.alerts, rules):
        level = zap.level_of(alert, rules)
        if level == "IGNORE":
            continue
        rating = RISK.get(int(alert["riskcode"]), Severity.INFO)
        blocks = (level == "FAIL" and 1 in opts.gates.zap_block) or (level == "WARN" and 2 in opts.gates.zap_block)
        first = (alert.get("instances") or [{}])[0]
        found.append(_item(
            "zap", outcome.side, rating, blocks,
            f"{alert['pluginid']} {alert['name']} [{level}]: {len(alert.get('instances', []))} instance(s), "
            f"e.g. {first.get('method', '')} {first.get('uri', '')} {first.get('evidence', '')}".rstrip(),
            f"{alert['pluginid']}.{alert.get('alertRef', alert['pluginid'])}", rule=str(alert["pluginid"]),
            evidence={"alertRef": alert.get("alertRef"), "level": level, "instances": len(alert.get("instances", [])),
                      "first": first}))
    return found


def grade_findings(opts: SecurityOptions, outcome: SideOutcome) -> list[Finding]:
    grade = outcome.grade
    if grade is None:
        return []
    passes = opts.gates.grade_passes(outcome.side, grade.grade)
    if passes is not False and outcome.side != "legacy":
        return []
    failing = [f"{test.name}: {test.result} ({test.modifier:+d})" for test in grade.tests if test.modifier < 0]
    steps = [f"{step.test}: {step.advice} ({step.gain:+d})" for step in grade.to_a_plus.steps]
    wanted = (opts.gates.min_grade or {}).get(outcome.side) or "reported only"
    return [_item("grade", outcome.side, Severity.HIGH if passes is False else Severity.MEDIUM, passes is False,
                  f"grade {grade.grade} (score {grade.score}; wanted {wanted}): {'; '.join(failing) or 'no penalty'}",
                  "observatory", rule="observatory", evidence={"to_a_plus": steps})]


def probe_findings(opts: SecurityOptions, outcomes: Mapping[str, SideOutcome]) -> list[Finding]:
    refused = {side: {proof.probe: proof.refused for proof in outcome.proofs} for side, outcome in outcomes.items()}
    found = []
    for side, outcome in outcomes.items():
        for proof in outcome.proofs:
            if proof.refused:
                continue
            rating = PROBE_SEVERITY.get(proof.probe.split(".", 1)[0], Severity.HIGH)
            regression = side == "candidate" and refused.get("legacy", {}).get(proof.probe) is True
            blocks = regression or str(rating) in opts.gates.probe_block
            why = " (legacy refuses it)" if regression else ""
            found.append(_item("probe", side, Severity.HIGH if regression and rating not in BLOCKING else rating,
                               blocks, f"{proof.probe} not refused{why}: {proof.detail}", proof.probe,
                               rule=proof.probe, operation=proof.operation, evidence=_proof_evidence(proof),
                               reproduce=curl(proof.sent, outcome.base_url) if proof.sent else ""))
    return found


def _proof_evidence(proof: Proof) -> dict[str, Any]:
    evidence: dict[str, Any] = {"probe": proof.probe, "refused": proof.refused, **proof.evidence}
    if proof.reply is not None:
        evidence["reply"] = reply_evidence(proof.reply, 2000)
    return evidence


# -- the whole result -------------------------------------------------------------------------------------------

def result(opts: SecurityOptions, outcomes: Mapping[str, SideOutcome], accepted: Path) -> AreaResult:
    rules = zap.load_rules_file(opts.gates.zap_rules) if opts.gates.zap_rules else None
    findings: list[Finding] = []
    for outcome in outcomes.values():
        findings += bandit_findings(opts, outcome) + audit_findings(opts, outcome)
        findings += zap_findings(opts, outcome, rules) + grade_findings(opts, outcome)
    findings += probe_findings(opts, outcomes)
    findings, expired = _accept(findings, accepted)
    metrics = [metric for outcome in outcomes.values() for metric in side_metrics(opts, outcome, rules)]
    findings += expired + [evidence for outcome in outcomes.values() for evidence in evidence_findings(outcome)]
    findings += [_skipped(outcome.side, check, why) for outcome in outcomes.values()
                 for check, why in outcome.skipped.items()]
    passed = all(m.passed is not False for m in metrics) and not any(f.severity in BLOCKING for f in findings)
    return AreaResult(area=AREA, passed=passed and "candidate" in outcomes, metrics=metrics, findings=findings)


def _accept(findings: list[Finding], accepted: Path) -> tuple[list[Finding], list[Finding]]:
    entries = for_area(load_reviewed(accepted, missing_ok=True), AREA)
    if not entries:
        return findings, []
    candidates = [f for f in findings if f.evidence.get("side") == "candidate" and f.severity != Severity.INFO]
    judged = split(candidates, entries, lambda entry, finding: entry.matches(
        {key: finding.evidence.get(key) or "" for key in ("check", "side", "rule", "package")}
        | {"operation": finding.operation or ""}))
    for finding, entry in judged.accepted:
        finding.severity = Severity.INFO
        finding.message = f"accepted until {entry.expires.isoformat()} ({entry.reason}): {finding.message}"
        finding.evidence["accepted"] = entry.as_dict()
    return findings, expired_findings(AREA, judged.expired)


def side_metrics(opts: SecurityOptions, outcome: SideOutcome, rules: zap.RulesConfig | None) -> list[Metric]:
    side, metrics = outcome.side, []
    judged = side == "candidate"
    if outcome.grade is not None:
        passes = opts.gates.grade_passes(side, outcome.grade.grade)
        wanted = (opts.gates.min_grade or {}).get(side)
        metrics.append(Metric("observatory_score", side, outcome.grade.score, "points",
                              f"grade ≥ {wanted}" if wanted else None, passes, f"security/{side}/grade.json"))
    if outcome.bandit is not None:
        new_high = sum(1 for i in outcome.issues if i.baseline_state == "new" and i.severity.upper() == "HIGH")
        metrics.append(Metric("bandit_new_high", side, new_high, "issues", "0" if judged else None,
                              new_high == 0 if judged else None, f"security/{side}/bandit.json"))
    if outcome.audit is not None:
        bad = len(outcome.audit.vulnerable) + len(outcome.audit.unchecked)
        metrics.append(Metric("vulnerable_or_unchecked_packages", side, bad, "packages", None, None,
                              f"security/{side}/audit.json"))
    if outcome.alerts or "passive" in outcome.done:
        code = zap.verdict(outcome.alerts, rules).exit_code
        metrics.append(Metric("zap_exit_code", side, code, "", None, None, f"security/{side}/zap-report.json"))
    if outcome.proofs:
        metrics.append(Metric("probes_refused", side, sum(p.refused for p in outcome.proofs), "probes",
                              f"of {len(outcome.proofs)}", None, "security/probes.json"))
    return metrics


def evidence_findings(outcome: SideOutcome) -> Iterable[Finding]:
    """One info finding per check and side holding what the report files are written from."""
    side = outcome.side
    if outcome.bandit is not None:
        yield Finding(f"{AREA}.evidence.bandit.{side}", "bandit_report", Severity.INFO,
                      f"{side}: bandit {outcome.bandit.version}, {len(outcome.issues)} issues reported",
                      evidence={"side": side, "run": outcome.bandit.to_dict(),
                                "issues": [issue.to_dict() for issue in outcome.issues]})
    if outcome.audit is not None:
        yield Finding(f"{AREA}.evidence.audit.{side}", "audit_report", Severity.INFO,
                      f"{side}: {len(outcome.audit.checked)} packages checked ({outcome.audit.data_line})",
                      evidence={"side": side, **outcome.audit.to_dict()})
    if "passive" in outcome.done:
        yield Finding(f"{AREA}.evidence.zap.{side}", "zap_report", Severity.INFO,
                      f"{side}: {len(outcome.alerts)} alerts from {outcome.zap_source} over "
                      f"{len(outcome.exchanges)} responses", evidence={
                          "side": side, "source": outcome.zap_source, "base_url": outcome.base_url,
                          "tls": outcome.tls, "alerts": outcome.alerts, "applicability": outcome.applicability,
                          "crawl": asdict(outcome.crawl) if outcome.crawl else None})
    if outcome.grade is not None:
        yield Finding(f"{AREA}.evidence.grade.{side}", "grade_report", Severity.INFO,
                      f"{side}: grade {outcome.grade.grade} (score {outcome.grade.score})",
                      evidence={"side": side, "tls": outcome.tls, **outcome.grade.to_dict()})
    if outcome.proofs:
        yield Finding(f"{AREA}.evidence.probes.{side}", "probe_report", Severity.INFO,
                      f"{side}: {sum(p.refused for p in outcome.proofs)} of {len(outcome.proofs)} probes refused",
                      evidence={"side": side, "proofs": [
                          {"probe": p.probe, "refused": p.refused, "detail": p.detail, "operation": p.operation,
                           "reproduce": curl(p.sent, outcome.base_url) if p.sent else ""} for p in outcome.proofs]})


def _skipped(side: str, check: str, why: str) -> Finding:
    return Finding(f"{AREA}.skipped.{check}.{side}", "skipped", Severity.INFO, f"{side}: {check} not run: {why}")
