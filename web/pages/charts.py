"""Charts: Leicestershire against England and Wales (the rates table and the percentage
changes) and the judgments on HMIC's four-grade scale, as server-rendered inline SVG.

Reads two queries (``charts``: the observations; ``judgments``) and the cached ontology (the
grades and their ranks); lays the pictures out with :mod:`web.model.svg`. Each chart comes with
the same numbers as a table, so nothing depends on seeing the picture.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import Blueprint, render_template
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from web.data import access
from web.model.iris import Iris
from web.model.svg import BarChart, GradeScale, grade_scale, grouped_bars
from web.model.terms import format_number

bp = Blueprint("charts", __name__)

SERIES_CSS = ("series-a", "series-b", "series-c", "series-d")


@dataclass
class Comparison:
    """One chart and its table: categories × areas."""

    chart: BarChart
    areas: list[str]
    rows: list[tuple[str, list[str]]]  # (category, formatted value per area)
    periods: list[str]


def grade_chart(
    ontology: Graph, judgments: list[tuple[str, str | None, int | None, str]]
) -> GradeScale:
    """The four-grade scale from the ontology's grade concepts (``hmic:rank``, label) with
    ``judgments`` ``(question, link, rank or None, grade label)`` placed on it."""
    grades = []
    for concept, rank in ontology.subject_objects(access.base().HMIC.rank):
        label = ontology.value(concept, SKOS.prefLabel)
        if isinstance(rank, Literal) and label is not None:
            grades.append((int(rank), str(label)))
    return grade_scale(sorted(set(grades)), judgments)


def comparison(
    rows: list[dict[str, Node]], chart: str, title: str, iris: Iris
) -> Comparison | None:
    """A grouped bar chart (one bar per area) of the rows of the ``charts`` query whose
    ``?chart`` is ``chart``; None when there are none."""
    values: dict[tuple[str, str], float] = {}
    categories: list[str] = []
    areas: list[str] = []
    periods: set[str] = set()
    units: set[str] = set()
    for row in rows:
        if str(row["chart"]) != chart:
            continue
        indicator = _label(row, "indicator", iris)
        unit = str(row.get("unitLabel", ""))
        category = indicator
        if chart == "rates" and unit:
            category = f"{indicator} ({unit})"
        if "baselineLabel" in row:
            category = f"{indicator}, since {row['baselineLabel']}"
        area = _label(row, "area", iris)
        if category not in categories:
            categories.append(category)
        if area not in areas:
            areas.append(area)
        values[(category, area)] = float(str(row["value"]))
        if "periodLabel" in row:
            periods.add(str(row["periodLabel"]))
        units.add(unit)
    if not values:
        return None
    categories.sort()
    areas.sort(key=lambda a: (not a.lower().startswith("leicestershire"), a))
    series = [
        (area, SERIES_CSS[i % len(SERIES_CSS)], [values.get((c, area)) for c in categories])
        for i, area in enumerate(areas)
    ]
    suffix = "%" if chart == "changes" else ""
    unit = "per cent change" if chart == "changes" else ", ".join(sorted(u for u in units if u))
    table = [
        (
            c,
            [
                format_number(_plain(values[(c, a)])) + suffix if (c, a) in values else "—"
                for a in areas
            ],
        )
        for c in categories
    ]
    return Comparison(
        grouped_bars(title, unit, categories, series, suffix), areas, table, sorted(periods)
    )


def _label(row: dict[str, Node], name: str, iris: Iris) -> str:
    """The label column of ``name``, else a readable name made from its IRI."""
    if f"{name}Label" in row:
        return str(row[f"{name}Label"])
    text = iris.short_name(str(row[name]))
    return text[:1].upper() + text[1:]


def _plain(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@bp.get("/charts")
def charts() -> str:
    """The charts page."""
    base, iris = access.base(), access.iris()
    rows = access.select(
        "charts",
        rates=base.ID["dataset/crime-rates"],
        percentChange=URIRef(base.iri + "def/unit/percentage-change"),
        report=base.REPORT_IRI,
    )
    judgment_rows = access.select("judgments", report=base.REPORT_IRI)
    return render_template(
        "charts.html",
        title="Charts",
        rates=comparison(rows, "rates", "Crime and anti-social behaviour rates", iris),
        changes=comparison(rows, "changes", "Change in recorded crime", iris),
        scale=grade_chart(access.ontology(), judgments(judgment_rows, iris)),
    )


@dataclass
class _Judged:
    question: str = ""
    rank: int | None = None
    grade: str = "not graded"


def judgments(
    rows: list[dict[str, Node]], iris: Iris
) -> list[tuple[str, str | None, int | None, str]]:
    """``(question, link, rank, grade)`` per judgment of the ``judgments`` query, in the
    report's order (ungraded judgments have rank None)."""
    found: dict[str, _Judged] = {}
    orders: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        key = str(row["judgment"])
        entry = found.setdefault(key, _Judged())
        entry.question = str(row.get("shortLabel") or row["questionLabel"])
        if "rank" in row:
            entry.rank = int(str(row["rank"]))
            entry.grade = str(row["gradeLabel"])
        if "order" in row:
            orders[key].append(int(str(row["order"])))
    ordered = sorted(found, key=lambda k: min(orders.get(k, [0])))
    return [(found[k].question, iris.href(k), found[k].rank, found[k].grade) for k in ordered]
