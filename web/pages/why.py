"""The "why" view: how the reasoner arrived at one inferred statement.

Reads the ontology (cached per app) and one query (``why``: the statements around the
subject and object, transitive chains and inferred schema statements); runs the explainer
(:mod:`web.model.explain`) and shows the derivation tree — rule, axiom and premises, down to the
asserted statements — with every term labelled and linked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, render_template
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS, XSD
from rdflib.term import Node

from web.data import access
from web.http import params
from web.model.description import why_href
from web.model.explain import Derivation, Facts, derive
from web.model.iris import Iris
from web.model.terms import Shown, best_label, show

bp = Blueprint("why", __name__)


@dataclass
class ShownTriple:
    """A statement with its three terms ready to render."""

    s: Shown
    p: Shown
    o: Shown
    source: str
    why: str | None = None


@dataclass
class ShownDerivation:
    """A derivation node ready to render."""

    triple: ShownTriple
    rule: str | None = None
    rule_code: str | None = None
    rule_reads: str | None = None
    axioms: list[ShownTriple] = field(default_factory=list)
    premises: list[ShownDerivation] = field(default_factory=list)


@bp.get("/why")
def why() -> str:
    """Explain the inferred statement ``?s=<iri>&p=<iri>&o=<term in N-Triples>``."""
    s, p, o = params.iri("s"), params.iri("p"), _plain(params.term("o"))
    assert s is not None and p is not None
    ontology = access.ontology()
    rows = access.select(
        "why",
        s=s,
        o=o,
        ontology=access.graph_iri("ontology"),
        annotations=access.graph_iri("annotations"),
    )
    # Every graph but the inferred one holds premises of the reasoner (asserted data, links,
    # external data sets); the ontology comes from the cache.
    asserted, inferred = Graph(), Graph()
    inferred_iri = access.graph_iri("inferred")
    for row in rows:
        target = inferred if row["g"] == inferred_iri else asserted
        target.add((row["x"], row["p"], _plain(row["y"])))
    facts = Facts(ontology, asserted, inferred)
    derivation = derive((s, p, o), facts)
    if derivation is None:
        abort(404)
    labels = _labels(ontology, asserted, inferred)
    iris = access.iris()
    shown = _shown(derivation, labels, iris)
    leaves = [_triple(leaf.triple, leaf.source, labels, iris) for leaf in derivation.leaves()]
    leaves += [_triple(axiom, "ontology", labels, iris) for axiom in derivation.axioms()]
    return render_template(
        "why.html",
        title="Why: " + shown.triple.s.text,
        d=shown,
        derivation=derivation,
        leaves=leaves,
    )


def _plain(term: Node) -> Node:
    """``"x"^^xsd:string`` as the simple literal ``"x"`` (the same RDF 1.1 term, which rdflib
    compares as different), so statements from the store and from URLs match."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def _labels(*graphs: Graph) -> dict[str, str]:
    found: dict[str, list[Literal]] = {}
    for graph in graphs:
        for prop in (SKOS.prefLabel, RDFS.label):
            for subject, label in graph.subject_objects(prop):
                if isinstance(label, Literal):
                    found.setdefault(str(subject), []).append(label)
    return {k: v for k, v in ((k, best_label(v)) for k, v in found.items()) if v}


def _term(node: Node, labels: dict[str, str], iris: Iris) -> Shown:
    return show(node, iris, labels.get(str(node)) if isinstance(node, URIRef) else None)


def _triple(
    triple: tuple[Node, Node, Node], source: str, labels: dict[str, str], iris: Iris
) -> ShownTriple:
    s, p, o = triple
    why = why_href(iris, s, p, o) if source == "inferred" else None
    return ShownTriple(
        _term(s, labels, iris), _term(p, labels, iris), _term(o, labels, iris), source, why
    )


def _shown(d: Derivation, labels: dict[str, str], iris: Iris) -> ShownDerivation:
    node = ShownDerivation(_triple(d.triple, d.source, labels, iris))
    if d.step is not None:
        node.rule = d.step.rule.name
        node.rule_code = d.step.rule.code
        node.rule_reads = d.step.rule.reads
        node.axioms = [_triple(a, "ontology", labels, iris) for a in d.step.axioms]
        node.premises = [_shown(p, labels, iris) for p in d.premises]
    return node
