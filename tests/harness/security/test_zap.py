"""ZAP's formats and verdict: the baseline rules file and zap-baseline's exit codes, the traditional-json report
(checked against a JSON Schema written from ZAP's template, and in its key order), a report modelling a real ZAP run
judged by the same rules file, the HTML and SARIF reports, and a real ZAP driven through its API (a stub here)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness.core.errors import ConfigError, TargetError
from harness.http import Reply, Sent
from harness.report.zap import traditional_json, zap_html, zap_sarif
from harness.security.model import Exchange
from harness.security.passive import RULES, scan
from harness.security.zap import (
    drive_zap,
    in_scope,
    level_of,
    load_rules_file,
    read_zap_report,
    report_exit_code,
    verdict,
)

FIXTURES = Path(__file__).parent / "fixtures" / "zap"
SCHEMA = json.loads((FIXTURES / "traditional-json.schema.json").read_text())
REPORT, RULES_FILE = FIXTURES / "zap-run-report.json", FIXTURES / "baseline.conf"
BASE = "https://127.0.0.1:8443"
WHEN = datetime(2026, 12, 7, 9, 5, 3, 120000, tzinfo=UTC)
#: The template's key order, object by object.
TOP = ["@programName", "@version", "@generated", "created", "site"]
SITE = ["@name", "@host", "@port", "@ssl", "alerts"]
ALERT = ["pluginid", "alertRef", "alert", "name", "riskcode", "confidence", "riskdesc", "desc", "instances", "count",
         "systemic", "solution", "otherinfo", "reference", "cweid", "wascid", "sourceid"]
INSTANCE = ["id", "uri", "nodeName", "method", "param", "attack", "evidence", "otherinfo"]


def page(path: str, headers: list[tuple[str, str]], body: bytes = b"<html><body><p>x</p></body></html>") -> Exchange:
    return Exchange("candidate", f"GET {path}", BASE + path, Sent("GET", path, []),
                    Reply(200, [("Content-Type", "text/html"), *headers], body))


def flawed_sites() -> list[dict[str, Any]]:
    """The candidate's alerts on two flawed pages: no security header at all, and a script in the evidence."""
    exchanges = [page("/docs", [("Server", "nginx/1.25.3 <script>alert(1)</script>")]),
                 page("/docs/2", [("X-Powered-By", "Django")])]
    return scan(exchanges).sites("candidate")


def key_orders(text: str) -> list[list[str]]:
    orders: list[list[str]] = []
    json.loads(text, object_pairs_hook=lambda pairs: orders.append([k for k, _ in pairs]) or dict(pairs))
    return orders


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.conf"
    path.write_text(text)
    return path


# -- the rules file -------------------------------------------------------------------------------------------------


def test_rules_file_levels_messages_and_out_of_scope():
    rules = load_rules_file(RULES_FILE)
    assert rules.level(10021) == "FAIL" and rules.level("10096") == "INFO" and rules.level(10049) == "IGNORE"
    assert rules.level(10036) == "WARN"  # not listed: ZAP's default
    assert rules.messages["10021"] == "Every response must say nosniff"
    assert not rules.in_scope(10011, f"{BASE}/api/v1/auth/login") and rules.in_scope(10011, f"{BASE}/api/v1/courses")
    assert rules.in_scope(10021, f"{BASE}/api/v1/auth/login")


@pytest.mark.parametrize(("line", "says"), [
    ("10021 WARN (X-Content-Type-Options Header Missing)", "line 3: expected at least 3 tab-separated fields"),
    ("10021\tWARNING\t(X-Content-Type-Options Header Missing)", "line 3: level 'WARNING' is not one of"),
    ("10021\tOUTOFSCOPE\thttps://(unclosed", "line 3: OUTOFSCOPE regex"),
    ("X10021\tFAIL\t(X-Content-Type-Options Header Missing)", "line 3: 'X10021' is not a rule id"),
])
def test_a_malformed_rules_line_names_the_file_and_line(tmp_path, line, says):
    path = write_rules(tmp_path, f"# rules\n\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        load_rules_file(path)
    assert str(caught.value).startswith(f"ZAP rules file {path} ") and says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unreadable_rules_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_rules_file(tmp_path / "missing.conf")


# -- the verdict and zap-baseline's exit codes ----------------------------------------------------------------------


def test_the_report_of_a_zap_run_is_judged_by_the_rules_file():
    alerts = read_zap_report(REPORT)
    assert [(a["pluginid"], a["alertRef"], a["riskcode"], len(a["instances"])) for a in alerts] == [
        (10038, "10038-1", 2, 1), (10036, "10036-2", 1, 1), (10011, "10011", 1, 2), (10021, "10021", 1, 2),
        (10096, "10096", 1, 1), (10049, "10049-1", 0, 1)]
    assert alerts[3]["otherinfo"].startswith("This issue still applies to error type pages") and "\n" in alerts[3][
        "otherinfo"]
    judged = verdict(alerts, load_rules_file(RULES_FILE))
    assert judged.summary == "FAIL-NEW: 1\tFAIL-INPROG: 0\tWARN-NEW: 2\tWARN-INPROG: 0\tINFO: 1\tIGNORE: 0\tPASS: 17"
    assert judged.exit_code == 1
    assert judged.lines[:-1] == [
        "INFO-NEW: Timestamp Disclosure - Unix [10096] x 1 ",
        'WARN-NEW: Server Leaks Version Information via "Server" HTTP Response Header Field [10036] x 1 ',
        "WARN-NEW: Content Security Policy (CSP) Header Not Set [10038] x 1 ",
        "FAIL-NEW: X-Content-Type-Options Header Missing [10021] x 2 Every response must say nosniff"]
    assert "10011" in judged.passed  # both its instances are OUTOFSCOPE
    assert report_exit_code(REPORT, load_rules_file(RULES_FILE)) == 1


def test_a_report_with_the_insights_zap_2_17_adds_is_read_the_same(tmp_path):
    """ZAP 2.17's traditional-json can carry an `insights` list (statistics of the scan) before `site`."""
    document = json.loads(REPORT.read_text())
    document = {**{k: document[k] for k in ("@programName", "@version", "@generated", "created")},
                "insights": [{"level": "Info", "reason": "Informational", "site": "", "key": "insight.endpoint.total",
                              "description": "Count of total endpoints", "statistic": "3"}],
                "site": document["site"]}
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document))
    assert read_zap_report(path) == read_zap_report(REPORT)


@pytest.mark.parametrize(("rules", "exit_code", "counts"), [
    ("10021\tFAIL\t(x)\n", 1, {"FAIL": 1, "WARN": 4}),  # 10011, 10036, 10038, 10096 unlisted: WARN
    ("10021\tWARN\t(x)\n", 2, {"FAIL": 0, "WARN": 5}),
    ("*\tOUTOFSCOPE\thttps://127\\.0\\.0\\.1:8443/\n10096\tINFO\t(x)\n", 0, {"FAIL": 0, "WARN": 0}),
    ("10021\tIGNORE\t(x)\n10038\tIGNORE\t(x)\n10036\tIGNORE\t(x)\n10011\tINFO\t(x)\n10096\tINFO\t(x)\n", 0,
     {"FAIL": 0, "WARN": 0, "IGNORE": 3, "INFO": 2}),
])
def test_zap_baseline_exit_codes(tmp_path, rules, exit_code, counts):
    judged = verdict(read_zap_report(REPORT), load_rules_file(write_rules(tmp_path, rules)))
    assert judged.exit_code == exit_code
    assert {k: judged.counts[k] for k in counts} == counts


def test_exit_3_when_the_report_cannot_be_read_or_nothing_passed(tmp_path):
    rules = load_rules_file(RULES_FILE)
    assert report_exit_code(tmp_path / "absent.json", rules) == 3
    assert report_exit_code(FIXTURES / "malformed-report.json", rules) == 3
    assert verdict([], rules, known=[]).exit_code == 3  # zap-baseline: no FAIL, no WARN and no PASS either


@pytest.mark.parametrize(("content", "says"), [
    (None, "cannot be read"), ("{not json", "not JSON"), ("[]", "expected a JSON object"),
    ('{"site": [{"@name": "https://a.test", "alerts": [{"pluginid": "10021"}]}]}', "site[0].alerts[0]: no 'instances'"),
])
def test_a_bad_report_is_one_line(tmp_path, content, says):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        read_zap_report(path)
    assert says in str(caught.value) and str(path) in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match=r"site\[0\]\.alerts\[0\]\.riskcode: expected a string"):
        read_zap_report(FIXTURES / "malformed-report.json")


def test_without_a_rules_file_every_rule_warns_and_nothing_is_out_of_scope():
    alerts = read_zap_report(REPORT)
    judged = verdict(alerts, None)
    assert judged.exit_code == 2 and judged.counts["WARN"] == 5 and judged.counts["FAIL"] == 0
    assert in_scope(alerts, None) == alerts and {level_of(a, None) for a in alerts} == {"WARN"}


def test_in_scope_drops_out_of_scope_instances_and_emptied_alerts():
    rules = load_rules_file(RULES_FILE)
    kept = in_scope(read_zap_report(REPORT), rules)
    assert 10011 not in [a["pluginid"] for a in kept] and len(kept) == 5
    assert level_of(kept[0], rules) == "WARN" and level_of({"pluginid": 10021}, rules) == "FAIL"


def test_informational_alerts_never_count():
    alerts = [a for a in read_zap_report(REPORT) if a["pluginid"] == 10049]
    judged = verdict(alerts, load_rules_file(RULES_FILE))
    assert judged.rules == [] and judged.exit_code == 0


# -- traditional-json -----------------------------------------------------------------------------------------------


def test_traditional_json_validates_against_the_templates_schema_and_order():
    text = traditional_json(flawed_sites(), WHEN)
    document = json.loads(text)
    jsonschema.validate(document, SCHEMA)
    orders = key_orders(text)
    assert TOP in orders and SITE in orders and ALERT in orders and INSTANCE in orders
    assert {tuple(o) for o in orders} == {tuple(TOP), tuple(SITE), tuple(ALERT), tuple(INSTANCE)}
    assert document["@generated"] == "Mon, 7 Dec 2026 09:05:03" and document["created"] == "2026-12-07T09:05:03.120Z"
    assert text.startswith('{\n\t"@programName": "ZAP",\n\t"@version": "2.17.0",') and text.endswith("\n\t]\n\n}\n")


def test_traditional_json_values_as_zap_writes_them():
    document = json.loads(traditional_json(flawed_sites(), WHEN))
    site = document["site"][0]
    assert (site["@name"], site["@host"], site["@port"], site["@ssl"]) == (BASE, "127.0.0.1", "8443", "true")
    csp = next(a for a in site["alerts"] if a["pluginid"] == "10038")
    assert (csp["alertRef"], csp["riskcode"], csp["confidence"], csp["riskdesc"]) == ("10038-1", "2", "3",
                                                                                     "Medium (High)")
    assert csp["count"] == "2" and csp["systemic"] is False and csp["cweid"] == "693" and csp["wascid"] == "15"
    assert csp["desc"].startswith("<p>Content Security Policy (CSP) is an added layer") and csp["desc"].endswith("</p>")
    assert [i["uri"] for i in csp["instances"]] == [f"{BASE}/docs", f"{BASE}/docs/2"]
    ids = [i["id"] for a in site["alerts"] for i in a["instances"]]
    assert len(set(ids)) == len(ids)
    xcto = next(a for a in site["alerts"] if a["pluginid"] == "10021")
    assert xcto["otherinfo"].count("<p>") == 2  # two lines, two paragraphs


def test_our_report_and_the_zap_run_fixture_read_back_alike(tmp_path):
    jsonschema.validate(json.loads(REPORT.read_text()), SCHEMA)
    assert [o for o in key_orders(REPORT.read_text()) if o[0] == "pluginid"][0] == ALERT
    ours = tmp_path / "ours.json"
    sites = flawed_sites()
    ours.write_text(traditional_json(sites, WHEN))
    back = read_zap_report(ours, side="candidate")
    original = [a for s in sites for a in s["alerts"]]
    strip = ("systemic",)
    assert [{k: v for k, v in a.items() if k not in strip} for a in back] == [
        {k: v for k, v in a.items() if k not in strip} for a in original]


# -- HTML and SARIF -------------------------------------------------------------------------------------------------


def test_html_report_lists_alerts_by_risk_and_escapes_evidence():
    html = zap_html(flawed_sites(), WHEN)
    assert html.startswith("<!DOCTYPE html>") and "ZAP Scanning Report" in html
    assert "Content Security Policy (CSP) Header Not Set" in html and "<td>693</td>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    medium = html.index('<td class="risk-2">Medium</td>\n<td>')
    assert html[medium:].split("<td>", 1)[1].startswith(str(sum(
        a["riskcode"] == 2 for s in flawed_sites() for a in s["alerts"])))


def test_sarif_has_one_rule_per_plugin_and_one_result_per_instance():
    sites = flawed_sites()
    log = zap_sarif(sites)
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "ZAP"
    assert sorted(r["id"] for r in run["tool"]["driver"]["rules"]) == sorted(
        {str(a["pluginid"]) for s in sites for a in s["alerts"]})
    csp = [r for r in run["results"] if r["ruleId"] == "10038"]
    assert [r["level"] for r in csp] == ["warning", "warning"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in csp] == [
        f"{BASE}/docs", f"{BASE}/docs/2"]
    assert {r["level"] for r in run["results"] if r["ruleId"] == "10021"} == {"note"}


# -- a real ZAP through its API (a stub standing in for ZAPv2) --------------------------------------------------------


class StubZap:
    """What drive_zap uses of `zapv2.ZAPv2`: urlopen, pscan.records_to_scan (a string), core.alerts paged."""

    def __init__(self, alerts: list[dict[str, str]], queue: list[int], refuse: bool = False) -> None:
        self.opened: list[str] = []
        self._alerts, self._queue, self._refuse = alerts, queue, refuse
        self.pscan, self.core = self, self

    def urlopen(self, url: str) -> str:
        self.opened.append(url)
        return "ZAP Error [java.net.UnknownHostException]" if self._refuse else "<html></html>"

    @property
    def records_to_scan(self) -> str:
        return str(self._queue.pop(0) if len(self._queue) > 1 else self._queue[0])

    def alerts(self, start: int = 0, count: int = 5000, **_: Any) -> list[dict[str, str]]:
        return self._alerts[start:start + count]


def api_alert(url: str, plugin: str = "10021", ref: str = "10021", risk: str = "Low") -> dict[str, str]:
    return {"pluginId": plugin, "alertRef": ref, "alert": "X-Content-Type-Options Header Missing",
            "name": "X-Content-Type-Options Header Missing", "risk": risk, "confidence": "Medium", "url": url,
            "method": "GET", "param": "x-content-type-options", "attack": "", "evidence": "", "other": "",
            "description": "d", "solution": "s", "reference": "r", "cweid": "693", "wascid": "15", "messageId": "7"}


def test_drive_zap_accesses_each_url_waits_for_the_queue_and_groups_the_alerts():
    raw = [api_alert(f"{BASE}/api/v1/courses"), api_alert(f"{BASE}/api/v1/courses?page=2"),
           api_alert("https://elsewhere.test/x"), api_alert(f"{BASE}/", "10038", "10038-1", "Medium")]
    stub = StubZap(raw, queue=[3, 1, 0])
    made: list[tuple[str, str | None]] = []
    naps: list[float] = []

    def client(url: str, key: str | None) -> StubZap:
        made.append((url, key))
        return stub
    alerts = drive_zap("http://127.0.0.1:8090", "k3y", [f"{BASE}/api/v1/courses", f"{BASE}/"], side="candidate",
                       client=client, sleep=naps.append, page=2)
    assert made == [("http://127.0.0.1:8090", "k3y")] and stub.opened == [f"{BASE}/api/v1/courses", f"{BASE}/"]
    assert len(naps) == 2  # the queue drained after two waits
    assert [(a["pluginid"], a["alertRef"], a["riskcode"], a["confidence"], len(a["instances"])) for a in alerts] == [
        (10021, "10021", 1, 2, 2), (10038, "10038-1", 2, 2, 1)]
    assert verdict(alerts, load_rules_file(RULES_FILE)).exit_code == 1


@pytest.mark.parametrize(("api_url", "targets"), [("http://10.0.0.5:8090", [f"{BASE}/"]),
                                                  ("http://zap.example.test:8090", [f"{BASE}/"]),
                                                  ("http://127.0.0.1:8090", ["https://example.test/"])])
def test_drive_zap_refuses_anything_but_loopback(api_url, targets):
    def client(url: str, key: str | None) -> StubZap:
        raise AssertionError("no client may be made for a refused URL")
    with pytest.raises(ConfigError, match="loopback"):
        drive_zap(api_url, None, targets, client=client)


def test_drive_zap_fails_when_zap_refuses_a_url_or_its_queue_never_drains():
    with pytest.raises(TargetError, match="ZAP failed to access"):
        drive_zap("http://127.0.0.1:8090", None, [f"{BASE}/"], client=lambda u, k: StubZap([], [0], refuse=True))
    ticks = iter(range(0, 1000, 10))
    with pytest.raises(TargetError, match="did not drain within 30 s"):
        drive_zap("http://127.0.0.1:8090", None, [f"{BASE}/"], client=lambda u, k: StubZap([], [5]),
                  timeout=30, sleep=lambda s: None, clock=lambda: float(next(ticks)))


def test_drive_zap_reports_an_unreachable_zap_as_a_target_error():
    def client(url: str, key: str | None) -> Any:
        raise ConnectionRefusedError(111, "Connection refused")
    with pytest.raises(TargetError, match="ZAP at http://127.0.0.1:8090"):
        drive_zap("http://127.0.0.1:8090", None, [f"{BASE}/"], client=client)


def test_the_rules_we_apply_are_the_ones_pass_counts():
    judged = verdict([], load_rules_file(RULES_FILE))
    assert judged.counts["PASS"] == len(RULES) == 21 and judged.exit_code == 0
