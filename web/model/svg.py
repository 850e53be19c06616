"""Geometry for the server-rendered inline SVG pictures: bar charts, the grade scale and the
neighbourhood graph view.

Reads plain numbers and labels; returns layout records (coordinates and texts) that the
templates in ``web/templates/svg/`` draw. No markup is built here, so every text is escaped
by the template engine like any other value. Works without JavaScript and offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from web.model.terms import Shown, format_number

LABEL_WIDTH = 270
PLOT_WIDTH = 380
VALUE_ROOM = 70
BAR_HEIGHT = 16
GROUP_GAP = 14
TOP = 36


@dataclass
class Bar:
    """One bar: its box, its value as text and where the text goes."""

    x: float
    y: float
    width: float
    height: float
    css: str
    series: str
    text: str
    text_x: float
    anchor: str


@dataclass
class BarGroup:
    """The bars of one category, with the category's label (wrapped into lines)."""

    label: str
    y: float
    label_y: float
    bars: list[Bar] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def wrap(text: str, width: int = 38) -> list[str]:
    """``text`` broken into lines of at most ``width`` characters, at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [text]


@dataclass
class BarChart:
    """A horizontal grouped bar chart."""

    title: str
    unit: str
    width: float
    height: float
    plot_left: float
    plot_right: float
    zero_x: float
    axis_y: float
    groups: list[BarGroup]
    ticks: list[tuple[float, str]]
    legend: list[tuple[str, str, float]]  # (css class, series name, x)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``low``..``high`` (both included in the span)."""
    span = high - low or 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick_text(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return format_number(text)


def grouped_bars(
    title: str,
    unit: str,
    categories: list[str],
    series: list[tuple[str, str, list[float | None]]],
    value_suffix: str = "",
) -> BarChart:
    """Lay out a grouped horizontal bar chart: one group per category, one bar per series
    (``(name, css class, values)``); values may be negative or missing (None)."""
    values = [v for _n, _c, vals in series for v in vals if v is not None]
    low, high = min([0.0, *values]), max([0.0, *values])
    ticks = nice_ticks(low, high)
    low, high = min(low, ticks[0]), max(high, ticks[-1])
    left = LABEL_WIDTH
    right = LABEL_WIDTH + PLOT_WIDTH

    def x_of(value: float) -> float:
        return left + (value - low) / (high - low or 1.0) * PLOT_WIDTH

    zero = x_of(0.0)
    groups = []
    y = TOP
    for i, category in enumerate(categories):
        lines = wrap(category)
        middle = y + len(series) * BAR_HEIGHT / 2 + 4
        group = BarGroup(category, y, middle - (len(lines) - 1) * 7, lines=lines)
        for k, (name, css, vals) in enumerate(series):
            value = vals[i] if i < len(vals) else None
            if value is None:
                continue
            x0, x1 = sorted((zero, x_of(value)))
            top = y + k * BAR_HEIGHT
            text = _tick_text(value) + value_suffix
            negative = value < 0
            group.bars.append(
                Bar(
                    x=round(x0, 2),
                    y=round(top + 1, 2),
                    width=round(max(x1 - x0, 1.0), 2),
                    height=BAR_HEIGHT - 2,
                    css=css,
                    series=name,
                    text=text,
                    text_x=round((x0 - 4) if negative else (x1 + 4), 2),
                    anchor="end" if negative else "start",
                )
            )
        groups.append(group)
        y += len(series) * BAR_HEIGHT + GROUP_GAP
    axis_y = y
    return BarChart(
        title=title,
        unit=unit,
        width=right + VALUE_ROOM,
        height=axis_y + 40,
        plot_left=left,
        plot_right=right,
        zero_x=round(zero, 2),
        axis_y=axis_y,
        groups=groups,
        ticks=[(round(x_of(t), 2), _tick_text(t)) for t in ticks],
        legend=_legend(series, left),
    )


def _legend(
    series: list[tuple[str, str, list[float | None]]], left: float
) -> list[tuple[str, str, float]]:
    """Legend entries side by side, spaced by the length of their names."""
    out, x = [], left
    for name, css, _values in series:
        out.append((css, name, x))
        x += 14 + 6 + 7.2 * len(name) + 24
    return out


@dataclass
class ScaleRow:
    """One graded question on the four-grade scale."""

    label: str
    href: str | None
    grade: str
    y: float
    marker_x: float | None


@dataclass
class GradeScale:
    """The four grades as columns and one row per judgment."""

    width: float
    height: float
    columns: list[tuple[float, str]]  # (centre x, grade label), worst to best
    column_width: float
    rows: list[ScaleRow]
    left: float


def grade_scale(
    grades: list[tuple[int, str]], judgments: list[tuple[str, str | None, int | None, str]]
) -> GradeScale:
    """Lay out judgments ``(question, link, grade rank or None, grade label)`` on the scale of
    ``grades`` (``(rank, label)``; rank 1 is the worst)."""
    left, column = 300.0, 150.0
    ordered = sorted(grades)
    columns = [(left + column * i + column / 2, label) for i, (_rank, label) in enumerate(ordered)]
    rank_x = {rank: left + column * i + column / 2 for i, (rank, _label) in enumerate(ordered)}
    rows = []
    for i, (question, href, rank, grade) in enumerate(judgments):
        y = 50.0 + i * 40
        rows.append(ScaleRow(question, href, grade, y, rank_x.get(rank) if rank else None))
    return GradeScale(
        width=left + column * len(ordered) + 10,
        height=50.0 + len(judgments) * 40 + 10,
        columns=columns,
        column_width=column,
        rows=rows,
        left=left,
    )


@dataclass
class GraphNode:
    """A node of the neighbourhood view."""

    x: float
    y: float
    text: str
    title: str
    href: str | None
    centre: bool = False


@dataclass
class GraphEdge:
    """A labelled arrow between the centre and a neighbour."""

    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    label_x: float
    label_y: float


@dataclass
class GraphView:
    """The centre resource, its neighbours on an ellipse, and the arrows between them."""

    width: float
    height: float
    nodes: list[GraphNode]
    edges: list[GraphEdge]


def _clip(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def neighbourhood(
    centre: str, neighbours: list[tuple[Shown, str, bool]], width: float = 760
) -> GraphView:
    """Lay out ``centre`` and its ``neighbours`` ``(node, property label, outgoing)``."""
    height = 420.0 if len(neighbours) > 6 else 320.0
    cx, cy = width / 2, height / 2
    rx, ry = width / 2 - 110, height / 2 - 40
    nodes = [GraphNode(cx, cy, _clip(centre, 34), centre, None, centre=True)]
    edges = []
    count = max(len(neighbours), 1)
    for i, (node, prop, outgoing) in enumerate(neighbours):
        angle = -math.pi / 2 + 2 * math.pi * i / count
        x, y = cx + rx * math.cos(angle), cy + ry * math.sin(angle)
        nodes.append(GraphNode(round(x, 1), round(y, 1), _clip(node.text), node.text, node.href))
        # Arrows stop short of the node labels so their heads stay visible.
        sx, sy, ex, ey = (cx, cy, x, y) if outgoing else (x, y, cx, cy)
        dx, dy = ex - sx, ey - sy
        dist = math.hypot(dx, dy) or 1.0
        pad_start, pad_end = 22 / dist, 22 / dist
        x1, y1 = sx + dx * pad_start, sy + dy * pad_start
        x2, y2 = ex - dx * pad_end, ey - dy * pad_end
        edges.append(
            GraphEdge(
                round(x1, 1),
                round(y1, 1),
                round(x2, 1),
                round(y2, 1),
                _clip(prop, 22),
                round(cx + (x - cx) * 0.62, 1),
                round(cy + (y - cy) * 0.62 - 4, 1),
            )
        )
    return GraphView(width, height, nodes, edges)
