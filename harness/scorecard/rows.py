"""The scorecard's rows: for each, where its figure lives in a run folder, for both apps, and how it was measured.

    ROWS                      every row, in page order (ids match scenarios/scorecard.toml)
    spec.read(run, extra)     -> Reading(legacy, candidate, method, evidence)

A row reads only the area results' JSON (and the evidence files they name) and the code metrics the scorecard
measured itself (`extra`); a figure an area did not produce is `MISSING`, and the row says how to measure it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ScorecardInputError
from .gates import parse_target
from .model import MISSING, Figure
from .runfolder import RunFolder, Sourced, pointer

PLAN, PROMISES, AREAS = "The plan's eight metrics", "The migration's promises", "Every area's gate"
SIDES = ("legacy", "candidate")
BLOCKING = ("critical", "high")


@dataclass(frozen=True, slots=True)
class Reading:
    legacy: Figure
    candidate: Figure
    method: str
    evidence: str = ""
    #: Why the candidate fails the row whatever its headline figure says (an operation over the target).
    candidate_fails: str = ""
    #: Why the candidate's figure, though shown, is not judged (a profile too short to judge it).
    candidate_unjudged: str = ""
    #: The figures are lower bounds (users a fixed run held): they prove a target they reach, and say nothing of
    #: one they do not.
    lower_bound: bool = False


@dataclass(frozen=True, slots=True)
class RowSpec:
    id: str
    section: str
    title: str
    area: str
    unit: str
    lower_is_better: bool
    how_to_measure: str
    read: Callable[[RunFolder, Mapping[str, Any]], Reading]


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "not measured"
    if unit == "%":
        return f"{value:.1f} %"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}".strip() if unit not in ("", "count") else text


def figure(found: Sourced | None, unit: str, *, scale: float = 1.0, note: str = "") -> Figure:
    if found is None or found.value is None:
        return Figure(None, "not measured" if found is None else "none", (found.source,) if found else (),
                      note=note or ("" if found is None else "the area measured nothing for this side"))
    value = round(float(found.value) * scale, 6)
    return Figure(value, number(value, unit), (found.source,), scale, note)


def summed(parts: list[Sourced], unit: str) -> Figure:
    """A figure that adds several area figures (each source listed): None when any part is missing."""
    if not parts or any(part.value is None for part in parts):
        return MISSING
    total = sum(float(part.value) for part in parts)
    return Figure(total, number(total, unit), tuple(part.source for part in parts))


# -- load ------------------------------------------------------------------------------------------------------

def load_figures(run: RunFolder, side: str) -> dict[str, Any] | None:
    found = run.finding("load", f"load.figures.{side}")
    return None if found is None else found[0].get("evidence") or None


def _load_method(run: RunFolder, describe: Callable[[dict[str, Any]], str]) -> str:
    parts = []
    for side in SIDES:
        figures = load_figures(run, side)
        if figures:
            invalid = "; generator saturated: not judged" if figures.get("invalid") else ""
            parts.append(f"{side}: {describe(figures)}{invalid}")
    if not parts:
        return ""
    first = load_figures(run, "candidate") or load_figures(run, "legacy") or {}
    return (f"profile {first.get('profile', '?')}, {first.get('users', '?')} users; " + "; ".join(parts))


def _p95_words(figures: dict[str, Any]) -> str:
    overall = figures.get("overall", {})
    low, high = (overall.get("p95_ci_ms") or [None, None])[:2]
    ci = f", 95 % CI {low:.1f}–{high:.1f} ms" if low is not None and high is not None else ""
    server = overall.get("server_p95_ms")
    return (f"p95 from {overall.get('requests', 0):,} raw samples (HDR histogram, exact to 0.1 %){ci}"
            + (f", server-side p95 {server:.1f} ms" if server is not None else ""))


def read_p95(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    """Overall p95 per app; the candidate also fails the row when one operation's p95 misses its target (the load
    area's latency_p95 findings: the plan's p95 holds per endpoint as well as overall)."""
    slow = [found for found in (run.area("load") or {}).get("findings", [])
            if found.get("check") == "latency_p95" and ".candidate." in f"{found.get('id', '')}."
            and found.get("severity") in BLOCKING]
    fails = (f"{len(slow)} operation(s) over the target, e.g. {slow[0].get('operation') or slow[0].get('message')}"
             if slow else "")
    return Reading(*(figure(run.metric("load", "p95_ms", side), "ms") for side in SIDES),
                   _load_method(run, _p95_words), "load/operations.csv", fails)


def read_queries(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    def words(figures: dict[str, Any]) -> str:
        overall = figures.get("overall", {})
        return (f"most SQL statements on one request over {overall.get('requests', 0):,} requests (each app's own "
                f"count in Server-Timing), median {number(overall.get('queries_median'))}")
    return Reading(*(figure(run.metric("load", "queries_per_request_max", side), "") for side in SIDES),
                   _load_method(run, words), "load/operations.csv")


def read_cache(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    def words(figures: dict[str, Any]) -> str:
        overall = figures.get("overall", {})
        hits, misses = overall.get("cache_hits", 0), overall.get("cache_misses", 0)
        return f"{hits:,} hits of {hits + misses:,} lookups on the cached reads" if hits + misses else "no cache lookup"
    sides = []
    for side in SIDES:
        found = run.metric("load", "cache_hit_ratio", side)
        no_lookup = found is not None and found.value is None
        sides.append(figure(found, "%", scale=100.0, note="no cache lookup during the run" if no_lookup else ""))
    judged = run.metric_record("load", "cache_hit_ratio", "candidate") or {}
    profile = (load_figures(run, "candidate") or {}).get("profile", "?")
    unjudged = (f"shown, not judged: the {profile} profile (a cold start) does not judge the cache"
                if judged and judged.get("passed") is None else "")
    return Reading(*sides, _load_method(run, words), "load/operations.csv", candidate_unjudged=unjudged)


def read_capacity(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    """The capacity search's figure; without one, the users a fixed-users run held with every latency and error
    gate passed and a healthy generator (the `peak` profile's 10,000, run distributed) as a lower bound."""
    searched = [run.metric("load", "capacity_users", side) for side in SIDES]
    if any(searched):
        return Reading(*(figure(found, "users") for found in searched),
                       "the largest user count the capacity search held with p95 < 100 ms, < 1 % errors and a "
                       "healthy generator, on this machine", "load/")
    held = [_held(run, side) for side in SIDES]
    if not any(held):
        return Reading(MISSING, MISSING, "", "load/")
    return Reading(*(figure(found, "users", note="held by a fixed-users run: a lower bound") if found else MISSING
                     for found in held),
                   "users a fixed-users run held with every latency and error gate passed and a healthy generator "
                   "(a lower bound: it proves a target it reaches)", "load/", lower_bound=True)


def _held(run: RunFolder, side: str) -> Sourced | None:
    figures = load_figures(run, side)
    if not figures or figures.get("invalid"):
        return None
    judged = [run.metric_record("load", name, side) or {} for name in ("p95_ms", "error_rate")]
    slow = any(found.get("check") in ("latency_p95", "error_rate") and found.get("severity") in BLOCKING
               and f".{side}." in f"{found.get('id', '')}." for found in (run.area("load") or {}).get("findings", []))
    if slow or not all(_met(metric) for metric in judged):
        return None
    return run.metric("load", "users", side)


def _met(metric: dict[str, Any]) -> bool:
    """The area's verdict, or for the legacy baseline (measured, never judged) its figure against the same target."""
    if metric.get("passed") is not None:
        return bool(metric["passed"])
    target = str(metric.get("target") or "").replace("≤", "<=").replace("≥", ">=")
    try:
        return parse_target(target, "load").met(metric.get("value")) is True
    except ScorecardInputError:
        return False


# -- code metrics (measured by the scorecard itself) ------------------------------------------------------------

def _measured_here(extra: Mapping[str, Any], kind: str,
                   make: Callable[[str, dict[str, Any], str], tuple[Figure, str]]) -> tuple[list[Figure], list[str]]:
    """Each side's figure the scorecard measured itself (`extra[kind][side]` = the data and its evidence file), and
    the words saying how; MISSING for a side it could not measure."""
    figures, words = [], []
    for side in SIDES:
        found = extra.get(kind, {}).get(side)
        if found is None:
            figures.append(MISSING)
            continue
        shown, said = make(side, *found)
        figures.append(shown)
        words.append(said)
    return figures, words


def _coverage_figure(side: str, data: dict[str, Any], source: str) -> tuple[Figure, str]:
    kind = "branch" if data["branch"] else "line coverage only"
    if data.get("exit_code") not in (0, None):
        kind += f"; the test run FAILED (exit code {data['exit_code']})"
    shown = Figure(data["percent"], number(data["percent"], "%"), (f"{source}#/percent",),
                   note=f"{kind}; commit {str(data.get('commit') or 'unknown')[:12]}, "
                        f"{data.get('measured_at', '')[:10]}")
    worst = data.get("worst") or []
    return shown, (f"{side}: {data['covered_lines']:,} of {data['statements']:,} statements, "
                   f"{data['covered_branches']:,} of {data['branches']:,} branches in {data['files']} files"
                   + (f", least covered {worst[0][0]} ({worst[0][1]:.0f} %)" if worst else ""))


def read_coverage(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    figures, words = _measured_here(extra, "coverage", _coverage_figure)
    method = "coverage.py (branch) of each app's own test suite; " + "; ".join(words) if words else ""
    code = ((extra.get("coverage") or {}).get("candidate") or ({}, ""))[0].get("exit_code")
    failed = f"not judged: the measured test run failed (exit code {code})" if code not in (0, None) else ""
    return Reading(*figures, method, "scorecard/", candidate_unjudged=failed)


def _maintainability_figure(side: str, data: dict[str, Any], source: str) -> tuple[Figure, str]:
    shown = Figure(data["weighted_mean"], number(data["weighted_mean"]), (f"{source}#/weighted_mean",),
                   note=f"{data['share_at_least_80']:.0f} % of modules ≥ 80")
    worst = data["worst"][0] if data["worst"] else None
    return shown, (f"{side}: {len(data['modules'])} modules, median {data['median']:.0f}"
                   + (f", worst {worst['path']} ({worst['mi']:.0f})" if worst else ""))


def read_maintainability(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    figures, words = _measured_here(extra, "maintainability", _maintainability_figure)
    method = ("radon MI per module, LOC-weighted mean (worst modules and the distribution below); " + "; ".join(words)
              if words else "")
    return Reading(*figures, method, "scorecard/")


# -- security ----------------------------------------------------------------------------------------------------

def read_grade(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    figures = []
    for side in SIDES:
        found = run.metric("security", "observatory_score", side)
        grade = run.file(f"security/{side}/grade.json") or {}
        shown = figure(found, "")
        if shown.measured and grade.get("grade"):
            shown = Figure(shown.value, f"{grade['grade']} ({shown.display})", shown.sources)
        figures.append(shown)
    method = ("the MDN Observatory algorithm (version 4) over each app served over TLS on 127.0.0.1: ten tests, "
              "score and grade (A+ from 100 points)")
    return Reading(*figures, method, "security/grade.html")


def _blocking_security(run: RunFolder, side: str) -> Figure:
    data = run.area("security")
    if data is None or data.get("skipped"):
        return MISSING
    marker = f".{side}."
    sources = [f"security.json#{pointer('findings', index, 'severity')}"
               for index, found in enumerate(data.get("findings", []))
               if found.get("severity") in BLOCKING and marker in f"{found.get('id', '')}."]
    count = len(sources)
    return Figure(count, number(count), tuple(sources) or ("security.json#/findings",),
                  note="count of critical/high findings")


def read_security_findings(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    return Reading(*(_blocking_security(run, side) for side in SIDES),
                   "critical and high findings of bandit, ZAP's rules, the dependency audit and the probes, per app",
                   "security.sarif")


# -- contract and data -------------------------------------------------------------------------------------------

def read_documentation(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    return Reading(*(figure(run.metric("contract", "documentation_coverage", side), "%") for side in SIDES),
                   "routes each app really serves against the contract's operations, both ways", "contract.json")


#: The legacy column of a row that compares the candidate against legacy (one figure for the pair).
AGAINST_LEGACY = Figure(None, "—", note="compared against legacy")


def _candidate_only(found: Sourced | None, unit: str) -> tuple[Figure, Figure]:
    return AGAINST_LEGACY, figure(found, unit)


def read_unexplained(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    found = run.metric("contract", "unexplained_differences", "candidate")
    pairs = run.metric("contract", "pairs_compared", "candidate")
    sent = run.metric("contract", "cases_sent", "both")
    method = (f"fields that differ between the apps' answers to the same request and no reviewed exception explains, "
              f"over {number(pairs.value if pairs else None)} answer pairs from {number(sent.value if sent else None)}"
              f" requests" if found else "")
    return Reading(*_candidate_only(found, ""), method, "contract.md")


def read_schema(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    found = run.metric("data", "schema_differences", "both")
    return Reading(*_candidate_only(found, ""),
                   "tables, columns, types, keys, indexes and constraints of both databases, reflected and compared",
                   "data.md")


def read_rows(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    found = run.metric("data", "differing_rows", "both")
    compared = run.metric("data", "rows_compared", "both")
    rows = number(compared.value if compared else None)
    method = f"every row of every table as seeded, compared by primary key ({rows} rows)" if found else ""
    return Reading(*_candidate_only(found, "rows"), method, "data.md")


def read_rows_after(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    found = run.metric("contract", "rows_after_differing", "candidate")
    compared = run.metric("contract", "rows_after_compared", "both")
    method = ("every table read again after the contract traffic, generated ids mapped, legacy against legacy as "
              f"the noise baseline ({number(compared.value if compared else None)} rows)") if found else ""
    return Reading(*_candidate_only(found, "rows"), method, "contract.md")


def read_paths(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    data = run.area("data") or {}
    parts = [Sourced(metric.get("value"), f"data.json#{pointer('metrics', index, 'value')}")
             for index, metric in enumerate(data.get("metrics", []))
             if str(metric.get("id", "")).startswith(("copy_", "in_place_")) and metric.get("target") == "== 0"]
    method = ("the copy path (migrate, then copy_legacy_rows) and the in-place path (migrate --fake-initial on a "
              "legacy database): schema differences, changed row counts, orphans and differing rows, summed")
    return Reading(AGAINST_LEGACY, summed(parts, ""), method if parts else "",
                   "data.md")


def read_blue_green(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    parts = [found for found in (run.metric("data-crosswrite", name, "both")
                                 for name in ("crosswrite_read_differences", "crosswrite_row_differences")) if found]
    steps = run.metric("data-crosswrite", "crosswrite_resources", "both")
    method = (f"both apps on one database: each write through one app read back through the other "
              f"({number(steps.value if steps else None)} steps; users, tokens and sessions included); read and row "
              f"differences summed") if parts else ""
    return Reading(AGAINST_LEGACY, summed(parts, "") if len(parts) == 2 else MISSING,
                   method, "data-crosswrite.md")


def read_probes(run: RunFolder, extra: Mapping[str, Any]) -> Reading:
    return Reading(*(figure(run.metric("security", "probes_refused", side), "") for side in SIDES),
                   "attacks both apps must refuse (forged and expired tokens, CSRF, IDOR, mass assignment, injection, "
                   "brute force): the candidate refuses at least what legacy refuses", "security/probes.json")


ROWS: tuple[RowSpec, ...] = (
    RowSpec("p95_ms", PLAN, "Response time (p95)", "load", "ms", True, "harness load", read_p95),
    RowSpec("queries_per_request", PLAN, "Database queries per request (max)", "load", "", True, "harness load",
            read_queries),
    RowSpec("cache_hit_ratio", PLAN, "Cache hit ratio", "load", "%", False, "harness load --profile baseline",
            read_cache),
    RowSpec("concurrent_users", PLAN, "Concurrent users held", "load", "users", False,
            "harness load --profile capacity", read_capacity),
    RowSpec("test_coverage", PLAN, "Test coverage (branch)", "scorecard", "%", False,
            "harness coverage", read_coverage),
    RowSpec("security_grade", PLAN, "Security grade (Observatory)", "security", "", False, "harness security",
            read_grade),
    RowSpec("security_blocking_findings", PLAN, "High/critical security findings", "security", "", True,
            "harness security", read_security_findings),
    RowSpec("documentation_coverage", PLAN, "Documentation: API coverage", "contract", "%", False,
            "harness contract", read_documentation),
    RowSpec("maintainability", PLAN, "Maintainability index (radon)", "scorecard", "", False,
            "set [scorecard] legacy_source and candidate_source", read_maintainability),
    RowSpec("unexplained_differences", PROMISES, "Exact API signatures: unexplained differences", "contract", "",
            True, "harness contract", read_unexplained),
    RowSpec("schema_differences", PROMISES, "Same schema: differences", "data", "", True, "harness data",
            read_schema),
    RowSpec("rows_differing", PROMISES, "Data integrity: rows differing as seeded", "data", "rows", True,
            "harness data", read_rows),
    RowSpec("rows_differing_after_traffic", PROMISES, "Data integrity: rows differing after the traffic", "contract",
            "rows", True, "harness contract", read_rows_after),
    RowSpec("migration_paths", PROMISES, "Migration paths: differences", "data", "", True, "harness data",
            read_paths),
    RowSpec("blue_green", PROMISES, "Zero downtime: blue-green cross-write differences", "data-crosswrite", "", True,
            "harness verify (data-crosswrite)", read_blue_green),
    RowSpec("probes_refused", PROMISES, "Security by default: attacks refused", "security", "", False,
            "harness security", read_probes),
)
ROW_IDS = tuple(spec.id for spec in ROWS)
