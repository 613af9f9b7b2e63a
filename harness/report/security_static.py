"""The static half of the security report: bandit's findings as SARIF 2.1.0 and as a self-contained HTML page, and the
dependency audit as short text lines. Everything reads the dicts as security.json stores them (`Issue.to_dict()`,
`AuditResult.to_dict()` of harness/security), so a report can be rendered again from a stored run.

    bandit_sarif(issues_by_side, roots, version) -> dict     one SARIF run per side, baselineState on every result
    bandit_html(issues_by_side, roots, version) -> str        a table per side, counts by severity at the top
    audit_lines(audits) -> [str]                              per side: what was checked, found, left unchecked

`roots` maps each side to its scanned source folder; a location is that folder's name plus the path bandit reported
relative to it ("reference_django/courses/views.py"), so one report can hold both apps.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from jinja2 import Environment

from harness.core.results import Severity

from .sarif import sarif_log, sarif_result, sarif_rule, sarif_run

BANDIT_URI = "https://bandit.readthedocs.io/"
SEVERITIES = ("HIGH", "MEDIUM", "LOW", "UNDEFINED")
_AS_SEVERITY = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}
_LISTED = 10  # unchecked packages shown per side before "and N more"

Issues = Mapping[str, list[dict[str, Any]]]


def _uri(roots: Mapping[str, str], side: str, path: str) -> str:
    folder = PurePath(roots.get(side, "")).name
    return f"{folder}/{path}" if folder else path


def _cwe(issue: Mapping[str, Any]) -> str:
    return f"CWE-{issue['cwe']}" if issue.get("cwe") else ""


def _rules(issues: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for issue in issues:
        if issue["test_id"] in seen:
            continue
        name = issue.get("test_name") or issue["test_id"]
        properties: dict[str, Any] = {"tags": ["security"]}
        if issue.get("cwe"):
            properties.update(cwe=_cwe(issue), tags=["security", f"external/cwe/cwe-{issue['cwe']}"])
        seen[issue["test_id"]] = sarif_rule(issue["test_id"], name, f"{issue['test_id']}: {name.replace('_', ' ')}",
                                            help_uri=issue.get("more_info") or None, properties=properties)
    return sorted(seen.values(), key=lambda rule: rule["id"])


def _result(side: str, issue: Mapping[str, Any], roots: Mapping[str, str]) -> dict[str, Any]:
    severity = _AS_SEVERITY.get(str(issue.get("severity", "")).upper(), Severity.INFO)
    return sarif_result(
        issue["test_id"], severity, issue.get("text") or issue["test_id"], uri=_uri(roots, side, issue["path"]),
        line=issue.get("line") or 1, fingerprints={"banditFingerprint/v1": issue["fingerprint"]},
        baseline_state=issue.get("baseline_state") or "new",
        properties={"side": side, "severity": issue.get("severity"), "confidence": issue.get("confidence"),
                    "scope": issue.get("scope"), "cwe": _cwe(issue) or None})


def bandit_sarif(issues_by_side: Issues, roots: Mapping[str, str], version: str) -> dict[str, Any]:
    """One SARIF run per side; each result keeps bandit's fingerprint and its baseline state."""
    runs = []
    for side, issues in issues_by_side.items():
        run = sarif_run(name="bandit", version=version, rules=_rules(issues),
                        results=[_result(side, issue, roots) for issue in issues], information_uri=BANDIT_URI)
        run["automationDetails"] = {"id": f"bandit/{side}/"}
        runs.append(run)
    return sarif_log(runs)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bandit {{ version }}: static analysis</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
pre { margin: 0; white-space: pre-wrap; font-size: .85em; }
.HIGH { color: #b00020; font-weight: bold; } .MEDIUM { color: #a05a00; } .LOW { color: #555; }
.new { font-weight: bold; } .absent { color: #777; text-decoration: line-through; }
</style></head>
<body>
<h1>bandit {{ version }}: static analysis</h1>
<table><tr><th>side</th>{% for s in severities %}<th>{{ s | lower }}</th>{% endfor %}<th>new</th><th>absent</th></tr>
{% for side in sides %}<tr><td>{{ side.name }}</td>{% for s in severities %}<td>{{ side.counts[s] }}</td>{% endfor %}
<td>{{ side.new }}</td><td>{{ side.absent }}</td></tr>
{% endfor %}</table>
{% for side in sides %}
<h2>{{ side.name }}: {{ side.folder }} ({{ side.issues | length }} findings)</h2>
{% if side.issues %}<table>
<tr><th>severity</th><th>confidence</th><th>test</th><th>location</th><th>code</th><th>baseline</th><th>CWE</th></tr>
{% for i in side.issues %}<tr class="{{ i.baseline_state }}">
<td class="{{ i.severity }}">{{ i.severity }}</td><td>{{ i.confidence }}</td>
<td>{{ i.test_id }} {{ i.test_name }}<br>{{ i.text }}</td><td>{{ i.location }}</td>
<td><pre>{{ i.code }}</pre></td><td>{{ i.baseline_state }}</td><td>{{ i.cwe_label }}</td></tr>
{% endfor %}</table>{% else %}<p>No findings.</p>{% endif %}
{% endfor %}
</body></html>
"""


def bandit_html(issues_by_side: Issues, roots: Mapping[str, str], version: str) -> str:
    """A self-contained page (inline style, no script, nothing fetched); every text is escaped."""
    template = Environment(autoescape=True, keep_trailing_newline=True).from_string(_PAGE)
    sides = []
    for side, issues in issues_by_side.items():
        rows = [{**issue, "location": f"{_uri(roots, side, issue['path'])}:{issue.get('line') or '?'}",
                 "cwe_label": _cwe(issue)} for issue in issues]
        present = [i for i in issues if i.get("baseline_state") != "absent"]
        counts = Counter(str(i.get("severity", "UNDEFINED")).upper() for i in present)
        states = Counter(i.get("baseline_state") or "new" for i in issues)
        sides.append({"name": side, "folder": PurePath(roots.get(side, "")).name or side, "issues": rows,
                      "counts": {s: counts.get(s, 0) for s in SEVERITIES}, "new": states["new"],
                      "absent": states["absent"]})
    return template.render(version=version, severities=SEVERITIES, sides=sides)


def audit_lines(audits: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Short lines for the area's summary: per side, the verdict and the data's age, then each vulnerable package
    and each package that could not be checked (the first few, then how many more)."""
    lines = []
    for side, result in audits.items():
        vulnerable, unchecked = result.get("vulnerable") or [], result.get("unchecked") or []
        verdict = "clean" if not vulnerable and not unchecked else \
            f"{len(vulnerable)} vulnerable, {len(unchecked)} unchecked"
        lines.append(f"{side}: dependency audit {verdict}: {len(result.get('checked') or [])} packages checked, "
                     f"{result.get('data_line') or result.get('source', '')}")
        lines += [_vulnerable_line(v) for v in vulnerable]
        lines += [f"  unchecked {' '.join(filter(None, (u['name'], u.get('version'))))}: {u.get('reason', '')}"
                  for u in unchecked[:_LISTED]]
        if len(unchecked) > _LISTED:
            lines.append(f"  … and {len(unchecked) - _LISTED} more unchecked")
    return lines


def _vulnerable_line(v: Mapping[str, Any]) -> str:
    aliases = f" ({', '.join(v.get('aliases') or [])})" if v.get("aliases") else ""
    fixed = ", ".join(v.get("fixed_versions") or []) or "no fixed version"
    return (f"  {v['name']} {v['version']}: {v['id']}{aliases} {v.get('severity', 'high')}, fixed in {fixed}: "
            f"{v.get('summary', '')}").rstrip(": ")


__all__ = ["audit_lines", "bandit_html", "bandit_sarif"]
