"""Renderings of the contract result for CI and people: JUnit XML and a Markdown summary."""
from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from harness.core.results import AreaResult, Severity

BLOCKING = (Severity.CRITICAL, Severity.HIGH)


def junit(result: AreaResult) -> str:
    """A test case per operation per check; a blocking finding is its failure."""
    cases: dict[tuple[str, str], list] = defaultdict(list)
    for f in result.findings:
        cases[(f.operation or "(run)", f.check)].append(f)
    suite = ET.Element("testsuite", name="harness.contract", tests=str(len(cases)),
                      failures=str(sum(any(f.severity in BLOCKING for f in fs) for fs in cases.values())))
    for (operation, check), findings in sorted(cases.items()):
        case = ET.SubElement(suite, "testcase", classname=operation, name=check)
        blocking = [f for f in findings if f.severity in BLOCKING]
        if blocking:
            failure = ET.SubElement(case, "failure", message=blocking[0].message[:500], type=check)
            failure.text = "\n\n".join(f"{f.message}\n{f.reproduce}" for f in blocking)
        else:
            ET.SubElement(case, "system-out").text = "\n".join(f.message for f in findings)
    for metric in result.metrics:
        case = ET.SubElement(suite, "testcase", classname="metrics", name=f"{metric.id}[{metric.side}]")
        if metric.passed is False:
            ET.SubElement(case, "failure", message=f"{metric.value} {metric.unit} (target {metric.target})")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def markdown(result: AreaResult, summary: list[str]) -> str:
    lines = [f"# Contract gate: {'PASS' if result.passed else 'FAIL'}", "", "```", *summary, "```", "",
             "| severity | check | operation | message |", "|---|---|---|---|"]
    for f in sorted(result.findings, key=lambda f: (list(Severity).index(f.severity), f.check)):
        lines.append(f"| {f.severity} | {f.check} | {f.operation or ''} | {f.message.replace('|', '/')} |")
    lines += ["", "Each finding in contract.json carries the request as curl for both apps and both responses."]
    return "\n".join(lines) + "\n"
