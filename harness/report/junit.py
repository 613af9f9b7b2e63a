"""JUnit XML of one area's result: a test case per operation per check, and one per gated metric."""
from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from harness.core.results import BLOCKING, AreaResult, Finding, Metric


def area_junit(result: AreaResult) -> str:
    """A test case per (operation, check): its blocking findings are its failure, the others its output."""
    cases: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in result.findings:
        cases[(finding.operation or "(run)", finding.check)].append(finding)
    failures = sum(any(f.severity in BLOCKING for f in found) for found in cases.values())
    suite = ET.Element("testsuite", name=f"harness.{result.area}", tests=str(len(cases)), failures=str(failures))
    for (operation, check), found in sorted(cases.items()):
        _finding_case(suite, operation, check, found)
    for metric in result.metrics:
        _metric_case(suite, metric)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def _finding_case(suite: ET.Element, operation: str, check: str, found: list[Finding]) -> None:
    case = ET.SubElement(suite, "testcase", classname=operation, name=check)
    blocking = [finding for finding in found if finding.severity in BLOCKING]
    if blocking:
        failure = ET.SubElement(case, "failure", message=blocking[0].message[:500], type=check)
        failure.text = "\n\n".join(f"{finding.message}\n{finding.reproduce}" for finding in blocking)
    else:
        ET.SubElement(case, "system-out").text = "\n".join(finding.message for finding in found)


def _metric_case(suite: ET.Element, metric: Metric) -> None:
    case = ET.SubElement(suite, "testcase", classname="metrics", name=f"{metric.id}[{metric.side}]")
    if metric.passed is False:
        ET.SubElement(case, "failure", message=f"{metric.value} {metric.unit} (target {metric.target})")
