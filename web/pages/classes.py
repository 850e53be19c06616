"""The class index (every class with its instance count) and one page per class listing its
instances, paginated, with asserted and inferred membership told apart.

Reads ``class-counts`` for the index and ``class-instances`` for a class page (one query each).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Blueprint, abort, render_template
from rdflib import Literal
from rdflib.term import Node

from web.data import access
from web.http import params
from web.model.terms import Shown, best_label, show

bp = Blueprint("classes", __name__)
PAGE_SIZE = 50


@dataclass
class ClassRow:
    """A class in the index."""

    shown: Shown
    count: int
    definition: str | None
    page: str


@dataclass
class Member:
    """An instance on a class page."""

    shown: Shown
    inferred: bool


@dataclass
class ClassPage:
    """A class, its subclasses and a page of its instances."""

    shown: Shown
    definition: str | None
    members: list[Member] = field(default_factory=list)
    subclasses: list[Shown] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1


@bp.get("/classes")
def index() -> str:
    """Every class with instances, grouped: the project's own vocabulary first."""
    iris = access.iris()
    rows = access.select("class-counts")
    ours: list[ClassRow] = []
    others: list[ClassRow] = []
    for row in rows:
        cls = str(row["class"])
        label = str(row["label"]) if "label" in row else None
        entry = ClassRow(
            show(row["class"], iris, label),
            int(str(row["n"])),
            str(row["definition"]) if "definition" in row else None,
            f"{iris.root}/class?iri={quote(cls, safe='')}",
        )
        (ours if iris.is_internal(cls) else others).append(entry)
    for group in (ours, others):
        group.sort(key=lambda c: (-c.count, c.shown.text.casefold()))
    return render_template("classes.html", title="Classes", ours=ours, others=others)


@bp.get("/class")
def page() -> str:
    """One class and its instances (``?iri=<class>&page=N``)."""
    cls = params.iri("iri")
    number = params.page()
    iris = access.iris()
    assert cls is not None
    rows = access.select("class-instances", **{"class": cls}, inferred=access.graph_iri("inferred"))
    labels: dict[Node, list[Literal]] = defaultdict(list)
    members: dict[Node, bool] = {}
    subclasses: set[Node] = set()
    definition = None
    inferred_graph = str(access.graph_iri("inferred"))
    for row in rows:
        kind, item = str(row["kind"]), row.get("item", cls)
        if "label" in row and isinstance(row["label"], Literal):
            labels[item].append(row["label"])
        if kind == "class" and "definition" in row:
            definition = str(row["definition"])
        elif kind == "instance":
            asserted = str(row.get("g")) != inferred_graph
            members[item] = members.get(item, False) or asserted
        elif kind == "subclass":
            subclasses.add(item)
    if not members and not subclasses and not labels.get(cls):
        abort(404)
    result = ClassPage(show(cls, iris, best_label(labels.get(cls, []))), definition)
    everyone = [
        Member(show(m, iris, best_label(labels.get(m, []))), not asserted)
        for m, asserted in members.items()
    ]
    everyone.sort(key=lambda m: m.shown.sort_key)
    result.total = len(everyone)
    result.pages = max(1, math.ceil(len(everyone) / PAGE_SIZE))
    if number > result.pages:
        abort(404)
    result.page = number
    result.members = everyone[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    result.subclasses = sorted(
        (show(s, iris, best_label(labels.get(s, []))) for s in subclasses),
        key=lambda s: s.sort_key,
    )
    return render_template(
        "class.html",
        title=result.shown.text,
        c=result,
        self_href=f"{iris.root}/class?iri={quote(str(cls), safe='')}",
    )
