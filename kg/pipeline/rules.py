"""Build stage "reason", scalable part: the OWL 2 RL instance rules, compiled from a closed
ontology and applied to instance data in one linear pass.

Reads the ontology closed once by owlrl (the "T-box") and the instance data (any number of
reports and the external graphs); returns the new instance-level triples. Only the rules the
ontology's constructs can fire are compiled: class and property hierarchies (cax-sco,
prp-spo1), domains and ranges (prp-dom, prp-rng), inverses (prp-inv1/2), symmetric and
transitive properties (prp-symp, prp-trp), and the consistency rules for disjoint classes and
``owl:Nothing`` (cax-dw, cls-nothing2). :func:`unsupported` names any construct outside that
set (restrictions, property chains, keys, inverse-functional properties, ``owl:sameAs``, a
functional property with two values); the caller then uses owlrl's full closure, which stays
the reference semantics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import OWL, RDF, RDFS, Graph, Literal
from rdflib.collection import Collection
from rdflib.term import Node

Triple = tuple[Node, Node, Node]

# Predicates and types that make a triple part of the schema, whatever graph it is in.
SCHEMA_PREDICATES = frozenset(
    {
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        RDFS.domain,
        RDFS.range,
        OWL.inverseOf,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        OWL.disjointWith,
        OWL.propertyDisjointWith,
        OWL.members,
        OWL.distinctMembers,
        OWL.propertyChainAxiom,
        OWL.hasKey,
        OWL.onProperty,
        OWL.someValuesFrom,
        OWL.allValuesFrom,
        OWL.hasValue,
        OWL.intersectionOf,
        OWL.unionOf,
        OWL.complementOf,
        OWL.oneOf,
        OWL.maxCardinality,
        OWL.maxQualifiedCardinality,
        OWL.cardinality,
        OWL.minCardinality,
        OWL.onClass,
        OWL.disjointUnionOf,
        OWL.datatypeComplementOf,
        OWL.withRestrictions,
    }
)
SCHEMA_TYPES = frozenset(
    {
        OWL.Class,
        RDFS.Class,
        RDF.Property,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.TransitiveProperty,
        OWL.SymmetricProperty,
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
        OWL.AsymmetricProperty,
        OWL.IrreflexiveProperty,
        OWL.ReflexiveProperty,
        OWL.Restriction,
        OWL.AllDisjointClasses,
        OWL.AllDisjointProperties,
        OWL.AllDifferent,
        OWL.Ontology,
        RDFS.Datatype,
    }
)
# T-box constructs whose rules this module does not implement.
UNSUPPORTED_PREDICATES = (
    OWL.propertyChainAxiom,
    OWL.hasKey,
    OWL.onProperty,
    OWL.intersectionOf,
    OWL.unionOf,
    OWL.complementOf,
    OWL.oneOf,
    OWL.propertyDisjointWith,
)
UNSUPPORTED_TYPES = (
    OWL.InverseFunctionalProperty,
    OWL.AsymmetricProperty,
    OWL.IrreflexiveProperty,
    OWL.AllDisjointProperties,
    OWL.NegativePropertyAssertion,
)


def is_schema(triple: Triple) -> bool:
    """Whether a triple is a T-box statement (or part of an RDF list the T-box uses)."""
    _s, p, o = triple
    if p in SCHEMA_PREDICATES:
        return True
    return p == RDF.type and o in SCHEMA_TYPES


def unsupported(tbox: Graph) -> list[str]:
    """The constructs of a closed ontology that :class:`Rules` cannot reason with."""
    found = [f"{p.n3()} axioms" for p in UNSUPPORTED_PREDICATES if (None, p, None) in tbox]
    found += [f"{t.n3()} properties" for t in UNSUPPORTED_TYPES if (None, RDF.type, t) in tbox]
    return found


@dataclass
class Rules:
    """The instance rules of one closed T-box, as lookup tables."""

    supers: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    superprops: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    domains: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    ranges: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    inverses: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    symmetric: set[Node] = field(default_factory=set)
    transitive: set[Node] = field(default_factory=set)
    functional: set[Node] = field(default_factory=set)
    disjoint: list[tuple[Node, Node]] = field(default_factory=list)

    @classmethod
    def compile(cls, tbox: Graph) -> Rules:
        """Read the tables from an ontology already closed by owlrl (so every hierarchy is
        transitive and domains and ranges are inherited)."""
        rules = cls()
        for c, d in tbox.subject_objects(RDFS.subClassOf):
            if c != d:
                rules.supers[c].add(d)
        for p, q in tbox.subject_objects(RDFS.subPropertyOf):
            if p != q:
                rules.superprops[p].add(q)
        for p, c in tbox.subject_objects(RDFS.domain):
            rules.domains[p].add(c)
        for p, c in tbox.subject_objects(RDFS.range):
            rules.ranges[p].add(c)
        for p, q in tbox.subject_objects(OWL.inverseOf):
            rules.inverses[p].add(q)
            rules.inverses[q].add(p)
        rules.symmetric = set(tbox.subjects(RDF.type, OWL.SymmetricProperty))
        rules.transitive = set(tbox.subjects(RDF.type, OWL.TransitiveProperty))
        rules.functional = set(tbox.subjects(RDF.type, OWL.FunctionalProperty))
        rules.disjoint = list(tbox.subject_objects(OWL.disjointWith))
        for node in tbox.subjects(RDF.type, OWL.AllDisjointClasses):
            members = list(Collection(tbox, tbox.value(node, OWL.members)))
            rules.disjoint += [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
        return rules


class SameAsReached(Exception):
    """The data entails ``owl:sameAs`` between two different nodes (equality reasoning,
    which :class:`Rules` does not do)."""


@dataclass
class Closure:
    """The result of :func:`close`: every triple known at the fixpoint, and the clashes."""

    triples: set[Triple]
    errors: list[str]


def close(rules: Rules, known: Iterable[Triple]) -> Closure:
    """The fixpoint of the instance rules over ``known`` (T-box triples included, so rules can
    join with the instance statements it makes, e.g. about code-list concepts).

    Semi-naive: each triple is pushed through the rules once; only the transitive
    properties keep indexes (by subject and by object). Linear in the data for everything but
    the transitive chains. Raises :class:`SameAsReached` when equality would be needed."""
    seen: set[Triple] = set(known)
    agenda = list(seen)
    out_of: dict[Node, dict[Node, set[Node]]] = {p: defaultdict(set) for p in rules.transitive}
    into: dict[Node, dict[Node, set[Node]]] = {p: defaultdict(set) for p in rules.transitive}
    values: dict[Node, dict[Node, Node]] = {p: {} for p in rules.functional}
    types: dict[Node, set[Node]] = defaultdict(set)

    def add(triple: Triple) -> None:
        if triple not in seen:
            seen.add(triple)
            agenda.append(triple)

    while agenda:
        s, p, o = agenda.pop()
        if p == RDF.type:
            types[s].add(o)
            for d in rules.supers.get(o, ()):
                add((s, RDF.type, d))
            continue
        if p == OWL.sameAs and s != o:
            raise SameAsReached(f"{s.n3()} owl:sameAs {o.n3()}")
        literal = isinstance(o, Literal)
        for q in rules.superprops.get(p, ()):
            add((s, q, o))
        for c in rules.domains.get(p, ()):
            add((s, RDF.type, c))
        if literal:
            continue  # prp-rng, prp-inv and prp-symp would give a literal subject
        for c in rules.ranges.get(p, ()):
            add((o, RDF.type, c))
        for q in rules.inverses.get(p, ()):
            add((o, q, s))
        if p in rules.symmetric:
            add((o, p, s))
        if p in values:
            first = values[p].setdefault(s, o)
            if first != o:
                raise SameAsReached(f"{s.n3()} has two values of functional {p.n3()}")
        if p in out_of:
            out_of[p][s].add(o)
            into[p][o].add(s)
            for z in list(out_of[p].get(o, ())):
                add((s, p, z))
            for w in list(into[p].get(s, ())):
                add((w, p, o))
    errors = []
    for a, b in rules.disjoint:
        for node, classes in types.items():
            if a in classes and b in classes:
                errors.append(f"{node.n3()} is in disjoint classes {a.n3()} and {b.n3()}")
    errors += [
        f"{node.n3()} is typed owl:Nothing" for node, cs in types.items() if OWL.Nothing in cs
    ]
    return Closure(seen, errors)
