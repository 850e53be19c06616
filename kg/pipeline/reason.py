"""Build stage "reason": the OWL 2 RL closure of ontology + asserted data, as a pure function.

Reads graphs (never modifies them) and returns only the new triples, minus the noise: literal
subjects, ``x owl:sameAs x``, ``owl:Thing`` typing and the axiomatic boilerplate owlrl adds
about W3C vocabularies. :func:`infer` is the reference: owlrl's full closure of one graph.
:func:`infer_scalable` gives the same result in time linear in the data: owlrl closes the
ontology once, then :mod:`kg.pipeline.rules` applies the compiled instance rules to all the data
(every report at once); it falls back to :func:`infer` when the ontology or the data needs a
rule it does not compile. Inconsistencies are returned as messages; :mod:`kg.pipeline.validate`
turns them into a failed build.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import owlrl
from rdflib import OWL, RDF, RDFS, Graph, Literal
from rdflib.term import Node

from kg.pipeline.rules import Rules, SameAsReached, close, is_schema, unsupported

# Namespaces whose own terms we never want statements *about* in the inferred graph
# (owlrl asserts e.g. "rdf:type a rdf:Property" for every built-in term it touches).
W3C_NAMESPACES = (
    "http://www.w3.org/",
    "http://purl.org/dc/",
    "http://purl.org/linked-data/",
    "http://xmlns.com/foaf/",
    "http://rdfs.org/ns/void#",
)
ERROR_NS = "http://www.daml.org/2002/03/agents/agent-ont#"


@dataclass
class Inference:
    """The result of reasoning: the inferred triples, what was dropped and any inconsistency."""

    inferred: Graph
    dropped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def _drop_reason(s: Node, p: Node, o: Node) -> str | None:
    if isinstance(s, Literal):
        return "literal subject"
    if p == OWL.sameAs and s == o:
        return "x owl:sameAs x"
    if p == RDF.type and o in (OWL.Thing, RDFS.Resource):
        return "owl:Thing / rdfs:Resource typing"
    if str(s).startswith(W3C_NAMESPACES):
        return "statement about a W3C vocabulary term"
    if str(p).startswith(ERROR_NS) or (p == RDF.type and str(o).startswith(ERROR_NS)):
        return "owlrl error marker"
    if p in (OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf) and (
        s == o
    ):
        return "reflexive class/property axiom"
    return None


def _owlrl_closure(graph: Graph) -> tuple[Graph, list[str]]:
    work = Graph()
    for triple in graph:
        work.add(triple)
    closure = owlrl.OWLRL.OWLRL_Semantics(work, False, False, rdfs=False)
    closure.closure()
    return work, list(closure.error_messages)


def _keep(result: Inference, triples: Iterable[tuple[Node, Node, Node]]) -> None:
    for s, p, o in triples:
        reason = _drop_reason(s, p, o)
        if reason:
            result.dropped[reason] += 1
        else:
            result.inferred.add((s, p, o))


def infer(graph: Graph) -> Inference:
    """Return the OWL-RL consequences of ``graph`` that are new, useful and valid RDF."""
    work, errors = _owlrl_closure(graph)
    result = Inference(Graph())
    for prefix, ns in graph.namespaces():
        result.inferred.bind(prefix, ns)
    _keep(result, (t for t in work if t not in graph))
    result.errors = errors
    return result


def infer_scalable(ontology: Graph, data: Sequence[Graph]) -> Inference:
    """The same triples as ``infer(ontology + every data graph)``, without running owlrl over
    the data: the ontology (with any schema statement found in the data) is closed by owlrl
    once, and its instance rules are applied to the data in one pass. The data of any number
    of reports is reasoned over together, so inferences that join statements of two reports
    (a transitive chain through a shared place, say) are made as owlrl makes them."""
    schema = Graph()
    for triple in ontology:
        schema.add(triple)
    premises: set[tuple[Node, Node, Node]] = set(ontology)
    for graph in data:
        for triple in graph:
            premises.add(triple)
            if is_schema(triple):
                schema.add(triple)
    tbox, errors = _owlrl_closure(schema)
    if not unsupported(tbox):
        try:
            closure = close(Rules.compile(tbox), premises | set(tbox))
        except SameAsReached:
            closure = None
        if closure is not None:
            result = Inference(Graph(), errors=errors + closure.errors)
            for prefix, ns in ontology.namespaces():
                result.inferred.bind(prefix, ns)
            _keep(result, (t for t in closure.triples if t not in premises))
            return result
    union = Graph()
    for prefix, ns in ontology.namespaces():
        union.bind(prefix, ns)
    for triple in premises:
        union.add(triple)
    return infer(union)
