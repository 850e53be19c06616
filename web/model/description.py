"""The resource page's data: one query (``resource.rq``) turned into a page model.

Reads the rows of the ``resource`` query for one IRI; returns a :class:`Description` with the
label, types and definition, outgoing and incoming statements grouped by property (each
value marked asserted or inferred, inferred ones linked to their "why" view), provenance
citations with their quotes, external identifiers, an observation headline (value, unit,
area, period) and pagination. Pure apart from the one query in :func:`describe`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.namespaces import SDMX_ATTRIBUTE, SDMX_DIMENSION, SDMX_MEASURE, Base
from web.model.iris import Iris
from web.model.terms import Shown, best_label, format_literal, show
from web.pages.reader import passage_place

PAGE_SIZE = 20
TEXT_PROPERTIES = (SKOS.definition, DCTERMS.description, RDFS.comment)
EXTERNAL_LINK_PROPERTIES = (OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch, RDFS.seeAlso)
ShowFn = Callable[[Node], Shown]


@dataclass
class Value:
    """One value of a property on the page."""

    shown: Shown
    role: str  # the named graph that holds the statement: asserted, inferred, ontology…
    why: str | None = None  # link to the explanation, for inferred statements
    extra: str | None = None  # e.g. "23.8 per 1,000 population" for a linked observation


@dataclass
class Group:
    """The values of one property (outgoing) or the subjects linking in (incoming)."""

    prop: Shown
    values: list[Value]
    total: int = 0

    @property
    def inferred_only(self) -> bool:
        """Whether every value of the group is inferred (the page folds such groups)."""
        return bool(self.values) and all(v.role == "inferred" for v in self.values)


@dataclass
class Citation:
    """A passage of the report that states a fact about the resource, with the quotes."""

    passage: Shown
    anchor: str
    reader: str
    quotes: list[str]


@dataclass
class Headline:
    """A statistical observation in one line: value, unit, what, where, when."""

    value: str
    unit: str | None
    indicator: Shown | None
    area: Shown | None
    period: Shown | None
    qualifier: str | None = None
    margin: str | None = None


@dataclass
class Description:
    """Everything the resource page shows about one IRI."""

    iri: str
    label: str
    curie: str
    exists: bool
    types: list[Value] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    outgoing: list[Group] = field(default_factory=list)
    incoming: list[Group] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    external: list[Shown] = field(default_factory=list)
    headline: Headline | None = None
    page: int = 1
    pages: int = 1
    is_passage: bool = False
    neighbours: list[tuple[Shown, str, bool]] = field(default_factory=list)


def graph_role(graph: Node | None, base: Base) -> str:
    """The role of a named graph: its name under ``/id/graph/`` (asserted, inferred…)."""
    prefix = str(base.GRAPH)
    text = str(graph) if graph is not None else ""
    return text[len(prefix) :] if text.startswith(prefix) else "other"


ROLE_ORDER = {"asserted": 0, "ontology": 1, "inferred": 9}


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    return quote(text, safe="")


def why_href(iris: Iris, s: Node, p: Node, o: Node) -> str:
    """The explanation page for one inferred statement."""
    return f"{iris.root}/why?s={_quoted(str(s))}&p={_quoted(str(p))}&o={_quoted(o.n3())}"


def describe(
    rows: list[dict[str, Node]],
    iri: URIRef,
    base: Base,
    iris: Iris,
    page: int = 1,
    term_labels: Mapping[str, str] | None = None,
) -> Description:
    """Build the page model of ``iri`` from the rows of the ``resource`` query
    (``term_labels``: labels of properties, from the ontology)."""
    labels: dict[str, list[Literal]] = defaultdict(list)
    plabels = term_labels or {}
    values: dict[str, tuple[Literal, str | None]] = {}
    statements: dict[str, dict[tuple[str, Node], str]] = {"out": {}, "in": {}}
    quotes: dict[str, set[str]] = defaultdict(set)
    notes: dict[tuple[str, Node], str] = {}
    for row in rows:
        p = row.get("p")
        if "derived" in row and p is not None:
            notes[(str(p), row["o"])] = str(row["derived"])
            continue
        if "quote" in row:
            direction, other = "quote", row["o"]
        elif "x" in row:
            direction, other = "in", row["x"]
        elif "o" in row:
            direction, other = "out", row["o"]
        else:
            continue
        key = str(other)
        if "label" in row and row["label"] not in labels[key]:
            labels[key].append(row["label"])  # type: ignore[arg-type]
        if "value" in row:
            unit = str(row["unit"]) if "unit" in row else None
            if key not in values or (unit and values[key][1] is None):
                values[key] = (row["value"], unit)  # type: ignore[assignment]
        if direction == "quote":
            quotes[key].add(str(row["quote"]))
            continue
        if p is None:
            continue
        role = graph_role(row.get("g"), base)
        previous = statements[direction].get((str(p), other))
        if previous is None or ROLE_ORDER.get(role, 5) < ROLE_ORDER.get(previous, 5):
            statements[direction][(str(p), other)] = role

    cache: dict[Node, Shown] = {}

    def shown(term: Node) -> Shown:
        found = cache.get(term)
        if found is None:
            found = cache[term] = show(term, iris, best_label(labels.get(str(term), [])))
        return found

    def extra_of(term: Node) -> str | None:
        if str(term) not in values:
            return None
        number, unit = values[str(term)]
        return format_literal(number) + (f" {unit}" if unit else "")

    out, inc = statements["out"], statements["in"]
    own_labels = [o for (p, o) in out if p in (str(RDFS.label), str(SKOS.prefLabel))]
    titles = [o for (p, o) in out if p == str(DCTERMS.title)]
    label = best_label([x for x in own_labels + titles if isinstance(x, Literal)])
    desc = Description(
        iri=str(iri),
        label=label or iris.short_name(str(iri)),
        curie=iris.curie(str(iri)),
        exists=bool(out or inc),
        page=page,
    )
    hmic = base.HMIC
    desc.is_passage = any(p == str(hmic.text) for p, _o in out)
    hidden = {str(RDF.type), str(hmic.statedIn), str(hmic.quote)}
    hidden |= {str(p) for p in TEXT_PROPERTIES}
    if label is not None:
        hidden |= {str(RDFS.label)}
    for (p, o), role in sorted(out.items(), key=lambda item: item[0][0]):
        if p == str(RDF.type):
            desc.types.append(_value(shown(o), role, iri, RDF.type, o, iris))
        elif p in {str(t) for t in TEXT_PROPERTIES} and isinstance(o, Literal):
            desc.texts.append((_prop_label(p, plabels, iris), str(o)))
        if (
            isinstance(o, URIRef)
            and not iris.is_internal(str(o))
            and (URIRef(p) in EXTERNAL_LINK_PROPERTIES or p == str(hmic.servesArea))
        ):
            desc.external.append(shown(o))
    desc.types.sort(key=lambda v: v.shown.sort_key)
    window = slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)
    desc.outgoing = _groups(out, hidden, shown, extra_of, plabels, iris, iri, window, False, notes)
    desc.incoming = _groups(inc, set(), shown, extra_of, plabels, iris, iri, window, True)
    desc.citations = _citations(quotes, shown, base, iris, str(iri))
    desc.headline = _headline(out, shown, hmic)
    largest = max((g.total for g in desc.outgoing + desc.incoming), default=0)
    desc.pages = max(1, math.ceil(largest / PAGE_SIZE))
    desc.neighbours = _neighbours(desc)
    return desc


def _prop_label(p: str, plabels: Mapping[str, str], iris: Iris) -> str:
    return show(URIRef(p), iris, plabels.get(p)).text


def _value(shown: Shown, role: str, s: Node, p: Node, o: Node, iris: Iris) -> Value:
    why = why_href(iris, s, p, o) if role == "inferred" else None
    return Value(shown, role, why)


def _groups(
    statements: dict[tuple[str, Node], str],
    hidden: set[str],
    shown: ShowFn,
    extra_of: Callable[[Node], str | None],
    plabels: Mapping[str, str],
    iris: Iris,
    iri: URIRef,
    window: slice,
    inverse: bool,
    notes: Mapping[tuple[str, Node], str] | None = None,
) -> list[Group]:
    """Values grouped by property, sorted, cut to the page ``window``; only the values on the
    page are turned into :class:`Value` records (a hub resource has hundreds of links)."""
    by_prop: dict[str, list[tuple[tuple[object, ...], Node, str]]] = defaultdict(list)
    for (p, o), role in statements.items():
        if p in hidden:
            continue
        by_prop[p].append((_sort_key(shown(o).text, role), o, role))
    groups = []
    for p, entries in by_prop.items():
        entries.sort(key=lambda e: e[0])
        values = []
        for _key, o, role in entries[window]:
            s_, o_ = (o, iri) if inverse else (iri, o)
            value = _value(shown(o), role, s_, URIRef(p), o_, iris)
            value.extra = extra_of(o)
            note = (notes or {}).get((p, o))  # a derived value says so ("derived: …")
            if note:
                value.extra = f"{value.extra}; {note}" if value.extra else note
            values.append(value)
        prop = show(URIRef(p), iris, plabels.get(p))
        groups.append(Group(prop, values, len(entries)))
    groups.sort(key=lambda g: (g.prop.iri != str(RDFS.label), g.prop.text.casefold()))
    return groups


def _sort_key(text: str, role: str) -> tuple[object, ...]:
    """Asserted before inferred; passages by number ("Paragraph 9" before "Paragraph 10");
    then alphabetically."""
    head, _, tail = text.rpartition(" ")
    number = (0, f"{head} {int(tail):08d}") if tail.isdigit() else (1, "")
    return (role == "inferred", number, text.casefold())


def _citations(
    quotes: dict[str, set[str]], shown: ShowFn, base: Base, iris: Iris, fact: str
) -> list[Citation]:
    citations = []
    for passage, found in quotes.items():
        reader, anchor = passage_place(passage, str(base.REPORT_IRI), iris.root)
        sep = "&" if "?" in reader else "?"
        citations.append(
            Citation(
                passage=shown(URIRef(passage)),
                anchor=anchor,
                reader=f"{reader}{sep}highlight={quote(fact, safe='')}#{anchor}",
                quotes=sorted(found),
            )
        )
    citations.sort(key=lambda c: _sort_key(c.passage.text, ""))
    return citations


def _headline(out: dict[tuple[str, Node], str], shown: ShowFn, hmic: Namespace) -> Headline | None:
    first: dict[str, Node] = {}
    for p, o in out:
        first.setdefault(p, o)
    value = first.get(str(SDMX_MEASURE.obsValue))
    if value is None or not isinstance(value, Literal):
        return None
    unit = first.get(str(SDMX_ATTRIBUTE.unitMeasure))
    qualifier = first.get(str(hmic.valueQualifier))
    margin = first.get(str(hmic.marginOfError))
    indicator = first.get(str(hmic.indicator))
    area = first.get(str(SDMX_DIMENSION.refArea))
    period = first.get(str(SDMX_DIMENSION.refPeriod))
    return Headline(
        value=format_literal(value),
        unit=shown(unit).text if unit is not None else None,
        indicator=shown(indicator) if indicator is not None else None,
        area=shown(area) if area is not None else None,
        period=shown(period) if period is not None else None,
        qualifier=shown(qualifier).text if qualifier is not None else None,
        margin=format_literal(margin) if isinstance(margin, Literal) else None,
    )


def _neighbours(desc: Description, limit: int = 14) -> list[tuple[Shown, str, bool]]:
    """Up to ``limit`` linked resources for the graph view, ``(node, edge label, outgoing)``,
    taken in turn from each property so that one long list does not crowd out the rest."""
    queues = [
        [(v.shown, g.prop.text, outgoing) for v in g.values if v.shown.kind == "iri"]
        for groups, outgoing in ((desc.outgoing, True), (desc.incoming, False))
        for g in groups
    ]
    picked: list[tuple[Shown, str, bool]] = []
    seen: set[str] = {desc.iri}
    while len(picked) < limit and any(queues):
        for queue in queues:
            while queue:
                node, label, outgoing = queue.pop(0)
                if node.iri not in seen:
                    seen.add(node.iri or "")
                    picked.append((node, label, outgoing))
                    break
            if len(picked) >= limit:
                break
    return picked
