"""Maintainability and complexity of the harness, by radon: the figures issue reviews and CI read.

    .venv/bin/python tools/quality.py [PATH ...] [--json] [--min-mi 20] [--max-cc 15]

For every module under PATH (default: harness/): radon's maintainability index (MI, 0-100, with comments
counted as radon's `mi -s` does) and its rank (A >= 20, B >= 10, C below), the module's size in logical lines,
and its most complex function (cyclomatic complexity). Then the LOC-weighted mean MI (each module's MI
weighted by its logical lines of code, so a large module counts for more than an empty __init__), the worst
module, and every function above --max-cc. Exit 1 when a module ranks below --min-mi or a function is above
--max-cc, 0 otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from radon.complexity import cc_visit
from radon.metrics import mi_rank, mi_visit
from radon.raw import analyze

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Module:
    path: str
    mi: float
    rank: str
    lloc: int
    worst_function: str
    worst_cc: int


@dataclass(frozen=True)
class Function:
    path: str
    name: str
    line: int
    cc: int


def modules(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def measure(path: Path) -> tuple[Module, list[Function]]:
    code = path.read_text(encoding="utf-8")
    blocks = cc_visit(code)
    functions = [Function(_shown(path), block.fullname, block.lineno, block.complexity) for block in blocks]
    worst = max(functions, key=lambda function: function.cc, default=None)
    mi = mi_visit(code, multi=True)
    module = Module(_shown(path), round(mi, 2), mi_rank(mi), analyze(code).lloc,
                    worst.name if worst else "", worst.cc if worst else 0)
    return module, functions


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def weighted_mean(measured: list[Module]) -> float:
    total = sum(module.lloc for module in measured)
    return round(sum(module.mi * module.lloc for module in measured) / total, 2) if total else 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "harness"])
    parser.add_argument("--min-mi", type=float, default=20.0)
    parser.add_argument("--max-cc", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    measured, functions = [], []
    for path in modules(args.paths):
        module, found = measure(path)
        measured.append(module)
        functions += found
    low = [module for module in measured if module.mi < args.min_mi]
    complex_ = sorted((f for f in functions if f.cc > args.max_cc), key=lambda f: -f.cc)
    summary = {"modules": len(measured), "loc_weighted_mi": weighted_mean(measured),
               "worst_module": asdict(min(measured, key=lambda m: m.mi)) if measured else None,
               "below_min_mi": [asdict(m) for m in low], "above_max_cc": [asdict(f) for f in complex_]}
    if args.json:
        print(json.dumps({"summary": summary, "modules": [asdict(m) for m in measured]}, indent=2))
    else:
        _print_text(measured, summary, args)
    return 1 if low or complex_ else 0


def _print_text(measured: list[Module], summary: dict, args: argparse.Namespace) -> None:
    width = max((len(module.path) for module in measured), default=10)
    for module in sorted(measured, key=lambda m: m.mi):
        print(f"{module.path:<{width}}  MI {module.mi:6.2f} {module.rank}  {module.lloc:5} lloc  "
              f"max CC {module.worst_cc:3} {module.worst_function}")
    print(f"\n{summary['modules']} modules; LOC-weighted mean MI {summary['loc_weighted_mi']}; "
          f"worst {summary['worst_module']['path'] if summary['worst_module'] else '-'}")
    for module in summary["below_min_mi"]:
        print(f"MI below {args.min_mi:g}: {module['path']} ({module['mi']})")
    for function in summary["above_max_cc"]:
        print(f"CC above {args.max_cc}: {function['path']}:{function['line']} {function['name']} ({function['cc']})")


if __name__ == "__main__":
    sys.exit(main())
