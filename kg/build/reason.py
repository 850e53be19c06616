"""Build stage "reason": the OWL 2 RL closure of ontology + asserted data, as a pure function.

Reads a graph (never modifies it), runs owlrl's OWL-RL rules on a copy and returns only the
new triples, minus the noise: literal subjects, ``x owl:sameAs x``, ``owl:Thing`` typing and
the axiomatic boilerplate owlrl adds about W3C vocabularies. Inconsistencies that owlrl
detects are returned as messages; :mod:`kg.build.validate` turns them into a failed build.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import owlrl
from rdflib import OWL, RDF, RDFS, Graph, Literal
from rdflib.term import Node

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


def infer(graph: Graph) -> Inference:
    """Return the OWL-RL consequences of ``graph`` that are new, useful and valid RDF."""
    work = Graph()
    for triple in graph:
        work.add(triple)
    closure = owlrl.OWLRL.OWLRL_Semantics(work, False, False, rdfs=False)
    closure.closure()
    result = Inference(Graph())
    for prefix, ns in graph.namespaces():
        result.inferred.bind(prefix, ns)
    for s, p, o in work:
        if (s, p, o) in graph:
            continue
        reason = _drop_reason(s, p, o)
        if reason:
            result.dropped[reason] += 1
        else:
            result.inferred.add((s, p, o))
    result.errors = list(closure.error_messages)
    return result
