"""The dependency audit of each app: its installed requirements against known advisories. It fails closed: a package
that could not be checked is reported as unchecked, never passed, and the audit says how old its data is.

    LEGACY_ROOTS, CANDIDATE_ROOTS            each app's declared requirements (pyproject.toml), extras included
    requirement_closure(roots) -> (installed, unchecked)    the roots and their runtime requirements, as installed here
    OsvDatabase(path)                        an offline OSV directory (the PyPA advisory database's layout)
        .advisories_for(name, version) -> [Advisory]        .data_date -> date | None
    audit(installed, db, today=None, unchecked=()) -> AuditResult
    pip_audit_result(document) -> AuditResult               `pip-audit -f json` output, skipped packages unchecked
    run_pip_audit(installed, ...) -> AuditResult            pip-audit in a subprocess (needs a vulnerability service)

Why offline OSV: the machines reach the package index but no vulnerability service, and pip-audit offline prints
"could not be audited" for every package and exits 0. An OSV range is read as the OSV schema evaluates it: its events
sorted by version ("0" first), `introduced` opens an affected interval, `fixed` closes it before that version,
`last_affected` after it; the explicit `versions` list also counts. A withdrawn advisory is skipped.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from harness.core import paths
from harness.core.errors import ConfigError, TargetError

LEGACY_ROOTS = ("Flask", "Werkzeug", "Flask-RESTful", "Flask-SocketIO", "python-socketio", "limits", "SQLAlchemy",
                "psycopg[binary]", "PyJWT", "celery", "redis", "boto3", "gunicorn")
CANDIDATE_ROOTS = ("Django", "djangorestframework", "djangorestframework-simplejwt", "django-redis",
                   "django-storages[s3]", "django-csp", "uvicorn", "psycopg[binary]", "celery", "redis", "boto3",
                   "gunicorn")
#: The bundled snapshot (its README: commit 3ccb612, 2024-10-10).
BUNDLED = paths.ADVISORIES / "pypa-advisory-database"
#: An advisory without a severity we can read is taken as high: failing closed.
UNRATED = "high"
_SEVERITIES = {"low": "low", "moderate": "medium", "medium": "medium", "high": "high", "critical": "critical"}
_MODIFIED = re.compile(r"""^["']?modified["']?\s*:\s*["']?(\d{4}-\d{2}-\d{2})""", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Installed:
    name: str  # the distribution's own spelling
    version: str
    required_by: str | None = None  # the first package that brought it in; None for a root


@dataclass(frozen=True, slots=True)
class Unchecked:
    name: str
    reason: str
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    fixed: tuple[str, ...]
    severity: str  # low | medium | high | critical


@dataclass(frozen=True, slots=True)
class Vulnerable:
    name: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fixed_versions: tuple[str, ...]
    summary: str
    severity: str


@dataclass(slots=True)
class AuditResult:
    """What an audit found. `passed` only when every package was checked and none is vulnerable."""

    source: str  # "osv <path>" | "pip-audit"
    checked: list[Installed] = field(default_factory=list)
    vulnerable: list[Vulnerable] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    data_date: dt.date | None = None
    data_age_days: int | None = None

    @property
    def passed(self) -> bool:
        return not self.vulnerable and not self.unchecked

    @property
    def data_line(self) -> str:
        if self.data_date is None:
            return f"advisories from {self.source}, date unknown"
        return f"advisories as of {self.data_date.isoformat()}, {self.data_age_days} days old"

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "passed": self.passed, "data_line": self.data_line,
                "data_date": self.data_date.isoformat() if self.data_date else None,
                "data_age_days": self.data_age_days, "checked": [asdict(p) for p in self.checked],
                "vulnerable": [asdict(v) for v in self.vulnerable], "unchecked": [asdict(u) for u in self.unchecked]}


class _Uncheckable(ValueError):
    """A package whose advisories could not be read or whose version cannot be compared."""


# -- what is installed -------------------------------------------------------------------------------------------

def requirement_closure(roots: Sequence[str]) -> tuple[list[Installed], list[Unchecked]]:
    """Each root ("name" or "name[extra,...]") and its transitive runtime requirements as installed for this
    interpreter: markers evaluated here, the requested extras honoured. What is not installed is Unchecked."""
    found: dict[str, Installed] = {}
    extras_done: dict[str, set[str]] = {}
    missing: dict[str, Unchecked] = {}
    queue: deque[tuple[Requirement, str | None]] = deque((_requirement(root), None) for root in roots)
    while queue:
        requirement, parent = queue.popleft()
        key = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if key in extras_done and extras <= extras_done[key]:
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            why = "not installed" if parent is None else f"required by {parent} but not installed"
            missing.setdefault(key, Unchecked(requirement.name, why))
            continue
        extras_done[key] = extras_done.get(key, set()) | extras
        name = dist.metadata["Name"] or requirement.name
        found.setdefault(key, Installed(name, dist.version, parent))
        queue.extend((needed, name) for needed in _runtime_requirements(dist, extras_done[key]))
    return sorted(found.values(), key=lambda p: canonicalize_name(p.name)), list(missing.values())


def _requirement(text: str) -> Requirement:
    """A root as a requirement; ConfigError (exit 2) for one that is not."""
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise ConfigError(f"dependency audit: {text!r} is not a requirement ({exc})") from exc


def _runtime_requirements(dist: metadata.Distribution, extras: set[str]) -> Iterable[Requirement]:
    for text in dist.requires or ():
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # metadata this interpreter's installer accepted; nothing we can follow
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in {"", *extras}):
            yield requirement


# -- the offline database ----------------------------------------------------------------------------------------

class OsvDatabase:
    """The OSV files under `path` (`vulns/<package>/<ID>.yaml` or `.json`; `path` may also be the `vulns` folder or
    a folder holding one database), read per package on demand."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.vulns = _vulns_folder(self.path)
        self._loaded: dict[str, list[dict[str, Any]]] = {}

    @cached_property
    def _packages(self) -> dict[str, Path]:
        if not self.vulns.is_dir():
            return {}
        return {canonicalize_name(folder.name): folder for folder in self.vulns.iterdir()
                if folder.is_dir() and not folder.name.startswith(".") and _files(folder)}

    @property
    def empty(self) -> bool:
        return not self._packages

    @cached_property
    def data_date(self) -> dt.date | None:
        """The newest `modified` date of any advisory (scanned once)."""
        newest = None
        for folder in self._packages.values():
            for file in _files(folder):
                for match in _MODIFIED.finditer(file.read_text(encoding="utf-8", errors="replace")):
                    newest = max(newest or match.group(1), match.group(1))
        return dt.date.fromisoformat(newest) if newest else None

    def advisories_for(self, name: str, version: str) -> list[Advisory]:
        """The advisories that affect this version of the package (withdrawn ones skipped). _Uncheckable (a
        ValueError) when the version cannot be compared or an advisory file cannot be read."""
        try:
            parsed = Version(version)
        except InvalidVersion as exc:
            raise _Uncheckable(f"version {version!r} cannot be compared (PEP 440)") from exc
        key = canonicalize_name(name)
        found = []
        for document in self._documents(key):
            if document.get("withdrawn"):
                continue
            affected = [a for a in document.get("affected") or () if _names(a, key)]
            if any(_affects(a, version, parsed) for a in affected):
                found.append(_advisory(document, affected))
        return found

    def _documents(self, key: str) -> list[dict[str, Any]]:
        if key not in self._loaded:
            folder = self._packages.get(key)
            self._loaded[key] = [_read(file) for file in _files(folder)] if folder else []
        return self._loaded[key]


def _vulns_folder(path: Path) -> Path:
    """The folder of package folders: `path/vulns`, or the one `*/vulns` below `path` (paths.ADVISORIES holds the
    snapshot's checkout), else `path` itself."""
    if (path / "vulns").is_dir():
        return path / "vulns"
    nested = sorted(path.glob("*/vulns")) if path.is_dir() else []
    return nested[0] if len(nested) == 1 else path


def _files(folder: Path) -> list[Path]:
    """The advisory files of one package folder, in name order."""
    return sorted(f for f in folder.iterdir() if f.suffix in (".yaml", ".yml", ".json") and f.is_file())


def _read(file: Path) -> dict[str, Any]:
    """One OSV document; an unreadable one makes its package unchecked rather than silently clean."""
    try:
        text = file.read_text(encoding="utf-8")
        document = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise _Uncheckable(f"advisory {file} cannot be read ({type(exc).__name__})") from exc
    if not isinstance(document, dict):
        raise _Uncheckable(f"advisory {file} is not an OSV document")
    return document


def _names(affected: Any, key: str) -> bool:
    """Whether an `affected[]` entry is about this PyPI package (names compared PEP 503-normalised)."""
    package = affected.get("package") if isinstance(affected, dict) else None
    return isinstance(package, dict) and str(package.get("ecosystem", "")).startswith("PyPI") \
        and canonicalize_name(str(package.get("name", ""))) == key


def _affects(affected: dict[str, Any], version: str, parsed: Version) -> bool:
    """The version is listed, or inside an ECOSYSTEM range (GIT ranges name commits, not releases)."""
    listed = affected.get("versions") or ()
    if version in listed or any(_equal(v, parsed) for v in listed):
        return True
    return any(_in_range(r.get("events") or (), parsed) for r in affected.get("ranges") or ()
               if isinstance(r, dict) and r.get("type") == "ECOSYSTEM")


def _equal(listed: Any, parsed: Version) -> bool:
    try:
        return Version(str(listed)) == parsed
    except InvalidVersion:
        return False


def _in_range(events: Iterable[dict[str, Any]], version: Version) -> bool:
    """The OSV evaluation: events in version order; an introduced version we cannot parse counts as affected from
    the start (a finding rather than a silent pass)."""
    ordered = []
    for event in events:
        for kind, value in event.items() if isinstance(event, dict) else ():
            ordered.append((_bound(str(value), kind), kind))
    ordered.sort(key=lambda pair: pair[0])
    affected = False
    for bound, kind in ordered:
        if kind == "introduced" and version >= bound:
            affected = True
        elif (kind in ("fixed", "limit") and version >= bound) or (kind == "last_affected" and version > bound):
            affected = False
    return affected


def _bound(value: str, kind: str) -> Version:
    """An event's version; one that does not parse errs towards affected: an introduced as the lowest version, a
    fixed or last_affected as one never reached."""
    try:
        return Version(value)
    except InvalidVersion:
        return Version("0") if kind == "introduced" else Version("99999")


def _advisory(document: dict[str, Any], affected: list[dict[str, Any]]) -> Advisory:
    summary = str(document.get("summary") or "").strip() or str(document.get("details") or "").strip()
    return Advisory(id=str(document.get("id", "?")), aliases=tuple(str(a) for a in document.get("aliases") or ()),
                    summary=summary.splitlines()[0][:200] if summary else "", fixed=_fixed(affected),
                    severity=_severity(document, affected))


def _fixed(affected: list[dict[str, Any]]) -> tuple[str, ...]:
    """Every version the package's ranges name as fixing it, lowest first."""
    events = [event for a in affected for r in a.get("ranges") or () if isinstance(r, dict)
              for event in r.get("events") or () if isinstance(event, dict)]
    return tuple(sorted({str(event["fixed"]) for event in events if "fixed" in event},
                        key=lambda value: _bound(value, "fixed")))


def _severity(document: dict[str, Any], affected: list[dict[str, Any]]) -> str:
    """database_specific's label (GHSA: LOW / MODERATE / HIGH / CRITICAL), else a CVSS v3 vector scored, else
    high (failing closed)."""
    places = [document, *affected]
    for place in places:
        label = str((place.get("database_specific") or {}).get("severity", "")).lower()
        if label in _SEVERITIES:
            return _SEVERITIES[label]
    for place in places:
        for rating in place.get("severity") or ():
            score = cvss3_score(str(rating.get("score", ""))) if isinstance(rating, dict) else None
            if score is not None:
                return _rating(score)
    return UNRATED


# CVSS v3.x base metric weights (FIRST's CVSS v3.1 specification, section 7.4).
_WEIGHTS = {"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}, "AC": {"L": 0.77, "H": 0.44},
            "UI": {"N": 0.85, "R": 0.62}, "C": {"H": 0.56, "L": 0.22, "N": 0.0}}
_PRIVILEGES = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}


def cvss3_score(vector: str) -> float | None:
    """The base score of a CVSS v3.0/3.1 vector; None when it is not one."""
    if not vector.startswith("CVSS:3."):
        return None
    metrics = dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)
    try:
        scope = metrics["S"]
        impact_base = 1 - ((1 - _WEIGHTS["C"][metrics["C"]]) * (1 - _WEIGHTS["C"][metrics["I"]])
                           * (1 - _WEIGHTS["C"][metrics["A"]]))
        exploitability = (8.22 * _WEIGHTS["AV"][metrics["AV"]] * _WEIGHTS["AC"][metrics["AC"]]
                          * _PRIVILEGES[scope][metrics["PR"]] * _WEIGHTS["UI"][metrics["UI"]])
    except KeyError:
        return None
    if scope == "U":
        impact = 6.42 * impact_base
        total = impact + exploitability
    else:
        impact = 7.52 * (impact_base - 0.029) - 3.25 * (impact_base - 0.02) ** 15
        total = 1.08 * (impact + exploitability)
    return 0.0 if impact <= 0 else _round_up(min(total, 10.0))


def _round_up(value: float) -> float:
    """CVSS v3.1's Roundup: the smallest one-decimal number ≥ value, without floating-point surprises."""
    whole = round(value * 100000)
    return whole / 100000.0 if whole % 10000 == 0 else (whole // 10000 + 1) / 10.0


def _rating(score: float) -> str:
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    return "medium" if score >= 4.0 else "low"


# -- the audit ---------------------------------------------------------------------------------------------------

def audit(installed: Iterable[Installed], db: OsvDatabase, *, today: dt.date | None = None,
          unchecked: Iterable[Unchecked] = ()) -> AuditResult:
    """Each installed package against the database. A missing or empty database leaves every package unchecked;
    so does a version that cannot be compared or an advisory that cannot be read. `unchecked` (what the closure
    could not find) is carried into the result."""
    result = AuditResult(source=f"osv {db.path}", unchecked=list(unchecked))
    packages = list(installed)
    if db.empty:
        result.unchecked += [Unchecked(p.name, f"no advisory data at {db.path}", p.version) for p in packages]
        return result
    for package in packages:
        try:
            advisories = db.advisories_for(package.name, package.version)
        except _Uncheckable as exc:
            result.unchecked.append(Unchecked(package.name, str(exc), package.version))
            continue
        result.checked.append(package)
        result.vulnerable += [Vulnerable(package.name, package.version, a.id, a.aliases, a.fixed, a.summary,
                                         a.severity) for a in advisories]
    result.data_date = db.data_date
    if result.data_date is not None:
        result.data_age_days = ((today or dt.datetime.now(dt.UTC).date()) - result.data_date).days
    return result


def pip_audit_result(document: Mapping[str, Any], *, source: str = "pip-audit") -> AuditResult:
    """pip-audit's JSON (`-f json`) as an AuditResult: each skipped dependency is unchecked (pip-audit only prints
    "could not be audited" for it and exits 0). pip-audit gives no severity: each vulnerability counts as high."""
    dependencies = document.get("dependencies") if isinstance(document, Mapping) else None
    if not isinstance(dependencies, list):
        raise ConfigError(f"{source}: the JSON report has no dependencies list")
    result = AuditResult(source=source)
    for dependency in dependencies:
        if not isinstance(dependency, dict) or "name" not in dependency:
            raise ConfigError(f"{source}: a dependency without a name: {dependency!r}"[:200])
        name, version = str(dependency["name"]), dependency.get("version")
        if "skip_reason" in dependency or version is None:
            result.unchecked.append(Unchecked(name, str(dependency.get("skip_reason") or "no version reported"),
                                              version))
            continue
        result.checked.append(Installed(name, str(version)))
        result.vulnerable += [_pip_vulnerable(name, str(version), vuln) for vuln in dependency.get("vulns") or ()
                              if isinstance(vuln, dict)]
    return result


def _pip_vulnerable(name: str, version: str, vuln: dict[str, Any]) -> Vulnerable:
    description = str(vuln.get("description") or "").strip()
    return Vulnerable(name, version, str(vuln.get("id", "?")), tuple(vuln.get("aliases") or ()),
                      tuple(vuln.get("fix_versions") or ()), description.splitlines()[0][:200] if description else "",
                      UNRATED)


def run_pip_audit(installed: Iterable[Installed], *, service: str = "osv", timeout_s: float = 300,
                  unchecked: Iterable[Unchecked] = ()) -> AuditResult:
    """pip-audit over the given pinned packages (no resolution, no pip): needs the vulnerability service to be
    reachable. `unchecked` (what the closure could not find) is carried into the result. TargetError (one line)
    when it fails or times out."""
    pins = "".join(f"{p.name}=={p.version}\n" for p in installed)
    with tempfile.TemporaryDirectory(prefix="harness-pip-audit-") as folder:
        requirements = Path(folder) / "requirements.txt"
        requirements.write_text(pins, encoding="utf-8")
        command = [sys.executable, "-m", "pip_audit", "-r", str(requirements), "--no-deps", "--disable-pip",
                   "-f", "json", "-s", service, "--progress-spinner", "off"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,  # noqa: S603
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise TargetError(f"pip-audit did not finish within {timeout_s:g} s") from exc
    if done.returncode not in (0, 1):
        tail = [line for line in done.stderr.splitlines() if line.strip()][-1:]
        raise TargetError(f"pip-audit exited {done.returncode}: {tail[0] if tail else 'no message'}")
    try:
        document = json.loads(done.stdout)
    except ValueError as exc:
        raise TargetError(f"pip-audit printed no JSON report ({exc})") from exc
    result = pip_audit_result(document, source=f"pip-audit ({service})")
    result.unchecked = [*unchecked, *result.unchecked]
    return result


__all__ = ["BUNDLED", "CANDIDATE_ROOTS", "LEGACY_ROOTS", "Advisory", "AuditResult", "Installed", "OsvDatabase",
           "Unchecked", "Vulnerable", "audit", "cvss3_score", "pip_audit_result", "requirement_closure",
           "run_pip_audit"]
