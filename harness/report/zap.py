"""ZAP's report formats, for passive alerts found by the harness (harness.security.passive) or read from a real ZAP.

    traditional_json(sites, generated, version=ZAP_VERSION) -> str
        ZAP's "traditional-json" report exactly as zap-extensions' reports add-on template
        (reports/traditional-json/report.json) lays it out: "@programName", "@version", "@generated" (ZAP's
        "EEE, d MMM yyyy HH:mm:ss"), "created" (Java's Instant.toString), then "site": per site "@name", "@host",
        "@port", "@ssl" and its alerts, each with its instances. Every value is a string but `systemic` (a boolean);
        an instance's `nodeName` is its URI (ZAP names a Sites-tree node so for a request without parameters; the
        harness keeps no Sites tree). Texts are escaped as the template's
        legacyEscapeText / legacyEscapeParagraph escape them (paragraph fields as "<p>line</p><p>line</p>").
    zap_html(sites, generated) -> str
        a self-contained HTML report in the manner of ZAP's traditional HTML report: alerts counted by risk, the
        alert list, then each alert with its instances, solution, reference and CWE/WASC ids (Jinja2, autoescaped)
    zap_sarif(sites) -> dict
        SARIF 2.1.0: one rule per plugin id, one result per instance, located at the instance's URI

`sites` is `[{"name": "https://127.0.0.1:8443", "alerts": [alert dict, ...]}]` (`PassiveScan.sites(side)`); an alert
dict is harness.security.passive's `Alert.to_dict()` (or harness.security.zap's reading of a real ZAP's report).
Instances have no ZAP alert id or history id: `id` numbers them in the report, `sourceid` is "0".
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, select_autoescape

from harness.core.results import Severity

from .sarif import sarif_log, sarif_result, sarif_rule, sarif_run

#: ZAP's names of its risk and confidence codes (the reports add-on's Messages.properties), and its risks as the
#: harness's severities (as harness.security.model has them; report modules import no area).
RISK_NAMES = {3: "High", 2: "Medium", 1: "Low", 0: "Informational"}
CONFIDENCE_NAMES = {4: "User Confirmed", 3: "High", 2: "Medium", 1: "Low", 0: "False Positive"}
RISK = {3: Severity.HIGH, 2: Severity.MEDIUM, 1: Severity.LOW, 0: Severity.INFO}

#: The ZAP release whose rules and report template the harness follows.
ZAP_VERSION = "2.17.0"
PROGRAM_NAME = "ZAP"
HELP_URI = "https://www.zaproxy.org/docs/alerts/{}/"


def _q(value: Any) -> str:
    """A JSON string literal, escaped as ZAP's escapeJava escapes it (quotes, backslashes, control characters,
    non-ASCII as \\uXXXX)."""
    return json.dumps("" if value is None else str(value), ensure_ascii=True)


def _paragraphs(text: str | None) -> str:
    """legacyEscapeParagraph: each line its own <p>; nothing for an empty text."""
    if not text:
        return ""
    return "<p>" + text.replace("\r\n", "</p><p>").replace("\n", "</p><p>") + "</p>"


def generated_string(generated: datetime) -> str:
    """ZAP's "@generated": SimpleDateFormat("EEE, d MMM yyyy HH:mm:ss") in the machine's zone (here: as given)."""
    return f"{generated:%a}, {generated.day} {generated:%b %Y %H:%M:%S}"


def created_string(generated: datetime) -> str:
    """ZAP's "created": java.time.Instant.toString (UTC, "Z", the fraction in groups of three digits)."""
    moment = generated.astimezone(UTC) if generated.tzinfo else generated
    text = f"{moment:%Y-%m-%dT%H:%M:%S}"
    micro = moment.microsecond
    if micro:
        text += f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    return text + "Z"


def site_parts(site: str) -> tuple[str, str, str]:
    """(@host, @port, @ssl) of a site as ZAP's ReportHelper reads them."""
    parts = urlsplit(site)
    ssl = parts.scheme.lower() == "https"
    port = parts.port or (443 if ssl else 80)
    return parts.hostname or "", str(port), "true" if ssl else "false"


def _instance_json(instance: dict[str, Any], number: int) -> str:
    pad = "\t" * 7
    values = [("id", _q(number)), ("uri", _q(instance.get("uri"))), ("nodeName", _q(instance.get("uri"))),
              ("method", _q(instance.get("method"))), ("param", _q(instance.get("param"))),
              ("attack", _q(instance.get("attack"))), ("evidence", _q(instance.get("evidence"))),
              ("otherinfo", _q(instance.get("otherinfo")))]
    return "\n\t\t\t\t\t\t{\n" + ",\n".join(f'{pad}"{key}": {value}' for key, value in values) + "\n\t\t\t\t\t\t}"


def _alert_json(alert: dict[str, Any], first_id: int) -> str:
    pad = "\t" * 5
    risk, confidence = int(alert["riskcode"]), int(alert["confidence"])
    instances = alert.get("instances", [])
    head = [("pluginid", _q(alert["pluginid"])), ("alertRef", _q(alert.get("alertRef") or alert["pluginid"])),
            ("alert", _q(alert["name"])), ("name", _q(alert["name"])), ("riskcode", _q(risk)),
            ("confidence", _q(confidence)), ("riskdesc", _q(f"{RISK_NAMES[risk]} ({CONFIDENCE_NAMES[confidence]})")),
            ("desc", _q(_paragraphs(alert.get("desc"))))]
    tail = [("count", _q(len(instances))), ("systemic", "true" if alert.get("systemic") else "false"),
            ("solution", _q(_paragraphs(alert.get("solution")))),
            ("otherinfo", _q(_paragraphs(alert.get("otherinfo")))),
            ("reference", _q(_paragraphs(alert.get("reference")))), ("cweid", _q(alert.get("cweid", -1))),
            ("wascid", _q(alert.get("wascid", -1))), ("sourceid", _q(alert.get("sourceid", 0)))]
    listed = ",".join(_instance_json(instance, first_id + n) for n, instance in enumerate(instances))
    return ("\n\t\t\t\t{\n" + "".join(f'{pad}"{key}": {value},\n' for key, value in head)
            + f'{pad}"instances":[ {listed}\n{pad}],\n'
            + ",\n".join(f'{pad}"{key}": {value}' for key, value in tail) + "\n\t\t\t\t}")


def _site_json(site: dict[str, Any], first_id: int) -> tuple[str, int]:
    host, port, ssl = site_parts(site["name"])
    alerts, next_id = [], first_id
    for alert in site.get("alerts", []):
        alerts.append(_alert_json(alert, next_id))
        next_id += len(alert.get("instances", []))
    text = (f'\n\t\t{{\n\t\t\t"@name": {_q(site["name"])},\n\t\t\t"@host": {_q(host)},\n\t\t\t"@port": {_q(port)},'
            f'\n\t\t\t"@ssl": {_q(ssl)},\n\t\t\t"alerts": [ ' + ",".join(alerts) + "\n\t\t\t]\n\t\t}")
    return text, next_id


def traditional_json(sites: list[dict[str, Any]], generated: datetime, version: str = ZAP_VERSION) -> str:
    """ZAP's traditional-json report of `sites` (see the module docstring)."""
    parts, next_id = [], 1
    for site in sites:
        text, next_id = _site_json(site, next_id)
        parts.append(text)
    return (f'{{\n\t"@programName": {_q(PROGRAM_NAME)},\n\t"@version": {_q(version)},\n'
            f'\t"@generated": {_q(generated_string(generated))},\n\t"created": {_q(created_string(generated))},\n'
            '\t"site":[ ' + ",".join(parts) + "\n\t]\n\n}\n")


# -- HTML ----------------------------------------------------------------------------------------------------------

_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ZAP Scanning Report</title>
<style>
body { font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; color: #000; font-size: 13px; }
h1 { text-align: center; font-size: 32px; }
table { border: none; font-size: 13px; margin: 10px 0 30px; width: 100%; }
td, th { padding: 3px 4px; word-break: break-word; text-align: left; vertical-align: top; }
th { font-weight: bold; background-color: #666666; color: #fff; }
td { background-color: #e8e8e8; }
.indent1 { padding: 4px 20px; } .indent2 { padding: 4px 40px; }
.risk-3 { background-color: red; color: #fff; } .risk-2 { background-color: orange; color: #fff; }
.risk-1 { background-color: yellow; color: #000; } .risk-0 { background-color: blue; color: #fff; }
</style>
</head>
<body>
<h1>ZAP Scanning Report</h1>
<p>Generated with ZAP's rules (version {{ version }}) on {{ generated }}</p>
<p>Sites: {% for site in sites %}{{ site.name }}{% if not loop.last %}, {% endif %}{% endfor %}</p>
<h3>Summary of Alerts</h3>
<table>
<tr><th>Risk Level</th><th>Number of Alerts</th></tr>
{% for risk in [3, 2, 1, 0] %}<tr><td class="risk-{{ risk }}">{{ risk_names[risk] }}</td>
<td>{{ counts[risk] }}</td></tr>
{% endfor %}</table>
<h3>Alerts</h3>
<table>
<tr><th>Name</th><th>Risk Level</th><th>Number of Instances</th></tr>
{% for alert in alerts %}<tr><td><a href="#{{ alert.anchor }}">{{ alert.name }}</a></td>
<td class="risk-{{ alert.riskcode }}">{{ risk_names[alert.riskcode] }}</td>
<td>{% if alert.systemic %}Systemic{% else %}{{ alert.instances | length }}{% endif %}</td></tr>
{% endfor %}</table>
<h3>Alert Detail</h3>
{% for alert in alerts %}<table id="{{ alert.anchor }}">
<tr><th class="risk-{{ alert.riskcode }}" width="20%">{{ risk_names[alert.riskcode] }}</th>
<th class="risk-{{ alert.riskcode }}">{{ alert.name }}</th></tr>
<tr><td>Description</td><td>{% for line in alert.desc.split("\\n") %}<div>{{ line }}</div>{% endfor %}</td></tr>
{% for instance in alert.instances %}<tr><td class="indent1">URL</td><td>{{ instance.uri }}</td></tr>
<tr><td class="indent2">Method</td><td>{{ instance.method }}</td></tr>
<tr><td class="indent2">Param</td><td>{{ instance.param }}</td></tr>
<tr><td class="indent2">Attack</td><td>{{ instance.attack }}</td></tr>
<tr><td class="indent2">Evidence</td><td>{{ instance.evidence }}</td></tr>
<tr><td class="indent2">Other Info</td>
<td>{% for line in instance.otherinfo.split("\\n") %}<div>{{ line }}</div>{% endfor %}</td></tr>
{% endfor %}<tr><td>Instances</td><td>{{ alert.instances | length }}</td></tr>
<tr><td>Solution</td><td>{% for line in alert.solution.split("\\n") %}<div>{{ line }}</div>{% endfor %}</td></tr>
<tr><td>Reference</td><td>{% for line in alert.reference.split("\\n") %}<div>{{ line }}</div>{% endfor %}</td></tr>
<tr><td>CWE Id</td><td>{{ alert.cweid }}</td></tr>
<tr><td>WASC Id</td><td>{{ alert.wascid }}</td></tr>
<tr><td>Plugin Id</td>
<td>{{ alert.pluginid }} (alertRef {{ alert.alertRef }}, confidence {{ alert.confidence_name }})</td></tr>
</table>
{% endfor %}</body>
</html>
"""
_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def _html_alert(alert: dict[str, Any], site: str) -> dict[str, Any]:
    risk, confidence = int(alert["riskcode"]), int(alert["confidence"])
    texts = {key: str(alert.get(key) or "") for key in ("desc", "solution", "reference")}
    instances = [{key: str(i.get(key) or "") for key in ("uri", "method", "param", "attack", "evidence", "otherinfo")}
                 for i in alert.get("instances", [])]
    return {**alert, **texts, "riskcode": risk, "site": site, "instances": instances,
            "confidence_name": CONFIDENCE_NAMES[confidence]}


def zap_html(sites: list[dict[str, Any]], generated: datetime, version: str = ZAP_VERSION) -> str:
    """The HTML report of `sites` (see the module docstring)."""
    alerts = [_html_alert(alert, site["name"]) for site in sites for alert in site.get("alerts", [])]
    alerts.sort(key=lambda a: (-a["riskcode"], int(a["pluginid"])))
    for number, alert in enumerate(alerts, start=1):
        alert["anchor"] = f"alert-{number}-{alert['pluginid']}"
    counts = {risk: sum(a["riskcode"] == risk for a in alerts) for risk in RISK_NAMES}
    return _ENV.from_string(_HTML).render(sites=sites, alerts=alerts, counts=counts, risk_names=RISK_NAMES,
                                          generated=generated_string(generated), version=version)


# -- SARIF ---------------------------------------------------------------------------------------------------------


def zap_sarif(sites: list[dict[str, Any]], version: str = ZAP_VERSION) -> dict[str, Any]:
    """SARIF 2.1.0 of `sites`: rule id = plugin id, level from ZAP's risk, one result per instance at its URI."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for site in sites:
        for alert in site.get("alerts", []):
            rule_id, risk = str(alert["pluginid"]), int(alert["riskcode"])
            rules.setdefault(rule_id, sarif_rule(
                rule_id, alert["name"], alert["name"], help_uri=HELP_URI.format(rule_id),
                properties={"cwe": str(alert.get("cweid", -1)), "wasc": str(alert.get("wascid", -1))}))
            severity: Severity = RISK[risk]
            for instance in alert.get("instances", []):
                message = alert["name"] + (f": {instance['evidence']}" if instance.get("evidence") else "")
                results.append(sarif_result(rule_id, severity, message, uri=instance["uri"], properties={
                    "alertRef": str(alert.get("alertRef") or rule_id), "method": instance.get("method", ""),
                    "param": instance.get("param", ""), "riskcode": risk, "confidence": int(alert["confidence"])}))
    run = sarif_run(name=PROGRAM_NAME, version=version, rules=list(rules.values()), results=results,
                    information_uri="https://www.zaproxy.org/")
    return sarif_log([run])
