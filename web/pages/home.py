"""The home page: what the dataset is, where it comes from, how much it holds, and the ways in.

Reads two queries — ``home`` (report, force, judgments, recommendations, initiatives,
partners, data sets) and ``class-counts`` — plus the cached ontology for the grade scale.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Blueprint, render_template
from rdflib import Literal
from rdflib.term import Node

from web.data import access
from web.model.iris import Iris
from web.model.terms import Shown, format_literal, show
from web.pages.charts import grade_chart

bp = Blueprint("home", __name__)

COUNTED = (
    ("Judgment", "judgments"),
    ("Finding", "findings"),
    ("Recommendation", "recommendations"),
    ("Initiative", "initiatives"),
    ("PartnerOrganisation", "partner organisations"),
    ("PoliceUnit", "police units"),
    ("Place", "places"),
    ("Passage", "report passages"),
)


@dataclass
class Entry:
    """One item of a home-page list."""

    shown: Shown
    detail: Shown | None = None
    date: str | None = None
    sort: tuple[object, ...] = ()
    deadlines: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    text: str | None = None
    grade: str | None = None
    rank: int | None = None
    note: str | None = None
    size: int | None = None


@dataclass
class Home:
    """Everything on the home page."""

    about: Entry | None = None
    report: Entry | None = None
    forces: list[Entry] = field(default_factory=list)
    judgments: list[Entry] = field(default_factory=list)
    recommendations: list[Entry] = field(default_factory=list)
    initiatives: list[Entry] = field(default_factory=list)
    partners: list[Entry] = field(default_factory=list)
    datasets: list[Entry] = field(default_factory=list)
    counts: list[tuple[str, int, str]] = field(default_factory=list)
    observations: int = 0


@bp.get("/")
def index() -> str:
    """The home page."""
    base, iris = access.base(), access.iris()
    rows = access.select("home", report=base.REPORT_IRI, dataset=base.ID["dataset/hmic-kg"])
    counts = access.select("class-counts")
    home = build(rows, iris)
    by_class = {str(r["class"]): int(str(r["n"])) for r in counts}
    for local, noun in COUNTED:
        iri = str(base.HMIC[local])
        if by_class.get(iri):
            home.counts.append((noun, by_class[iri], f"{iris.root}/class?iri={_q(iri)}"))
    home.observations = by_class.get("http://purl.org/linked-data/cube#Observation", 0)
    graded = [(e.shown.text, e.shown.href, e.rank, e.grade or "not graded") for e in home.judgments]
    return render_template(
        "home.html",
        title="Home",
        home=home,
        scale=grade_chart(access.ontology(), graded),
        initiatives_href=f"{iris.root}/class?iri={_q(str(base.HMIC.Initiative))}",
    )


def build(rows: list[dict[str, Node]], iris: Iris) -> Home:
    """Group the ``home`` query's rows into the page's lists."""
    home = Home()
    entries: dict[tuple[str, str], Entry] = {}
    orders: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        kind, item = str(row["kind"]), row["item"]
        entry = entries.get((kind, str(item)))
        if entry is None:
            entry = entries[(kind, str(item))] = Entry(show(item, iris, _text(row.get("label"))))
            if kind == "report":
                home.report = entry
            elif kind == "dataset":
                home.about = entry
            else:
                getattr(home, _LISTS[kind]).append(entry)
        if kind == "recommendation" and "detail" in row:
            # One entry per deadline: its ISO date (for order), date as read, and expression.
            raw = row.get("date")
            entry.deadlines[str(row["detail"])] = (
                str(raw) if raw is not None else "",
                format_literal(raw) if isinstance(raw, Literal) else "",
                _text(row.get("detailLabel")),
            )
        elif "detail" in row and entry.detail is None:
            entry.detail = show(row["detail"], iris, _text(row.get("detailLabel")))
        if isinstance(row.get("date"), Literal):
            entry.date = format_literal(row["date"])  # type: ignore[arg-type]
            entry.sort = (str(row["date"]),)
        if "text" in row and entry.text is None:
            entry.text = str(row["text"])
        if kind == "dataset":
            entry.note = _text(row.get("detailLabel"))  # the rights statement
            if "rank" in row:
                entry.size = int(str(row["rank"]))  # the number of triples
        if kind == "judgment":
            # The judgment is named by its question (short label first); ?label is its grade.
            entry.shown = show(item, iris, entry.text or _text(row.get("detailLabel")))
            entry.grade = _text(row.get("label"))
            if "rank" in row:
                entry.rank = int(str(row["rank"]))
            if "order" in row:
                orders[str(item)].append(int(str(row["order"])))
    for entry in home.judgments:
        entry.sort = (min(orders.get(entry.shown.iri or "", [0])),)
    home.judgments.sort(key=lambda e: e.sort)
    home.recommendations.sort(key=lambda e: e.shown.sort_key)
    for entry in home.recommendations:
        entry.deadlines = dict(sorted(entry.deadlines.items(), key=lambda item: item[1]))
    for name in ("initiatives", "partners", "datasets", "forces"):
        getattr(home, name).sort(key=lambda e: e.shown.sort_key)
    return home


def _text(node: Node | None) -> str | None:
    return str(node) if node is not None else None


def _q(text: str) -> str:
    return quote(text, safe="")


_LISTS = {
    "force": "forces",
    "judgment": "judgments",
    "recommendation": "recommendations",
    "initiative": "initiatives",
    "partner": "partners",
    "statistics": "datasets",
}
