"""ZAP's passive scan rules, applied by the harness itself to the responses it saw (ZAP cannot be installed here).

    RULES               plugin id -> `Rule`: the 21 rules of zap-extensions' pscanrules / pscanrulesBeta that issue 14
                        names, each with ZAP's rule name (what a zap-baseline rules file lists: "Anti-clickjacking
                        Header" for 10020), default risk (0-3), confidence (0-4), CWE and WASC ids, description,
                        solution and reference (its Messages.properties), and its alerts by alertRef, each with its
                        own name and texts ("10020-1" Missing Anti-clickjacking Header, "-2" multiple, "-3" META,
                        "-4" malformed; "90004-1" CORP, "-2" COEP, "-3" COOP; ...)
    Rule.applies(ex)    None when ZAP's rule looks at this response, else why not ("not applicable: application/json,
                        not HTML"), from the rule's own early returns at ZAP's default (MEDIUM) alert threshold
    Rule.check(ex)      the rule's `Instance`s on one response ([] when it does not apply)
    scan(exchanges)     a `PassiveScan`: the alerts grouped as ZAP groups them (one `Alert` per side, site, plugin id
                        and alertRef, with its instances), and per side and rule how many responses the rule applied
                        to and how many it skipped, by reason

An alert as plain data (`Alert.to_dict()`, also what harness.security.zap reads from a real ZAP's report or API):
    {"pluginid": 10021, "alertRef": "10021", "name": ..., "riskcode": 1, "confidence": 2, "desc": ...,
     "solution": ..., "otherinfo": ..., "reference": ..., "cweid": 693, "wascid": 15, "systemic": false,
     "side": "candidate", "site": "https://127.0.0.1:8443",
     "instances": [{"uri", "method", "param", "attack", "evidence", "otherinfo"}]}
`PassiveScan.sites(side)` groups them by site, the shape harness.report.zap renders.

The rules themselves live in harness/security/zaprules/ (ZAP's texts, then the rules by what they read).

Where the harness deliberately differs from ZAP:
- The alert threshold is ZAP's default, MEDIUM, and fixed: the alerts ZAP raises only at LOW (10035-4 HSTS on plain
  HTTP, 10036-1 Server without a version) are named but never raised. No cookie or form ignore lists, no security
  annotations (10202's Informational variant).
- Every instance is kept. ZAP stops recording a SYSTEMIC-tagged rule's instances after 5 per site and alertRef (its
  alert.systemicLimit) and marks the alert `systemic`; zap-baseline also caps each rule at 10 alerts. The harness
  keeps them all (the area reports per operation) and sets `systemic` where ZAP would have: a SYSTEMIC-tagged rule
  with more than 5 instances.
- One alert per (plugin id, alertRef): where ZAP varies the risk within one alertRef (10055-1/-2 with or without a
  CSP header), the alert carries the highest.
- 10055 (CSP) evaluates the policy itself, not with ZAP's Salvation parser: X-Content-Security-Policy (-1),
  X-WebKit-CSP (-2), wildcard sources (-4), no-fallback directives (-13), unsafe-inline (-5, -6), unsafe-hashes
  (-7, -8), non-ASCII policy (-9), unsafe-eval (-10), META policy directives (-11) and header & META (-12); the
  parser's notices (-3) are not reproduced.
- 10062 (PII) has no BIN list, so a card number is reported at Medium confidence (ZAP: High when the BIN is known).
  It also skips a digit run inside a longer token with letters in it (a JWT, a session or hex id): ZAP raises
  those (zaproxy/zaproxy#8303, #8986) and its maintainers answer with an alert filter; a random token that happens
  to hold a Luhn-valid run would otherwise fail one scan in many.
- 10096 prints the decoded timestamp in UTC (ZAP: the scanning machine's zone).
- 90022 also matches "Traceback (most recent call last):", a Python stack trace, as a custom payload of ZAP's
  Application-Errors category would; ZAP's own pattern list names none of Python's. Of that list's regexes, the
  ones written against one product's HTML markup are left out.
- HTML is read with the standard library's parser (ZAP: Jericho): a <form> with no parent element is skipped, as
  ZAP skips it.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .model import Exchange
from .zaprules import base, content, cookies, csp, headers
from .zaprules.base import Instance
from .zaprules.texts import MESSAGES as _M

__all__ = ["RULES", "SYSTEMIC_LIMIT", "Alert", "Coverage", "Instance", "PassiveScan", "Rule", "Variant", "scan",
           "site_of"]

# -- the data model ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variant:
    """One alert a rule raises, as ZAP names it: its alertRef and its texts."""

    ref: str
    name: str
    risk: int
    confidence: int
    cwe: int
    wasc: int
    description: str
    solution: str
    reference: str


Applies = Callable[[Exchange], "str | None"]
Check = Callable[[Exchange], "list[Instance]"]


@dataclass(frozen=True)
class Rule:
    """One ZAP passive rule. `name` is the rule's own name (what zap-baseline's rules file lists); risk, confidence,
    CWE, WASC and texts are its main alert's; `variants` holds every alert it raises, by alertRef."""

    plugin_id: int
    name: str
    variants: Mapping[str, Variant]
    applies_to: Applies
    finds: Check
    systemic: bool = True  # ZAP tags the rule SYSTEMIC (its instances are capped per site)

    @property
    def main(self) -> Variant:
        """The variant that stands for the rule: its riskiest, the first of equals."""
        return max(self.variants.values(), key=lambda v: v.risk)

    @property
    def risk(self) -> int:
        return self.main.risk

    @property
    def confidence(self) -> int:
        return self.main.confidence

    @property
    def cwe(self) -> int:
        return self.main.cwe

    @property
    def wasc(self) -> int:
        return self.main.wasc

    @property
    def description(self) -> str:
        return self.main.description

    @property
    def solution(self) -> str:
        return self.main.solution

    @property
    def reference(self) -> str:
        return self.main.reference

    def applies(self, exchange: Exchange) -> str | None:
        return self.applies_to(exchange)

    def check(self, exchange: Exchange) -> list[Instance]:
        return [] if self.applies(exchange) is not None else self.finds(exchange)


#: ZAP's alert.systemicLimit default: a SYSTEMIC rule's alert with more instances than this is systemic.
SYSTEMIC_LIMIT = 5


@dataclass(slots=True)
class Alert:
    """One alert as ZAP's reports show it: a rule's variant on one site, with every instance (on one side)."""

    plugin_id: int
    variant: Variant
    side: str
    site: str
    systemic_rule: bool = True
    instances: list[Instance] = field(default_factory=list)

    @property
    def risk(self) -> int:
        return max((self.variant.risk if i.risk is None else i.risk for i in self.instances),
                   default=self.variant.risk)

    @property
    def systemic(self) -> bool:
        return self.systemic_rule and len(self.instances) > SYSTEMIC_LIMIT

    def to_dict(self) -> dict[str, Any]:
        v = self.variant
        return {"pluginid": self.plugin_id, "alertRef": v.ref, "name": v.name, "riskcode": self.risk,
                "confidence": v.confidence, "desc": v.description, "solution": v.solution,
                "otherinfo": self.instances[0].otherinfo if self.instances else "", "reference": v.reference,
                "cweid": v.cwe, "wascid": v.wasc, "systemic": self.systemic, "side": self.side, "site": self.site,
                "instances": [i.to_dict() for i in self.instances]}


@dataclass(slots=True)
class Coverage:
    """How many responses of one side a rule looked at, and why it skipped the others."""

    applied: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "skipped": sum(self.skipped.values()), "reasons": dict(self.skipped)}


@dataclass(slots=True)
class PassiveScan:
    alerts: list[Alert]
    coverage: dict[str, dict[int, Coverage]]  # side -> plugin id -> coverage

    def alerts_for(self, side: str) -> list[Alert]:
        return [a for a in self.alerts if a.side == side]

    def sites(self, side: str) -> list[dict[str, Any]]:
        """This side's alerts by site, as harness.report.zap renders them: [{"name": site, "alerts": [...]}]."""
        by_site: dict[str, list[dict[str, Any]]] = {}
        for alert in self.alerts_for(side):
            by_site.setdefault(alert.site, []).append(alert.to_dict())
        return [{"name": site, "alerts": alerts} for site, alerts in by_site.items()]

    def to_dict(self) -> dict[str, Any]:
        return {"alerts": [a.to_dict() for a in self.alerts],
                "coverage": {side: {str(pid): c.to_dict() for pid, c in rules.items()}
                             for side, rules in self.coverage.items()}}


def scan(exchanges: Iterable[Exchange], rules: Mapping[int, Rule] | None = None) -> PassiveScan:
    """Every rule over every exchange: alerts ordered by side, then highest risk first, then plugin id."""
    rules = RULES if rules is None else rules
    grouped: dict[tuple[str, str, int, str], Alert] = {}
    coverage: dict[str, dict[int, Coverage]] = defaultdict(lambda: {pid: Coverage() for pid in rules})
    for exchange in exchanges:
        site = site_of(exchange.url)
        for pid, rule in rules.items():
            reason = rule.applies(exchange)
            counted = coverage[exchange.side][pid]
            if reason is not None:
                counted.skipped[reason] += 1
                continue
            counted.applied += 1
            for found in rule.finds(exchange):
                key = (exchange.side, site, pid, found.ref)
                alert = grouped.get(key)
                if alert is None:
                    alert = grouped[key] = Alert(pid, rule.variants[found.ref], exchange.side, site, rule.systemic)
                alert.instances.append(found)
    alerts = sorted(grouped.values(), key=lambda a: (a.side, a.site, -a.risk, a.plugin_id, a.variant.ref))
    return PassiveScan(alerts, dict(coverage))


def site_of(url: str) -> str:
    """ZAP's site of a URL: scheme://host, with the port unless it is the scheme's default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{parts.scheme}://{host}{port}"




# -- the rules -------------------------------------------------------------------------------------------------------


def _variant(ref: str, key: str, risk: int, confidence: int, cwe: int, wasc: int, **texts: str) -> Variant:
    """A variant whose texts are ZAP's messages `<key>.name`, `.desc`, `.soln`, `.refs` unless given."""
    def text(part: str) -> str:
        return texts[part] if part in texts else _M.get(f"{key}.{part}", "")
    return Variant(ref, text("name"), risk, confidence, cwe, wasc, text("desc"), text("soln"), text("refs"))


def _variants(*variants: Variant) -> dict[str, Variant]:
    return {v.ref: v for v in variants}


def _always(ex: Exchange) -> str | None:
    return None


def _https_only(ex: Exchange) -> str | None:
    return None if ex.https else "not applicable: plain HTTP (the Secure flag matters over HTTPS)"


def _csp_variants() -> dict[str, Variant]:
    base = {"desc": _M["csp.desc"], "soln": _M["csp.soln"], "refs": _M["csp.refs"]}

    def csp(ref: str, key: str, risk: int, **texts: str) -> Variant:
        return _variant(f"10055-{ref}", "csp", risk, 3, 693, 15,
                        **{**base, "name": f"CSP: {_M[key]}", **texts})
    return _variants(
        csp("1", "csp.xcsp.name", 1), csp("2", "csp.xwkcsp.name", 1), csp("4", "csp.wildcard.name", 2),
        csp("5", "csp.scriptsrc.unsafe.name", 2), csp("6", "csp.stylesrc.unsafe.name", 2),
        csp("7", "csp.scriptsrc.unsafe.hashes.name", 2, refs=_M["csp.scriptsrc.unsafe.hashes.refs"]),
        csp("8", "csp.stylesrc.unsafe.hashes.name", 2, refs=_M["csp.stylesrc.unsafe.hashes.refs"]),
        csp("9", "csp.malformed.name", 2), csp("10", "csp.scriptsrc.unsafe.eval.name", 2),
        csp("11", "csp.meta.bad.directive.name", 2, desc=_M["csp.meta.bad.directive.desc"]),
        csp("12", "csp.both.name", 0, desc=_M["csp.both.desc"]),
        csp("13", "csp.nofallback.name", 2, desc=_M["csp.nofallback.desc"]))


def _hsts_variants() -> dict[str, Variant]:
    keys = {"1": "", "2": "max.age.", "3": "compliance.multiple.header.", "4": "plain.resp.",
            "5": "compliance.max.age.missing.", "6": "compliance.meta.", "7": "compliance.max.age.malformed.",
            "8": "compliance.malformed.content."}
    return _variants(*(_variant(f"10035-{ref}", f"stricttransportsecurity.{key}".rstrip("."), 0 if ref == "4" else 1,
                                3, 319, 15) for ref, key in keys.items()))


def _clickjacking_variants() -> dict[str, Variant]:
    keys = {"1": "missing", "2": "multiple.header", "3": "compliance.meta", "4": "compliance.malformed.setting"}
    return _variants(*(_variant(f"10020-{ref}", f"anticlickjacking.{key}", 2, 2, 1021, 15)
                       for ref, key in keys.items()))


def _isolation_variants() -> dict[str, Variant]:
    return _variants(*(_variant(f"90004-{ref}", f"site-isolation.{key}", 1, 2, 693, 14)
                       for ref, key in (("1", "corp"), ("2", "coep"), ("3", "coop"))))


def _csrf_variant() -> Variant:
    return _variant("10202", "noanticsrftokens", 2, 1, 352, 9,
                    desc=f"{_M['noanticsrftokens.desc']}\n{_M['wasc9.desc']}", soln=_M["wasc9.soln"],
                    refs=_M["wasc9.refs"])


def _build() -> dict[int, Rule]:
    pp, ph = "permissionspolicymissing", "site-isolation.name"
    rules = (
        Rule(10010, _M["cookiehttponly.name"], _variants(_variant("10010", "cookiehttponly", 1, 2, 1004, 13)), _always,
             lambda ex: cookies.cookies_lacking(ex, "10010", "HttpOnly")),
        Rule(10011, _M["cookiesecureflag.name"], _variants(_variant("10011", "cookiesecureflag", 1, 2, 614, 13)),
             _https_only, lambda ex: cookies.cookies_lacking(ex, "10011", "Secure")),
        Rule(10015, _M["cachecontrol.name"], _variants(_variant("10015", "cachecontrol", 0, 1, 525, 13)),
             headers.cache_control_applies, headers.cache_control),
        Rule(10019, _M["contenttypemissing.name"], _variants(
            _variant("10019-1", "contenttypemissing", 0, 2, 345, 12),
            _variant("10019-2", "contenttypemissing", 0, 2, 345, 12, name=_M["contenttypemissing.name.empty"])),
             base.empty, headers.content_type),
        Rule(10020, _M["anticlickjacking.name"], _clickjacking_variants(), headers.clickjacking_applies,
             headers.clickjacking),
        Rule(10021, _M["xcontenttypeoptions.name"], _variants(_variant("10021", "xcontenttypeoptions", 1, 2, 693, 15)),
             lambda ex: base.first_reason(base.empty(ex), base.error_or_redirect(ex)), headers.nosniff),
        Rule(10023, _M["informationdisclosuredebugerrors.name"], _variants(
            _variant("10023", "informationdisclosuredebugerrors", 1, 2, 1295, 13)),
             content.debug_applies, content.debug, False),
        Rule(10035, _M["stricttransportsecurity.rule.name"], _hsts_variants(), headers.hsts_applies, headers.hsts),
        Rule(10036, _M["serverheader.rule.name"], _variants(
            _variant("10036-2", "serverheaderversioninfoleak", 1, 3, 497, 13,
                     soln=_M["serverheaderinfoleak.general.soln"], refs=_M["serverheaderinfoleak.general.refs"]),
            _variant("10036-1", "serverheaderinfoleak", 0, 3, 497, 13,
                     soln=_M["serverheaderinfoleak.general.soln"], refs=_M["serverheaderinfoleak.general.refs"])),
             _always, headers.server),
        Rule(10037, _M["xpoweredbyheaderinfoleak.name"], _variants(
            _variant("10037", "xpoweredbyheaderinfoleak", 1, 2, 497, 13)), _always, headers.powered_by),
        Rule(10038, _M["contentsecuritypolicymissing.name"], _variants(
            _variant("10038-1", "contentsecuritypolicymissing", 2, 3, 693, 15),
            _variant("10038-2", "contentsecuritypolicymissing", 0, 3, 693, 15,
                     name=_M["contentsecuritypolicymissing.obs.name"],
                     desc=_M["contentsecuritypolicymissing.obs.desc"]),
            _variant("10038-3", "contentsecuritypolicymissing", 0, 3, 693, 15,
                     name=_M["contentsecuritypolicymissing.ro.name"], desc=_M["contentsecuritypolicymissing.ro.desc"],
                     refs=_M["contentsecuritypolicymissing.ro.refs"])),
             headers.csp_missing_applies, headers.csp_missing),
        Rule(10054, _M["cookiesamesite.name"], _variants(
            _variant("10054-1", "cookiesamesite", 1, 2, 1275, 13),
            _variant("10054-2", "cookiesamesite", 1, 2, 1275, 13, name=_M["cookiesamesite.none.name"],
                     desc=_M["cookiesamesite.none.desc"]),
            _variant("10054-3", "cookiesamesite", 1, 2, 1275, 13, name=_M["cookiesamesite.badval.name"],
                     desc=_M["cookiesamesite.badval.desc"])), _always, cookies.same_site),
        Rule(10055, _M["csp.name"], _csp_variants(), base.not_html, csp.policy),
        Rule(10062, _M["pii.name"], _variants(_variant("10062", "pii", 3, 2, 359, 13)),
             content.pii_applies, content.pii, False),
        Rule(10063, _M[f"{pp}.name"], _variants(
            _variant("10063-1", pp, 1, 2, 693, 15),
            _variant("10063-2", f"{pp}.deprecated", 1, 2, 16, 15)), headers.permissions_applies, headers.permissions),
        Rule(10096, _M["timestampdisclosure.name"], _variants(
            _variant("10096", "timestampdisclosure", 1, 1, 497, 13, name=f"{_M['timestampdisclosure.name']} - Unix",
                     desc=f"{_M['timestampdisclosure.desc']} - Unix")), content.timestamp_applies, content.timestamps),
        Rule(10098, _M["crossdomain.name"], _variants(_variant("10098", "crossdomain", 2, 2, 264, 14)), _always,
             headers.cors),
        Rule(10202, _M["noanticsrftokens.name"], _variants(_csrf_variant()), base.not_html, content.csrf),
        Rule(90004, _M[ph], _isolation_variants(), headers.site_isolation_applies, headers.site_isolation),
        Rule(90022, _M["applicationerrors.name"], _variants(_variant("90022", "applicationerrors", 2, 2, 550, 13)),
             content.app_error_applies, content.app_error, False),
        Rule(90033, _M["cookielooselyscoped.name"], _variants(
            _variant("90033", "cookielooselyscoped", 0, 1, 565, 15)), _always, cookies.loosely_scoped),
    )
    return {rule.plugin_id: rule for rule in rules}


RULES: dict[int, Rule] = _build()
