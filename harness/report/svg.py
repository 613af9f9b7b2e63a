"""Inline SVG charts for the HTML scorecard: pure functions from plain data to one `<svg>` string each.

    bar_chart(key, title, labels, {"legacy": [...], "candidate": [...]}, unit="ms", threshold=100,
              threshold_label="target 100 ms")
    distribution_chart(key, title, {"legacy": [(50.0, 12.1), (99.0, 80.4)], ...}, unit="ms", threshold=100)
    stacked_bar_chart(key, title, areas, {"critical": [...], "high": [...]}, colors={"critical": "#7f1d1d"})
    trend_chart(key, title, runs, {"p95": [41.2, None, 39.0]}, unit="ms", threshold=100)
    sparkline(key, [3, 4, None, 5])

The scorecard is one self-contained file under a strict Content-Security-Policy, so the markup uses SVG
presentation attributes only (never `style=`), no script, no external reference (hatch patterns are local
`url(#id)` fills). It prints in black and white: legacy differs from candidate by a hatch (bars) or a dash (lines)
as well as by colour, and every chart carries a text legend.

What a caller must know:
- Every chart is `<svg role="img" data-chart="<key>" aria-labelledby="<id>-title <id>-desc">` where `<id>` is
  `chart-` followed by the key with every character outside [A-Za-z0-9_-] replaced by `-`. Ids live in the
  HTML page's single namespace, so give each chart on a page a distinct key.
- `<desc>` says in words what the chart shows, with each series' figures ("not measured" for None).
- Charts are 640 px wide (the sparkline as asked); the height grows with the number of labels.
- Each data mark (bar, segment, point) carries `data-series`, `data-label` and `data-value`; `data-value` is
  `format(value, "g")` when that reads back as the same number, else `repr(value)`, so it is always exact.
- Series named "legacy" and "candidate" get their fixed colours (grey hatched/dashed, blue solid); any other
  name takes the next colour, dash and hatch of a small fixed palette, in the order given.
- Output is deterministic: the same input gives the same string.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

SVG_NS = "http://www.w3.org/2000/svg"
LEGACY_COLOR = "#6b7280"
CANDIDATE_COLOR = "#2563eb"
THRESHOLD_COLOR = "#dc2626"
PALETTE = ("#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d")
# Dashes and hatch angles paired with the palette, so a black-and-white print still tells the series apart.
_PALETTE_DASHES = ("2 3", "8 3 2 3", "1 2", "10 4", "4 2 1 2", "6 2")
_PALETTE_HATCHES = (135, 0, 90, 135, 0, 90)
THRESHOLD_DASH = "5 3"
WIDTH = 640
_GRID = "#e5e7eb"
_AXIS = "#9ca3af"
_INK = "#111827"
_CHAR_W = 6.5  # mean advance of an 11 px sans-serif glyph: enough to lay out legends without font metrics
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- markup primitives -------------------------------------------------------------------------------------------

def _n(number: float) -> str:
    """A coordinate, at most 2 decimals, no trailing zeros ("12.5", "40", never "-0").

    Two decimals are a hundredth of a pixel: finer adds bytes to the page and noise to a diff, never sharpness."""
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def value_text(value: float) -> str:
    """The exact value for `data-value`: `format(value, "g")` when it reads back equal, else `repr(value)`.

    "g" alone would round to 6 significant digits (1234567 -> "1.23457e+06"); a test comparing the drawn figure
    with its source must get the source back, so `float(value_text(v)) == v` always holds."""
    compact = format(value, "g")
    return compact if float(compact) == value else repr(value)


def _esc(text: object) -> str:
    # Characters XML 1.0 forbids even as references are dropped, so a hostile label cannot break parsing.
    return escape(_XML_ILLEGAL.sub("", str(text)), quote=True)


def _tag(name: str, attrs: Mapping[str, object], *children: str) -> str:
    """An element with escaped attributes and already-escaped children (self-closing when it has none).

    Float attribute values become compact coordinates; None values are left out, so an optional attribute
    (a dash on a solid line) needs no branch at the call site."""
    parts = [name]
    for attr, value in attrs.items():
        if value is not None:
            shown = _n(value) if isinstance(value, float) else value
            parts.append(f'{attr}="{_esc(shown)}"')
    opening = " ".join(parts)
    return f"<{opening}>{''.join(children)}</{name}>" if children else f"<{opening}/>"


def _text(attrs: Mapping[str, object], content: str, tooltip: str = "") -> str:
    """A text element with its content escaped.

    A tooltip adds a <title> child: the full label behind a truncated one, shown on hover and read aloud."""
    hint = _tag("title", {}, _esc(tooltip)) if tooltip else ""
    return _tag("text", attrs, hint + _esc(content))


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def human(value: float) -> str:
    """A figure as a reader wants it: 41.2, 1500, 120.5, 0.25 (0 decimals from 1000, 1 from 10, else 2).

    Only for text a person reads; the exact figure is in `data-value` (see `value_text`)."""
    size = abs(value)
    if value == int(value) or size >= 1000:
        digits = 0
    elif size >= 10:
        digits = 1
    elif size >= 0.01:
        digits = 2
    else:
        return format(value, ".2g")
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def with_unit(value: float | None, unit: str) -> str:
    """"41.2 ms", or "not measured" for None.

    The words every desc uses for a missing figure, so a reader of the text alone knows it was not measured."""
    if value is None:
        return "not measured"
    return f"{human(value)} {unit}" if unit else human(value)


def chart_id(key: str) -> str:
    """The id prefix of a chart's elements: `chart-` and the key with unsafe characters replaced by `-`.

    "p95 per op" -> "chart-p95-per-op": its title is "chart-p95-per-op-title", its desc "...-desc". Keys that
    differ only in unsafe characters collide, so give each chart on a page a plainly distinct key."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")
    return f"chart-{slug or 'x'}"


def _svg(key: str, title: str, desc: str, width: float, height: float, body: Sequence[str]) -> str:
    """The outer element: role, size, data-chart, the title and desc the screen reader announces.

    width/height equal the viewBox so the chart prints at its drawn size; CSS in the page may still scale it."""
    cid = chart_id(key)
    attrs = {"xmlns": SVG_NS, "role": "img", "viewBox": f"0 0 {_n(width)} {_n(height)}", "width": _n(width),
             "height": _n(height), "data-chart": key, "aria-labelledby": f"{cid}-title {cid}-desc",
             "font-family": "sans-serif", "font-size": "11"}
    head = _tag("title", {"id": f"{cid}-title"}, _esc(title)) + _tag("desc", {"id": f"{cid}-desc"}, _esc(desc))
    return _tag("svg", attrs, head, *body)


def _heading(title: str) -> str:
    return _text({"x": 8, "y": 18, "font-size": "14", "font-weight": "bold", "fill": _INK}, title)


def _no_data(key: str, title: str) -> str:
    """The chart for empty input: its title and the words "no data", never an exception.

    A scorecard of a run that measured nothing must still render; a missing chart would hide that fact."""
    body = [_heading(title), _text({"x": 8, "y": 44, "fill": _INK, "data-empty": "true"}, "no data")]
    return _svg(key, title, f"{title}: no data.", WIDTH, 60, body)


# --- series styles, legend, scales -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Style:
    """How one series is drawn: colour, line dash (None = solid), bar hatch angle (None = solid fill).

    Dash and hatch carry the series in a black-and-white print, where colour alone would be lost."""

    color: str
    dash: str | None
    hatch: int | None


def series_styles(names: Sequence[str]) -> dict[str, Style]:
    """Fixed styles for legacy and candidate; every other name takes the next palette entry.

    Legacy is grey, dashed and hatched, candidate blue and solid: the pair reads alike on every chart and in
    black and white. Other names (several metrics on one trend) cycle through PALETTE in the order given."""
    styles: dict[str, Style] = {}
    others = 0
    for name in names:
        if name == "legacy":
            styles[name] = Style(LEGACY_COLOR, "6 3", 45)
        elif name == "candidate":
            styles[name] = Style(CANDIDATE_COLOR, None, None)
        else:
            slot = others % len(PALETTE)
            styles[name] = Style(PALETTE[slot], _PALETTE_DASHES[slot], _PALETTE_HATCHES[slot])
            others += 1
    return styles


def _hatch_defs(cid: str, styles: Mapping[str, Style]) -> tuple[str, dict[str, str]]:
    """<defs> with one stripe pattern per hatched series, and each series' bar fill.

    Pattern ids carry the chart's id: several charts inlined in one HTML page share one id namespace."""
    patterns, fills = [], {}
    for index, (name, style) in enumerate(styles.items()):
        if style.hatch is None:
            fills[name] = style.color
            continue
        pid = f"{cid}-hatch-{index}"
        fills[name] = f"url(#{pid})"
        patterns.append(_tag("pattern", {"id": pid, "patternUnits": "userSpaceOnUse", "width": "6", "height": "6",
                                         "patternTransform": f"rotate({style.hatch})"},
                             _tag("rect", {"width": "6", "height": "6", "fill": "#ffffff"}),
                             _tag("rect", {"width": "3", "height": "6", "fill": style.color})))
    return (_tag("defs", {}, *patterns) if patterns else ""), fills


def _box_swatch(fill: str, stroke: str) -> str:
    return _tag("rect", {"x": "0", "y": "0", "width": "18", "height": "10", "fill": fill, "stroke": stroke})


def _line_swatch(color: str, dash: str | None, dot: bool = True) -> str:
    line = _tag("line", {"x1": "0", "y1": "5", "x2": "18", "y2": "5", "stroke": color, "stroke-width": "2",
                         "stroke-dasharray": dash})
    return line + (_tag("circle", {"cx": "9", "cy": "5", "r": "2.5", "fill": color}) if dot else "")


def _legend(entries: Sequence[tuple[str, str]], top: float, width: float = WIDTH - 16) -> tuple[list[str], float]:
    """Entries (name, swatch drawn in an 18x10 box) laid out in rows from the left; returns markup and height.

    Each entry is a <g data-legend="name">; a row wraps when the next entry would pass the chart's width."""
    out, x, y = [], 8.0, top
    for name, swatch in entries:
        room = 24 + len(name) * _CHAR_W + 14
        if x > 8 and x + room > 8 + width:
            x, y = 8.0, y + 16
        label = _text({"x": "24", "y": "9", "fill": _INK}, name)
        out.append(_tag("g", {"transform": f"translate({_n(x)},{_n(y)})", "data-legend": name}, swatch, label))
        x += room
    return out, (y - top + 16 if entries else 0)


def _chart_top(title: str, entries: Sequence[tuple[str, str]]) -> tuple[list[str], float]:
    """The visible heading and the legend under it; returns their markup and the y where the plot may start.

    The heading repeats the <title> on purpose: a printed or screenshotted chart must say what it is."""
    legend, legend_h = _legend(entries, 28)
    return [_heading(title), *legend], 28 + legend_h


@dataclass(frozen=True)
class Threshold:
    """A chart's optional threshold (a target): its value and the words shown for it.

    One object answers every question a chart asks about it, so the charts need no `if threshold` of their own:
    its legend entry, what it adds to the axis domain, its sentence in the desc, and its red dashed line."""

    value: float | None
    label: str = ""

    @classmethod
    def of(cls, value: float | None, label: str, unit: str) -> Threshold:
        """The caller's label, or "threshold 100 ms" when none is given."""
        return cls(value, label or ("" if value is None else f"threshold {with_unit(value, unit)}"))

    def entries(self) -> list[tuple[str, str]]:
        """The legend entry: a short red dashed line and the label (none without a threshold)."""
        return [] if self.value is None else [(self.label, _line_swatch(THRESHOLD_COLOR, THRESHOLD_DASH, dot=False))]

    def domain(self) -> list[float]:
        """The value the axis must also cover, so a target above every measurement is still on the chart."""
        return [] if self.value is None else [self.value]

    def desc(self, unit: str) -> str:
        return "" if self.value is None else f" Threshold line at {with_unit(self.value, unit)} ({self.label})."

    def line(self, ends: tuple[float, float, float, float], label_at: tuple[float, float, str]) -> list[str]:
        """The red dashed line between two points (`data-threshold` holds its exact value) and its label."""
        if self.value is None:
            return []
        x1, y1, x2, y2 = ends
        line = _tag("line", {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": THRESHOLD_COLOR, "stroke-width": "1.5",
                             "stroke-dasharray": THRESHOLD_DASH, "data-threshold": value_text(self.value)})
        x, y, anchor = label_at
        return [line, _text({"x": x, "y": y, "text-anchor": anchor, "fill": THRESHOLD_COLOR}, self.label)]


def nice_scale(maximum: float, integer: bool = False) -> tuple[float, list[float]]:
    """An axis from 0 covering `maximum`: its top and 4-6 evenly spaced ticks on 1/2/2.5/5 x 10^k steps.

    Integer scales (counts) skip the 2.5 steps and never go below a step of 1."""
    if not maximum > 0:  # also catches NaN: an all-zero or unmeasured chart still gets a readable axis
        maximum = 1.0
    multipliers = (1, 2, 5) if integer else (1, 2, 2.5, 5)
    exponent = math.floor(math.log10(maximum / 5))
    for power in range(exponent - 1, exponent + 3):
        for multiplier in multipliers:
            step = round(multiplier * 10.0 ** power, 12)
            if integer and step < 1:
                continue
            count = math.ceil(maximum / step - 1e-9)
            if count <= 5:
                return count * step, [round(i * step, 12) for i in range(count + 1)]
    return maximum, [0.0, maximum]  # unreachable for finite input; kept so the type is always a scale


@dataclass(frozen=True)
class Scale:
    """A linear map from data [low, high] to pixels [start, end].

    A zero span (one run, a flat sparkline) maps everything to the middle instead of dividing by zero."""

    low: float
    high: float
    start: float
    end: float

    def at(self, value: float) -> float:
        span = self.high - self.low
        share = (value - self.low) / span if span else 0.5
        return self.start + share * (self.end - self.start)


def _value_at(values: Sequence[float | None], index: int) -> float | None:
    return values[index] if index < len(values) else None


def _measured(series: Mapping[str, Sequence[float | None]]) -> list[float]:
    return [value for values in series.values() for value in values if value is not None]


def _v_grid(ticks: Sequence[tuple[float, str]], top: float, axis_y: float, x0: float, x1: float) -> list[str]:
    """Vertical grid lines with their labels under a horizontal axis line.

    Each grid line carries `data-tick` (its label), so a test can read the axis back and check any mark."""
    out = []
    for x, label in ticks:
        out.append(_tag("line", {"x1": x, "y1": top, "x2": x, "y2": axis_y, "stroke": _GRID, "data-tick": label}))
        out.append(_text({"x": x, "y": axis_y + 14, "text-anchor": "middle", "fill": _INK}, label))
    out.append(_tag("line", {"x1": x0, "y1": axis_y, "x2": x1, "y2": axis_y, "stroke": _AXIS}))
    return out


def _h_grid(ticks: Sequence[tuple[float, str]], x0: float, x1: float, top: float, bottom: float) -> list[str]:
    """Horizontal grid lines with their labels left of a vertical axis line.

    Each grid line carries `data-tick` (its label), as on the vertical grid."""
    out = []
    for y, label in ticks:
        out.append(_tag("line", {"x1": x0, "y1": y, "x2": x1, "y2": y, "stroke": _GRID, "data-tick": label}))
        out.append(_text({"x": x0 - 6, "y": y + 4, "text-anchor": "end", "fill": _INK}, label))
    out.append(_tag("line", {"x1": x0, "y1": top, "x2": x0, "y2": bottom, "stroke": _AXIS}))
    return out


def _mark(series: str, label: str, value: float) -> dict[str, object]:
    return {"data-series": series, "data-label": label, "data-value": value_text(value)}


# --- 1. horizontal grouped bars ----------------------------------------------------------------------------------

_BAR_X0, _BAR_X1 = 190.0, WIDTH - 90.0
_BAR_H, _BAR_PAD, _GROUP_GAP = 14, 3, 12
_LABEL_CHARS = 27


def bar_chart(key: str, title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
              unit: str, threshold: float | None = None, threshold_label: str = "") -> str:
    """Horizontal grouped bars: a group per label, a bar per series, the value at the bar's end ("41.2 ms").

    A None value draws no bar, only "n/a". Labels over 27 characters are cut with an ellipsis; the full label is
    in the <title> of its bars and of the label text. The axis runs from 0 with 4-6 nice ticks covering the data
    and the threshold, drawn as a red dashed vertical line labelled `threshold_label` (default "threshold <value>").
    Height: 94 px, plus per label 17 px per series and 9 px more (each extra legend row adds 16 px). Bars carry
    data-series/-label/-value (`data-value` as `value_text`); the threshold line carries `data-threshold`.
    """
    if not labels or not series:
        return _no_data(key, title)
    cid, styles, line = chart_id(key), series_styles(list(series)), Threshold.of(threshold, threshold_label, unit)
    defs, fills = _hatch_defs(cid, styles)
    body, top = _chart_top(title, [(name, _box_swatch(fills[name], s.color)) for name, s in styles.items()]
                           + line.entries())
    top += 10
    group_h = len(series) * (_BAR_H + _BAR_PAD) - _BAR_PAD + _GROUP_GAP
    axis_y = top + len(labels) * group_h
    high, ticks = nice_scale(max(_measured(series) + line.domain(), default=0))
    scale = Scale(0, high, _BAR_X0, _BAR_X1)
    body += [defs, *_v_grid([(scale.at(t), human(t)) for t in ticks], top - 4, axis_y, _BAR_X0, _BAR_X1),
             _text({"x": _BAR_X1 + 24, "y": axis_y + 14, "fill": _INK}, unit)]
    for index, label in enumerate(labels):
        body += _bar_group(index, label, series, (scale, top + index * group_h), fills, unit)
    # Drawn last so the target stays visible across the bars; its label goes under the axis, clear of the bars.
    x = scale.at(threshold or 0)
    body += line.line((x, top - 6, x, axis_y), (x, axis_y + 28, "middle"))
    desc = _bar_desc(title, labels, series, unit) + line.desc(unit)
    return _svg(key, title, desc, WIDTH, axis_y + 40, body)


def _row_label(label: str, baseline: float) -> str:
    """A row's label right-aligned left of the bars; a long one is cut and keeps its full text in a <title>."""
    short = _truncate(label, _LABEL_CHARS)
    return _text({"x": _BAR_X0 - 8, "y": baseline, "text-anchor": "end", "fill": _INK}, short,
                 tooltip=label if short != label else "")


def _bar_group(index: int, label: str, series: Mapping[str, Sequence[float | None]],
               place: tuple[Scale, float], fills: Mapping[str, str], unit: str) -> list[str]:
    """One label's bars, their value texts, and the (possibly truncated) label left of them.

    A None (or a series shorter than the labels) draws "n/a" with `data-missing` instead of a bar."""
    scale, y = place
    styles = series_styles(list(series))
    out = [_row_label(label, y + (len(series) * (_BAR_H + _BAR_PAD) - _BAR_PAD) / 2 + 4)]
    for row, (name, values) in enumerate(series.items()):
        value, bar_y = _value_at(values, index), y + row * (_BAR_H + _BAR_PAD)
        if value is None:
            out.append(_text({"x": _BAR_X0 + 4, "y": bar_y + 11, "fill": _INK, "data-missing": name}, "n/a"))
            continue
        end = scale.at(max(value, 0))
        tip = _tag("title", {}, _esc(f"{label}, {name}: {with_unit(value, unit)}"))
        out.append(_tag("rect", {"x": _BAR_X0, "y": float(bar_y), "width": end - _BAR_X0, "height": str(_BAR_H),
                                 "fill": fills[name], "stroke": styles[name].color, **_mark(name, label, value)},
                        tip))
        out.append(_text({"x": end + 4, "y": bar_y + 11, "fill": _INK}, with_unit(value, unit)))
    return out


def _bar_desc(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], unit: str) -> str:
    """Every figure in words, series by series, so a screen reader or a text-only print loses nothing."""
    parts = [f"{title}. Horizontal bars in {unit or 'units'}, one group per label."]
    for name, values in series.items():
        figures = "; ".join(f"{label} {with_unit(_value_at(values, i), unit)}" for i, label in enumerate(labels))
        parts.append(f"{name}: {figures}.")
    return " ".join(parts)


# --- 2. latency percentile distribution --------------------------------------------------------------------------

_PLOT_X0, _PLOT_H = 64.0, 220.0


def nines(percentile: float) -> float:
    """The "nines" position of a percentile: log10(1 / (1 - p/100)); 90 % -> 1, 99 % -> 2, 99.9 % -> 3.

    On this scale the tail, where two apps differ most, gets as much room as the bulk of the requests."""
    return math.log10(1 / (1 - percentile / 100))


def _percent(percentile: float) -> str:
    return f"{format(percentile, 'g')}%"


def _nines_ticks(last: int) -> list[tuple[float, str]]:
    """0 %, 50 %, then 90 %, 99 %, 99.9 % ... up to `last` nines.

    50 % is not a whole nine (it sits at log10 2) but it is the median every reader looks for first."""
    ticks = [(0.0, "0%"), (nines(50), "50%")]
    for k in range(1, last + 1):
        ticks.append((float(k), f"{100 - 10.0 ** (2 - k):.{max(0, k - 2)}f}%"))
    return ticks


def distribution_chart(key: str, title: str, series: Mapping[str, Sequence[tuple[float, float]]], *, unit: str,
                       threshold: float | None = None, threshold_label: str = "") -> str:
    """Latency by percentile on the nines scale: x = log10(1 / (1 - p/100)), one unit per nine.

    Each series is a list of (percentile in [0, 100), value) points, as an HdrHistogram percentile distribution
    gives them; points outside [0, 100) cannot be placed and are left out. The x axis runs from 0 to the next whole
    nine past the data, ticks 0%, 50%, 90%, 99%, 99.9% ... as far as the data goes; y is linear from 0. One
    polyline per series (candidate solid, legacy dashed) with a small circle per point carrying data-series,
    data-label (the percentile, `value_text`) and data-value; a red dashed horizontal threshold line.
    """
    points = {name: sorted((p, v) for p, v in pts if 0 <= p < 100) for name, pts in series.items()}
    flat = [point for pts in points.values() for point in pts]
    if not flat:
        return _no_data(key, title)
    styles, line, x1 = series_styles(list(points)), Threshold.of(threshold, threshold_label, unit), WIDTH - 24.0
    plot = _line_plot(title, styles, line, ([v for _, v in flat], unit), (x1, _PLOT_H))
    # The axis ends on the next whole nine past the data: the tail is what the chart is for, so it gets the room.
    last = max(1, math.ceil(max(nines(p) for p, _ in flat) - 1e-9))
    xs = Scale(0, last, _PLOT_X0, x1)
    body = [*plot.body, *_v_grid([(xs.at(n), label) for n, label in _nines_ticks(last)], plot.top, plot.bottom,
                                 _PLOT_X0, x1),
            _text({"x": x1, "y": plot.bottom + 30, "text-anchor": "end", "fill": _INK}, "percentile (nines scale)")]
    for name, pts in points.items():
        body += _line_marks(name, styles[name], [[(xs.at(nines(p)), plot.ys.at(v), _percent(p), v) for p, v in pts]])
    # The threshold's label sits at the left end: latency climbs toward the tail, so the right end is crowded.
    y = plot.ys.at(threshold or 0)
    body += line.line((_PLOT_X0, y, x1, y), (_PLOT_X0 + 6, y - 4, "start"))
    desc = _distribution_desc(title, points, unit) + line.desc(unit)
    return _svg(key, title, desc, WIDTH, plot.bottom + 40, body)


@dataclass(frozen=True)
class Plot:
    """The frame of a line chart: heading, legend, the y axis from 0 with its grid; each chart draws its own x."""

    body: list[str]
    top: float
    bottom: float
    ys: Scale


def _line_plot(title: str, styles: Mapping[str, Style], line: Threshold, measured: tuple[Sequence[float], str],
               size: tuple[float, float]) -> Plot:
    """Heading, legend (a line sample per series, the threshold's dash), y grid and unit for `measured` values.

    The y axis starts at 0: latency read against a truncated axis looks like a bigger change than it is."""
    values, unit = measured
    x1, plot_h = size
    body, top = _chart_top(title, [(name, _line_swatch(s.color, s.dash)) for name, s in styles.items()]
                           + line.entries())
    top += 18
    bottom = top + plot_h
    high, ticks = nice_scale(max([*values, *line.domain()], default=0))
    ys = Scale(0, high, bottom, top)
    body += [*_h_grid([(ys.at(t), human(t)) for t in ticks], _PLOT_X0, x1, top, bottom),
             _text({"x": _PLOT_X0 - 6, "y": top - 8, "text-anchor": "end", "fill": _INK}, unit)]
    return Plot(body, top, bottom, ys)


def _polyline(segment: Sequence[tuple[float, float, str, float]], attrs: Mapping[str, object]) -> str:
    """An unfilled polyline through a segment's points; nothing for a lone point, which only gets its dot."""
    if len(segment) < 2:
        return ""
    points = " ".join(f"{_n(x)},{_n(y)}" for x, y, _, _ in segment)
    return _tag("polyline", {"points": points, "fill": "none", **attrs})


def _line_marks(name: str, style: Style, segments: Sequence[Sequence[tuple[float, float, str, float]]],
                radius: float = 2.5) -> list[str]:
    """A polyline per segment of two or more points, and a circle (the data mark) on every point.

    A lone point has no line but keeps its circle: a measured run between two gaps must still show."""
    out = []
    for segment in segments:
        out.append(_polyline(segment, {"stroke": style.color, "stroke-width": "2", "stroke-dasharray": style.dash,
                                       "data-series": name}))
        for x, y, label, value in segment:
            out.append(_tag("circle", {"cx": x, "cy": y, "r": radius, "fill": style.color, **_mark(name, label, value)},
                            _tag("title", {}, _esc(f"{name}, {label}: {format(value, 'g')}"))))
    return out


def _headline(points: Sequence[tuple[float, float]], unit: str) -> str:
    """The value at the first point reaching p50, p90, p99, p99.9, p99.99, and at the highest percentile.

    HdrHistogram's distribution steps through percentiles unevenly, so "first point at or past" is the honest
    reading of "the value at p99"."""
    chosen: list[tuple[float, float]] = []
    for target in (50, 90, 99, 99.9, 99.99):
        reached = next((point for point in points if point[0] >= target - 1e-9), None)
        if reached and reached not in chosen:
            chosen.append(reached)
    if points[-1] not in chosen:
        chosen.append(points[-1])
    return ", ".join(f"{_percent(p)} {with_unit(v, unit)}" for p, v in chosen)


def _distribution_desc(title: str, points: Mapping[str, Sequence[tuple[float, float]]], unit: str) -> str:
    """The headline percentiles of each series in words ("not measured" for a series without points)."""
    parts = [f"{title}. Latency in {unit or 'units'} by percentile, on a scale with one step per nine."]
    for name, pts in points.items():
        parts.append(f"{name}: {_headline(pts, unit) if pts else 'not measured'}.")
    return " ".join(parts)


# --- 3. stacked bars ---------------------------------------------------------------------------------------------

_STACK_H, _STACK_GAP = 18, 10


def stacked_bar_chart(key: str, title: str, labels: Sequence[str], stacks: Mapping[str, Sequence[int]], *,
                      colors: Mapping[str, str]) -> str:
    """A horizontal bar per label split into stacks (e.g. findings by severity per area), the total at its end.

    Stacks are drawn in the order given, the legend lists them in that order, and a segment wide enough shows its
    count inside, so the chart reads without colour. Zero (or missing) counts draw no segment. A stack with no
    entry in `colors` takes the palette. Segments carry data-series (the stack), data-label and data-value.
    """
    if not labels or not stacks:
        return _no_data(key, title)
    fills = _stack_fills(list(stacks), colors)
    body, top = _chart_top(title, [(name, _box_swatch(fills[name], fills[name])) for name in stacks])
    top += 10
    totals = [sum(_value_at(counts, i) or 0 for counts in stacks.values()) for i in range(len(labels))]
    axis_y = top + len(labels) * (_STACK_H + _STACK_GAP)
    high, ticks = nice_scale(max(totals), integer=True)  # counts: a tick at 2.5 findings would read as nonsense
    scale = Scale(0, high, _BAR_X0, _BAR_X1)
    body += _v_grid([(scale.at(t), human(t)) for t in ticks], top - 4, axis_y, _BAR_X0, _BAR_X1)
    for index, label in enumerate(labels):
        y = top + index * (_STACK_H + _STACK_GAP)
        body += [_row_label(label, y + 13), *_stack_segments(index, label, stacks, fills, (scale, float(y))),
                 _text({"x": scale.at(totals[index]) + 4, "y": y + 13, "fill": _INK, "data-total": label},
                       human(totals[index]))]
    return _svg(key, title, _stacked_desc(title, labels, stacks, totals), WIDTH, axis_y + 26, body)


def _stack_fills(names: Sequence[str], colors: Mapping[str, str]) -> dict[str, str]:
    """Each stack's fill: the caller's colour, else the next palette colour among the stacks without one."""
    palette = series_styles([name for name in names if name not in colors])
    return {name: colors.get(name) or palette[name].color for name in names}


def _ink_on(fill: str) -> str:
    """Black or white text, whichever reads better on a #rrggbb fill (white when the fill is not #rrggbb).

    The weights are the usual luma ones: a yellow "high" segment gets dark digits, a dark red one white."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", fill):
        return "#ffffff"
    red, green, blue = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return _INK if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#ffffff"


def _stack_segments(index: int, label: str, stacks: Mapping[str, Sequence[int]], fills: Mapping[str, str],
                    place: tuple[Scale, float]) -> list[str]:
    scale, y = place
    out, running = [], 0
    for name, counts in stacks.items():
        count = _value_at(counts, index) or 0
        if count <= 0:
            continue
        start, end = scale.at(running), scale.at(running + count)
        running += count
        tip = _tag("title", {}, _esc(f"{label}, {name}: {count}"))
        out.append(_tag("rect", {"x": start, "y": y, "width": end - start, "height": str(_STACK_H),
                                 "fill": fills[name], "stroke": "#ffffff", **_mark(name, label, count)}, tip))
        if end - start >= 8 + len(str(count)) * _CHAR_W:
            out.append(_text({"x": (start + end) / 2, "y": y + 13, "text-anchor": "middle",
                              "fill": _ink_on(fills[name])}, str(count)))
    return out


def _stacked_desc(title: str, labels: Sequence[str], stacks: Mapping[str, Sequence[int]],
                  totals: Sequence[float]) -> str:
    parts = [f"{title}. One bar per label, split by {', '.join(stacks)}."]
    for index, label in enumerate(labels):
        counts = [f"{name} {_value_at(c, index)}" for name, c in stacks.items() if (_value_at(c, index) or 0) > 0]
        parts.append(f"{label}: total {human(totals[index])}" + (f" ({', '.join(counts)})." if counts else "."))
    return " ".join(parts)


# --- 4. trend over runs ------------------------------------------------------------------------------------------

_RUN_LABEL_CHARS = 12


def trend_chart(key: str, title: str, runs: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
                unit: str, threshold: float | None = None, threshold_label: str = "") -> str:
    """A metric over the last runs (oldest first): a polyline and a circle per point for each series.

    None is a gap: the line breaks there and nothing is drawn. A single run shows just its points. The newest
    measured value of each series is labelled at its point. Circles carry data-series, data-label (the run) and
    data-value; a red dashed horizontal threshold line. Run labels over 12 characters are cut; with many runs only
    every few are labelled on the axis (always the newest).
    """
    if not runs or not series:
        return _no_data(key, title)
    styles, line, x1 = series_styles(list(series)), Threshold.of(threshold, threshold_label, unit), WIDTH - 110.0
    plot = _line_plot(title, styles, line, (_measured(series), unit), (x1, 180.0))
    # A single run sits in the middle (Scale's zero span); the first run is inset so its dot clears the y axis.
    xs = Scale(0, len(runs) - 1, _PLOT_X0 + 16, x1)
    body = [*plot.body, *_v_grid(_run_ticks(runs, xs), plot.top, plot.bottom, _PLOT_X0, x1)]
    newest = []
    for name, values in series.items():
        segments = _segments(runs, values, xs, plot.ys)
        body += _line_marks(name, styles[name], segments, radius=3)
        newest += [(segments[-1][-1], name)] if segments else []
    body += _newest_labels(newest, styles, unit)
    y = plot.ys.at(threshold or 0)
    body += line.line((_PLOT_X0, y, x1, y), (_PLOT_X0 + 6, y - 4, "start"))
    desc = " ".join([f"{title}. {unit or 'Value'} over the last {len(runs)} runs, oldest first.",
                     *(_trend_words(name, runs, values, unit) for name, values in series.items())])
    return _svg(key, title, desc + line.desc(unit), WIDTH, plot.bottom + 26, body)


def _run_ticks(runs: Sequence[str], xs: Scale) -> list[tuple[float, str]]:
    """Every k-th run label so that no more than 10 show, always including the newest.

    Counted back from the newest run: it is the one a reader compares against, so it always has its label."""
    every = max(1, math.ceil(len(runs) / 10))
    shown = [i for i in range(len(runs)) if (len(runs) - 1 - i) % every == 0]
    return [(xs.at(i), _truncate(runs[i], _RUN_LABEL_CHARS)) for i in shown]


def _segments(runs: Sequence[str], values: Sequence[float | None], xs: Scale,
              ys: Scale) -> list[list[tuple[float, float, str, float]]]:
    """Runs of consecutive measured points, each point as (x, y, run label, value).

    A None (or a missing value) ends a segment: joining across it would draw a measurement nobody made."""
    segments: list[list[tuple[float, float, str, float]]] = [[]]
    for index, run in enumerate(runs):
        value = _value_at(values, index)
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((xs.at(index), ys.at(value), run, value))
    return [segment for segment in segments if segment]


def _newest_labels(newest: Sequence[tuple[tuple[float, float, str, float], str]], styles: Mapping[str, Style],
                   unit: str) -> list[str]:
    """The newest value of each series beside its point, pushed apart vertically so labels never overlap.

    Labels are placed top to bottom; each goes at least a line (13 px) below the previous one."""
    out, floor = [], -math.inf
    for (x, y, _, value), name in sorted(newest, key=lambda item: (item[0][1], item[1])):
        shown_y = max(y + 4, floor + 13)
        floor = shown_y
        out.append(_text({"x": x + 8, "y": shown_y, "fill": styles[name].color, "data-newest": name},
                         with_unit(value, unit)))
    return out


def _trend_words(name: str, runs: Sequence[str], values: Sequence[float | None], unit: str) -> str:
    """One series' trend in words: newest and oldest measured value and their runs, and how many runs are gaps."""
    measured = [(run, v) for i, run in enumerate(runs) if (v := _value_at(values, i)) is not None]
    if not measured:
        return f"{name}: not measured."
    (first_run, first), (last_run, last) = measured[0], measured[-1]
    text = f"{name}: newest {with_unit(last, unit)} at run {last_run}"
    text += f", oldest {with_unit(first, unit)} at run {first_run}" if len(measured) > 1 else ""
    missing = len(runs) - len(measured)
    return text + (f"; not measured in {missing} of {len(runs)} runs." if missing else ".")


# --- 5. sparkline ------------------------------------------------------------------------------------------------

def sparkline(key: str, values: Sequence[float | None], *, width: int = 120, height: int = 24,
              label: str = "") -> str:
    """A tiny trend for a table cell: no axes, gaps at None, a dot (the data mark) on the newest measured value.

    Its <title> lists the values ("Trend: 3, 4, n/a, 5"), prefixed by `label` when given; the y range is the
    values' own minimum to maximum, so small changes show. The line is candidate blue.
    """
    name = label or "Trend"
    measured = [v for v in values if v is not None]
    if not measured:
        body = [_text({"x": 2, "y": height / 2 + 4, "font-size": "9", "fill": _INK, "data-empty": "true"}, "no data")]
        return _svg(key, f"{name}: no data", f"{name}: no data.", width, height, body)
    title = f"{name}: " + ", ".join("n/a" if v is None else human(v) for v in values)
    low, high = min(measured), max(measured)
    # The sparkline's y range is the values' own: in a table cell the shape matters, the axis is the next column.
    xs, ys = Scale(0, len(values) - 1, 3, width - 3), Scale(low, high, height - 3, 3)
    segments = _segments([str(i) for i in range(len(values))], values, xs, ys)
    body = [_polyline(segment, {"stroke": CANDIDATE_COLOR, "stroke-width": "1.5"}) for segment in segments]
    x, y, index, value = segments[-1][-1]
    body.append(_tag("circle", {"cx": x, "cy": y, "r": "2.5", "fill": CANDIDATE_COLOR, **_mark(name, index, value)}))
    desc = f"{title}. Newest {human(value)}, lowest {human(low)}, highest {human(high)}."
    return _svg(key, title, desc, width, height, body)
