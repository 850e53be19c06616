"""The report reader: the whole report text in order, each passage an anchor, with the quotes
that facts cite highlighted and linked to those facts.

Reads two queries: ``report`` (sections and passages) and ``report-annotations`` (the Web
Annotations: fact, quote, start and end offsets in the passage). Spans come from the
``oa:TextPositionSelector`` offsets; when an offset does not match the passage text the quote
is found by searching for it. ``?highlight=<fact IRI>`` marks one fact's quotes;
``?report=<report IRI>`` reads another report of a corpus (by default the project's own).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from urllib.parse import quote

from flask import Blueprint, abort, render_template
from rdflib import Literal
from rdflib.term import Node

from web.data import access
from web.http import params
from web.model.iris import Iris
from web.model.terms import best_label

bp = Blueprint("reader", __name__)


@dataclass
class Fact:
    """A fact citing a passage: its number in the passage, label, link and quotes."""

    number: int
    iri: str
    label: str
    href: str
    quotes: list[str] = field(default_factory=list)
    focus: bool = False


@dataclass
class Segment:
    """A run of passage text and the numbers of the facts whose quotes cover it."""

    text: str
    facts: list[int]
    focus: bool = False


@dataclass
class Passage:
    """One passage: anchor, kind, number, highlighted text and citing facts."""

    anchor: str
    kind: str
    number: int
    href: str
    segments: list[Segment]
    facts: list[Fact]


@dataclass
class Section:
    """A section or subsection with its passages and subsections."""

    anchor: str
    title: str
    seq: int
    passages: list[Passage] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)


def segments(text: str, spans: list[tuple[int, int, int]], focus: set[int]) -> list[Segment]:
    """Cut ``text`` at every span boundary; each piece lists the facts (``(start, end, fact
    number)``) whose span covers it. Pieces covered by a fact in ``focus`` are marked."""
    cuts = sorted({0, len(text), *(s for s, _e, _n in spans), *(e for _s, e, _n in spans)})
    pieces = []
    for a, b in pairwise(cuts):
        if a >= b:
            continue
        covering = sorted({n for s, e, n in spans if s <= a and b <= e})
        pieces.append(Segment(text[a:b], covering, bool(focus & set(covering))))
    return pieces


def locate(text: str, quote: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of ``quote`` in ``text``: the stated offsets when they match, else a search."""
    if 0 <= start < end <= len(text) and text[start:end] == quote:
        return start, end
    found = text.find(quote)
    return (found, found + len(quote)) if found >= 0 and quote else None


def passage_place(passage: str, real_report: str, root: str = "") -> tuple[str, str]:
    """The reader's link and the anchor of a passage ``{report}/{paragraph|footnote}/{n}``:
    ``/report`` for the project's own report, ``/report?report=<IRI>`` for another."""
    report_iri, kind, number = [*passage.rsplit("/", 2), "", ""][:3]
    anchor = f"{kind}-{number}"
    if report_iri == real_report:
        return f"{root}/report", anchor
    return f"{root}/report?report={quote(report_iri, safe='')}", anchor


@bp.get("/report")
def report() -> str:
    """The whole report with its facts highlighted."""
    highlight = params.iri("highlight", required=False)
    base, iris = access.base(), access.iris()
    chosen = params.iri("report", required=False)
    report_iri = chosen if chosen is not None else base.REPORT_IRI
    rows = access.select("report", report=report_iri, asserted=access.graph_iri("asserted"))
    if not rows:
        abort(404)
    notes = access.select("report-annotations", report=report_iri)
    by_passage: dict[str, list[dict[str, Node]]] = defaultdict(list)
    labels: dict[str, list[Literal]] = defaultdict(list)
    for row in notes:
        by_passage[str(row["passage"])].append(row)
        if "label" in row:
            labels[str(row["fact"])].append(row["label"])  # type: ignore[arg-type]
    sections: dict[str, Section] = {}
    parents: dict[str, str] = {}
    passages: dict[str, _Raw] = {}
    prefix = str(report_iri) + "/"
    title = None
    for row in rows:
        item = str(row["item"])
        if str(row["kind"]) == "report":
            title = str(row["title"])
            continue
        local = item[len(prefix) :] if item.startswith(prefix) else item
        if str(row["kind"]) == "section":
            sections[item] = Section(local.replace("/", "-"), str(row["title"]), _int(row["seq"]))
            parents[item] = str(row["parent"])
        else:
            entry = passages.setdefault(
                item, _Raw(local, _int(row["seq"]), str(row["text"]), str(row["parent"]))
            )
            kind = str(row["type"]).rsplit("/", 1)[-1]
            if kind != "Passage":
                entry.kind = kind
    focus_iri = str(highlight) if highlight is not None else None
    focus_label = None
    for item, entry in passages.items():
        passage = _passage(item, entry, by_passage.get(item, []), labels, iris, focus_iri)
        if focus_iri and any(f.iri == focus_iri for f in passage.facts):
            focus_label = next(f.label for f in passage.facts if f.iri == focus_iri)
        section = sections.get(entry.parent)
        if section is not None:
            section.passages.append(passage)
    top: list[Section] = []
    for item, section in sections.items():
        parent = sections.get(parents[item])
        (parent.subsections if parent else top).append(section)
    for section in sections.values():
        section.passages.sort(key=lambda p: (p.kind == "Footnote", p.number))
        section.subsections.sort(key=lambda s: s.seq)
    top.sort(key=lambda s: s.seq)
    return render_template(
        "report.html",
        title=(
            "Crime inspection 2014: Leicestershire Police — the report"
            if report_iri == base.REPORT_IRI
            else f"{title or iris.short_name(str(report_iri))} — the report"
        ),
        sections=top,
        report_href=iris.href(str(report_iri)),
        focus_label=focus_label,
        focus_href=iris.href(focus_iri) if focus_iri else None,
        fact_count=len({str(r["fact"]) for r in notes}),
    )


@dataclass
class _Raw:
    local: str
    seq: int
    text: str
    parent: str
    kind: str = "Passage"


def _int(node: Node) -> int:
    return int(str(node))


def _passage(
    item: str,
    entry: _Raw,
    notes: list[dict[str, Node]],
    labels: dict[str, list[Literal]],
    iris: Iris,
    focus_iri: str | None,
) -> Passage:
    text = entry.text
    facts: dict[str, Fact] = {}
    spans: list[tuple[int, int, int]] = []
    for row in sorted(notes, key=lambda r: (_int(r["start"]), str(r["fact"]))):
        fact_iri = str(row["fact"])
        if fact_iri not in facts:
            facts[fact_iri] = Fact(
                number=len(facts) + 1,
                iri=fact_iri,
                label=best_label(labels.get(fact_iri, [])) or iris.short_name(fact_iri),
                href=iris.href(fact_iri),
                focus=fact_iri == focus_iri,
            )
        fact = facts[fact_iri]
        quote = str(row["quote"])
        if quote not in fact.quotes:
            fact.quotes.append(quote)
        start = _int(row["start"])
        span = locate(text, quote, start, start + len(quote))
        if span is not None:
            spans.append((span[0], span[1], fact.number))
    focus = {f.number for f in facts.values() if f.focus}
    return Passage(
        anchor=entry.local.replace("/", "-"),
        kind=entry.kind,
        number=entry.seq,
        href=iris.href(item),
        segments=segments(text, spans, focus),
        facts=list(facts.values()),
    )
