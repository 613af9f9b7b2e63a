"""`harness scorecard RUN` end to end on run folders the factory writes (tests/harness/scorecard/runs.py): every
number the page, scorecard.json and scorecard.md show is traced back to the area result it names; the charts equal
the area JSON; the page opens offline in headless Chromium; regressions, red rows, unmeasured rows and carried-over
figures show as a manager must see them.

The oracle is independent of the harness: the page is parsed with html.parser, `file#pointer` sources are resolved
by the small RFC 6901 resolver below (not the harness's `resolve`), and the expected figures come from the factory's
arguments and the area JSON. The command runs in-process (click's CliRunner) with `--out` in tmp_path, and an
audit hook records every file it opens for writing: nothing may land outside the reports folder.

The three-run history (p95 22.6, 25.0, 24.0 ms) measures the bundled apps' real source with radon (the project's own
settings); the other tests point `[scorecard] legacy_source/candidate_source` at a two-file tree, so radon takes
milliseconds there.
"""
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import harness.cli
from harness.scorecard.rows import ROW_IDS
from tests.harness.scorecard.runs import OPERATIONS, write_run
from tests.support.browser import WINDOW_HEIGHT, browse, png_size, require_browser

PROJECT = Path(__file__).resolve().parents[3]
GATES = PROJECT / "scenarios" / "scorecard.toml"
SCREENSHOT = PROJECT / "reports" / "screenshots" / "scorecard.png"
TRIO = ("20261201T010000.000000Z", "20261202T010000.000000Z", "20261203T010000.000000Z")
TRIO_P95 = (22.6, 25.0, 24.0)
LEGACY_P95 = 17.3
BLOCKING = ("critical", "high")
#: Cells the factory's faithful run fills with a number: 6 plan rows on both sides (p95, queries, grade, blocking
#: findings, documentation, maintainability), the candidate's cache ratio, probes on both sides, 6 promise rows
#: (candidate only) and one per area (6).
FAITHFUL_FIGURES = 6 * 2 + 1 + 2 + 6 + 6
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                  "wbr"})

# -- writes outside the reports folder --------------------------------------------------------------------------

_recording: list[list[str]] = []
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _written_paths(event: str, args: tuple[Any, ...]) -> list[Any]:
    """The paths an audited call writes: a file opened for writing, a database, a folder, a rename's target."""
    if event == "open":
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & _WRITE_FLAGS)
        return [path] if writes else []
    if event in ("sqlite3.connect", "os.mkdir", "os.remove", "os.rmdir", "os.truncate"):
        return [args[0]]
    if event in ("os.rename", "os.replace", "os.symlink", "os.link"):
        return [args[1]]
    return []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # The hook stays installed for the process (audit hooks cannot be removed); it only records inside `recording`.
    if _recording:
        _recording[-1].extend(os.fsdecode(path) for path in _written_paths(event, args)
                              if isinstance(path, str | bytes | os.PathLike))


sys.addaudithook(_audit)


@contextmanager
def recording() -> Iterator[list[str]]:
    written: list[str] = []
    _recording.append(written)
    try:
        yield written
    finally:
        _recording.pop()


def outside(written: list[str], folder: Path) -> list[str]:
    """Written paths outside `folder`, Python's own bytecode cache aside (an import, not the command, writes it)."""
    root = os.path.realpath(folder)
    return sorted({path for path in written if "__pycache__" not in path
                   and os.path.commonpath([root, os.path.realpath(path)]) != root})


# -- the command ----------------------------------------------------------------------------------------------------

def score(reports: Path, run_dir: Path, *options: str) -> Result:
    """`harness scorecard --out REPORTS RUN` in-process; fails on a crash or on a file written outside REPORTS."""
    with recording() as written:
        result = CliRunner().invoke(harness.cli.main, ["scorecard", *options, "--out", str(reports), str(run_dir)])
    # CliRunner turns an exception into exit code 1: a crash must not pass for a failing gate.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert outside(written, reports) == []
    assert (reports / "history.sqlite").is_file()
    return result


def small_config(folder: Path, **scorecard: str) -> Path:
    """A harness.toml whose [scorecard] measures a two-module tree per app (radon in milliseconds), with
    `scorecard` as further keys (gates = ...)."""
    for side in ("legacy", "candidate"):
        source = folder / "src" / side
        source.mkdir(parents=True, exist_ok=True)
        (source / "__init__.py").write_text(f'"""The {side} app."""\n', encoding="utf-8")
        # Radon gives these modules MI 100: a whole number, so these tests do not depend on how the MI is rounded
        # (the three-run history, on the real apps, checks that).
        (source / "views.py").write_text('"""Views."""\nLIMIT = 10\n', encoding="utf-8")
        scorecard.setdefault(f"{side}_source", str(source))
    config = folder / "harness.toml"
    config.write_text("[scorecard]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in scorecard.items()),
                      encoding="utf-8")
    return config


# -- an HTML tree from the standard library's parser ---------------------------------------------------------------

@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def own_text(self) -> str:
        """The text outside child elements: a figure cell's display, without its <small> note."""
        return " ".join("".join(child for child in self.children if isinstance(child, str)).split())

    def find(self, tag: str = "", **attrs: str) -> list[Node]:
        return [node for node in self.iter() if (not tag or node.tag == tag)
                and all(node.attrs.get(name.replace("_", "-")) == value for name, value in attrs.items())]

    def one(self, tag: str = "", **attrs: str) -> Node:
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(path: Path) -> Node:
    builder = _TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    return builder.root


# -- the oracle: a source's value, and what a cell must show -------------------------------------------------------

def resolve_pointer(document: Any, pointer: str) -> Any:
    """RFC 6901: "" is the whole document; each "/token" steps into an object key or a decimal array index."""
    if pointer == "":
        return document
    assert pointer.startswith("/"), pointer
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(document, list):
            assert re.fullmatch(r"0|[1-9]\d*", token), (pointer, token)
            document = document[int(token)]
        else:
            assert isinstance(document, dict) and token in document, (pointer, token)
            document = document[token]
    return document


def source_value(run_dir: Path, source: str, side: str) -> float:
    """What one `file#pointer` source adds to a figure: a number as is, a boolean as 1/0, a finding's severity as
    one blocking finding, the findings list as the count of this side's blocking findings."""
    file, _, pointer = source.partition("#")
    path = (run_dir / file).resolve()
    assert path.is_relative_to(run_dir.parent.resolve()) and path.is_file(), source
    value = resolve_pointer(json.loads(path.read_text(encoding="utf-8")), pointer)
    if pointer.endswith("/severity"):
        finding = resolve_pointer(json.loads(path.read_text(encoding="utf-8")), pointer.rsplit("/", 1)[0])
        assert value in BLOCKING and f".{side}." in f"{finding['id']}.", (source, finding)
        return 1.0
    if isinstance(value, list):
        return float(sum(found.get("severity") in BLOCKING and f".{side}." in f"{found.get('id')}." for found in value))
    assert isinstance(value, bool | int | float), (source, value)
    return float(value)


def traced(run_dir: Path, sources: list[str], scale: float, side: str) -> tuple[float, bool]:
    """The figure its sources name (summed, times scale), and whether it is a single boolean (an area's gate)."""
    total = sum(source_value(run_dir, source, side) for source in sources)
    boolean = len(sources) == 1 and sources[0].endswith("#/passed")
    return total * scale, boolean


def shows(text: str, value: float, boolean: bool = False) -> bool:
    """Whether a cell's display shows the figure: "passed"/"failed: ..." for an area's gate; else a number written
    with at most one decimal (thousands separated) that is the value rounded, one decimal when it is not whole."""
    if boolean:
        return text == "passed" if value == 1 else text.startswith(("failed", "interrupted"))
    whole = abs(value - round(value)) < 1e-9
    for token in NUMBER.findall(text):
        decimals = len(token.partition(".")[2])
        if decimals > 1 or (decimals == 0 and not whole):
            continue
        if abs(float(token.replace(",", "")) - round(value, decimals)) < 1e-9:
            return True
    return False


def check_page_figures(page: Node, run_dir: Path) -> int:
    """Every `data-source` element of the page against the files it names; every figure cell either traced or
    saying it has no figure. Returns how many were traced."""
    checked = 0
    for node in page.iter():
        if "data-source" not in node.attrs:
            continue
        sources = node.attrs["data-source"].split()
        assert sources, node.attrs
        value, boolean = traced(run_dir, sources, float(node.attrs["data-scale"]), node.attrs.get("data-side", ""))
        assert abs(value - float(node.attrs["data-value"])) < 1e-6, (node.attrs, value)
        assert shows(node.own_text(), value, boolean), (node.own_text(), value, sources)
        checked += 1
    for cell in page.find("td"):
        if "figure" in cell.attrs.get("class", "").split() and "data-value" not in cell.attrs:
            assert cell.own_text() in ("not measured", "—", "none"), cell.own_text()  # a number must be traceable
    return checked


def load_figures(run_dir: Path) -> dict[str, dict[str, Any]]:
    load = json.loads((run_dir / "load.json").read_text(encoding="utf-8"))
    return {found["evidence"]["side"]: found["evidence"] for found in load["findings"]
            if found["check"] == "load_figures"}


def marks(svg: Node) -> list[tuple[str, str, float]]:
    return [(node.attrs["data-series"], node.attrs["data-label"], float(node.attrs["data-value"]))
            for node in svg.iter() if "data-value" in node.attrs and "data-series" in node.attrs]


def check_operation_charts(page: Node, run_dir: Path) -> None:
    """Each bar of the per-operation charts is that operation's figure in load.json's load_figures evidence."""
    figures = load_figures(run_dir)
    for chart, key in (("p95-per-operation", "p95_ms"), ("queries-per-operation", "queries_max")):
        bars = marks(page.one("svg", data_chart=chart))
        expected = {(side, name, float(values[key])) for side, evidence in figures.items()
                    for name, values in evidence["operations"].items() if values[key] is not None}
        assert sorted(bars) == sorted(expected), chart


def area_results(run_dir: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in run_dir.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("area"), str) and "metrics" in data:
            found[data["area"]] = data
    return found


def check_findings_chart(page: Node, run_dir: Path) -> None:
    """Per area, the segments add up to the findings in <area>.json, and the total printed at the bar's end too."""
    chart = page.one("svg", data_chart="findings")
    totals: dict[str, float] = {}
    for _, area, count in marks(chart):
        totals[area] = totals.get(area, 0) + count
    for area, data in area_results(run_dir).items():
        assert totals.get(area, 0) == len(data["findings"]), area
        assert chart.one("text", data_total=area).own_text() == str(len(data["findings"])), area


def row(page: Node, row_id: str) -> Node:
    return page.one("tr", data_row=row_id)


def cell(page: Node, row_id: str, side: str) -> Node:
    return row(page, row_id).one("td", data_side=side)


# -- the three-run history ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], list[Result]]:
    """Three runs scored in order in one reports folder (candidate p95 22.6, 25.0, 24.0 ms), the project's own
    settings (radon over both bundled apps), every file written inside the reports folder."""
    reports = tmp_path_factory.mktemp("trio") / "reports"
    runs = [write_run(reports, run_id, p95=(LEGACY_P95, p95)) for run_id, p95 in zip(TRIO, TRIO_P95, strict=True)]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(PROJECT)  # the project's pyproject.toml settings, as `harness scorecard` in the checkout
        results = [score(reports, run_dir) for run_dir in runs]
    assert [result.exit_code for result in results] == [0, 0, 0]  # not proven (capacity, coverage): a warning
    return reports, runs, results


def test_every_number_on_the_page_is_traceable(trio: tuple[Path, list[Path], list[Result]]) -> None:
    reports, runs, _ = trio
    page = parse_html(runs[2] / "scorecard.html")
    assert check_page_figures(page, runs[2]) >= FAITHFUL_FIGURES
    assert cell(page, "p95_ms", "candidate").attrs["data-value"] == "24"
    assert cell(page, "cache_hit_ratio", "candidate").own_text() == "89.0 %"
    assert cell(page, "security_grade", "candidate").own_text() == "A+ (130)"
    check_operation_charts(page, runs[2])
    check_findings_chart(page, runs[2])
    trend = marks(page.one("svg", data_chart="trend-p95_ms"))
    assert [value for series, _, value in trend if series == "candidate"] == list(TRIO_P95)
    assert [value for series, _, value in trend if series == "legacy"] == [LEGACY_P95] * 3
    assert not (PROJECT / "reports" / TRIO[2]).exists()


def md_rows(markdown: str) -> dict[str, list[str]]:
    """The scorecard tables' rows by metric title: mark, metric, target, legacy, candidate, delta, how."""
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith(("| |", "|---")):
            cells = [part.strip().replace("\\|", "|") for part in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            rows[cells[1].split(" ▲ ")[0]] = cells
    return rows


def test_scorecard_json_and_markdown_show_the_same_traced_figures(
        trio: tuple[Path, list[Path], list[Result]]) -> None:
    _, runs, _ = trio
    card = json.loads((runs[2] / "scorecard.json").read_text(encoding="utf-8"))
    table = md_rows((runs[2] / "scorecard.md").read_text(encoding="utf-8"))
    checked = 0
    assert [entry["id"] for entry in card["rows"]][:len(ROW_IDS)] == list(ROW_IDS)
    for entry in card["rows"]:
        shown = table[entry["title"]]
        for column, side in ((3, "legacy"), (4, "candidate")):
            found = entry[side]
            if found["value"] is None:
                assert shown[column] in ("not measured", "—", "none"), (entry["id"], side)
                continue
            value, boolean = traced(runs[2], found["sources"], found["scale"], side)
            assert abs(value - found["value"]) < 1e-6, (entry["id"], side, value)
            assert shows(found["display"], value, boolean), (entry["id"], found["display"])
            assert shows(shown[column], value, boolean), (entry["id"], shown[column])
            checked += 1
    assert checked >= FAITHFUL_FIGURES
    assert table["Response time (p95)"][4] == "24 ms"


def test_the_page_opens_offline_full_and_printable(trio: tuple[Path, list[Path], list[Result]],
                                                   tmp_path: Path) -> None:
    require_browser()
    _, runs, _ = trio
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with browse(runs[2] / "scorecard.html", screenshot=SCREENSHOT, pdf=tmp_path / "scorecard.pdf") as page:
        visit = page.visit
        assert visit.requests == () and visit.errors == (), (visit.requests, visit.console)
        assert visit.title.startswith("Migration scorecard")
        rows = set(page.attribute("tr[data-row]", "data-row"))
        assert set(ROW_IDS) <= rows
        assert {f"area.{name}" for name in area_results(runs[2])} <= rows
        charts = set(page.attribute("svg[data-chart]", "data-chart"))
        assert {"latency-distribution", "p95-per-operation", "queries-per-operation", "findings", "mi-distribution",
                "trend-p95_ms"} <= charts
        points = page.attribute('svg[data-chart="trend-p95_ms"] circle[data-series]', "data-series")
        assert sorted(points) == ["candidate"] * 3 + ["legacy"] * 3
        assert page.attribute("#verdict", "data-verdict") == ["not proven"]
        assert "not proven" in page.texts("#verdict h2")[0]
    assert visit.pdf_pages is not None and visit.pdf_pages >= 1
    assert png_size(SCREENSHOT.read_bytes())[1] > WINDOW_HEIGHT


# -- regressions, red rows, unmeasured rows, carried-over figures ----------------------------------------------------

def test_a_regression_is_flagged_and_blocks_only_when_the_gates_say_so(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    first = write_run(reports, TRIO[0], p95=(LEGACY_P95, 22.6))
    second = write_run(reports, TRIO[1], p95=(LEGACY_P95, 30.0))
    config = small_config(tmp_path)
    assert score(reports, first, "--config", str(config)).exit_code == 0
    result = score(reports, second, "--config", str(config))
    assert result.exit_code == 0
    assert TRIO[0] in result.output and "Response time (p95)" in result.output
    page = parse_html(second / "scorecard.html")
    p95 = row(page, "p95_ms")
    assert p95.attrs["data-status"] == "pass" and "regressed" in p95.attrs["class"].split()
    assert p95.one(data_regression=TRIO[0]).text().count(TRIO[0]) == 1
    assert "regressed" not in row(page, "queries_per_request").attrs["class"].split()
    assert page.one("section", id="verdict").attrs["data-verdict"] == "not proven"

    gates = tmp_path / "gates.toml"
    text = GATES.read_text(encoding="utf-8")
    assert text.count("[rows.p95_ms]\n") == 1
    gates.write_text(text.replace("[rows.p95_ms]\n", "[rows.p95_ms]\nblocks_regression = true\n"), encoding="utf-8")
    blocking = score(reports, second, "--config", str(small_config(tmp_path / "blocking", gates=str(gates))))
    assert blocking.exit_code == 1
    verdict = parse_html(second / "scorecard.html").one("section", id="verdict")
    assert verdict.attrs["data-verdict"] == "no" and TRIO[0] in verdict.text()


def test_red_rows_fail_the_run(tmp_path: Path) -> None:
    reports, config = tmp_path / "reports", small_config(tmp_path)
    slow = write_run(reports, "20261201T010000.000000Z", p95=(LEGACY_P95, 150.0), high_findings={"candidate": 2})
    one_slow = write_run(reports, "20261202T010000.000000Z", p95=(LEGACY_P95, 40.0),
                         operations={**OPERATIONS, "GET /api/v1/slow": (30.0, 150.0, 2, 2)})
    schema = write_run(reports, "20261203T010000.000000Z", schema_differences=1)
    faithful = write_run(reports, "20261204T010000.000000Z")
    codes = {run_dir: score(reports, run_dir, "--config", str(config)).exit_code
             for run_dir in (slow, one_slow, schema, faithful)}
    assert codes == {slow: 1, one_slow: 1, schema: 1, faithful: 0}
    pages = {run_dir: parse_html(run_dir / "scorecard.html") for run_dir in codes}

    assert row(pages[slow], "p95_ms").attrs["data-status"] == "fail"
    verdict = pages[slow].one("section", id="verdict")
    assert verdict.attrs["data-verdict"] == "no" and "Response time (p95)" in verdict.text()
    assert cell(pages[slow], "security_blocking_findings", "candidate").attrs["data-value"] == "2"
    check_page_figures(pages[slow], slow)  # two severity pointers, counted one each

    overall = cell(pages[one_slow], "p95_ms", "candidate")
    assert row(pages[one_slow], "p95_ms").attrs["data-status"] == "fail"
    assert overall.attrs["data-value"] == "40" and "GET /api/v1/slow" in overall.text()
    assert "Response time (p95)" in pages[one_slow].one("section", id="verdict").text()

    for run_dir, status in ((schema, "fail"), (faithful, "pass")):
        assert row(pages[run_dir], "schema_differences").attrs["data-status"] == status
        assert row(pages[run_dir], "area.data").attrs["data-status"] == status
    assert row(pages[faithful], "p95_ms").attrs["data-status"] == "pass"
    assert check_page_figures(pages[faithful], faithful) >= FAITHFUL_FIGURES


def test_a_figure_not_measured_is_said_never_invented(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    run_dir = write_run(reports, TRIO[0], areas=("targets", "data", "contract", "data-crosswrite", "security"))
    assert score(reports, run_dir, "--config", str(small_config(tmp_path))).exit_code == 0
    page = parse_html(run_dir / "scorecard.html")
    p95 = row(page, "p95_ms")
    assert p95.attrs["data-status"] == "not measured"
    for side in ("legacy", "candidate"):
        shown = cell(page, "p95_ms", side)
        assert shown.own_text() == "not measured" and "data-value" not in shown.attrs
        assert "data-source" not in shown.attrs
    assert "harness load" in p95.one("td", **{"class": "verdict-cell"}).text()
    assert not page.find("svg", data_chart="p95-per-operation")
    assert not page.find("svg", data_chart="latency-distribution")
    card = json.loads((run_dir / "scorecard.json").read_text(encoding="utf-8"))
    assert next(entry for entry in card["rows"] if entry["id"] == "p95_ms")["candidate"]["value"] is None


def test_a_figure_from_an_earlier_run_says_where_it_came_from(tmp_path: Path) -> None:
    reports, config = tmp_path / "reports", small_config(tmp_path)
    earlier = write_run(reports, TRIO[0], capacity=(650, 750))
    later = write_run(reports, TRIO[1])
    # 750 users miss the 10,000 target: a red row, in both runs.
    assert [score(reports, run_dir, "--config", str(config)).exit_code for run_dir in (earlier, later)] == [1, 1]
    page = parse_html(later / "scorecard.html")
    for side, users in (("legacy", "650"), ("candidate", "750")):
        carried = cell(page, "concurrent_users", side)
        assert carried.attrs["data-value"] == users and carried.own_text() == f"{users} users"
        assert carried.attrs["data-source"].startswith(f"../{TRIO[0]}/")
        assert TRIO[0] in carried.one("small").text()
    assert check_page_figures(page, later) >= FAITHFUL_FIGURES + 2
    assert "regressed" not in row(page, "concurrent_users").attrs["class"].split()
