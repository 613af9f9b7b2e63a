"""ZAP's baseline verdict over passive alerts, and the two ways alerts come from a real ZAP: its report, its API.

    load_rules_file(path) -> RulesConfig    zap-baseline.py's `-c` rules file: `<id> TAB <IGNORE|INFO|WARN|FAIL>
                                            TAB (<name>)` lines (an optional user message after a further tab),
                                            `<ids> TAB OUTOFSCOPE TAB <url regex>` lines (ids comma-separated, `*`
                                            for every rule), `#` comments and blank lines; anything else is a
                                            ConfigError naming the file and the line
    verdict(alerts, rules) -> Verdict       what zap-baseline.py decides: per rule its level, alerts and instances,
                                            the lines it prints, its summary line, its exit code (rules None: no
                                            rules file, every rule WARN)
    in_scope(alerts, rules), level_of(alert, rules)   the OUTOFSCOPE filter and a rule's level, for the area
    read_zap_report(path) -> [alert]        a traditional-json report of a real ZAP run, structure checked
    report_exit_code(path, rules) -> int    the verdict's exit code for such a report; 3 when it cannot be read
    drive_zap(api_url, api_key, urls)       a real ZAP on loopback (ZAP_API_URL), through the `zaproxy` client:
                                            each URL accessed through it, the passive queue drained, its alerts read

Alerts are the plain dicts of harness.security.passive (`Alert.to_dict()`): pluginid, alertRef, name, riskcode,
confidence, cweid, wascid as numbers, texts, side, site and instances.

zap-baseline's semantics, as docker/zap-baseline.py and docker/zap_common.py have them: OUTOFSCOPE regexes are
matched (`re.match`, anchored at the start) against each instance's URI and drop it; Informational alerts are dropped
before any level is applied; a rule not in the file is WARN; IGNORE and INFO rules are counted but do not fail; a
rule set to PASS is accepted and counted nowhere; the counts are of rules, not of instances; PASS counts the known
rules with no alert left. Exit codes: 1 when a rule FAILs, else 2 when one WARNs, else 0 when at least one rule
passed, else 3 (as zap-baseline, which also exits 3 on any other failure: an unreadable report is a ConfigError here,
which the area maps to 3). The harness has no in-progress issues file: FAIL-INPROG and WARN-INPROG are always 0.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.core.errors import ConfigError, TargetError
from harness.core.urlguard import UnsafeUrl, check_base_url, is_loopback_host

from .model import CONFIDENCE_NAMES, RISK_NAMES
from .passive import RULES, site_of

LEVELS = ("PASS", "IGNORE", "INFO", "WARN", "FAIL")  # zap_common.zap_conf_lvls
DEFAULT_LEVEL = "WARN"


@dataclass(frozen=True)
class RulesConfig:
    path: str
    levels: dict[str, str] = field(default_factory=dict)  # plugin id -> level
    messages: dict[str, str] = field(default_factory=dict)  # plugin id -> the user's message
    out_of_scope: dict[str, list[re.Pattern[str]]] = field(default_factory=dict)  # plugin id or "*" -> regexes

    def level(self, plugin_id: int | str) -> str:
        return self.levels.get(str(plugin_id), DEFAULT_LEVEL)

    def in_scope(self, plugin_id: int | str, url: str) -> bool:
        patterns = self.out_of_scope.get("*", []) + self.out_of_scope.get(str(plugin_id), [])
        return not any(p.match(url) for p in patterns)


#: No rules file: every rule at zap-baseline's default level.
NO_RULES = RulesConfig("(no rules file)")


def _id(value: str, where: str, *, star: bool = False) -> str:
    value = value.strip()
    if value.isdigit() or (star and value == "*"):
        return value
    raise ConfigError(f"{where}: {value!r} is not a rule id (a number{', or *' if star else ''})")


def _rules_line(config: RulesConfig, line: str, where: str) -> None:
    if line.count("\t") < 2:
        raise ConfigError(f"{where}: expected at least 3 tab-separated fields (<id>, a level or OUTOFSCOPE, "
                          f"then the rule's name or a URL regex)")
    key, level, rest = line.rstrip().split("\t", 2)
    if level == "OUTOFSCOPE":
        try:
            pattern = re.compile(rest)
        except re.error as exc:
            raise ConfigError(f"{where}: OUTOFSCOPE regex {rest!r} does not compile: {exc}") from None
        for plugin_id in key.split(","):
            config.out_of_scope.setdefault(_id(plugin_id, where, star=True), []).append(pattern)
        return
    if level not in LEVELS:
        raise ConfigError(f"{where}: level {level!r} is not one of {', '.join(LEVELS)} or OUTOFSCOPE")
    plugin_id = _id(key, where)
    config.levels[plugin_id] = level
    config.messages[plugin_id] = rest.split("\t", 1)[1].strip() if "\t" in rest else ""


def load_rules_file(path: str | Path) -> RulesConfig:
    """The rules of a zap-baseline rules file; ConfigError (one line, file and line number) on a fault."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"ZAP rules file {path}: cannot be read ({exc.__class__.__name__})") from None
    config = RulesConfig(str(path))
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#") or not line.strip():
            continue
        _rules_line(config, line, f"ZAP rules file {path} line {number}")
    return config


# -- the verdict ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """One rule that alerted (in scope, above Informational): its level, name, alerts and instances."""

    plugin_id: str
    name: str
    level: str
    alerts: int
    instances: int
    message: str = ""

    @property
    def line(self) -> str:
        """The line zap-baseline prints for the rule ("WARN-NEW: <name> [<id>] x <count> <message>"; it counts
        the API's alerts, one per instance)."""
        return f"{self.level}-NEW: {self.name} [{self.plugin_id}] x {self.instances} {self.message}"


@dataclass(frozen=True, slots=True)
class Verdict:
    rules: list[RuleVerdict]
    counts: dict[str, int]  # FAIL, WARN, INFO, IGNORE, PASS: numbers of rules
    passed: list[str]  # the known rules with no alert left

    @property
    def summary(self) -> str:
        c = self.counts
        return (f"FAIL-NEW: {c['FAIL']}\tFAIL-INPROG: 0\tWARN-NEW: {c['WARN']}\tWARN-INPROG: 0\t"
                f"INFO: {c['INFO']}\tIGNORE: {c['IGNORE']}\tPASS: {c['PASS']}")

    @property
    def exit_code(self) -> int:
        if self.counts["FAIL"]:
            return 1
        if self.counts["WARN"]:
            return 2
        return 0 if self.counts["PASS"] else 3

    @property
    def lines(self) -> list[str]:
        """What zap-baseline prints, in its order: IGNORE, INFO, WARN, FAIL rules, then the summary."""
        order = ("IGNORE", "INFO", "WARN", "FAIL")
        ranked = sorted((r for r in self.rules if r.level in order), key=lambda r: order.index(r.level))
        return [r.line for r in ranked] + [self.summary]

    def to_dict(self) -> dict[str, Any]:
        return {"rules": [{"pluginid": r.plugin_id, "name": r.name, "level": r.level, "alerts": r.alerts,
                           "instances": r.instances} for r in self.rules],
                "counts": dict(self.counts), "passed": list(self.passed), "summary": self.summary,
                "exit_code": self.exit_code}


def in_scope(alerts: Iterable[dict[str, Any]], rules: RulesConfig | None) -> list[dict[str, Any]]:
    """The alerts with their OUTOFSCOPE instances dropped (an alert left with none is dropped too)."""
    rules = rules or NO_RULES
    kept = []
    for alert in alerts:
        instances = [i for i in alert.get("instances", []) if rules.in_scope(alert["pluginid"], i["uri"])]
        if instances:
            kept.append({**alert, "instances": instances})
    return kept


def level_of(alert: dict[str, Any], rules: RulesConfig | None) -> str:
    """The alert's rule's level (WARN when the file does not list it, or there is no file)."""
    return (rules or NO_RULES).level(alert["pluginid"])


def verdict(alerts: Iterable[dict[str, Any]], rules: RulesConfig | None,
            known: Iterable[int | str] | None = None) -> Verdict:
    """zap-baseline's verdict on `alerts` (no rules file: every rule WARN). `known` is the set of rules that ran
    (ZAP: every passive scanner it has; default: the harness's RULES), of which those left without an alert PASS."""
    rules = rules or NO_RULES
    kept: dict[str, list[dict[str, Any]]] = {}
    for alert in in_scope(alerts, rules):
        if int(alert["riskcode"]) != 0:  # zap_get_alerts: "Ignore all info alerts"
            kept.setdefault(str(alert["pluginid"]), []).append(alert)
    judged = [RuleVerdict(pid, found[0]["name"], rules.level(pid), len(found),
                          sum(len(a["instances"]) for a in found), rules.messages.get(pid, ""))
              for pid, found in sorted(kept.items())]
    known_ids = {str(pid) for pid in (RULES if known is None else known)}
    passed = sorted(known_ids - set(kept), key=int)
    counts = {level: sum(r.level == level for r in judged) for level in ("FAIL", "WARN", "INFO", "IGNORE")}
    counts["PASS"] = len(passed)
    return Verdict(judged, counts, passed)


# -- a real ZAP's report -------------------------------------------------------------------------------------------

_CONFIDENCES = {name: code for code, name in CONFIDENCE_NAMES.items()} | {"Confirmed": 4}
_RISKS = {name: code for code, name in RISK_NAMES.items()}


def _text(paragraphs: str) -> str:
    """A report's `<p>…</p><p>…</p>` paragraphs back to lines."""
    text = paragraphs.removeprefix("<p>").removesuffix("</p>")
    return text.replace("</p><p>", "\n")


def _field(document: dict[str, Any], key: str, where: str) -> Any:
    if key not in document:
        raise ConfigError(f"{where}: no {key!r}")
    return document[key]


def _string(document: dict[str, Any], key: str, where: str, pattern: str | None = None) -> str:
    value = _field(document, key, where)
    if not isinstance(value, str) or (pattern is not None and not re.fullmatch(pattern, value)):
        wanted = f"a string matching {pattern}" if pattern else "a string"
        raise ConfigError(f"{where}.{key}: expected {wanted}, not {value!r}"[:300])
    return value


def _list(document: dict[str, Any], key: str, where: str) -> list[Any]:
    value = _field(document, key, where)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(f"{where}.{key}: expected a list of objects")
    return value


def _report_instance(instance: dict[str, Any], where: str) -> dict[str, str]:
    return {key: _string(instance, key, where) if key in ("uri", "method") else str(instance.get(key) or "")
            for key in ("uri", "method", "param", "attack", "evidence", "otherinfo")}


def _report_alert(alert: dict[str, Any], site: str, side: str, where: str) -> dict[str, Any]:
    instances = [_report_instance(i, f"{where}.instances[{n}]") for n, i in enumerate(_list(alert, "instances", where))]
    texts = {key: _text(str(alert.get(key) or "")) for key in ("desc", "solution", "otherinfo", "reference")}
    return {"pluginid": int(_string(alert, "pluginid", where, r"-?\d+")),
            "alertRef": str(alert.get("alertRef") or alert["pluginid"]),
            "name": _string(alert, "name", where) if "name" in alert else _string(alert, "alert", where),
            "riskcode": int(_string(alert, "riskcode", where, r"[0-3]")),
            "confidence": int(_string(alert, "confidence", where, r"[0-4]")), **texts,
            "cweid": int(_string(alert, "cweid", where, r"-?\d+")),
            "wascid": int(_string(alert, "wascid", where, r"-?\d+")),
            "systemic": alert.get("systemic") is True, "side": side, "site": site, "instances": instances}


def read_zap_report(path: str | Path, side: str = "zap") -> list[dict[str, Any]]:
    """The alerts of a traditional-json report (every site's), as alert dicts; ConfigError (one line) when the file
    cannot be read, is not JSON or is not shaped as ZAP's template shapes it."""
    where = f"ZAP report {path}"
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.__class__.__name__})") from None
    except ValueError as exc:
        raise ConfigError(f"{where}: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{where}: expected a JSON object with a 'site' list")
    alerts = []
    for s, site in enumerate(_list(document, "site", where)):
        name = _string(site, "@name", f"{where}: site[{s}]")
        alerts += [_report_alert(alert, name, side, f"{where}: site[{s}].alerts[{a}]")
                   for a, alert in enumerate(_list(site, "alerts", f"{where}: site[{s}]"))]
    return alerts


def report_exit_code(path: str | Path, rules: RulesConfig, known: Iterable[int | str] | None = None) -> int:
    """zap-baseline's exit code for a report of a ZAP run: its verdict's, or 3 when the report cannot be read."""
    try:
        alerts = read_zap_report(path)
    except ConfigError:
        return 3
    return verdict(alerts, rules, known).exit_code


# -- a real ZAP through its API ------------------------------------------------------------------------------------


def _zap_client(api_url: str, api_key: str | None) -> Any:
    from zapv2 import ZAPv2

    return ZAPv2(apikey=api_key, proxies={"http": api_url, "https": api_url})


def _loopback(api_url: str, urls: Sequence[str]) -> str:
    try:
        base = check_base_url(api_url)
    except UnsafeUrl as exc:
        raise ConfigError(f"ZAP_API_URL {api_url!r}: {exc}") from None
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not is_loopback_host(urlsplit(url).hostname or ""):
            raise ConfigError(f"ZAP target {url!r}: the harness sends requests to loopback only")
    return base


def _api_alert(found: dict[str, Any]) -> tuple[tuple[str, str, str], dict[str, Any]]:
    site = site_of(found["url"])
    ref = str(found.get("alertRef") or found["pluginId"])
    alert = {"pluginid": int(found["pluginId"]), "alertRef": ref, "name": found.get("name") or found["alert"],
             "riskcode": _RISKS[found["risk"]], "confidence": _CONFIDENCES[found["confidence"]],
             "desc": found.get("description", ""), "solution": found.get("solution", ""),
             "otherinfo": found.get("other", ""), "reference": found.get("reference", ""),
             "cweid": int(found.get("cweid") or -1), "wascid": int(found.get("wascid") or -1), "systemic": False,
             "site": site, "instances": []}
    return (site, str(found["pluginId"]), ref), alert


def _api_alerts(raw: Iterable[dict[str, Any]], sites: set[str], side: str) -> list[dict[str, Any]]:
    """The API's alerts (one per instance) grouped as the report groups them, on the targets' sites only."""
    grouped: dict[tuple[str, str, str], dict[str, Any]] = {}
    for found in raw:
        key, alert = _api_alert(found)
        if key[0] not in sites:
            continue
        alert = grouped.setdefault(key, {**alert, "side": side})
        alert["instances"].append({"uri": found["url"], "method": found.get("method", ""),
                                   "param": found.get("param", ""), "attack": found.get("attack", ""),
                                   "evidence": found.get("evidence", ""), "otherinfo": found.get("other", "")})
    return list(grouped.values())


def _wait_for_passive_scan(zap: Any, timeout: float, sleep: Callable[[float], None],
                           clock: Callable[[], float]) -> None:
    deadline = clock() + timeout
    while int(zap.pscan.records_to_scan) > 0:
        if clock() >= deadline:
            raise TargetError(f"ZAP's passive scan queue did not drain within {timeout:g} s")
        sleep(0.5)


def drive_zap(api_url: str, api_key: str | None, urls: Sequence[str], *, side: str = "zap", timeout: float = 120.0,
              client: Callable[[str, str | None], Any] = _zap_client, sleep: Callable[[float], None] = time.sleep,
              clock: Callable[[], float] = time.monotonic, page: int = 5000) -> list[dict[str, Any]]:
    """Each URL requested through the ZAP at `api_url` (loopback only, as are the URLs), its passive scan queue
    waited for (at most `timeout` s: TargetError past it), then its alerts on the URLs' sites, as alert dicts.
    TargetError (exit 3) when ZAP cannot be reached or refuses a URL."""
    from requests import RequestException

    base = _loopback(api_url, urls)
    try:
        zap = client(base, api_key)
        for url in urls:
            answer = zap.urlopen(url)
            if str(answer).startswith("ZAP Error"):
                raise TargetError(f"ZAP failed to access {url}: {answer}")
        _wait_for_passive_scan(zap, timeout, sleep, clock)
        raw: list[dict[str, Any]] = []
        while batch := zap.core.alerts(start=len(raw), count=page):
            raw += batch
    except (RequestException, OSError, ValueError) as exc:
        raise TargetError(f"ZAP at {base}: {exc.__class__.__name__}: {exc}"[:300]) from None
    return _api_alerts(raw, {site_of(url) for url in urls}, side)
