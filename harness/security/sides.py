"""What the security area does to one side, and what it keeps (`SideOutcome`).

    scan_source(run, opts, side, outcome)            bandit over its source, the audit of its requirements
    scan_served(run, opts, side, settings, outcome)  served over TLS: crawl, passive rules (or a real ZAP), grade,
                                                     probes; the server stopped on every way out

A rate-limited side answers a burst of logins with 429: the crawl and the probes wait as a patient client would
(`Patient`: until the window the side names resets, at most a minute), except the brute-force probe, which counts
on seeing the 429.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from harness.core import paths
from harness.core.config import TargetSettings
from harness.core.runs import Run
from harness.http import HttpSide, Reply, Sent
from harness.seed import accounts

from . import audit as audit_mod
from . import observatory, passive, probes_auth, probes_data, static, zap
from .crawl import CrawlSummary, Recorder, crawl
from .model import Exchange, Proof, retry_after
from .tls import LocalCA, served_pair

if TYPE_CHECKING:
    from .area import SecurityOptions

Send = Callable[[Sent], Reply]
EVIL_ORIGIN = "https://evil.example"


@dataclass(slots=True)
class SideOutcome:
    side: str
    done: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    bandit: static.BanditRun | None = None
    issues: list[static.Issue] = field(default_factory=list)
    audit: audit_mod.AuditResult | None = None
    crawl: CrawlSummary | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)  # ZAP's alert shape, instances included
    applicability: dict[str, Any] = field(default_factory=dict)
    zap_source: str = ""  # "harness rules" | "ZAP at <url>" | "report <file>"
    grade: observatory.Grade | None = None
    proofs: list[Proof] = field(default_factory=list)
    base_url: str = ""
    tls: bool = False


# -- the source -------------------------------------------------------------------------------------------------

def scan_source(run: Run, opts: SecurityOptions, side: str, outcome: SideOutcome) -> None:
    if opts.wants("static"):
        _static(run, opts, side, outcome)
    if opts.wants("audit"):
        run.progress(f"security: {side}: auditing its requirements")
        installed, unchecked = audit_mod.requirement_closure(opts.requirements[side])
        gates = opts.gates
        if gates.audit_source == "pip-audit":
            outcome.audit = audit_mod.run_pip_audit(installed, unchecked=unchecked)
        else:
            database = audit_mod.OsvDatabase(gates.advisories or audit_mod.BUNDLED)
            outcome.audit = audit_mod.audit(installed, database, unchecked=unchecked)
        outcome.done.append("audit")


def _static(run: Run, opts: SecurityOptions, side: str, outcome: SideOutcome) -> None:
    root = opts.sources.get(side)
    if root is None:
        outcome.skipped["static"] = "no source folder: set [security] " + side + "_source"
        return
    run.progress(f"security: {side}: bandit over {root}")
    outcome.bandit = static.run_bandit(root, run.path("security", side, "bandit.json"))
    gates = opts.gates
    issues = static.filter_issues(outcome.bandit.issues, gates.static_severity, gates.static_confidence)
    baseline = baseline_path(gates.bandit_baseline, side)
    if baseline is not None and baseline.is_file():
        issues = static.judge_baseline(issues, static.load_baseline(baseline))
    outcome.issues = issues
    outcome.done.append("static")


def baseline_path(configured: Path | None, side: str) -> Path | None:
    """The side's baseline: `[static] baseline` with `{side}` in its name replaced, else that file for both."""
    if configured is None:
        return None
    return configured.with_name(configured.name.replace("{side}", side))


# -- served -----------------------------------------------------------------------------------------------------

def scan_served(run: Run, opts: SecurityOptions, side: str, settings: TargetSettings, outcome: SideOutcome, *,
                limited: TargetSettings | None = None) -> None:
    """The side served (over TLS when the harness serves it), crawled, graded and probed; then, when `limited`
    is given, served again with its rate limits on for the login brute-force probe alone."""
    if opts.zap_report is not None and side == "candidate" and not (opts.wants("grade") or opts.wants("probes")):
        _passive(run, opts, side, outcome)  # the report stands in for the scan: nothing to serve
        return
    ca = LocalCA(run.out_dir / "security" / side / "tls")
    tls = _servable(settings)
    run.progress(f"security: {side}: serving it over TLS" if tls else f"security: {side}: reaching it as served")
    with served_pair(run, settings, ca, opts.server, tls=tls) as pair:
        outcome.base_url, outcome.tls = pair.secure.base_url or "", tls
        raw = HttpSide(side, outcome.base_url, ssl_context=ca.client_context()).send
        recorder = Recorder(side, outcome.base_url, Patient(raw, run, side))
        run.progress(f"security: {side}: crawling every documented operation")
        outcome.crawl = crawl(recorder, paths.POSTMAN, admin=(accounts.ADMIN.email, accounts.ADMIN.password),
                              accounts=[_pair(a) for a in (accounts.STUDENT, accounts.INSTRUCTOR, accounts.ADMIN)])
        if opts.wants("grade"):
            _grade(recorder, pair, opts, ca, outcome)
        if opts.wants("probes"):
            _probes(run, opts, side, recorder, outcome)
        outcome.exchanges = recorder.exchanges
        database = pair.secure.database_url
    if opts.wants("probes") and limited is not None:
        run.progress(f"security: {side}: the login brute force, against an instance with its rate limits on")
        if _servable(limited):  # on the database the first instance left: nothing to prepare or seed again
            limited = replace(limited, database_url=database, reset=False, seed=False, prepare=())
        with served_pair(run, limited, ca, opts.server, tls=_servable(limited), plain=False) as pair:
            send = HttpSide(side, pair.secure.base_url or "", ssl_context=ca.client_context()).send
            outcome.proofs.append(probes_auth.probe_login_limit(send, side, accounts.STUDENT2.email))
    if opts.wants("passive"):
        _passive(run, opts, side, outcome)


def _servable(settings: TargetSettings) -> bool:
    """The harness serves this app itself (through served.py), so it can give it a certificate."""
    return settings.kind == "spawn" and settings.command[-1].startswith("harness.core.served")


def _pair(account: accounts.Account) -> tuple[str, str]:
    return account.email, account.password


def _grade(recorder: Recorder, pair: Any, opts: SecurityOptions, ca: LocalCA, outcome: SideOutcome) -> None:
    path = opts.gates.graded_path
    graded = recorder.send(Sent("GET", path, [("Accept", "application/json")]))
    asked = [("Origin", EVIL_ORIGIN), ("Access-Control-Request-Method", "GET")]
    preflight = recorder.send(Sent("OPTIONS", path, asked))
    hops: list[observatory.Hop] = []
    if pair.plain is not None and pair.plain.base_url:
        plain, secure = urlsplit(pair.plain.base_url), urlsplit(outcome.base_url)
        hops = observatory.redirect_chain(pair.plain.base_url + path, _fetcher(ca), {plain.port: secure.port})
    # the cookies a browser of the site gets: the login's (the graded read sets none)
    logins = [e.reply for e in recorder.exchanges if e.operation == "POST /api/v1/auth/login" and e.reply.status == 200]
    outcome.grade = observatory.grade(graded, outcome.base_url + path, hops, cors_preflight=preflight,
                                      cookie_replies=logins[:1])
    outcome.done.append("grade")


def _fetcher(ca: LocalCA) -> Callable[[str], Reply]:
    context = ca.client_context()

    def fetch(url: str) -> Reply:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return HttpSide("grade", base, timeout=10.0, ssl_context=context).send(
            Sent("GET", path or "/", [("Host", parts.netloc)]))
    return fetch


def _probes(run: Run, opts: SecurityOptions, side: str, recorder: Recorder, outcome: SideOutcome) -> None:
    run.progress(f"security: {side}: probing (data: IDOR, mass assignment, injection, error pages, secrets)")
    outcome.proofs += probes_data.run_data_probes(
        recorder.send, side, owner=_pair(accounts.STUDENT), other=_pair(accounts.STUDENT2),
        instructor=_pair(accounts.INSTRUCTOR), other_instructor=_pair(accounts.INSTRUCTOR2),
        examples=opts.gates.probe_examples)
    run.progress(f"security: {side}: probing (authentication: JWT, sessions, CSRF, CORS)")
    outcome.proofs += probes_auth.run_auth_probes(
        recorder.send, side, user=_pair(accounts.STUDENT), instructor=_pair(accounts.INSTRUCTOR),
        secret=opts.secret, brute_force=False)
    outcome.proofs.append(crawl_secrets(side, recorder.exchanges))
    outcome.done.append("probes")


def crawl_secrets(side: str, exchanges: list[Exchange]) -> Proof:
    """`secrets.crawl`: no answer of the whole crawl carries a password hash, a private key or a key id."""
    leaks = [(exchange, found) for exchange in exchanges if (found := probes_data.secrets_in(exchange.reply))]
    if not leaks:
        return Proof("secrets.crawl", side, True, f"none of {len(exchanges)} answers carries a secret")
    first, found = leaks[0]
    where = "; ".join(f"{exchange.operation}: {', '.join(what)}" for exchange, what in leaks[:5])
    return Proof("secrets.crawl", side, False, f"{len(leaks)} answer(s) carry secrets: {where}", first.sent,
                 first.reply, first.operation, {"answers": len(leaks)})


def _passive(run: Run, opts: SecurityOptions, side: str, outcome: SideOutcome) -> None:
    if opts.zap_report is not None and side == "candidate":
        outcome.alerts, outcome.zap_source = zap.read_zap_report(opts.zap_report), f"report {opts.zap_report}"
    elif opts.zap_api_url:
        run.progress(f"security: {side}: driving ZAP at {opts.zap_api_url}")
        urls = sorted({exchange.url for exchange in outcome.exchanges if exchange.sent.method == "GET"})
        outcome.alerts = zap.drive_zap(opts.zap_api_url, opts.zap_api_key, urls)
        outcome.zap_source = f"ZAP at {opts.zap_api_url}"
    else:
        scanned = passive.scan(outcome.exchanges)
        outcome.alerts = [alert.to_dict() for alert in scanned.alerts_for(side)]
        outcome.applicability = {str(pid): found.to_dict() for pid, found in scanned.coverage.get(side, {}).items()}
        outcome.zap_source = "the harness's ZAP rules"
    outcome.done.append("passive")


# -- a patient client -------------------------------------------------------------------------------------------

class Patient:
    """Sends; on a 429 waits until the side's rate-limit window resets (Retry-After, else X-RateLimit-Reset),
    at most MAX_WAIT_S, and sends once more."""

    def __init__(self, send: Send, run: Run, side: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.inner, self.run, self.side, self.sleep = send, run, side, sleep
        self.waited_s = 0.0

    def __call__(self, sent: Sent) -> Reply:
        reply = self.inner(sent)
        if reply.status != 429:
            return reply
        wait = retry_after(reply)
        if wait is None:
            return reply
        self.run.progress(f"security: {self.side}: rate limited on {sent.method} {sent.path}; waiting {wait:.0f} s")
        self.sleep(wait)
        self.waited_s += wait
        return self.inner(sent)
