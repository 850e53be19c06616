"""The ontology documentation page (``/def/hmic``), generated from the ontology itself.

Reads the ontology graph (cached per app) and ``class-counts``; lists the classes as a
hierarchy and one by one (label, definition, superclasses, subclasses, disjoint classes,
instance count), the properties (kind, domain, range, superproperties, inverse,
characteristics, definition) and the code lists with their concepts. Nothing on the page is
hand-written about a term: change the Turtle and the page follows. The page model is built
once per app (the dataset does not change while it runs). Also negotiates: the RDF formats
return the ontology graph.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Blueprint, Response, current_app, make_response, render_template, request
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from web.data import access
from web.http import formats as negotiation
from web.model.iris import Iris
from web.model.terms import Shown, best_label, show

bp = Blueprint("vocab", __name__)
CHARACTERISTICS = {
    OWL.TransitiveProperty: "transitive",
    OWL.FunctionalProperty: "functional",
    OWL.InverseFunctionalProperty: "inverse functional",
    OWL.SymmetricProperty: "symmetric",
}
KINDS = {
    OWL.ObjectProperty: "object property",
    OWL.DatatypeProperty: "datatype property",
    OWL.AnnotationProperty: "annotation property",
}


@dataclass
class TermDoc:
    """One class or property as documented."""

    shown: Shown
    anchor: str
    definition: str | None = None
    kind: str = ""
    supers: list[Shown] = field(default_factory=list)
    subs: list[Shown] = field(default_factory=list)
    disjoint: list[Shown] = field(default_factory=list)
    domains: list[Shown] = field(default_factory=list)
    ranges: list[Shown] = field(default_factory=list)
    inverse: list[Shown] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    count: int | None = None
    instances: str | None = None


@dataclass
class Scheme:
    """A code list and its concepts."""

    shown: Shown
    definition: str | None
    concepts: list[tuple[Shown, str | None]]


@dataclass
class TreeNode:
    """A class in the hierarchy view."""

    shown: Shown
    anchor: str
    children: list[TreeNode] = field(default_factory=list)
    outside: list[Shown] = field(default_factory=list)  # superclasses from other vocabularies


@dataclass
class OntologyDoc:
    """The whole documentation page."""

    title: str
    description: str | None
    version: str | None
    classes: list[TermDoc]
    properties: list[TermDoc]
    schemes: list[Scheme]
    tree: list[TreeNode]


def document(ontology: Graph, ns: str, iris: Iris, counts: dict[str, int]) -> OntologyDoc:
    """Document the terms of namespace ``ns`` in ``ontology``."""

    def label(node: Node) -> str | None:
        found = [o for p in (SKOS.prefLabel, RDFS.label) for o in ontology.objects(node, p)]
        return best_label([x for x in found if isinstance(x, Literal)])

    def shown(node: Node) -> Shown:
        return show(node, iris, label(node))

    def text(node: Node) -> str | None:
        for prop in (SKOS.definition, DCTERMS.description, RDFS.comment):
            value = ontology.value(node, prop)
            if value is not None:
                return str(value)
        return None

    def ours(node: Node) -> bool:
        return isinstance(node, URIRef) and str(node).startswith(ns)

    def named(nodes: object) -> list[Shown]:
        items = [shown(n) for n in nodes if isinstance(n, URIRef)]  # type: ignore[attr-defined]
        return sorted(items, key=lambda s: s.sort_key)

    classes = sorted({c for c in ontology.subjects(RDF.type, OWL.Class) if ours(c)}, key=str)
    class_docs = []
    for cls in classes:
        doc = TermDoc(shown(cls), _anchor(cls, ns), text(cls), "class")
        doc.supers = named(ontology.objects(cls, RDFS.subClassOf))
        doc.subs = named(ontology.subjects(RDFS.subClassOf, cls))
        doc.disjoint = named(
            set(ontology.objects(cls, OWL.disjointWith))
            | set(ontology.subjects(OWL.disjointWith, cls))
        )
        doc.count = counts.get(str(cls), 0)
        doc.instances = f"{iris.root}/class?iri={quote(str(cls), safe='')}"
        class_docs.append(doc)
    class_docs.sort(key=lambda d: d.shown.sort_key)

    props = sorted(
        {p for kind in KINDS for p in ontology.subjects(RDF.type, kind) if ours(p)}, key=str
    )
    prop_docs = []
    for prop in props:
        kinds = [KINDS[k] for k in ontology.objects(prop, RDF.type) if k in KINDS]
        doc = TermDoc(shown(prop), _anchor(prop, ns), text(prop), ", ".join(sorted(kinds)))
        doc.supers = named(ontology.objects(prop, RDFS.subPropertyOf))
        doc.subs = named(ontology.subjects(RDFS.subPropertyOf, prop))
        doc.domains = named(ontology.objects(prop, RDFS.domain))
        doc.ranges = named(ontology.objects(prop, RDFS.range))
        doc.inverse = named(
            set(ontology.objects(prop, OWL.inverseOf)) | set(ontology.subjects(OWL.inverseOf, prop))
        )
        doc.characteristics = sorted(
            CHARACTERISTICS[k] for k in ontology.objects(prop, RDF.type) if k in CHARACTERISTICS
        )
        range_ = ontology.value(prop, RDFS.range)
        if range_ is not None and not isinstance(range_, URIRef):
            doc.ranges = []
        prop_docs.append(doc)
    prop_docs.sort(key=lambda d: d.shown.sort_key)

    schemes = []
    for scheme in sorted(set(ontology.subjects(RDF.type, SKOS.ConceptScheme)), key=str):
        members = set(ontology.subjects(SKOS.inScheme, scheme))
        ordered = sorted(members, key=lambda c: _concept_key(ontology, c, ns, shown(c)))
        schemes.append(Scheme(shown(scheme), text(scheme), [(shown(c), text(c)) for c in ordered]))

    onto = URIRef(ns.rstrip("/"))
    return OntologyDoc(
        title=label(onto) or str(ontology.value(onto, DCTERMS.title) or "The hmic ontology"),
        description=text(onto),
        version=str(ontology.value(onto, OWL.versionInfo) or "") or None,
        classes=class_docs,
        properties=prop_docs,
        schemes=schemes,
        tree=_tree(class_docs, classes, ontology, ns),
    )


def _concept_key(ontology: Graph, concept: Node, ns: str, shown: Shown) -> tuple[int, str]:
    """Concepts with a rank (grades) best first; the rest alphabetically."""
    rank = ontology.value(concept, URIRef(ns + "rank"))
    return (-int(rank) if isinstance(rank, Literal) else 0, shown.text.casefold())


def _anchor(node: Node, ns: str) -> str:
    return str(node)[len(ns) :]


def _tree(docs: list[TermDoc], classes: list[Node], ontology: Graph, ns: str) -> list[TreeNode]:
    by_iri = {d.shown.iri: d for d in docs}
    children: dict[str, list[str]] = defaultdict(list)
    roots = []
    for cls in classes:
        parents = [str(p) for p in ontology.objects(cls, RDFS.subClassOf) if str(p) in by_iri]
        for parent in parents:
            children[parent].append(str(cls))
        if not parents:
            roots.append(str(cls))

    def node(iri: str, seen: frozenset[str]) -> TreeNode:
        doc = by_iri[iri]
        kids = sorted(children.get(iri, []), key=lambda k: by_iri[k].shown.sort_key)
        outside = [s for s in doc.supers if s.iri not in by_iri]
        return TreeNode(
            doc.shown, doc.anchor, [node(k, seen | {iri}) for k in kids if k not in seen], outside
        )

    return [node(r, frozenset()) for r in sorted(roots, key=lambda k: by_iri[k].shown.sort_key)]


@bp.get("/def/hmic")
def ontology() -> Response:
    """The ontology: documentation in HTML, or the ontology graph in an RDF format."""
    return ontology_page()


def ontology_page() -> Response:
    """Render or serialise the ontology (shared with the ``/def/`` route)."""
    fmt = negotiation.choose(request)
    href = request.script_root + request.path
    graph = access.ontology()
    if fmt.key != "html":
        return negotiation.rdf_response(graph, fmt, access.prefixes(), href)
    cache = current_app.extensions.setdefault("hmic_web", {})
    key = ("ontology-doc", request.script_root)
    if key not in cache:  # the dataset does not change while the app runs
        counts = {str(r["class"]): int(str(r["n"])) for r in access.select("class-counts")}
        cache[key] = document(graph, str(access.base().HMIC), access.iris(), counts)
    doc = cache[key]
    html = render_template(
        "vocab.html",
        title=doc.title,
        doc=doc,
        formats=[f for f in negotiation.FORMATS.values() if f.key != "html"],
        self_href=href,
    )
    return negotiation.decorate(make_response(html), href)
