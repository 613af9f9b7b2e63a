"""Each area's summary lines, rendered from its result alone: the few figures a reader looks at first.

A registry by area name; an area without its own summary gets the generic one (its gated metrics and the
count of blocking findings). The contract summary reads the gate's metrics (`cases_sent.<source>`,
`pairs_compared`, the coverage metrics) and its `status_unreached` findings.
"""
from __future__ import annotations

from collections.abc import Callable

from harness.core.results import BLOCKING, AreaResult, Finding, Metric

Summary = Callable[[AreaResult], list[str]]
SHOWN_FAILURES = 50
CONTRACT_FIGURES = ("operations_exercised", "status_codes_reached", "status_coverage", "operations_reaching_2xx",
                    "operations_reaching_2xx_generated", "documentation_coverage", "conformance_cases")


def summary_lines(result: AreaResult) -> list[str]:
    return SUMMARIES.get(result.area, generic_summary)(result)


def _verdict(result: AreaResult) -> str:
    seconds = _value(result, "wall_time_s", result.duration_s)
    return f"{result.area} gate: {'PASS' if result.passed else 'FAIL'} in {seconds:.1f}s"


def _value(result: AreaResult, metric_id: str, default: float = 0) -> float:
    return next((m.value for m in result.metrics if m.id == metric_id and m.value is not None), default)


def _metric_line(metric: Metric) -> str:
    target = f" (of {metric.target})" if metric.target else ""
    return f"  {metric.side:<9} {metric.id:<24} {metric.value} {metric.unit}{target}"


def _blocking(result: AreaResult) -> list[Finding]:
    return [finding for finding in result.findings if finding.severity in BLOCKING]


def _failure_lines(blocking: list[Finding]) -> list[str]:
    return [f"  FAIL {f.check}: {f.operation or ''} {f.message}" for f in blocking[:SHOWN_FAILURES]]


def generic_summary(result: AreaResult) -> list[str]:
    blocking = _blocking(result)
    lines = [_verdict(result)]
    lines += [_metric_line(metric) for metric in result.metrics if metric.target is not None]
    lines.append(f"  blocking findings: {len(blocking)} of {len(result.findings)}")
    return lines + _failure_lines(blocking)


# -- contract ---------------------------------------------------------------------------------------------------

def contract_summary(result: AreaResult) -> list[str]:
    per_source = [(m.id.split(".", 1)[1], m.value) for m in result.metrics if m.id.startswith("cases_sent.")]
    sent = ", ".join(f"{source} {count}" for source, count in per_source)
    lines = [_verdict(result),
             f"  cases sent {int(_value(result, 'cases_sent'))} ({sent}); pairs compared "
             f"{int(_value(result, 'pairs_compared'))}"]
    lines += [_metric_line(metric) for metric in result.metrics if metric.id in CONTRACT_FIGURES]
    lines += unreached_lines(result.findings)
    blocking = _blocking(result)
    accepted = sum("accepted" in finding.evidence for finding in result.findings)
    lines.append(f"  unexplained differences / failures: {len(blocking)}; accepted: {accepted}")
    return lines + _failure_lines(blocking)


def unreached_lines(findings: list[Finding]) -> list[str]:
    """The documented (operation, status) pairs not reached, grouped by reason; once when both sides agree."""
    missed: dict[str, list[tuple[str, str, str]]] = {}
    for finding in findings:
        if finding.check == "status_unreached":
            evidence = finding.evidence
            missed.setdefault(evidence["side"], []).append((finding.operation or "", str(evidence["status"]),
                                                            evidence["reason"]))
    sides = sorted(missed, key=lambda side: (side != "legacy", side))
    groups = ([("legacy and candidate", missed["legacy"])]
              if len(sides) == 2 and missed[sides[0]] == missed[sides[1]] else [(s, missed[s]) for s in sides])
    lines = []
    for who, pairs in groups:
        lines.append(f"  not reached on {who} ({len(pairs)} documented operation x status):")
        by_reason: dict[str, list[str]] = {}
        for operation, status, reason in pairs:
            by_reason.setdefault(reason, []).append(f"{operation} -> {status}")
        for reason, shown in by_reason.items():
            lines.append(f"    {reason}:")
            lines.extend(f"      {pair}" for pair in shown)
    return lines


# -- data -------------------------------------------------------------------------------------------------------

def data_summary(result: AreaResult) -> list[str]:
    lines = [_verdict(result)]
    lines += [_metric_line(metric) for metric in result.metrics]
    blocking = _blocking(result)
    accepted = sum("allow_listed" in finding.evidence for finding in result.findings)
    lines.append(f"  blocking findings: {len(blocking)} of {len(result.findings)}; accepted: {accepted}")
    return lines + _failure_lines(blocking)


def _load_summary(result: AreaResult) -> list[str]:
    from .load import load_summary

    return load_summary(result)


def _security_summary(result: AreaResult) -> list[str]:
    from .security import security_summary

    return security_summary(result)


SUMMARIES: dict[str, Summary] = {"contract": contract_summary, "data": data_summary, "load": _load_summary,
                                 "security": _security_summary}
