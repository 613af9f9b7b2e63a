"""bandit over an app's source, with a baseline that counts: what bandit found, which of it is new since a reviewed
baseline, which baselined weakness is gone.

    run_bandit(root, out_json, exclude=..., timeout_s=300) -> BanditRun     bandit in a subprocess, its JSON read back
    filter_issues(issues, severity="low", confidence="low") -> issues at or above both thresholds
    write_baseline(path, issues) / load_baseline(path) -> Baseline
    judge_baseline(issues, baseline) -> issues with baseline_state new / unchanged, plus the absent ones

Why a baseline of our own: bandit's `-b` compares findings by test, file, severity, confidence and text, without the
line and by presence, so a second copy of a known weakness in the same file is absorbed (PyCQA/bandit#1467), and it
refuses SARIF output with a baseline. Here each finding has a fingerprint, and a baseline stores how many findings
share each one:

    fingerprint = sha256(test id, path relative to the root, enclosing scope, flagged source)[:32]

- the enclosing scope is the qualified name of the innermost function or class around the flagged line ("Runner.go",
  "<module>"), found with `ast`: moving code up or down a file does not change it, moving it to another function
  does (that is another finding);
- the flagged source is the flagged node's lines (only the flagged line when it sits inside a larger node, such
  as one key of a dict), without bandit's line numbers, reduced to its tokens (comments, indentation and spacing
  dropped), so reformatting does not change it; a text that does not tokenize has its whitespace removed instead;
- no line number enters it: shifting code keeps it.

Two identical copies in one function share a fingerprint; the baseline's count tells one known copy from a new one
(`judge_baseline`: with n current and m baselined, the first min(n, m) in file/line order are "unchanged", the rest
"new", and m - n > 0 adds that many "absent").
"""
from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError, TargetError

LEVELS = {"undefined": 0, "low": 1, "medium": 2, "high": 3}
DEFAULT_EXCLUDE = ("migrations", "tests")
STATES = ("new", "unchanged", "absent")
BASELINE_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Issue:
    """One bandit finding. `path` is relative to the scanned root (posix); `code` is bandit's excerpt with its line
    numbers; `fingerprint` is documented above."""

    test_id: str
    test_name: str
    severity: str  # LOW | MEDIUM | HIGH, as bandit says
    confidence: str
    cwe: int | None
    path: str
    line: int
    code: str
    text: str
    more_info: str
    fingerprint: str
    baseline_state: str = "new"
    scope: str = "<module>"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Issue:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


@dataclass(frozen=True, slots=True)
class BanditRun:
    """What one bandit run found under `root`; `errors` are the files bandit could not scan (path, reason)."""

    version: str
    root: str
    issues: list[Issue]
    errors: list[dict[str, str]] = field(default_factory=list)
    loc: int = 0
    nosec: int = 0

    @property
    def totals(self) -> dict[str, int]:
        return {"loc": self.loc, "nosec": self.nosec}

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "root": self.root, "issues": [i.to_dict() for i in self.issues],
                "errors": list(self.errors), "totals": self.totals}


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    test_id: str
    path: str
    code: str
    count: int
    details: dict[str, Any] = field(default_factory=dict)  # test_name, severity, ... when the file has them


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: tuple[BaselineEntry, ...] = ()

    def counts(self) -> dict[str, BaselineEntry]:
        """One entry per fingerprint (a file that repeats one has its counts added)."""
        merged: dict[str, BaselineEntry] = {}
        for entry in self.entries:
            seen = merged.get(entry.fingerprint)
            merged[entry.fingerprint] = entry if seen is None else replace(seen, count=seen.count + entry.count)
        return merged


# -- running bandit ----------------------------------------------------------------------------------------------

def run_bandit(root: Path, out_json: Path, *, exclude: Sequence[str] = DEFAULT_EXCLUDE,
               timeout_s: float = 300) -> BanditRun:
    """bandit over every Python file under `root` but the folders named in `exclude`; its JSON report is left at
    `out_json`. bandit exits 1 when it found something: fine. TargetError (one line) for any other exit code, a
    timeout or a report that cannot be read."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise ConfigError(f"bandit: the source root {root} is not a folder")
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bandit", "-r", str(root), "-f", "json", "-o", str(out_json), "-q"]
    excluded = _excluded_folders(root, exclude)
    if excluded:
        command += ["-x", ",".join(excluded)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise TargetError(f"bandit over {root} did not finish within {timeout_s:g} s") from exc
    if done.returncode not in (0, 1):
        raise TargetError(f"bandit over {root} exited {done.returncode}: {_last_line(done.stderr)}")
    try:
        report = json.loads(out_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TargetError(f"bandit over {root} left no readable JSON report at {out_json}: "
                          f"{_last_line(done.stderr) or exc}") from exc
    return parse_report(report, root)


def parse_report(report: Any, root: Path) -> BanditRun:
    """A bandit JSON report (`-f json`) as a BanditRun; paths made relative to `root`."""
    if not isinstance(report, dict) or not isinstance(report.get("results"), list):
        raise TargetError(f"bandit over {root}: the JSON report has no results list")
    root = Path(root).resolve()
    sources: dict[str, _Source | None] = {}
    issues = sorted((_issue(result, root, sources) for result in report["results"]), key=_order)
    errors = [{"path": _relative(str(e.get("filename", "")), root), "reason": str(e.get("reason", ""))}
              for e in report.get("errors", []) if isinstance(e, dict)]
    totals = report.get("metrics", {}).get("_totals", {})
    return BanditRun(version=_bandit_version(), root=str(root), issues=issues, errors=errors,
                     loc=int(totals.get("loc", 0)), nosec=int(totals.get("nosec", 0)))


def _excluded_folders(root: Path, names: Sequence[str]) -> list[str]:
    """The folders under root named as excluded, as absolute paths: bandit's `-x` matches by substring and glob on
    the whole path, so a bare "tests" would also drop a root that happens to sit under a tests folder."""
    wanted = set(names)
    found = []
    for folder, subfolders, _ in os.walk(root):
        for name in sorted(subfolders):
            if name in wanted:
                found.append(os.path.join(folder, name))
        subfolders[:] = [name for name in subfolders if name not in wanted]
    return found


def _issue(result: dict[str, Any], root: Path, sources: dict[str, _Source | None]) -> Issue:
    path = _relative(str(result["filename"]), root)
    if path not in sources:
        sources[path] = _source(root / path)
    source = sources[path]
    line = int(result.get("line_number") or 0)
    lines = [int(n) for n in result.get("line_range") or [line]]
    code = str(result.get("code") or "")
    flagged = _flagged(source.lines if source else (), code, line, lines)
    scope = _scope(source.tree if source else None, line)
    cwe = (result.get("issue_cwe") or {}).get("id")
    return Issue(test_id=str(result["test_id"]), test_name=str(result.get("test_name", "")),
                 severity=str(result.get("issue_severity", "UNDEFINED")).upper(),
                 confidence=str(result.get("issue_confidence", "UNDEFINED")).upper(),
                 cwe=int(cwe) if cwe else None, path=path, line=line, code=code,
                 text=str(result.get("issue_text", "")), more_info=str(result.get("more_info", "")),
                 fingerprint=fingerprint(str(result["test_id"]), path, scope, flagged), scope=scope)


def _relative(filename: str, root: Path) -> str:
    path = Path(filename)
    path = path if path.is_absolute() else Path.cwd() / path
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(filename).as_posix()


@lru_cache(maxsize=1)
def _bandit_version() -> str:
    try:
        return metadata.version("bandit")
    except metadata.PackageNotFoundError:
        return "unknown"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


# -- the fingerprint ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Source:
    lines: tuple[str, ...]
    tree: ast.Module | None


def _source(path: Path) -> _Source | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        tree: ast.Module | None = ast.parse(text)
    except (SyntaxError, ValueError):
        tree = None
    return _Source(tuple(text.splitlines()), tree)


def fingerprint(test_id: str, path: str, scope: str, flagged: str) -> str:
    """The finding's identity, documented in the module docstring."""
    text = "\x1f".join((test_id, path, scope, normalise(flagged)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _flagged(lines: Sequence[str], code: str, line: int, line_range: Sequence[int]) -> str:
    """The flagged source: the node's lines when the flagged line starts or ends it (a call spread over lines is
    flagged on its first or last line), else the flagged line alone (a password among a dict's keys: the dict's other
    entries are not this finding). Read from the file; from bandit's excerpt ("N text" lines) when it cannot be."""
    first, last = min(line_range), max(line_range)
    wanted = range(first, last + 1) if line in (first, last) else range(line, line + 1)
    if lines:
        return "\n".join(lines[n - 1] for n in wanted if 0 < n <= len(lines))
    excerpt = {}
    for raw in code.splitlines():
        number, _, text = raw.partition(" ")
        if number.isdigit():
            excerpt[int(number)] = text
    return "\n".join(excerpt[n] for n in wanted if n in excerpt)


def normalise(source: str) -> str:
    """The source's tokens joined by one space, without comments, indentation or line breaks; a text that does not
    tokenize (a fragment of a statement) keeps the tokens read before the fault."""
    text = "\n".join(line.strip() for line in source.splitlines())
    kept: list[str] = []
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENDMARKER}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type not in skipped:
                kept.append(token.string)
    except (tokenize.TokenError, SyntaxError):
        if not kept:
            return re.sub(r"\s+", "", text)
    return " ".join(kept)


def _scope(tree: ast.Module | None, line: int) -> str:
    """The qualified name of the innermost function or class whose lines hold `line`; "<module>" outside any."""
    names: list[str] = []
    body: Iterable[ast.AST] = tree.body if tree is not None else ()
    while True:
        inner = next((node for node in _definitions(body)
                      if node.lineno <= line <= (node.end_lineno or node.lineno)), None)
        if inner is None:
            return ".".join(names) or "<module>"
        names.append(inner.name)
        body = inner.body


def _definitions(body: Iterable[ast.AST]) -> Iterable[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """The definitions in a body, also those nested in if/try/with/for blocks (not in other definitions)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node
        else:
            for child in ast.iter_child_nodes(node):
                yield from _definitions([child])


# -- thresholds and the baseline ---------------------------------------------------------------------------------

def filter_issues(issues: Iterable[Issue], severity: str = "low", confidence: str = "low") -> list[Issue]:
    """The issues at or above both thresholds (low / medium / high, any case)."""
    least_severity, least_confidence = _level(severity, "severity"), _level(confidence, "confidence")
    return [issue for issue in issues
            if LEVELS.get(issue.severity.lower(), 0) >= least_severity
            and LEVELS.get(issue.confidence.lower(), 0) >= least_confidence]


def _level(name: str, what: str) -> int:
    level = LEVELS.get(str(name).lower())
    if not level:
        raise ConfigError(f"bandit {what} threshold {name!r}: expected low, medium or high")
    return level


def write_baseline(path: Path, issues: Iterable[Issue]) -> Baseline:
    """The issues as a baseline file (the absent ones left out): one entry per fingerprint with its count."""
    grouped: dict[str, list[Issue]] = defaultdict(list)
    for issue in sorted((i for i in issues if i.baseline_state != "absent"), key=_order):
        grouped[issue.fingerprint].append(issue)
    entries = tuple(BaselineEntry(fp, first.test_id, first.path, first.code, len(copies), _details(first))
                    for fp, copies in grouped.items() for first in copies[:1])
    document = {"tool": "bandit", "format": BASELINE_FORMAT,
                "findings": [{"fingerprint": e.fingerprint, "test_id": e.test_id, "path": e.path, "code": e.code,
                              "count": e.count, **e.details} for e in entries]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return Baseline(entries)


_DETAILS = ("test_name", "severity", "confidence", "cwe", "text", "more_info", "scope", "line")


def _details(issue: Issue) -> dict[str, Any]:
    return {name: getattr(issue, name) for name in _DETAILS}


def load_baseline(path: Path) -> Baseline:
    """A baseline file. ConfigError naming the file when it is missing or malformed."""
    where = f"bandit baseline {path}"
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{where}: cannot be read as JSON ({exc})") from exc
    if not isinstance(document, dict) or document.get("tool") != "bandit" \
            or document.get("format") != BASELINE_FORMAT or not isinstance(document.get("findings"), list):
        raise ConfigError(f'{where}: expected {{"tool": "bandit", "format": {BASELINE_FORMAT}, "findings": [...]}}')
    return Baseline(tuple(_entry(item, n, where) for n, item in enumerate(document["findings"])))


def _entry(item: Any, n: int, where: str) -> BaselineEntry:
    keys = ("fingerprint", "test_id", "path", "code")
    if not isinstance(item, dict) or not all(isinstance(item.get(key), str) for key in keys):
        raise ConfigError(f"{where}: findings[{n}] needs the strings {', '.join(keys)}")
    count = item.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigError(f"{where}: findings[{n}] count {count!r}: expected a whole number ≥ 1")
    details = {name: item[name] for name in _DETAILS if name in item}
    return BaselineEntry(item["fingerprint"], item["test_id"], item["path"], item["code"], count, details)


def judge_baseline(issues: Iterable[Issue], baseline: Baseline) -> list[Issue]:
    """Each issue with its baseline state, in file/line order, then one "absent" issue per baselined copy that is
    gone (built from the baseline's stored path and code)."""
    known = baseline.counts()
    seen: dict[str, int] = defaultdict(int)
    judged = []
    for issue in sorted((i for i in issues if i.baseline_state != "absent"), key=_order):  # judged again
        seen[issue.fingerprint] += 1
        entry = known.get(issue.fingerprint)
        state = "unchanged" if entry is not None and seen[issue.fingerprint] <= entry.count else "new"
        judged.append(replace(issue, baseline_state=state))
    for fp, entry in known.items():
        judged += [_absent(entry)] * max(0, entry.count - seen[fp])
    return judged


def _absent(entry: BaselineEntry) -> Issue:
    details = entry.details
    return Issue(test_id=entry.test_id, test_name=str(details.get("test_name", "")),
                 severity=str(details.get("severity", "UNDEFINED")), confidence=str(details.get("confidence",
                                                                                                "UNDEFINED")),
                 cwe=details.get("cwe") if isinstance(details.get("cwe"), int) else None, path=entry.path,
                 line=int(details.get("line", 0) or 0), code=entry.code,
                 text=str(details.get("text", "") or "a baselined finding is no longer found"),
                 more_info=str(details.get("more_info", "")), fingerprint=entry.fingerprint, baseline_state="absent",
                 scope=str(details.get("scope", "<module>")))


def _order(issue: Issue) -> tuple[str, int, str]:
    return issue.path, issue.line, issue.test_id


__all__ = ["DEFAULT_EXCLUDE", "BanditRun", "Baseline", "BaselineEntry", "Issue", "filter_issues", "fingerprint",
           "judge_baseline", "load_baseline", "normalise", "parse_report", "run_bandit", "write_baseline"]
