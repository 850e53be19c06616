"""Why was a statement inferred? Re-derive it from the ontology's axioms, OWL 2 RL style.

Reads three graphs — the ontology (axioms), the asserted data and the inferred data (a
neighbourhood of the statement is enough) — and returns a :class:`Derivation`: the OWL 2 RL
rule applied, the ontology axiom(s) it used and the premises, each premise derived in turn
until every leaf is an asserted statement or an ontology axiom. Covers the rules the project
relies on: subclass, equivalent class, domain, range, subproperty, equivalent property,
inverse, transitive and symmetric properties, and the schema rules that chain subclasses,
subproperties, domains and ranges. Pure: nothing is queried or changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rdflib import OWL, RDF, RDFS, Graph
from rdflib.term import Node

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class Rule:
    """An OWL 2 RL rule (its identifier in the OWL 2 Profiles spec) in plain words."""

    code: str
    name: str
    reads: str


RULES = {
    r.code: r
    for r in (
        Rule("cax-sco", "subclass", "every instance of a class is an instance of its superclass"),
        Rule("cax-eqc", "equivalent class", "instances of equivalent classes are shared"),
        Rule("prp-dom", "property domain", "the subject of a property is in its domain class"),
        Rule("prp-rng", "property range", "the object of a property is in its range class"),
        Rule("prp-spo1", "subproperty", "a statement with a subproperty implies its superproperty"),
        Rule("prp-eqp", "equivalent property", "equivalent properties hold together"),
        Rule("prp-inv", "inverse property", "a statement implies its inverse, read backwards"),
        Rule("prp-trp", "transitive property", "two chained statements imply the shortcut"),
        Rule("prp-symp", "symmetric property", "a symmetric statement holds both ways"),
        Rule("scm-cls", "every class is a subclass of owl:Thing", "classes sit under owl:Thing"),
        Rule("scm-sco", "subclass chain", "a subclass of a subclass is a subclass"),
        Rule("scm-spo", "subproperty chain", "a subproperty of a subproperty is a subproperty"),
        Rule("scm-dom1", "domain widened", "a property's domain extends to superclasses"),
        Rule("scm-dom2", "domain inherited", "a subproperty has its superproperty's domain"),
        Rule("scm-rng1", "range widened", "a property's range extends to superclasses"),
        Rule("scm-rng2", "range inherited", "a subproperty has its superproperty's range"),
    )
}


@dataclass(frozen=True)
class Step:
    """One rule application: the axioms it used and the premises it needed."""

    rule: Rule
    axioms: tuple[Triple, ...]
    premises: tuple[Triple, ...]


@dataclass
class Derivation:
    """How a statement holds: asserted, an ontology axiom, or inferred by a step whose
    premises are derived in turn. ``step`` is None for leaves and for unexplained inferences."""

    triple: Triple
    source: str  # "asserted" | "ontology" | "inferred"
    step: Step | None = None
    premises: list[Derivation] = field(default_factory=list)

    @property
    def explained(self) -> bool:
        """Whether this statement is asserted or fully derived from asserted statements."""
        return self.source != "inferred" or self.step is not None

    def axioms(self) -> list[Triple]:
        """Every ontology axiom the derivation uses, in order, once each."""
        found: list[Triple] = []
        stack = [self]
        while stack:
            node = stack.pop()
            if node.step is not None:
                found.extend(a for a in node.step.axioms if a not in found)
            stack.extend(reversed(node.premises))
        return found

    def leaves(self) -> list[Derivation]:
        """The asserted statements and axioms the derivation rests on, in order, once each."""
        found: list[Derivation] = []
        stack = [self]
        while stack:
            node = stack.pop()
            if node.step is None:
                if node.triple not in {f.triple for f in found}:
                    found.append(node)
            stack.extend(reversed(node.premises))
        return found


class Facts:
    """The statements the explainer may use, by where they come from."""

    def __init__(self, ontology: Graph, asserted: Graph, inferred: Graph) -> None:
        self.ontology = ontology
        self.asserted = asserted
        self.inferred = inferred
        self._all = (ontology, asserted, inferred)

    def source(self, triple: Triple) -> str | None:
        """Which graph holds ``triple`` (asserted and ontology win over inferred)."""
        if triple in self.asserted:
            return "asserted"
        if triple in self.ontology:
            return "ontology"
        if triple in self.inferred:
            return "inferred"
        if triple[1] == RDFS.subClassOf and triple[2] == OWL.Thing:
            return "inferred"  # entailed for every class (scm-cls), even when not stored
        return None

    def holds(self, triple: Triple) -> bool:
        """Whether any graph holds ``triple`` (or OWL entails it for every class)."""
        return self.source(triple) is not None

    def objects(self, s: Node, p: Node) -> set[Node]:
        """Every ``o`` with ``(s, p, o)`` in any graph."""
        return {o for g in self._all for o in g.objects(s, p)}

    def subjects(self, p: Node, o: Node) -> set[Node]:
        """Every ``s`` with ``(s, p, o)`` in any graph."""
        return {s for g in self._all for s in g.subjects(p, o)}

    def predicates(self, s: Node, o: Node) -> set[Node]:
        """Every ``p`` with ``(s, p, o)`` in any graph."""
        return {p for g in self._all for p in g.predicates(s, o)}

    def axiom(self, triple: Triple) -> bool:
        """Whether ``triple`` is an ontology axiom (stated in the ontology graph)."""
        return triple in self.ontology


def _sorted(nodes: object) -> list[Node]:
    """Nodes in a stable order (IRIs and literals do not compare with each other)."""
    return sorted(nodes, key=lambda n: (type(n).__name__, str(n)))  # type: ignore[call-overload]


def steps(triple: Triple, facts: Facts) -> Iterator[Step]:
    """Every single rule application whose axioms are in the ontology and whose premises hold."""
    s, p, o = triple
    if p == RDF.type:
        yield from _type_steps(s, o, facts)
    elif p in (RDFS.subClassOf, RDFS.subPropertyOf):
        yield from _hierarchy_steps(s, p, o, facts)
    elif p in (RDFS.domain, RDFS.range):
        yield from _domain_range_steps(s, p, o, facts)
    else:
        yield from _property_steps(s, p, o, facts)


def _type_steps(s: Node, c: Node, facts: Facts) -> Iterator[Step]:
    for d in _sorted(facts.objects(s, RDF.type)):
        if d != c and facts.axiom((d, RDFS.subClassOf, c)):
            yield Step(RULES["cax-sco"], ((d, RDFS.subClassOf, c),), ((s, RDF.type, d),))
        for axiom in ((d, OWL.equivalentClass, c), (c, OWL.equivalentClass, d)):
            if d != c and facts.axiom(axiom):
                yield Step(RULES["cax-eqc"], (axiom,), ((s, RDF.type, d),))
    for prop in _sorted(facts.ontology.subjects(RDFS.domain, c)):
        for x in _sorted(facts.objects(s, prop)):
            yield Step(RULES["prp-dom"], ((prop, RDFS.domain, c),), ((s, prop, x),))
    for prop in _sorted(facts.ontology.subjects(RDFS.range, c)):
        for x in _sorted(facts.subjects(prop, s)):
            yield Step(RULES["prp-rng"], ((prop, RDFS.range, c),), ((x, prop, s),))


def _property_steps(s: Node, p: Node, o: Node, facts: Facts) -> Iterator[Step]:
    for q in _sorted(facts.ontology.subjects(RDFS.subPropertyOf, p)):
        if q != p and facts.holds((s, q, o)):
            yield Step(RULES["prp-spo1"], ((q, RDFS.subPropertyOf, p),), ((s, q, o),))
    for q in _sorted(facts.ontology.objects(p, OWL.equivalentProperty)) + _sorted(
        facts.ontology.subjects(OWL.equivalentProperty, p)
    ):
        if q != p and facts.holds((s, q, o)):
            axiom = (p, OWL.equivalentProperty, q)
            if not facts.axiom(axiom):
                axiom = (q, OWL.equivalentProperty, p)
            yield Step(RULES["prp-eqp"], (axiom,), ((s, q, o),))
    for q in _sorted(facts.ontology.objects(p, OWL.inverseOf)):
        if facts.holds((o, q, s)):
            yield Step(RULES["prp-inv"], ((p, OWL.inverseOf, q),), ((o, q, s),))
    for q in _sorted(facts.ontology.subjects(OWL.inverseOf, p)):
        if facts.holds((o, q, s)):
            yield Step(RULES["prp-inv"], ((q, OWL.inverseOf, p),), ((o, q, s),))
    if facts.axiom((p, RDF.type, OWL.TransitiveProperty)):
        for x in _sorted(facts.objects(s, p)):
            if x not in (s, o) and facts.holds((x, p, o)):
                yield Step(
                    RULES["prp-trp"],
                    ((p, RDF.type, OWL.TransitiveProperty),),
                    ((s, p, x), (x, p, o)),
                )
    if facts.axiom((p, RDF.type, OWL.SymmetricProperty)) and facts.holds((o, p, s)):
        yield Step(RULES["prp-symp"], ((p, RDF.type, OWL.SymmetricProperty),), ((o, p, s),))


def _hierarchy_steps(s: Node, p: Node, o: Node, facts: Facts) -> Iterator[Step]:
    if p == RDFS.subClassOf and o == OWL.Thing:
        # OWL makes every class a subclass of owl:Thing; the class declaration is the premise
        # when the graphs hold it (W3C classes' declarations are not kept in the dataset).
        declared = (s, RDF.type, OWL.Class)
        yield Step(RULES["scm-cls"], (), (declared,) if facts.holds(declared) else ())
        return
    rule = RULES["scm-sco"] if p == RDFS.subClassOf else RULES["scm-spo"]
    for x in _sorted(facts.objects(s, p)):
        if x not in (s, o) and facts.holds((x, p, o)):
            yield Step(rule, (), ((s, p, x), (x, p, o)))


def _domain_range_steps(prop: Node, p: Node, c: Node, facts: Facts) -> Iterator[Step]:
    widened = RULES["scm-dom1"] if p == RDFS.domain else RULES["scm-rng1"]
    inherited = RULES["scm-dom2"] if p == RDFS.domain else RULES["scm-rng2"]
    for d in _sorted(facts.objects(prop, p)):
        if d != c and facts.holds((d, RDFS.subClassOf, c)):
            yield Step(widened, (), ((prop, p, d), (d, RDFS.subClassOf, c)))
    for q in _sorted(facts.objects(prop, RDFS.subPropertyOf)):
        if q != prop and facts.holds((q, p, c)):
            yield Step(inherited, (), ((prop, RDFS.subPropertyOf, q), (q, p, c)))


def derive(triple: Triple, facts: Facts, max_depth: int = 12) -> Derivation | None:
    """A derivation of ``triple`` down to asserted statements and axioms, or None when the
    triple does not hold. An inferred triple no covered rule explains (within the facts
    given) comes back with ``step`` None."""
    source = facts.source(triple)
    if source is None:
        return None
    done: dict[Triple, Derivation] = {}
    found = _derive(triple, facts, max_depth, set(), done)
    return found if found is not None else Derivation(triple, source)


def _derive(
    triple: Triple, facts: Facts, depth: int, stack: set[Triple], done: dict[Triple, Derivation]
) -> Derivation | None:
    if triple in done:
        return done[triple]
    source = facts.source(triple)
    if source in ("asserted", "ontology"):
        return Derivation(triple, source)  # type: ignore[arg-type]
    if source is None or depth == 0 or triple in stack:
        return None
    stack.add(triple)
    try:
        candidates = sorted(steps(triple, facts), key=lambda st: _cost(st, facts))
        for step in candidates:
            premises = []
            for premise in step.premises:
                sub = _derive(premise, facts, depth - 1, stack, done)
                if sub is None:
                    break
                premises.append(sub)
            else:
                done[triple] = Derivation(triple, "inferred", step, premises)
                return done[triple]
        return None
    finally:
        stack.discard(triple)


def _cost(step: Step, facts: Facts) -> tuple[int, int]:
    """Prefer steps whose premises are asserted, then steps with fewer premises."""
    inferred = sum(1 for t in step.premises if facts.source(t) == "inferred")
    return (inferred, len(step.premises))
