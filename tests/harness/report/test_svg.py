"""harness/report/svg.py: the scorecard's charts are valid, accessible, safe under a strict CSP, and every drawn
figure is the figure it was given, at the place its axis says."""
from __future__ import annotations

import math
from xml.etree import ElementTree as ET

import pytest

from harness.report import svg

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script>"
OPS = ["GET /api/v1/courses", "POST /api/v1/enrolments", "GET /api/v1/users/{id}/progress/with/a/very/long/path"]


def bars(**overrides: object) -> str:
    args: dict = {"labels": OPS, "series": {"legacy": [41.2, 80.0, 12.5], "candidate": [30.25, None, 7]},
                  "unit": "ms", "threshold": 100.0, "threshold_label": "target 100 ms"}
    args.update(overrides)
    return svg.bar_chart("p95 per op", "p95 per operation", **args)


def distribution() -> str:
    return svg.distribution_chart("latency", "Latency distribution", {
        "legacy": [(0.0, 1.0), (50.0, 12.0), (90.0, 30.0), (99.0, 80.5), (99.9, 140.0)],
        "candidate": [(0.0, 1.0), (50.0, 10.0), (90.0, 25.0), (99.0, 60.0), (99.9, 90.0)]}, unit="ms",
        threshold=100.0)


def trend() -> str:
    return svg.trend_chart("p95 trend", "p95 over runs", ["r1", "r2", "r3", "r4", "r5"],
                           {"legacy": [40.0, 42.0, None, 44.0, 45.5], "candidate": [30.0, 31.0, 29.5, 28.0, 27.5]},
                           unit="ms", threshold=50.0)


def stacked() -> str:
    return svg.stacked_bar_chart("findings", "Findings by severity", ["contract", "security", "data"],
                                 {"critical": [1, 0, 0], "high": [2, 3, 0], "info": [0, 7, 0]},
                                 colors={"critical": "#7f1d1d", "high": "#f59e0b", "info": "#9ca3af"})


def spark() -> str:
    return svg.sparkline("cell", [3.0, 4.0, None, 5.5])


ALL = {"bar": bars, "distribution": distribution, "trend": trend, "stacked": stacked, "sparkline": spark}


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def marks(root: ET.Element) -> list[ET.Element]:
    return [element for element in root.iter() if "data-value" in element.attrib]


def tick_x(root: ET.Element, label: str) -> float:
    return next(float(line.get("x1")) for line in root.iter(f"{NS}line") if line.get("data-tick") == label)


def x_of(root: ET.Element, value: float) -> float:
    """Where the chart's own axis puts `value`: interpolated between its 0 tick and its last tick."""
    ticks = {float(line.get("data-tick")): float(line.get("x1")) for line in root.iter(f"{NS}line")
             if line.get("data-tick")}
    last = max(ticks)
    return ticks[0] + value / last * (ticks[last] - ticks[0])


def bar_widths(root: ET.Element, series: str) -> dict[str, float]:
    return {rect.get("data-label"): float(rect.get("width")) for rect in root.iter(f"{NS}rect")
            if rect.get("data-series") == series}


@pytest.mark.parametrize("chart", ALL)
def test_every_chart_is_an_accessible_svg_with_title_and_desc(chart: str) -> None:
    root = parse(ALL[chart]())
    assert root.tag == f"{NS}svg" and root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{NS}title").get("id") == title_id and root.find(f"{NS}desc").get("id") == desc_id
    assert root.find(f"{NS}title").text and root.find(f"{NS}desc").text
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"


@pytest.mark.parametrize("chart", ALL)
def test_no_style_attribute_script_or_external_reference(chart: str) -> None:
    markup = ALL[chart]()
    assert "style=" not in markup and "<script" not in markup.lower()
    for element in parse(markup).iter():
        assert "style" not in element.attrib
        assert not any(name.endswith("href") for name in element.attrib)
        assert all(value.startswith("url(#") for value in element.attrib.values() if value.startswith("url("))


@pytest.mark.parametrize("chart", ALL)
def test_output_is_deterministic(chart: str) -> None:
    assert ALL[chart]() == ALL[chart]()


def test_the_desc_carries_every_series_figure() -> None:
    desc = parse(bars()).find(f"{NS}desc").text
    assert "legacy: GET /api/v1/courses 41.2 ms" in desc
    assert f"candidate: GET /api/v1/courses 30.2 ms; {OPS[1]} not measured; {OPS[2]} 7 ms." in desc
    assert "Threshold line at 100 ms (target 100 ms)" in desc


def test_a_hostile_label_is_escaped_everywhere_and_still_parses() -> None:
    markup = svg.bar_chart(HOSTILE, HOSTILE, [HOSTILE, 'a "quoted" & <b>'], {HOSTILE: [1.0, 2.0]}, unit=HOSTILE,
                           threshold=1.5, threshold_label=HOSTILE)
    assert HOSTILE not in markup and "&lt;script&gt;" in markup
    root = parse(markup)
    assert root.get("data-chart") == HOSTILE
    assert {rect.get("data-label") for rect in marks(root)} == {HOSTILE, 'a "quoted" & <b>'}
    assert root.get("aria-labelledby") == "chart-script-alert-1-script-title chart-script-alert-1-script-desc"
    assert parse(svg.trend_chart(HOSTILE, HOSTILE, [HOSTILE], {HOSTILE: [1.0]}, unit=HOSTILE)).find(
        f"{NS}title").text == HOSTILE
    assert parse(svg.sparkline(HOSTILE, [1.0, 2.0], label=HOSTILE)).find(f"{NS}title").text.startswith(HOSTILE)


def test_control_characters_in_a_label_cannot_break_the_xml() -> None:
    root = parse(bars(labels=["bad\x00\x1blabel", "b", "c"]))
    assert "badlabel" in {rect.get("data-label") for rect in marks(root)}


def test_bar_marks_carry_exactly_the_given_values() -> None:
    series = {"legacy": [41.2, 80.0, 0.1 + 0.2], "candidate": [30.25, 1234567.0, 7]}
    root = parse(bars(series=series))
    drawn = {(m.get("data-series"), m.get("data-label")): m.get("data-value") for m in marks(root)}
    for name, values in series.items():
        for label, value in zip(OPS, values, strict=True):
            assert float(drawn[(name, label)]) == value
    assert drawn[("legacy", OPS[1])] == "80" and drawn[("candidate", OPS[2])] == "7"


def test_none_draws_no_bar_but_na_and_the_desc_says_not_measured() -> None:
    root = parse(bars())
    assert OPS[1] not in bar_widths(root, "candidate") and OPS[1] in bar_widths(root, "legacy")
    assert [t.text for t in root.iter(f"{NS}text") if t.get("data-missing") == "candidate"] == ["n/a"]
    assert f"{OPS[1]} not measured" in root.find(f"{NS}desc").text


def test_bars_grow_with_their_value_and_sit_on_the_axis() -> None:
    root = parse(bars(series={"candidate": [10.0, 55.5, 90.0]}))
    widths = bar_widths(root, "candidate")
    assert widths[OPS[0]] < widths[OPS[1]] < widths[OPS[2]]
    zero, hundred = tick_x(root, "0"), tick_x(root, "100")
    assert widths[OPS[1]] == pytest.approx(55.5 / 100 * (hundred - zero), abs=0.01)


def test_the_threshold_line_sits_where_the_axis_puts_its_value() -> None:
    root = parse(bars(threshold=60.0, threshold_label="target 60 ms"))
    line = next(line for line in root.iter(f"{NS}line") if line.get("data-threshold") == "60")
    assert float(line.get("x1")) == float(line.get("x2")) == pytest.approx(x_of(root, 60), abs=0.01)
    assert x_of(root, 60) == pytest.approx(tick_x(root, "60"), abs=0.01)  # the axis here is 0, 20, ... 80
    assert line.get("stroke") == svg.THRESHOLD_COLOR and line.get("stroke-dasharray")
    assert "target 60 ms" in [t.text for t in root.iter(f"{NS}text")]


def test_the_axis_covers_a_threshold_beyond_the_data() -> None:
    root = parse(bars(threshold=300.0))
    line = next(line for line in root.iter(f"{NS}line") if line.get("data-threshold") == "300")
    last_tick = max(float(line.get("x1")) for line in root.iter(f"{NS}line") if line.get("data-tick"))
    assert float(line.get("x1")) <= last_tick


@pytest.mark.parametrize(("maximum", "top"), [(41.2, 50), (120.5, 125), (100, 100), (7, 8), (0.03, 0.03), (0, 1)])
def test_axis_ticks_are_nice_and_four_to_six(maximum: float, top: float) -> None:
    high, ticks = svg.nice_scale(maximum)
    assert high == pytest.approx(top) and 4 <= len(ticks) <= 6 and ticks[0] == 0 and ticks[-1] == high


def test_long_labels_are_cut_with_the_full_label_in_a_title() -> None:
    root = parse(bars())
    shown = [t for t in root.iter(f"{NS}text") if t.find(f"{NS}title") is not None]
    assert [t.find(f"{NS}title").text for t in shown] == [OPS[2]]
    assert "".join(shown[0].itertext()).endswith("\u2026")
    bar = next(rect for rect in marks(root) if rect.get("data-label") == OPS[2])
    assert OPS[2] in bar.find(f"{NS}title").text


def test_height_grows_with_the_number_of_labels() -> None:
    two = parse(bars(labels=OPS[:2], series={"candidate": [1.0, 2.0]}))
    three = parse(bars(labels=OPS, series={"candidate": [1.0, 2.0, 3.0]}))
    assert float(three.get("height")) > float(two.get("height"))


def test_legacy_and_candidate_differ_by_pattern_as_well_as_colour() -> None:
    root = parse(bars())
    fills = {rect.get("data-series"): (rect.get("fill"), rect.get("stroke")) for rect in marks(root)}
    assert fills["legacy"][1] == svg.LEGACY_COLOR and fills["legacy"][0].startswith("url(#chart-p95-per-op-")
    assert fills["candidate"] == (svg.CANDIDATE_COLOR, svg.CANDIDATE_COLOR)
    assert {g.get("data-legend") for g in root.iter(f"{NS}g")} == {"legacy", "candidate", "target 100 ms"}
    lines = {p.get("data-series"): p.get("stroke-dasharray") for p in parse(trend()).iter(f"{NS}polyline")}
    assert lines["legacy"] and lines["candidate"] is None


@pytest.mark.parametrize(("chart", "names"), [
    ("bar", ["legacy", "candidate", "target 100 ms"]), ("distribution", ["legacy", "candidate", "threshold 100 ms"]),
    ("trend", ["legacy", "candidate", "threshold 50 ms"]), ("stacked", ["critical", "high", "info"])])
def test_every_chart_has_a_text_legend(chart: str, names: list[str]) -> None:
    root = parse(ALL[chart]())
    legend = {g.get("data-legend"): "".join(g.itertext()) for g in root.iter(f"{NS}g") if g.get("data-legend")}
    assert list(legend) == names and all(legend[name] == name for name in names)


def test_a_series_without_points_is_not_measured_in_every_desc() -> None:
    dist = svg.distribution_chart("d", "Latency", {"legacy": [], "candidate": [(50.0, 3.0)]}, unit="ms")
    assert "legacy: not measured." in parse(dist).find(f"{NS}desc").text
    runs = svg.trend_chart("t", "Trend", ["r1", "r2"], {"legacy": [None, None], "candidate": [1.0, 2.0]}, unit="ms")
    root = parse(runs)
    assert "legacy: not measured." in root.find(f"{NS}desc").text
    assert not [m for m in marks(root) if m.get("data-series") == "legacy"]


def test_unknown_series_take_the_palette_in_order() -> None:
    styles = svg.series_styles(["candidate", "p95", "p99", "legacy"])
    assert [styles[n].color for n in ("p95", "p99")] == list(svg.PALETTE[:2])
    assert styles["legacy"].color == svg.LEGACY_COLOR and styles["p95"].dash != styles["p99"].dash


@pytest.mark.parametrize("empty", [
    lambda: svg.bar_chart("e", "Empty", [], {"legacy": []}, unit="ms"),
    lambda: svg.bar_chart("e", "Empty", ["a"], {}, unit="ms"),
    lambda: svg.distribution_chart("e", "Empty", {"legacy": []}, unit="ms"),
    lambda: svg.stacked_bar_chart("e", "Empty", [], {}, colors={}),
    lambda: svg.trend_chart("e", "Empty", [], {"legacy": []}, unit="ms"),
    lambda: svg.sparkline("e", [None, None]),
])
def test_empty_input_says_no_data(empty) -> None:
    root = parse(empty())
    assert "no data" in root.find(f"{NS}desc").text
    assert "no data" in [t.text for t in root.iter(f"{NS}text")] and not marks(root)


def test_distribution_points_follow_the_nines_scale() -> None:
    root = parse(distribution())
    x0 = tick_x(root, "0%")
    unit = tick_x(root, "90%") - x0
    assert tick_x(root, "99%") == pytest.approx(x0 + 2 * unit, abs=0.01)
    assert tick_x(root, "50%") == pytest.approx(x0 + math.log10(2) * unit, abs=0.01)
    points = {(m.get("data-series"), m.get("data-label")): m for m in marks(root)}
    assert float(points[("candidate", "99%")].get("cx")) == pytest.approx(x0 + 2 * unit, abs=0.01)
    assert float(points[("legacy", "99.9%")].get("cx")) == pytest.approx(x0 + 3 * unit, abs=0.01)
    assert float(points[("legacy", "50%")].get("cx")) == pytest.approx(x0 + math.log10(2) * unit, abs=0.01)
    assert points[("legacy", "99%")].get("data-value") == "80.5"


def test_distribution_ticks_stop_where_the_data_stops() -> None:
    ticks = [line.get("data-tick") for line in parse(distribution()).iter(f"{NS}line") if line.get("data-tick")]
    assert "99.9%" in ticks and "99.99%" not in ticks


def test_distribution_desc_gives_the_headline_percentiles() -> None:
    desc = parse(distribution()).find(f"{NS}desc").text
    assert "legacy: 50% 12 ms, 90% 30 ms, 99% 80.5 ms, 99.9% 140 ms" in desc


def test_distribution_threshold_is_a_horizontal_line_at_its_value() -> None:
    root = parse(distribution())
    zero = next(float(line.get("y1")) for line in root.iter(f"{NS}line") if line.get("data-tick") == "0")
    fifty = next(float(line.get("y1")) for line in root.iter(f"{NS}line") if line.get("data-tick") == "50")
    line = next(line for line in root.iter(f"{NS}line") if line.get("data-threshold"))
    assert float(line.get("y1")) == pytest.approx(zero + 2 * (fifty - zero), abs=0.01)


def test_a_gap_breaks_the_trend_line_in_two() -> None:
    root = parse(trend())
    lines = [p for p in root.iter(f"{NS}polyline") if p.get("data-series") == "legacy"]
    assert [len(p.get("points").split()) for p in lines] == [2, 2]
    assert [len(p.get("points").split()) for p in root.iter(f"{NS}polyline")
            if p.get("data-series") == "candidate"] == [5]
    assert {m.get("data-label") for m in marks(root) if m.get("data-series") == "legacy"} == {"r1", "r2", "r4", "r5"}
    assert "not measured in 1 of 5 runs" in root.find(f"{NS}desc").text


def test_the_newest_trend_value_is_labelled() -> None:
    root = parse(trend())
    assert {t.get("data-newest"): t.text for t in root.iter(f"{NS}text") if t.get("data-newest")} == {
        "legacy": "45.5 ms", "candidate": "27.5 ms"}


def test_a_single_run_draws_points_without_a_line() -> None:
    root = parse(svg.trend_chart("one", "One run", ["r1"], {"legacy": [4.0], "candidate": [3.0]}, unit="ms"))
    assert not list(root.iter(f"{NS}polyline"))
    assert sorted(m.get("data-value") for m in marks(root)) == ["3", "4"]


def test_stacked_segments_carry_counts_and_omit_zeros() -> None:
    root = parse(stacked())
    drawn = [(m.get("data-label"), m.get("data-series"), m.get("data-value")) for m in marks(root)]
    assert drawn == [("contract", "critical", "1"), ("contract", "high", "2"), ("security", "high", "3"),
                     ("security", "info", "7")]
    totals = {t.get("data-total"): t.text for t in root.iter(f"{NS}text") if t.get("data-total")}
    assert totals == {"contract": "3", "security": "10", "data": "0"}
    assert [g.get("data-legend") for g in root.iter(f"{NS}g")] == ["critical", "high", "info"]


def test_stacked_segments_are_adjacent_and_proportional() -> None:
    root = parse(stacked())
    security = [m for m in marks(root) if m.get("data-label") == "security"]
    first, second = (float(m.get("x")) for m in security)
    assert second == pytest.approx(first + float(security[0].get("width")), abs=0.01)
    assert float(security[1].get("width")) == pytest.approx(7 / 3 * float(security[0].get("width")), abs=0.02)


def test_sparkline_dots_the_newest_value_and_titles_all_values() -> None:
    root = parse(spark())
    assert root.find(f"{NS}title").text == "Trend: 3, 4, n/a, 5.5"
    assert [(m.tag, m.get("data-value")) for m in marks(root)] == [(f"{NS}circle", "5.5")]
    assert root.get("width") == "120" and root.get("height") == "24"
    assert [len(p.get("points").split()) for p in root.iter(f"{NS}polyline")] == [2]


def test_coordinates_have_at_most_two_decimals() -> None:
    for chart in ALL.values():
        for element in parse(chart()).iter():
            for name in ("x", "y", "width", "cx", "cy", "x1", "y1", "x2", "y2"):
                value = element.get(name)
                if value is not None:
                    assert len(value.partition(".")[2]) <= 2, (name, value)
